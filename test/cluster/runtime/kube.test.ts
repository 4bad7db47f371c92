import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, isKubeStatus, KubeStatusError, RateLimitedError, RetriesExhaustedError, TransientError } from '../../../lib/cluster/runtime/errors';
import { KubeClient, KubeResource, SECRET } from '../../../lib/cluster/runtime/kube';
import { kubeConnection } from '../../../lib/cluster/runtime/kube-connection';
import { Logger } from '../../../lib/cluster/runtime/log';
import { MAX_ATTEMPTS } from '../../../lib/cluster/runtime/retry';
import { FakeKube, FakeKubeOptions } from '../fake-kube';

// The Kubernetes client against the fake API server (../fake-kube.ts): the retry policy (network,
// 429 with Retry-After, 5xx; the same attempts everywhere), Status bodies as typed errors, the
// ServiceAccount token read again for every request, and no token in any line.

const NS = 'ci';
const SECRETS = 'secrets';
const POOLS = 'virtualmachinepools';
const POOL: KubeResource = { kind: 'VirtualMachinePool', group: 'pool.kubevirt.io', version: 'v1beta1', plural: POOLS };

let dir: string;
let tokenFile: string;
let kube: FakeKube;
let lines: string[];
let log: Logger;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runtime-kube-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'sa-token-one\n');
  lines = [];
  log = new Logger('test', (t) => lines.push(t), (t) => lines.push(t));
  await startKube();
});

afterEach(async () => {
  await kube.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const line of lines) expect(line).not.toMatch(/sa-token/);
  expect(kube.violations).toEqual([]);
});

/** The API server (every request allowed unless `options.role` says otherwise), holding the Secret ci/token. */
async function startKube(options: Partial<FakeKubeOptions> = {}): Promise<void> {
  await kube?.stop();
  kube = new FakeKube({ token: 'sa-token-one', ...options });
  await kube.start();
  kube.put(SECRETS, { metadata: { name: 'token', namespace: NS }, data: { token: 'b25l', x: 'eA==' } });
}

const client = (retryBaseDelayMs = 2) => new KubeClient(kubeConnection({ apiUrl: kube.url, tokenFile }, log, {}), { log, retryBaseDelayMs, client: 'test' });
const stored = (name = 'token') => kube.object(SECRETS, NS, name);

