import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage, RunnerWarmPool } from '../../lib';
import type { PoolScalerConfig } from '../../lib/cluster/contract';
import { FakeKube, FakeKubeOptions, PolicyRule } from './fake-kube';
import { synth, testIf } from '../util';
import { freePort } from './fake-http';
import { hasOpenssl, makePki } from './fake-tls';
import { CLUSTER_NODES, ClusterNode } from './node-binaries';
import { BundleRun, runBundle } from './run-bundle';

// The pool-scaler bundle (lib/cluster/entries/pool-scaler.ts) runs as its CronJob's pod runs it:
// `node pool-scaler.js config.json`, a child process with only POD_NAMESPACE in its environment, under
// the project's Node and the pinned image's major, against a fake Kubernetes API (./fake-kube.ts) on
// 127.0.0.1 that holds the VirtualMachinePool the library synthesizes and answers its /scale
// subresource. Retries are configured small; the tests assert on exit codes, requests, the stored
// pool and log lines. After every test, the ServiceAccount token may appear in no output.

jest.setTimeout(30_000);

const NS = 'ci';
const POOL = 'warm';

/** The pool and the scaler's Role exactly as RunnerWarmPool synthesizes them (with activeHours), replicas 3. */
const [synthesizedPool, scalerRules] = (() => {
  const chart = new Chart(Testing.app(), 'ci', { namespace: NS });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', sharing: ImageSharing.SHARED });
  new RunnerWarmPool(chart, 'warm', {
    url: 'https://github.com/acme', runnerImage: image, replicas: 3, tokenSecretName: 'ci-runner-token', name: POOL,
    activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5', timeZone: 'Europe/Berlin' },
  });
  const objects = synth(chart);
  const role = objects.find((o) => o.kind === 'Role' && o.rules.some((r: PolicyRule) => r.resources?.includes('virtualmachinepools/scale')))!;
  return [objects.find((o) => o.kind === 'VirtualMachinePool')!, role.rules as PolicyRule[]];
})();
const POOLS = 'virtualmachinepools';

/** The API server, with RBAC from the scaler's synthesized Role (or `rules`: a Role that differs from it). */
const newKube = (options: Partial<FakeKubeOptions> = {}, rules = scalerRules) =>
  new FakeKube({ token: kubeToken, role: { namespace: NS, serviceAccount: 'pool-scaler', rules }, contract: scalerRules, ...options });
/** The stored pool. */
const pool = () => kube.object(POOLS, NS, POOL);

let dir: string;
let kubeToken: string;
let kubeTokenFile: string;
let kube: FakeKube;
const runs: BundleRun[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pool-scaler-'));
  kubeToken = `sa-${randomUUID()}`;
  kubeTokenFile = join(dir, 'sa-token');
  writeFileSync(kubeTokenFile, `${kubeToken}\n`);
  kube = newKube();
  await kube.start();
  kube.put(POOLS, { ...synthesizedPool, status: { replicas: 3, readyReplicas: 3, labelSelector: 'app.kubernetes.io/instance=warm' } } as any);
});

afterEach(async () => {
  await kube.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const run of runs) {
    for (const output of [run.stdout, run.stderr]) {
      expect(output).not.toContain(kubeToken);
      expect(output).not.toContain(kubeToken.slice(3, 19));
      expect(output.split('\n').filter((l) => l !== '' && !l.startsWith('pool-scaler: '))).toEqual([]);
    }
  }
  expect(kube.violations).toEqual([]);
  runs.length = 0;
});

/** The config the test runs with: the library's (pool, replicas) and the API server's location, small retries. */
function scalerConfig(overrides: Partial<Record<keyof PoolScalerConfig, unknown>>): Record<string, unknown> {
  return { pool: POOL, replicas: 0, kubernetes: { apiUrl: kube.url, tokenFile: kubeTokenFile }, retryBaseDelayMs: 5, ...overrides };
}

let node: ClusterNode;

/** One run of the scaler's bundle with `config` (over scalerConfig's) and the pod's environment (over POD_NAMESPACE). */
async function scale(config: Partial<Record<keyof PoolScalerConfig, unknown>> = {}, env: Record<string, string | undefined> = {}): Promise<BundleRun> {
  const run = await runBundle(node, 'pool-scaler', join(dir, 'scale.json'), scalerConfig(config), { POD_NAMESPACE: NS, ...env });
  runs.push(run);
  return run;
}

