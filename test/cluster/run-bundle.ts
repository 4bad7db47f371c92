import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEntry, ClusterEntryConfigs } from '../../lib/cluster/contract';
import { clusterBundle } from '../../lib/render/cluster-bundle';
import type { ClusterNode } from './node-binaries';

// Runs an entry point's bundle as its pod does: `node <entry>.js <config.json>`, a child process with
// only the environment it is given, the bundle built from the current sources.

export interface BundleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let folder: string | undefined;
const files = new Map<ClusterEntry, string>();

/** The bundle of `entry` as a file (written once per test process, removed when it exits). */
export function bundleFile(entry: ClusterEntry): string {
  if (!folder) {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-bundles-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    folder = dir;
  }
  let file = files.get(entry);
  if (!file) {
    file = join(folder, `${entry}.js`);
    writeFileSync(file, clusterBundle(entry));
    files.set(entry, file);
  }
  return file;
}

/**
 * Writes `config` (anything: a test of bad configurations writes what the type forbids) to
 * `configFile` and runs the bundle with it under `node`.
 */
export function runBundle<E extends ClusterEntry>(node: ClusterNode, entry: E, configFile: string, config: ClusterEntryConfigs[E] | Record<string, unknown>,
  env: Record<string, string | undefined>): Promise<BundleRun> {
  writeFileSync(configFile, JSON.stringify(config));
  const cleanEnv = Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...env }).filter((e): e is [string, string] => e[1] !== undefined));
  return new Promise((resolve) => {
    const child = spawn(node.path, [bundleFile(entry), configFile], { env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
