import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

// lib/cluster/launcher.cjs as a child process, for the launcher's tests (ARC and mint mode).

export const LAUNCHER = join(__dirname, '..', '..', 'lib', 'cluster', 'launcher.cjs');

/** The launcher as a child process: its output so far, and its end. */
export class LauncherRun {
  public stdout = '';
  public stderr = '';
  public readonly exit: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(env: Record<string, string>, script = LAUNCHER) {
    this.child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.append('stdout', chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.append('stderr', chunk));
    this.exit = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Resolves once stdout or stderr matches `pattern`. */
  public untilOutput(pattern: RegExp): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!pattern.test(this.stdout) && !pattern.test(this.stderr)) return;
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  public kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  public get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private append(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this[stream] += chunk.toString('utf8');
    for (const check of [...this.listeners]) check();
  }
}

