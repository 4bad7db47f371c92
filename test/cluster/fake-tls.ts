import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { hasOpenssl } from './connect-proxy';

/**
 * TLS for a fake API server, made with openssl in `folder`: a CA, a server certificate it signed for
 * 127.0.0.1 and kubernetes.default.svc (as the in-cluster API server's), and an unrelated CA.
 */
export function makePki(folder: string) {
  const file = (name: string) => join(folder, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test-ca', '-days', '2');
  openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-subj', '/CN=other-ca', '-days', '2');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kubernetes');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
  const read = (name: string) => readFileSync(file(name), 'utf8');
  return { caFile: file('ca.crt'), otherCaFile: file('other.crt'), serverKey: read('server.key'), serverCert: read('server.crt') };
}
