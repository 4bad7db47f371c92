import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_ENTRIES } from '../../lib/cluster/contract';
import { clusterBundle, writeClusterBundles } from '../../lib/render/cluster-bundle';
import { CLUSTER_NODES, MISSING_IMAGE_NODE } from './node-binaries';
import { testIf } from '../util';

// Each entry point's bundle: self-contained (node built-ins only), the same bytes on every build,
// what the package's build step writes, and loadable by the project's Node and the image's major.

describe.each(CLUSTER_ENTRIES)('the %s bundle', (entry) => {
  test('requires node built-ins only; the same bytes when built again (the package\'s build writes the same)', () => {
    const text = clusterBundle(entry);
    const required = [...text.matchAll(/\brequire\(("[^"]*"|'[^']*'|[^)]*)\)/g)].map((m) => m[1]);
    expect(required.filter((r) => !/^["']node:[a-z_/]+["']$/.test(r))).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'bundles-'));
    try {
      writeClusterBundles(dir);
      expect(readFileSync(join(dir, `${entry}.js`), 'utf8')).toBe(text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Built from lib/cluster only: the cache key of clusterBundle covers exactly those sources.
    const sources = [...text.matchAll(/^\/\/ (\S+\.ts)$/gm)].map((m) => m[1]);
    expect(sources).toContain(`lib/cluster/entries/${entry}.ts`);
    expect(sources.filter((source) => !source.startsWith('lib/cluster/'))).toEqual([]);
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
  });

  test.each(CLUSTER_NODES.map((node) => [node.label, node.path]))('%s loads it; without a configuration file it exits 2 saying so', (_label, path) => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-run-'));
    try {
      const file = join(dir, `${entry}.js`);
      writeClusterBundles(dir);
      const run = spawnSync(path, [file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
        status: 2, stdout: '', stderr: `${entry}: configuration error: the configuration file is not given: run node ${entry}.js /path/to/config.json\n`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

testIf(MISSING_IMAGE_NODE === undefined, MISSING_IMAGE_NODE ?? '')('the bundles also run under the pinned image\'s Node major', () => {
  expect(CLUSTER_NODES).toHaveLength(2);
});
