import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the guest sent to one path, in order. */
export type Reports = Map<string, Buffer[]>;

/**
 * The boot test's side of the guest's network, on 127.0.0.1 only: serves files by path (the
 * runner package) and records every POST to /report/<name>. The guest reaches it as
 * http://10.0.2.100:8080 through qemu's guestfwd and relay.cjs.
 */
export class ReportServer {
  public readonly reports: Reports = new Map();
  public readonly requests: string[] = [];
  /** When each report arrived (Date.now()), by name, in order. */
  public readonly reportTimes: Map<string, number[]> = new Map();
  private readonly server: Server;

  constructor(private readonly files: Record<string, Buffer>) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push(`${request.method} ${request.url}`);
        const report = /^\/report\/([a-z-]+)$/.exec(request.url ?? '');
        if (request.method === 'POST' && report) {
          this.reports.set(report[1], [...(this.reports.get(report[1]) ?? []), Buffer.concat(chunks)]);
          this.reportTimes.set(report[1], [...(this.reportTimes.get(report[1]) ?? []), Date.now()]);
          response.end('ok\n');
        } else if (request.method === 'GET' && this.file(request.url ?? '')) {
          response.end(this.file(request.url!));
        } else {
          response.statusCode = 404;
          response.end('not found\n');
        }
      });
    });
  }

  public async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** A served file by its path as requested: apt escapes characters such as `+` and `~`. */
  private file(url: string): Buffer | undefined {
    if (this.files[url]) return this.files[url];
    try {
      return this.files[decodeURIComponent(url)];
    } catch {
      return undefined;
    }
  }

  public report(name: string): string | undefined {
    const all = this.reports.get(name);
    return all?.map((b) => b.toString('utf8')).join('');
  }

  /** Everything the guest sent, for secrecy checks. */
  public everything(): string {
    return [...this.reports.values()].flat().map((b) => b.toString('utf8')).join('\n');
  }

  public close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
