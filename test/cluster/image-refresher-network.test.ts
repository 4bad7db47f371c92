import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectProxy, makeServerPki } from './connect-proxy';
import { hasOpenssl } from './fake-tls';
import { CLUSTER_NODES } from './node-binaries';
import { bundleFile } from './run-bundle';
import {
  created, DVS, events, h, NS, POD_ENV, pointer, refresh, refresherConfig, setUp, synthesized, tearDown, V0, V1, VMS,
} from './image-refresher-harness';
import { testIf } from '../util';

// The image refresher's network and its stop: GitHub's releases API through the fleet's CONNECT
// proxy, trusted with the cluster's CA; the Kubernetes API directly. A run stopped by SIGTERM (the
// Job's activeDeadlineSeconds) in the middle of a bake deletes what it made and exits 143.

jest.setTimeout(60_000);

const API_HOST = 'api.github.test';

describe.each(CLUSTER_NODES)('the image refresher\'s network under $label', (clusterNode) => {
  beforeAll(() => {
    h.node = clusterNode;
  });
  afterEach(tearDown);

  describe('behind a proxy', () => {
    let proxy: ConnectProxy | undefined;
    afterEach(async () => {
      await proxy?.stop();
      proxy = undefined;
    });

    testIf(hasOpenssl, 'openssl (to make a test CA; apt-get install openssl)')('the releases API through a CONNECT tunnel, unauthenticated; the Kubernetes API directly', async () => {
      const pkiDir = mkdtempSync(join(tmpdir(), 'image-refresher-pki-'));
      const pki = makeServerPki(pkiDir, API_HOST);
      await setUp([{ version: V0 }], { tls: { key: pki.key, cert: pki.cert } });
      const caFile = join(h.dir, 'ca.crt');
      copyFileSync(pki.caFile, caFile);
      rmSync(pkiDir, { recursive: true, force: true });
      proxy = new ConnectProxy({ [API_HOST]: '127.0.0.1' });
      await proxy.start();
      const run = await refresh({
        releasesApiUrl: `https://${API_HOST}:${h.releases.port}/repos/actions/runner/releases`,
        proxy: { url: proxy.url, noProxy: ['localhost', '127.0.0.1', '::1', '.svc', '.cluster.local'] },
      }, { NODE_EXTRA_CA_CERTS: caFile });

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(proxy.connects).toEqual([`${API_HOST}:${h.releases.port}`]);
      expect(proxy.authorizations).toEqual([]);
      expect(run.stdout).toContain(`image-refresher: the releases API: ${API_HOST}:${h.releases.port} through the proxy ${proxy.url}\n`);
      expect(run.stdout).toContain(`nothing newer: the latest release of actions/runner is ${V0}`);
    });
  });

  test('SIGTERM in the middle of the bake: what the run made is deleted, a Warning Event says so, exit 143', async () => {
    await setUp([{ version: V0 }, { version: V1 }]);
    const configFile = join(h.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(refresherConfig()));
    const child = spawn(h.node.path, [bundleFile('image-refresher'), configFile], { env: { PATH: process.env.PATH, ...POD_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await h.kube.until(() => created(VMS).length > 0 && h.kube.openWatches > 0);
    child.kill('SIGTERM');
    const code = await exited;
    h.runs.push({ code, stdout, stderr });

    expect(code).toBe(143);
    expect(stderr).toBe('image-refresher: stopped by SIGTERM\n');
    const vmName = created(VMS)[0];
    expect(h.kube.object(VMS, NS, vmName)).toBeUndefined();
    expect(h.kube.object(DVS, NS, vmName.replace(/-bake$/, ''))).toBeUndefined();
    expect(h.kube.object('secrets', NS, vmName)).toBeUndefined();
    expect(pointer()).toBeUndefined();
    expect(events().map((e) => [e.type, e.involvedObject.kind, e.message])).toEqual([
      ['Warning', 'VirtualMachine', 'stopped by SIGTERM before the refresh finished (the Job\'s activeDeadlineSeconds?)'],
      ['Warning', 'Pod', 'stopped by SIGTERM before the refresh finished (the Job\'s activeDeadlineSeconds?)'],
    ]);
    expect(h.kube.object(DVS, NS, synthesized.volumeName)).toBeDefined();
  });
});
