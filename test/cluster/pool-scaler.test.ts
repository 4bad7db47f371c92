import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage, RunnerWarmPool } from '../../lib';
import { FakeKubePool, SCALE_SCHEMA_DIR } from './fake-kube-pool';
import { hasSharedSchemas, SHARED_SCHEMAS_DIR, synth, testIf } from '../util';

// lib/cluster/pool-scaler.cjs runs as node runs it in the CronJob's pod: a child process with only its
// environment, against a fake Kubernetes API (./fake-kube-pool.ts) on 127.0.0.1 that holds the
// VirtualMachinePool the library synthesizes and answers its /scale subresource. Retries are
// configured small; the tests assert on exit codes, requests, the stored pool and log lines. After
// every test, the ServiceAccount token may appear in no output.

jest.setTimeout(30_000);

const SCRIPT = join(__dirname, '..', '..', 'lib', 'cluster', 'pool-scaler.cjs');
const NS = 'ci';
const POOL = 'warm';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The pool exactly as RunnerWarmPool synthesizes it (with activeHours), replicas 3. */
const synthesizedPool = (() => {
  const chart = new Chart(Testing.app(), 'ci', { namespace: NS });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', sharing: ImageSharing.SHARED });
  new RunnerWarmPool(chart, 'warm', {
    url: 'https://github.com/acme', runnerImage: image, replicas: 3, tokenSecretName: 'ci-runner-token', name: POOL,
    activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5', timeZone: 'Europe/Berlin' },
  });
  return synth(chart).find((o) => o.kind === 'VirtualMachinePool')!;
})();

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let dir: string;
let kubeToken: string;
let kubeTokenFile: string;
let kube: FakeKubePool;
const runs: Run[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pool-scaler-'));
  kubeToken = `sa-${randomUUID()}`;
  kubeTokenFile = join(dir, 'sa-token');
  writeFileSync(kubeTokenFile, `${kubeToken}\n`);
  kube = new FakeKubePool({ token: kubeToken, namespace: NS, poolName: POOL });
  await kube.start();
  kube.put({ ...synthesizedPool, status: { replicas: 3, readyReplicas: 3, labelSelector: 'app.kubernetes.io/instance=warm' } } as any);
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

function scalerEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    SCALER_NAMESPACE: NS,
    SCALER_POOL: POOL,
    SCALER_REPLICAS: '0',
    SCALER_KUBE_API: kube.url,
    SCALER_KUBE_TOKEN_FILE: kubeTokenFile,
    SCALER_RETRY_BASE_MS: '5',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function scale(overrides: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT], { env: scalerEnv(overrides), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('close', (code) => {
      const run = { code, stdout, stderr };
      runs.push(run);
      resolve(run);
    });
  });
}

const calls = () => kube.requests.map((r) => `${r.method} ${r.url}`);
const SCALE_PATH = `/apis/pool.kubevirt.io/v1beta1/namespaces/${NS}/virtualmachinepools/${POOL}/scale`;