describe('KubeClient', () => {
  test('get: the object, with the bearer token read from the file for every request (projected tokens rotate)', async () => {
    const api = client();
    expect(await api.get(SECRET, NS, 'token')).toEqual(stored());
    writeFileSync(tokenFile, 'sa-token-two\n');
    kube.token = 'sa-token-two';
    expect(await api.get(SECRET, NS, 'token')).toEqual(stored());
    expect(kube.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['GET', '/api/v1/namespaces/ci/secrets/token', 'Bearer sa-token-one'],
      ['GET', '/api/v1/namespaces/ci/secrets/token', 'Bearer sa-token-two'],
    ]);
    expect(kube.requests[0].headers['user-agent']).toBe('cdk8s-kubevirt-runners-test');
  });

  test('patch: merge, strategic and JSON patch content types; subresources; create and delete', async () => {
    kube.put(POOLS, {
      metadata: { name: 'warm', namespace: NS },
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'warm' } },
        virtualMachineTemplate: { metadata: { labels: { app: 'warm' } }, spec: { template: { spec: { domain: { devices: {} } } } } },
      },
    });
    const api = client();
    const created = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other', namespace: NS }, data: { a: 'YQ==' } };
    expect(await api.patch(POOL, NS, 'warm', { spec: { replicas: 0 } }, 'merge', { subresource: 'scale' })).toMatchObject({ kind: 'Scale', spec: {} });
    expect(await api.patch(SECRET, NS, 'token', { data: { token: 'dHdv' } }, 'strategic')).toMatchObject({ data: { token: 'dHdv', x: 'eA==' } });
    expect(await api.patch(SECRET, NS, 'token', [{ op: 'remove', path: '/data/x' }], 'json')).toMatchObject({ data: { token: 'dHdv' } });
    expect(await api.create(SECRET, NS, created)).toMatchObject({ metadata: { name: 'other', uid: expect.any(String) } });
    await api.delete(SECRET, NS, 'other', { propagationPolicy: 'Background' });
    const { uid } = stored().metadata;
    await api.delete(SECRET, NS, 'token', { preconditions: { uid } });
    await api.delete(POOL, NS, 'warm');
    expect(kube.object(POOLS, NS, 'warm')).toBeUndefined();
    expect([stored(), stored('other')]).toEqual([undefined, undefined]);
    expect(kube.requests.map((r) => [r.method, r.url, r.headers['content-type'], r.body])).toEqual([
      ['PATCH', '/apis/pool.kubevirt.io/v1beta1/namespaces/ci/virtualmachinepools/warm/scale', 'application/merge-patch+json', '{"spec":{"replicas":0}}'],
      ['PATCH', '/api/v1/namespaces/ci/secrets/token', 'application/strategic-merge-patch+json', '{"data":{"token":"dHdv"}}'],
      ['PATCH', '/api/v1/namespaces/ci/secrets/token', 'application/json-patch+json', '[{"op":"remove","path":"/data/x"}]'],
      ['POST', '/api/v1/namespaces/ci/secrets', 'application/json', JSON.stringify(created)],
      ['DELETE', '/api/v1/namespaces/ci/secrets/other', 'application/json', '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}'],
      ['DELETE', '/api/v1/namespaces/ci/secrets/token', 'application/json', `{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"${uid}"}}`],
      ['DELETE', '/apis/pool.kubevirt.io/v1beta1/namespaces/ci/virtualmachinepools/warm', undefined, ''],
    ]);
    for (const request of kube.requests.slice(0, -1)) expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
    // A DELETE without options has no body, and says none (no Content-Length, no chunked encoding).
    expect(kube.requests.at(-1)!.headers).not.toHaveProperty('content-length');
    expect(kube.requests.at(-1)!.headers).not.toHaveProperty('transfer-encoding');
  });

  test('a precondition that no longer holds, a JSON patch that cannot apply: KubeStatusErrors, not retried', async () => {
    const api = client();
    const conflict = await api.delete(SECRET, NS, 'token', { preconditions: { uid: 'u-1' } }).catch((e) => e);
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict', what: 'delete Secret ci/token' });
    expect(conflict.message).toBe(`cannot delete Secret ci/token: HTTP 409 Conflict: Operation cannot be fulfilled on secrets "token": Precondition failed: UID in precondition: u-1, UID in object meta: ${stored().metadata.uid}`);
    const test = await api.patch(SECRET, NS, 'token', [{ op: 'test', path: '/data/token', value: 'dHdv' }, { op: 'remove', path: '/data/x' }], 'json').catch((e) => e);
    expect(test).toBeInstanceOf(KubeStatusError);
    expect(test.message).toBe('cannot patch Secret ci/token: HTTP 422 Invalid: the server rejected our request due to an error in our request');
    expect(stored().data).toEqual({ token: 'b25l', x: 'eA==' });
    expect(kube.requests).toHaveLength(2);
    expect(lines).toEqual([]);
  });

  test('a refusal is a KubeStatusError with the Status\'s reason and code, not retried', async () => {
    await startKube({ role: { namespace: NS, serviceAccount: 'x', rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] } });
    const error = await client().get(SECRET, NS, 'token').catch((e) => e);
    expect(error).toBeInstanceOf(KubeStatusError);
    expect([isKubeStatus(error, 403), isKubeStatus(error, 404, 409)]).toEqual([true, false]);
    expect(error).toMatchObject({ code: 403, reason: 'Forbidden', what: 'get Secret ci/token' });
    expect(error.message).toBe('cannot get Secret ci/token: HTTP 403 Forbidden: secrets "token" is forbidden: User "system:serviceaccount:ci:x" cannot get resource "secrets" in API group "" in the namespace "ci"');
    expect(kube.requests).toHaveLength(1);
    expect(lines).toEqual([]);
    // A token the API server does not accept (401 Unauthorized) is a refusal too.
    kube.token = 'rotated-elsewhere';
    expect(await client().list(SECRET, NS).catch((e) => e)).toMatchObject({ code: 401, reason: 'Unauthorized', message: 'cannot list secrets in namespace ci: HTTP 401 Unauthorized: Unauthorized' });
    expect(kube.violations.splice(0)).toEqual(['get secrets "token" in ci: outside the client\'s Role']);
  });

  test('5xx, 429 and a dropped connection are retried with one policy; each retry is one line', async () => {
    kube.inject('GET', SECRETS, { status: 503, message: 'the server is currently unable to handle the request' });
    kube.inject('GET', SECRETS, { reset: true });
    kube.inject('GET', SECRETS, { status: 429, message: 'too many requests', retryAfter: '0' });
    expect(await client().get(SECRET, NS, 'token')).toEqual(stored());
    expect(kube.requests).toHaveLength(4);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^test: get Secret ci\/token: HTTP 503 ServiceUnavailable: the server is currently unable to handle the request; retry 1 of 5 in \d+\.\ds\n$/);
    expect(lines[1]).toMatch(/^test: get Secret ci\/token: socket hang up \(ECONNRESET\); retry 2 of 5 in /);
    expect(lines[2]).toMatch(/^test: get Secret ci\/token: HTTP 429 TooManyRequests: too many requests; retry 3 of 5 in /);
  });

  test(`a server that stays down: RetriesExhaustedError after ${MAX_ATTEMPTS} attempts`, async () => {
    kube.inject('PATCH', SECRETS, { status: 500, message: 'etcdserver: request timed out' }, { times: MAX_ATTEMPTS });
    const error = await client().patch(SECRET, NS, 'token', { data: { token: 'dHdv' } }, 'merge').catch((e) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.message).toBe(`cannot patch Secret ci/token: HTTP 500 InternalError: etcdserver: request timed out; gave up after ${MAX_ATTEMPTS} attempts`);
    expect(kube.requests).toHaveLength(MAX_ATTEMPTS);
    expect(stored().data.token).toBe('b25l');
  });

  test('Retry-After is honoured: the next attempt waits at least as long, and the line says why', async () => {
    // Base 50 ms: the longest delay is 1.5 s, so Retry-After: 1 is waited in full.
    kube.inject('GET', SECRETS, { status: 429, message: 'slow down', retryAfter: '1' });
    const started = Date.now();
    await client(50).get(SECRET, NS, 'token');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(lines[0]).toMatch(/retry 1 of 5 in 1\.\ds \(Retry-After 1\.0s\)\n$/);
  });

  // As the API server answers a throttled request (apierrors.NewTooManyRequests): a Status with details.retryAfterSeconds and the header.
  const throttled = (seconds: number) => kube.inject('GET', SECRETS, { status: 429, message: 'the server has received too many requests and has asked us to try again later', retryAfter: String(seconds) });

  test('a Retry-After longer than the longest delay, with no deadline: RateLimitedError at once that names it, not a retry sooner than asked', async () => {
    throttled(3600);
    const error = await client().get(SECRET, NS, 'token').catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.message).toBe('cannot get Secret ci/token: HTTP 429 TooManyRequests: the server has received too many requests and has asked us to try again later; '
      + 'the server asks to wait 3600s before the next attempt (Retry-After), longer than this client waits between attempts (0.1s)');
    expect(kube.requests).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  test('with a deadline: a Retry-After that ends before it is waited in full, however long; one that ends after it fails at once, naming both', async () => {
    const started = Date.now();
    const api = client().withDeadline(() => ({ at: started + 5000, what: 'the boot timeout (bootTimeoutSeconds 5)' }));
    // The longest delay is 60 ms: 1 s is waited because the deadline leaves room for it.
    throttled(1);
    expect(await api.get(SECRET, NS, 'token')).toEqual(stored());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    throttled(3600);
    const error = await api.get(SECRET, NS, 'token').catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.message).toMatch(new RegExp('^cannot get Secret ci/token: HTTP 429 TooManyRequests: the server has received too many requests and has asked us to try again later; '
      + 'the server asks to wait 3600s before the next attempt \\(Retry-After\\), after the boot timeout \\(bootTimeoutSeconds 5\\) fires in [34]\\.\\ds: giving up now rather than at the timeout$'));
    expect(Date.now() - started).toBeLessThan(2500);
    expect(kube.requests).toHaveLength(3);
  });

  test('a 2xx answer that is not JSON is retried (a proxy\'s page), not taken for the object', async () => {
    kube.inject('GET', SECRETS, { status: 200, page: '<html>gateway</html>' });
    expect(await client().get(SECRET, NS, 'token')).toEqual(stored());
    expect(lines[0]).toMatch(/HTTP 200 with a body that is not JSON; retry 1/);
  });

  test('a token file that cannot be read at the time of a request is transient (being rotated)', async () => {
    const api = client();
    rmSync(tokenFile);
    kube.token = 'sa-token-three';
    setTimeout(() => writeFileSync(tokenFile, 'sa-token-three\n'), 20);
    expect(await api.get(SECRET, NS, 'token')).toEqual(stored());
    expect(lines.join('')).toContain(`cannot read ${tokenFile}: ENOENT; retry 1`);
    expect(kube.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sa-token-three']);
  });

  test('list: the items the selectors select and the collection\'s resourceVersion', async () => {
    kube.put(SECRETS, { metadata: { name: 'labelled', namespace: NS, labels: { a: 'b' } } });
    kube.put(SECRETS, { metadata: { name: 'other', namespace: NS, labels: { a: 'c' } } });
    const api = client();
    expect(await api.list(SECRET, NS, { labelSelector: 'a=b', fieldSelector: 'metadata.name=labelled' })).toEqual({ items: [stored('labelled')], resourceVersion: kube.listedVersions[0] });
    expect((await api.list(SECRET, NS, { labelSelector: 'a in (b,c)' })).items.map((s: any) => s.metadata.name)).toEqual(['labelled', 'other']);
    expect((await api.list(SECRET, NS, { labelSelector: 'a!=b' })).items.map((s: any) => s.metadata.name)).toEqual(['token', 'other']);
    expect(kube.requests[0].url).toBe('/api/v1/namespaces/ci/secrets?labelSelector=a%3Db&fieldSelector=metadata.name%3Dlabelled');
    expect(kube.listedVersions).toEqual(Array(3).fill(stored('other').metadata.resourceVersion));
  });
});

