import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { join } from 'node:path';

/**
 * A forward proxy that only does CONNECT (as corporate proxies do for HTTPS), on 127.0.0.1. It
 * resolves host names through `hosts` (names the scripts themselves cannot resolve: a request that
 * reached such a host went through the proxy), records every CONNECT target and every
 * Proxy-Authorization it saw, and answers `refuse` with 403.
 */
export class ConnectProxy {
  /** The CONNECT targets, host:port, in order. */
  public readonly connects: string[] = [];
  /** Proxy-Authorization headers received (the scripts must never send one). */
  public readonly authorizations: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly hosts: Readonly<Record<string, string>>, private readonly refuse = false) {
    this.server = createServer((_request, response) => response.writeHead(405).end());
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
      this.connects.push(request.url ?? '');
      if (request.headers['proxy-authorization']) this.authorizations.push(String(request.headers['proxy-authorization']));
      client.on('error', () => undefined);
      if (this.refuse) return client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      const match = /^(.+):([0-9]+)$/.exec(request.url ?? '');
      if (!match) return client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      const upstream = connect(Number(match[2]), this.hosts[match[1]] ?? match[1]);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
      upstream.on('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      return undefined;
    });
  }

  public start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve(this.url));
    });
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A CA made for the test, and a server certificate it signed for `host` (a DNS name). */
export function makeServerPki(folder: string, host: string) {
  const file = (name: string) => join(folder, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'proxy-ca.key', '-out', 'proxy-ca.crt', '-subj', '/CN=corp-ca', '-days', '2');
  openssl('req', ...ec, '-keyout', 'ghes.key', '-out', 'ghes.csr', '-subj', `/CN=${host}`);
  writeFileSync(file('ghes.ext'), `subjectAltName=DNS:${host}\n`);
  openssl('x509', '-req', '-in', 'ghes.csr', '-CA', 'proxy-ca.crt', '-CAkey', 'proxy-ca.key', '-CAcreateserial', '-out', 'ghes.crt', '-days', '2', '-extfile', 'ghes.ext');
  return { caFile: file('proxy-ca.crt'), key: readFileSync(file('ghes.key'), 'utf8'), cert: readFileSync(file('ghes.crt'), 'utf8') };
}