describe('the pool scaler: the warm pool\'s replicas through its /scale subresource', () => {
  test('end of active hours: a JSON merge patch of the Scale\'s spec.replicas; the pool\'s spec follows, nothing else changes', async () => {
    const before = kube.pool();
    const run = await scale({ SCALER_REPLICAS: '0' });

    expect(run).toEqual({ code: 0, stdout: `pool-scaler: scaled VirtualMachinePool ${NS}/${POOL} from 3 to 0 replicas\n`, stderr: '' });
    expect(calls()).toEqual([`GET ${SCALE_PATH}`, `PATCH ${SCALE_PATH}`]);
    const [patch] = kube.requestsOf('PATCH');
    expect(patch.headers['content-type']).toBe('application/merge-patch+json');
    expect(JSON.parse(patch.body)).toEqual({ spec: { replicas: 0 } });
    expect(patch.headers.authorization).toBe(`Bearer ${kubeToken}`);
    const after = kube.pool();
    expect(after.spec).toEqual({ ...before.spec, replicas: 0 });
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
  });

  test('start of active hours: back to the pool\'s replicas', async () => {
    expect((await scale({ SCALER_REPLICAS: '0' })).code).toBe(0);
    const run = await scale({ SCALER_REPLICAS: '3' });
    expect(run).toMatchObject({ code: 0, stdout: `pool-scaler: scaled VirtualMachinePool ${NS}/${POOL} from 0 to 3 replicas\n` });
    expect(kube.pool().spec.replicas).toBe(3);
  });

  test('a pool already at the count is left alone (no write, no new resourceVersion)', async () => {
    const before = kube.pool();
    const run = await scale({ SCALER_REPLICAS: '3' });
    expect(run).toMatchObject({ code: 0, stdout: `pool-scaler: VirtualMachinePool ${NS}/${POOL} already has 3 replicas; nothing to do\n`, stderr: '' });
    expect(kube.requestsOf('PATCH')).toEqual([]);
    expect(kube.pool()).toEqual(before);
  });

  test('5xx, 429 and a dropped connection are retried until the patch lands', async () => {
    kube.inject('GET', { status: 503, message: 'the server is currently unable to handle the request' });
    kube.inject('GET', { reset: true });
    kube.inject('PATCH', { status: 429, message: 'too many requests', retryAfter: '0' });
    kube.inject('PATCH', { status: 500, message: 'etcdserver: request timed out' });
    const run = await scale({ SCALER_REPLICAS: '1' });

    expect(run.code).toBe(0);
    expect(kube.pool().spec.replicas).toBe(1);
    expect(calls()).toEqual([...Array(3).fill(`GET ${SCALE_PATH}`), ...Array(3).fill(`PATCH ${SCALE_PATH}`)]);
    const retries = run.stderr.trim().split('\n');
    expect(retries).toHaveLength(4);
    expect(retries[0]).toMatch(/^pool-scaler: get the scale of VirtualMachinePool ci\/warm: HTTP 503 ServiceUnavailable: the server is currently unable to handle the request; retry 1 of 5 in /);
    expect(retries[2]).toMatch(/^pool-scaler: patch the scale of VirtualMachinePool ci\/warm: HTTP 429 TooManyRequests: too many requests; retry 1 of 5 in /);
  });

  test('a server that stays down: exit 1 after the last attempt, the pool unchanged', async () => {
    kube.inject('PATCH', { status: 503 }, 10);
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toBe('pool-scaler: cannot patch the scale of VirtualMachinePool ci/warm: HTTP 503 ServiceUnavailable: '
      + 'ServiceUnavailable; gave up after 6 attempts');
    expect(kube.requestsOf('PATCH')).toHaveLength(6);
    expect(kube.pool().spec.replicas).toBe(3);
  });

  test('no API server at all: network errors are retried, then exit 1', async () => {
    const port = await freePort();
    const run = await scale({ SCALER_KUBE_API: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('retry 5 of 5');
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^pool-scaler: cannot get the scale of VirtualMachinePool ci\/warm: .*ECONNREFUSED.*; gave up after 6 attempts$/);
  });

  test('403: no retry, exit 1 with the Role it needs', async () => {
    await kube.stop();
    kube = new FakeKubePool({ token: kubeToken, namespace: NS, poolName: POOL, verbs: ['get'] });
    await kube.start();
    kube.put(synthesizedPool as any);
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('pool-scaler: cannot patch the scale of VirtualMachinePool ci/warm: HTTP 403 Forbidden: virtualmachinepools.pool.kubevirt.io "warm" is forbidden: '
      + 'User "system:serviceaccount:ci:pool-scaler" cannot patch resource "virtualmachinepools/scale" in API group "pool.kubevirt.io" in the namespace "ci". '
      + 'The pod\'s ServiceAccount may not patch it: its Role needs the verbs get and patch on virtualmachinepools/scale in API group pool.kubevirt.io '
      + 'with resourceNames [warm] in namespace ci\n');
    expect(kube.requestsOf('PATCH')).toHaveLength(1);
  });

  test('another pool is not the scaler\'s (403); a pool not applied, or a cluster without pool.kubevirt.io/v1beta1, is 404: exit 1 saying so', async () => {
    const run = await scale({ SCALER_POOL: 'other' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('pool-scaler: cannot get the scale of VirtualMachinePool ci/other: HTTP 403 Forbidden');
    kube.violations.length = 0;

    await kube.stop();
    kube = new FakeKubePool({ token: kubeToken, namespace: NS, poolName: POOL });
    await kube.start();
    const missing = await scale();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('pool-scaler: cannot get the scale of VirtualMachinePool ci/warm: HTTP 404 NotFound: virtualmachinepools.pool.kubevirt.io "warm" not found. '
      + 'Is the pool applied in namespace ci, and does the cluster serve pool.kubevirt.io/v1beta1 (KubeVirt 1.7 or later)?\n');
    expect(kube.requestsOf('GET')).toHaveLength(1);
  });

  test('401: exit 1; the rejected token is not printed', async () => {
    kube.token = 'another-token';
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('HTTP 401 Unauthorized');
    expect(run.stderr).toContain('The API server does not accept the pod\'s ServiceAccount token');
  });

  test('an API server that echoes the token in its error message: redacted', async () => {
    kube.inject('GET', { status: 400, message: `bad request from Bearer ${kubeToken}` });
    const run = await scale();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bad request from Bearer [redacted]');
  });

  test('a rotated ServiceAccount token is read again for every request', async () => {
    kube.inject('PATCH', { status: 503 });
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
      const tls = selfSigned();
      await kube.stop();
      kube = new FakeKubePool({ token: kubeToken, namespace: NS, poolName: POOL, tls });
      await kube.start();
      kube.put(synthesizedPool as any);
      const inCluster = { SCALER_KUBE_API: undefined, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(kube.port) };
      const trusted = await scale({ ...inCluster, SCALER_KUBE_CA_FILE: tls.caFile });
      expect(trusted.code).toBe(0);
      expect(kube.pool().spec.replicas).toBe(0);
      const untrusted = await scale({ ...inCluster, SCALER_KUBE_CA_FILE: selfSigned().caFile, SCALER_REPLICAS: '2' });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toContain(`TLS: the API server at https://127.0.0.1:${kube.port} is not trusted with the CA certificate`);
      expect(untrusted.stderr).not.toContain('retry');
    });

  test.each([
    [{ SCALER_REPLICAS: '-1' }, 'SCALER_REPLICAS must be a whole number from 0 to 10000, got "-1"'],
    [{ SCALER_REPLICAS: '3; reboot' }, 'SCALER_REPLICAS must be a whole number'],
    [{ SCALER_REPLICAS: undefined }, 'SCALER_REPLICAS must be a whole number from 0 to 10000, got undefined'],
    [{ SCALER_POOL: 'Warm/../x' }, 'SCALER_POOL must be a VirtualMachinePool name (a DNS label), got "Warm/../x"'],
    [{ SCALER_NAMESPACE: undefined }, 'SCALER_NAMESPACE is not set'],
    [{ SCALER_KUBE_API: undefined }, 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set'],
    [{ SCALER_KUBE_TOKEN_FILE: '/nonexistent/token' }, 'SCALER_KUBE_TOKEN_FILE /nonexistent/token cannot be read: ENOENT'],
  ])('a bad configuration %j: exit 2 before any request', async (env, message) => {
    const run = await scale(env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`pool-scaler: configuration error: ${message}`);
    expect(kube.requests).toEqual([]);
  });
});

describe('the fake API server is faithful', () => {
  test('it refuses a Scale the API server would refuse: negative replicas, unknown fields, a non-merge patch', async () => {
    const answer = async (body: string, contentType = 'application/merge-patch+json') => {
      const res = await fetch(`${kube.url}${SCALE_PATH}`, { method: 'PATCH', headers: { Authorization: `Bearer ${kubeToken}`, 'Content-Type': contentType }, body });
      return { status: res.status, body: await res.json() as any };
    };
    expect((await answer('{"spec":{"replicas":-1}}')).body.message).toContain('spec.replicas: Invalid value: must be greater than or equal to 0');
    expect((await answer('{"spec":{"replicas":"2"}}')).status).toBe(422);
    expect((await answer('{"spec":{"replica":2}}')).status).toBe(422);
    expect((await answer('{"spec":{"replicas":2}}', 'application/strategic-merge-patch+json')).status).toBe(415);
    expect(kube.pool().spec.replicas).toBe(3);
    expect((await answer('{"spec":{"replicas":2}}')).body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 3 } });
    expect(kube.violations.length).toBeGreaterThanOrEqual(4);
    kube.violations.length = 0;
  });

  testIf(hasSharedSchemas, '../shared/schemas')('its Scale schema is Kubernetes 1.34\'s autoscaling/v1 Scale, standalone-strict like the shipped schemas', () => {
    const definitions = JSON.parse(readFileSync(join(SHARED_SCHEMAS_DIR, 'kubernetes', 'v1.34.0', '_definitions.json'), 'utf8')).definitions;
    const standaloneStrict = (node: any): any => {
      if (Array.isArray(node)) return node.map(standaloneStrict);
      if (node === null || typeof node !== 'object') return node;
      if (typeof node.$ref === 'string') {
        const { $ref, ...rest } = node;
        return standaloneStrict({ ...definitions[$ref.replace('#/definitions/', '')], ...rest });
      }
      const out: any = {};
      for (const [field, value] of Object.entries(node)) {
        out[field] = field === 'properties'
          ? Object.fromEntries(Object.entries(value as object).map(([p, s]) => [p, standaloneStrict(s)]))
          : standaloneStrict(value);
      }
      if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
      return out;
    };
    // The same derivation reproduces a shipped schema, so the conventions match.
    expect(standaloneStrict(definitions['io.k8s.api.core.v1.ConfigMap']))
      .toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', 'lib', 'validate', 'schemas', 'kubernetes', 'configmap-v1.json'), 'utf8')));
    expect(JSON.parse(readFileSync(join(SCALE_SCHEMA_DIR, 'scale-autoscaling-v1.json'), 'utf8')))
      .toEqual(standaloneStrict(definitions['io.k8s.api.autoscaling.v1.Scale']));
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** A self-signed certificate for 127.0.0.1 (its own CA). */
function selfSigned(): { key: string; cert: string; caFile: string } {
  const folder = mkdtempSync(join(dir, 'tls-'));
  const keyFile = join(folder, 'key.pem');
  const certFile = join(folder, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), caFile: certFile };
}
