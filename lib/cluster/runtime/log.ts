// The one way the in-cluster runtime prints: every line starts with the entry point's name (so a
// pod's log says which job wrote it) and every credential registered with `secret()` is replaced by
// [redacted] in every line, whatever printed it. A credential is registered as soon as it is read or
// received, before it is used.

type Write = (text: string) => unknown;

export class Logger {
  private readonly credentials = new Set<string>();

  constructor(
    /** The entry point's name: `pool-scaler`, `token-refresher`. */
    readonly prefix: string,
    private readonly out: Write = (text) => process.stdout.write(text),
    private readonly err: Write = (text) => process.stderr.write(text),
  ) {}

  /** Remembers a credential so that no line can carry it; returns it. */
  secret<T extends string | undefined>(value: T): T {
    if (typeof value === 'string' && value !== '') this.credentials.add(value);
    return value;
  }

  /** Progress and results, on stdout. */
  info(line: string): void {
    this.out(`${this.prefix}: ${this.redact(line)}\n`);
  }

  /** Retries and failures, on stderr. */
  warn(line: string): void {
    this.err(`${this.prefix}: ${this.redact(line)}\n`);
  }

  /** `text` with every registered credential replaced; the longest first, so one that holds another goes whole. */
  redact(text: string): string {
    let out = String(text);
    for (const value of [...this.credentials].sort((a, b) => b.length - a.length)) out = out.split(value).join('[redacted]');
    return out;
  }
}
