import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEntryConfigs } from '../../lib/cluster/contract';
import { clusterBundle } from '../../lib/render/cluster-bundle';

// A launcher bundle (arc-launcher, mint-launcher) as a child process, for the launchers' tests: run
// as the pod runs it, `node <bundle> <config.json>`, with only its environment.

export type LauncherEntry = 'arc-launcher' | 'mint-launcher';

const bundles = new Map<LauncherEntry, string>();

/** The entry's bundle, written once per test process. */
export function bundleFile(entry: LauncherEntry): string {
  let file = bundles.get(entry);
  if (!file) {
    file = join(mkdtempSync(join(tmpdir(), 'launcher-bundle-')), `${entry}.js`);
    writeFileSync(file, clusterBundle(entry));
    bundles.set(entry, file);
  }
  return file;
}

/** Writes `config` as the launcher's config.json in `dir`; returns its path. */
export function writeConfig<E extends LauncherEntry>(dir: string, config: ClusterEntryConfigs[E] | Record<string, unknown>, name = 'config.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** The launcher as a child process: its output so far, and its end. */
export class LauncherRun {
  public stdout = '';
  public stderr = '';
  public readonly exit: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(script: string, configFile: string, env: Record<string, string>, node = process.execPath) {
    this.child = spawn(node, [script, configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