describe('kubeConnection', () => {
  test('in a pod: https://KUBERNETES_SERVICE_HOST:PORT (IPv6 in brackets); errors name what to fix', () => {
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, 'not checked here');
    expect(kubeConnection({ tokenFile, caFile }, log, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }))
      .toEqual({ apiUrl: 'https://[fd00::1]', tokenFile, caFile });
    expect(() => kubeConnection({ tokenFile }, log, {})).toThrow(new ConfigError('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT',
      'are not set (not running in a pod?): set kubernetes.apiUrl to the API server\'s URL'));
    expect(() => kubeConnection({ apiUrl: 'http://127.0.0.1:1', tokenFile: join(dir, 'missing') }, log, {})).toThrow(`kubernetes.tokenFile ${join(dir, 'missing')} cannot be read: ENOENT`);
    writeFileSync(tokenFile, '\n');
    expect(() => kubeConnection({ apiUrl: 'http://127.0.0.1:1', tokenFile }, log, {})).toThrow(`kubernetes.tokenFile ${tokenFile} is empty`);
    expect(() => kubeConnection({ apiUrl: 'https://127.0.0.1:1', tokenFile: caFile, caFile: join(dir, 'no-ca') }, log, {}))
      .toThrow(`the API server's CA certificate ${join(dir, 'no-ca')} (kubernetes.caFile) cannot be read: ENOENT`);
  });
});

test('TransientError carries how long the server asked to wait', () => {
  expect(new TransientError('x', 1500).waitMs).toBe(1500);
});
