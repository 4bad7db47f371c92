import { createServer as createHttpServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo, createServer as createNetServer } from 'node:net';

// The HTTP(S) server under both fake APIs (./fake-kube.ts, ./fake-github-api.ts): on 127.0.0.1, it
// records every request with its whole body before the fake answers it.

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export class RecordingServer {
  public readonly requests: RecordedRequest[] = [];
  private readonly server: Server | HttpsServer;
  private readonly scheme: 'http' | 'https';
  private baseUrl = '';

  constructor(tls: { readonly key: string; readonly cert: string } | undefined, route: Route) {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        route(req, res, body);
      });
    };
    this.server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
    this.scheme = tls ? 'https' : 'http';
  }

  /** Listens on 127.0.0.1 (on `port`, else any free one); resolves the origin (`http://127.0.0.1:PORT`). */
  public start(port = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.baseUrl = `${this.scheme}://127.0.0.1:${this.port}`;
        resolve(this.baseUrl);
      });
    });
  }

  public get origin(): string {
    return this.baseUrl;
  }

  public get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  public stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Requests of one method, optionally only those whose URL contains `part`. */
  public requestsOf(method: string, part = ''): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.includes(part));
  }
}

/** A port on 127.0.0.1 that nothing listens on (for "connection refused", or a server started later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
