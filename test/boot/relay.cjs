// qemu's guestfwd runs this once per guest connection to 10.0.2.100:8080, with the connection on
// stdin/stdout; it pipes it to the boot test's server on 127.0.0.1:PORT. (qemu's own
// `-tcp:127.0.0.1:PORT` target opens a single connection at start-up, which idles out.)
const net = require('node:net');

const socket = net.connect(Number(process.argv[2]), '127.0.0.1');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