const calls = () => kube.requests.map((r) => `${r.method} ${r.url}`);
const SCALE_PATH = `/apis/pool.kubevirt.io/v1beta1/namespaces/${NS}/virtualmachinepools/${POOL}/scale`;

describe.each(CLUSTER_NODES)('the pool scaler under $label: the warm pool\'s replicas through its /scale subresource', (clusterNode) => {
  beforeAll(() => {
    node = clusterNode;
  });

  test('end of active hours: a JSON merge patch of the Scale\'s spec.replicas; the pool\'s spec follows, nothing else changes', async () => {
    const before = pool();
    const run = await scale({ replicas: 0 });

    expect(run).toEqual({ code: 0, stdout: `pool-scaler: scaled VirtualMachinePool ${NS}/${POOL} from 3 to 0 replicas\n`, stderr: '' });
    expect(calls()).toEqual([`GET ${SCALE_PATH}`, `PATCH ${SCALE_PATH}`]);
    const [patch] = kube.requestsOf('PATCH');
    expect(patch.headers['content-type']).toBe('application/merge-patch+json');
    expect(JSON.parse(patch.body)).toEqual({ spec: { replicas: 0 } });
    expect(patch.headers.authorization).toBe(`Bearer ${kubeToken}`);
    const after = pool();
    expect(after.spec).toEqual({ ...before.spec, replicas: 0 });
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
  });

  test('start of active hours: back to the pool\'s replicas', async () => {
    expect((await scale({ replicas: 0 })).code).toBe(0);
    const run = await scale({ replicas: 3 });
    expect(run).toMatchObject({ code: 0, stdout: `pool-scaler: scaled VirtualMachinePool ${NS}/${POOL} from 0 to 3 replicas\n` });
    expect(pool().spec.replicas).toBe(3);
  });

  test('to 0 and from 0: the Scale at 0 is "spec": {} on the wire (ScaleSpec.replicas is omitempty), read as 0', async () => {
    expect(await scale({ replicas: 0 })).toEqual({ code: 0, stdout: `pool-scaler: scaled VirtualMachinePool ${NS}/${POOL} from 3 to 0 replicas\n`, stderr: '' });
    const atZero = await fetch(`${kube.url}${SCALE_PATH}`, { headers: { Authorization: `Bearer ${kubeToken}` } });
    expect((await atZero.json() as any).spec).toEqual({});
    expect(await scale({ replicas: 0 })).toEqual({ code: 0, stdout: `pool-scaler: VirtualMachinePool ${NS}/${POOL} already has 0 replicas; nothing to do\n`, stderr: '' });
    expect(await scale({ replicas: 2 })).toEqual({ code: 0, stdout: `pool-scaler: scaled VirtualMachinePool ${NS}/${POOL} from 0 to 2 replicas\n`, stderr: '' });
    expect(kube.requestsOf('PATCH').map((r) => JSON.parse(r.body))).toEqual([{ spec: { replicas: 0 } }, { spec: { replicas: 2 } }]);
    expect(pool().spec.replicas).toBe(2);
  });

  test('a pool already at the count is left alone (no write, no new resourceVersion)', async () => {
    const before = pool();
    const run = await scale({ replicas: 3 });
    expect(run).toMatchObject({ code: 0, stdout: `pool-scaler: VirtualMachinePool ${NS}/${POOL} already has 3 replicas; nothing to do\n`, stderr: '' });
    expect(kube.requestsOf('PATCH')).toEqual([]);
    expect(pool()).toEqual(before);
  });

  test('5xx, 429 and a dropped connection are retried until the patch lands', async () => {
    kube.inject('GET', POOLS, { status: 503, message: 'the server is currently unable to handle the request' });
    kube.inject('GET', POOLS, { reset: true });
    kube.inject('PATCH', POOLS, { status: 429, message: 'too many requests', retryAfter: '0' });
    kube.inject('PATCH', POOLS, { status: 500, message: 'etcdserver: request timed out' });
    const run = await scale({ replicas: 1 });

    expect(run.code).toBe(0);
    expect(pool().spec.replicas).toBe(1);
    expect(calls()).toEqual([...Array(3).fill(`GET ${SCALE_PATH}`), ...Array(3).fill(`PATCH ${SCALE_PATH}`)]);
    const retries = run.stderr.trim().split('\n');
    expect(retries).toHaveLength(4);
    expect(retries[0]).toMatch(/^pool-scaler: get the scale of VirtualMachinePool ci\/warm: HTTP 503 ServiceUnavailable: the server is currently unable to handle the request; retry 1 of 5 in /);
    expect(retries[2]).toMatch(/^pool-scaler: patch the scale of VirtualMachinePool ci\/warm: HTTP 429 TooManyRequests: too many requests; retry 1 of 5 in /);
  });

  test('a server that stays down: exit 1 after the last attempt, the pool unchanged', async () => {
    kube.inject('PATCH', POOLS, { status: 503 }, { times: 10 });
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toBe('pool-scaler: cannot patch the scale of VirtualMachinePool ci/warm: HTTP 503 ServiceUnavailable: '
      + 'ServiceUnavailable; gave up after 6 attempts');
    expect(kube.requestsOf('PATCH')).toHaveLength(6);
    expect(pool().spec.replicas).toBe(3);
  });

  test('no API server at all: network errors are retried, then exit 1', async () => {
    const port = await freePort();
    const run = await scale({ kubernetes: { apiUrl: `http://127.0.0.1:${port}`, tokenFile: kubeTokenFile } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('retry 5 of 5');
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^pool-scaler: cannot get the scale of VirtualMachinePool ci\/warm: .*ECONNREFUSED.*; gave up after 6 attempts$/);
  });

  test('403: no retry, exit 1 with the Role it needs', async () => {
    await kube.stop();
    kube = newKube({}, [{ ...scalerRules[0], verbs: ['get'] }]);
    await kube.start();
    kube.put(POOLS, synthesizedPool);
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('pool-scaler: cannot patch the scale of VirtualMachinePool ci/warm: HTTP 403 Forbidden: virtualmachinepools.pool.kubevirt.io "warm" is forbidden: '
      + 'User "system:serviceaccount:ci:pool-scaler" cannot patch resource "virtualmachinepools/scale" in API group "pool.kubevirt.io" in the namespace "ci". '
      + 'The pod\'s ServiceAccount may not patch it: its Role needs the verbs get and patch on virtualmachinepools/scale in API group pool.kubevirt.io '
      + 'with resourceNames [warm] in namespace ci\n');
    expect(kube.requestsOf('PATCH')).toHaveLength(1);
  });

  test('another pool is not the scaler\'s (403); a pool not applied, or a cluster without pool.kubevirt.io/v1beta1, is 404: exit 1 saying so', async () => {
    const run = await scale({ pool: 'other' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('pool-scaler: cannot get the scale of VirtualMachinePool ci/other: HTTP 403 Forbidden');
    kube.violations.length = 0;

    await kube.stop();
    kube = newKube();
    await kube.start();
    const missing = await scale();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('pool-scaler: cannot get the scale of VirtualMachinePool ci/warm: HTTP 404 NotFound: virtualmachinepools.pool.kubevirt.io "warm" not found. '
      + 'Is the pool applied in namespace ci, and does the cluster serve pool.kubevirt.io/v1beta1 (KubeVirt 1.7 or later)?\n');
    expect(kube.requestsOf('GET')).toHaveLength(1);
  });

  test('a failure, the pod named by the downward API: a Warning Event PoolScaleFailed on the pod, the token redacted from it', async () => {
    kube.inject('GET', POOLS, { status: 400, message: `bad request from Bearer ${kubeToken}` });
    const pod = { name: 'warm-scale-down-29412345-x7k2p', uid: randomUUID() };
    const run = await scale({}, { POD_NAME: pod.name, POD_UID: pod.uid });
    expect(run.code).toBe(1);
    const events = kube.requestsOf('POST', '/events').map((r) => kube.object('events', NS, JSON.parse(r.body).metadata.name));
    expect(events).toEqual([expect.objectContaining({
      type: 'Warning', reason: 'PoolScaleFailed', involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: NS, ...pod },
      source: { component: 'pool-scaler' }, reportingComponent: 'pool-scaler', reportingInstance: pod.name,
    })]);
    expect(events[0].message).toContain('cannot get the scale of VirtualMachinePool ci/warm: HTTP 400 BadRequest: bad request from Bearer [redacted]');
    expect(JSON.stringify(kube.requests.map((r) => r.body))).not.toContain(kubeToken);
  });

  test('a success records no Event', async () => {
    const run = await scale({}, { POD_NAME: 'warm-scale-down-29412345-x7k2p', POD_UID: randomUUID() });
    expect(run.code).toBe(0);
    expect(kube.requestsOf('POST')).toEqual([]);
  });

  test('401: exit 1; the rejected token is not printed', async () => {
    kube.token = 'another-token';
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('HTTP 401 Unauthorized');
    expect(run.stderr).toContain('The API server does not accept the pod\'s ServiceAccount token');
  });

  test('an API server that echoes the token in its error message: redacted', async () => {
    kube.inject('GET', POOLS, { status: 400, message: `bad request from Bearer ${kubeToken}` });
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bad request from Bearer [redacted]');
  });

  test('a rotated ServiceAccount token is read again for every request', async () => {
    kube.inject('PATCH', POOLS, { status: 503 });
    const rotated = `sa-${randomUUID()}`;
    const pending = scale();
    // The fake accepts the new token once the file has it; the retry must pick it up.
    await waitFor(() => kube.requestsOf('PATCH').length >= 1);
    writeFileSync(kubeTokenFile, `${rotated}\n`);
    kube.token = rotated;
    const run = await pending;
    expect(run.code).toBe(0);
    expect(kube.requestsOf('PATCH').at(-1)!.headers.authorization).toBe(`Bearer ${rotated}`);
    expect(run.stdout + run.stderr).not.toContain(rotated);
  });

  testIf(hasOpenssl, 'openssl (to make a test certificate; apt-get install openssl)')(
    'in-cluster: KUBERNETES_SERVICE_HOST/PORT over TLS, trusted with the ServiceAccount\'s CA only', async () => {
      const pki = makePki(mkdtempSync(join(dir, 'tls-')));
      await kube.stop();
      kube = newKube({ tls: { key: pki.serverKey, cert: pki.serverCert } });
      await kube.start();
      kube.put(POOLS, synthesizedPool);
      const inCluster = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(kube.port) };
      const trusted = await scale({ kubernetes: { tokenFile: kubeTokenFile, caFile: pki.caFile } }, inCluster);
      expect(trusted.code).toBe(0);
      expect(pool().spec.replicas).toBe(0);
      const untrusted = await scale({ kubernetes: { tokenFile: kubeTokenFile, caFile: pki.otherCaFile }, replicas: 2 }, inCluster);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toContain(`TLS: the API server at https://127.0.0.1:${kube.port} is not trusted with the CA certificate`);
      expect(untrusted.stderr).not.toContain('retry');
    });

  test.each([
    ['replicas must be a whole number from 0 to 10000, got -1', { replicas: -1 }, {}],
    ['replicas must be a whole number from 0 to 10000, got "3; reboot"', { replicas: '3; reboot' }, {}],
    ['replicas must be a whole number from 0 to 10000, got undefined', { replicas: undefined }, {}],
    ['pool must be a VirtualMachinePool name (a DNS label), got "Warm/../x"', { pool: 'Warm/../x' }, {}],
    ['replica is not a known field', { replica: 1 }, {}],
    ['POD_NAMESPACE is not set: the pod template sets it from the downward API (fieldRef metadata.namespace)', {}, { POD_NAMESPACE: undefined }],
    ['KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set', { kubernetes: { tokenFile: '/nonexistent/token' } }, {}],
    ['kubernetes.tokenFile /nonexistent/token cannot be read: ENOENT', { kubernetes: { apiUrl: 'http://127.0.0.1:1', tokenFile: '/nonexistent/token' } }, {}],
  ])('a bad configuration, exit 2 before any request: %s', async (message, config, env) => {
    const run = await scale(config as Partial<Record<keyof PoolScalerConfig, unknown>>, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`pool-scaler: configuration error: ${message}`);
    expect(kube.requests).toEqual([]);
  });
});

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 1));
}

