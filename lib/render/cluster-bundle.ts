import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CLUSTER_ENTRIES, type ClusterEntry } from '../cluster/contract';
import { DEFAULT_NODE_IMAGE } from '../private/node-image';

// The text of an in-cluster entry point's bundle: one self-contained CommonJS file (node built-ins
// only) built from lib/cluster/entries/<entry>.ts and its imports, which a ConfigMap carries and the
// pod runs with `node`. Nothing is loaded from a package at pod start.
//
// Where it comes from:
// - the npm package: prebuilt at `npm run build` (writeClusterBundles) into build/lib/cluster/bundles,
//   read from there; a user's synth never needs the bundler;
// - this repository (running from the .ts sources: tests, `npm run synth`): built from the current
//   sources with esbuild, cached in node_modules/.cache keyed by esbuild's version and the text of
//   every file under lib/cluster, so a stale bundle is never used and no bundle is committed.
//
// Why esbuild (a pinned devDependency, 0.28.2 of 2026-08-08): it is already in the tree (through
// tsx), bundles TypeScript without a type-check (tsc --noEmit does that once) in milliseconds, and
// its output is the same bytes for the same inputs and version. Not minified: an operator reading a
// ConfigMap or a stack trace sees the source's names and comments.

const CACHE_FORMAT = '1';
const SOURCE_DIR = join(__dirname, '..', 'cluster');
const SHIPPED_DIR = join(__dirname, '..', 'cluster', 'bundles');
const ROOT = join(__dirname, '..', '..');

const built = new Map<ClusterEntry, string>();

/** The bundle of `entry`, as its ConfigMap carries it. */
export function clusterBundle(entry: ClusterEntry): string {
  let text = built.get(entry);
  if (text === undefined) {
    text = runningFromSource() ? bundleFromSource(entry) : readShipped(entry);
    built.set(entry, text);
  }
  return text;
}

/** Writes every entry's bundle into `dir` as `<entry>.js` (the package's build step). */
export function writeClusterBundles(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const entry of CLUSTER_ENTRIES) writeFileSync(join(dir, `${entry}.js`), bundleFromSource(entry));
}

// This file is a .ts file in the repository and a .js file in the package.
const runningFromSource = (): boolean => __filename.endsWith('.ts');

function readShipped(entry: ClusterEntry): string {
  const file = join(SHIPPED_DIR, `${entry}.js`);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`the in-cluster bundle ${file} is missing from the package (${(error as NodeJS.ErrnoException).code}): reinstall cdk8s-kubevirt-runners`);
  }
}

function bundleFromSource(entry: ClusterEntry): string {
  // Loaded only here: the package's users never need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const target = nodeTarget();
  const sources = sourceFiles(SOURCE_DIR);
  const key = createHash('sha256').update(`${CACHE_FORMAT}\0${esbuild.version}\0${target}\0${entry}`);
  for (const file of sources) key.update(`\0${relative(SOURCE_DIR, file)}\0${readFileSync(file, 'utf8')}`);
  const cache = cacheFile(entry, key.digest('hex').slice(0, 32));
  if (cache && existsSync(cache)) return readFileSync(cache, 'utf8');
  const result = esbuild.buildSync({
    entryPoints: [join(SOURCE_DIR, 'entries', `${entry}.ts`)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    write: false,
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: `#!/usr/bin/env node\n// cdk8s-kubevirt-runners ${entry}: built from lib/cluster/entries/${entry}.ts (do not edit).` },
  });
  const text = result.outputFiles[0].text;
  if (cache) {
    try {
      mkdirSync(dirname(cache), { recursive: true });
      const partial = `${cache}.${process.pid}.tmp`;
      writeFileSync(partial, text);
      renameSync(partial, cache);
    } catch {
      // A read-only checkout still builds, just without the cache.
    }
  }
  return text;
}

/** esbuild's target: the Node major of the pinned image the pods run (node:26.x-alpine -> node26). */
function nodeTarget(): string {
  const major = /^node:(\d+)\./.exec(DEFAULT_NODE_IMAGE)?.[1];
  if (!major) throw new Error(`DEFAULT_NODE_IMAGE ${DEFAULT_NODE_IMAGE} does not name a Node major (node:<major>.<minor>...): the bundles' target comes from it`);
  return `node${major}`;
}

/** Every .ts file under `dir`, sorted: what a bundle can be built from. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function cacheFile(entry: ClusterEntry, key: string): string | undefined {
  if (process.env.KUBEVIRT_RUNNERS_NO_CACHE) return undefined;
  const modules = join(ROOT, 'node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'cdk8s-kubevirt-runners', 'cluster-bundles', `${entry}-${key}.js`) : undefined;
}
