import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, isKubeStatus, KubeStatusError, RetriesExhaustedError, TransientError } from '../../../lib/cluster/runtime/errors';
import { KubeClient, SECRET } from '../../../lib/cluster/runtime/kube';
import { kubeConnection } from '../../../lib/cluster/runtime/kube-connection';
import { Logger } from '../../../lib/cluster/runtime/log';
import { MAX_ATTEMPTS } from '../../../lib/cluster/runtime/retry';
import { json, kubeStatus, ScriptedServer } from './scripted-server';

// The Kubernetes client against a server on 127.0.0.1 that answers as the API server does: the
// retry policy (network, 429 with Retry-After, 5xx; the same attempts everywhere), Status bodies as
// typed errors, the ServiceAccount token read again for every request, and no token in any line.

let dir: string;
let tokenFile: string;
let server: ScriptedServer | undefined;
let lines: string[];
let log: Logger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runtime-kube-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'sa-token-one\n');
  lines = [];
  log = new Logger('test', (t) => lines.push(t), (t) => lines.push(t));
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
  for (const line of lines) expect(line).not.toMatch(/sa-token/);
});

async function client(handler: ConstructorParameters<typeof ScriptedServer>[0], retryBaseDelayMs = 2): Promise<KubeClient> {
  server = new ScriptedServer(handler);
  const apiUrl = await server.start();
  return new KubeClient(kubeConnection({ apiUrl, tokenFile }, log, {}), { log, retryBaseDelayMs, client: 'test' });
}

const SECRET_BODY = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'token', namespace: 'ci', resourceVersion: '7' } };

describe('KubeClient', () => {
  test('get: the object, with the bearer token read from the file for every request (projected tokens rotate)', async () => {
    const kube = await client((_req, res) => json(res, 200, SECRET_BODY));
    expect(await kube.get(SECRET, 'ci', 'token')).toEqual(SECRET_BODY);
    writeFileSync(tokenFile, 'sa-token-two\n');
    await kube.get(SECRET, 'ci', 'token');
    expect(server!.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['GET', '/api/v1/namespaces/ci/secrets/token', 'Bearer sa-token-one'],
      ['GET', '/api/v1/namespaces/ci/secrets/token', 'Bearer sa-token-two'],
    ]);
    expect(server!.requests[0].headers['user-agent']).toBe('cdk8s-kubevirt-runners-test');
  });

  test('patch: merge, strategic and JSON patch content types; subresources; create and delete', async () => {
    const kube = await client((req, res) => json(res, req.method === 'POST' ? 201 : 200, SECRET_BODY));
    const pool = { kind: 'VirtualMachinePool', group: 'pool.kubevirt.io', version: 'v1beta1', plural: 'virtualmachinepools' };
    await kube.patch(pool, 'ci', 'warm', { spec: { replicas: 0 } }, 'merge', { subresource: 'scale' });
    await kube.patch(SECRET, 'ci', 'token', { data: {} }, 'strategic');
    await kube.patch(SECRET, 'ci', 'token', [{ op: 'remove', path: '/data/x' }], 'json');
    await kube.create(SECRET, 'ci', SECRET_BODY);
    await kube.delete(SECRET, 'ci', 'token', { propagationPolicy: 'Background' });
    await kube.delete(SECRET, 'ci', 'token', { preconditions: { uid: 'u-1' } });
    await kube.delete(SECRET, 'ci', 'token');
    expect(server!.requests.map((r) => [r.method, r.url, r.headers['content-type'], r.body])).toEqual([
      ['PATCH', '/apis/pool.kubevirt.io/v1beta1/namespaces/ci/virtualmachinepools/warm/scale', 'application/merge-patch+json', '{"spec":{"replicas":0}}'],
      ['PATCH', '/api/v1/namespaces/ci/secrets/token', 'application/strategic-merge-patch+json', '{"data":{}}'],
      ['PATCH', '/api/v1/namespaces/ci/secrets/token', 'application/json-patch+json', '[{"op":"remove","path":"/data/x"}]'],
      ['POST', '/api/v1/namespaces/ci/secrets', 'application/json', JSON.stringify(SECRET_BODY)],
      ['DELETE', '/api/v1/namespaces/ci/secrets/token', 'application/json', '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}'],
      ['DELETE', '/api/v1/namespaces/ci/secrets/token', 'application/json', '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"u-1"}}'],
      ['DELETE', '/api/v1/namespaces/ci/secrets/token', undefined, ''],
    ]);
    for (const request of server!.requests.slice(0, -1)) expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
    // A DELETE without options has no body, and says none (no Content-Length, no chunked encoding).
    expect(server!.requests.at(-1)!.headers).not.toHaveProperty('content-length');
    expect(server!.requests.at(-1)!.headers).not.toHaveProperty('transfer-encoding');
  });

  test('a refusal is a KubeStatusError with the Status\'s reason and code, not retried', async () => {
    const kube = await client((_req, res) => kubeStatus(res, 403, 'Forbidden', 'secrets "token" is forbidden: User "system:serviceaccount:ci:x" cannot get resource "secrets"'));
    const error = await kube.get(SECRET, 'ci', 'token').catch((e) => e);
    expect(error).toBeInstanceOf(KubeStatusError);
    expect([isKubeStatus(error, 403), isKubeStatus(error, 404, 409)]).toEqual([true, false]);
    expect(error).toMatchObject({ code: 403, reason: 'Forbidden', what: 'get Secret ci/token' });
    expect(error.message).toBe('cannot get Secret ci/token: HTTP 403 Forbidden: secrets "token" is forbidden: User "system:serviceaccount:ci:x" cannot get resource "secrets"');
    expect(server!.requests).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  test('5xx, 429 and a dropped connection are retried with one policy; each retry is one line', async () => {
    const kube = await client((_req, res, i) => {
      if (i === 0) return kubeStatus(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      if (i === 1) return res.socket!.destroy();
      if (i === 2) return kubeStatus(res, 429, 'TooManyRequests', 'too many requests', { 'Retry-After': '0' });
      json(res, 200, SECRET_BODY);
    });
    expect(await kube.get(SECRET, 'ci', 'token')).toEqual(SECRET_BODY);
    expect(server!.requests).toHaveLength(4);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^test: get Secret ci\/token: HTTP 503 ServiceUnavailable: the server is currently unable to handle the request; retry 1 of 5 in \d+\.\ds\n$/);
    expect(lines[1]).toMatch(/^test: get Secret ci\/token: socket hang up \(ECONNRESET\); retry 2 of 5 in /);
    expect(lines[2]).toMatch(/^test: get Secret ci\/token: HTTP 429 TooManyRequests: too many requests; retry 3 of 5 in /);
  });

  test(`a server that stays down: RetriesExhaustedError after ${MAX_ATTEMPTS} attempts`, async () => {
    const kube = await client((_req, res) => kubeStatus(res, 500, 'InternalError', 'etcdserver: request timed out'));
    const error = await kube.patch(SECRET, 'ci', 'token', {}, 'merge').catch((e) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.message).toBe(`cannot patch Secret ci/token: HTTP 500 InternalError: etcdserver: request timed out; gave up after ${MAX_ATTEMPTS} attempts`);
    expect(server!.requests).toHaveLength(MAX_ATTEMPTS);
  });

  test('Retry-After is honoured: the next attempt waits at least as long (up to the longest delay)', async () => {
    // Base 50 ms: the longest delay is 1.5 s, so Retry-After: 1 is waited in full.
    const kube = await client((_req, res, i) => (i === 0 ? kubeStatus(res, 429, 'TooManyRequests', 'slow down', { 'Retry-After': '1' }) : json(res, 200, SECRET_BODY)), 50);
    const started = Date.now();
    await kube.get(SECRET, 'ci', 'token');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(lines[0]).toMatch(/retry 1 of 5 in 1\.\ds\n$/);
  });

  test('a 2xx answer that is not JSON is retried (a proxy\'s page), not taken for the object', async () => {
    const kube = await client((_req, res, i) => (i === 0 ? res.end('<html>gateway</html>') : json(res, 200, SECRET_BODY)));
    expect(await kube.get(SECRET, 'ci', 'token')).toEqual(SECRET_BODY);
    expect(lines[0]).toMatch(/HTTP 200 with a body that is not JSON; retry 1/);
  });

  test('a token file that cannot be read at the time of a request is transient (being rotated)', async () => {
    const kube = await client((_req, res) => json(res, 200, SECRET_BODY));
    rmSync(tokenFile);
    setTimeout(() => writeFileSync(tokenFile, 'sa-token-three\n'), 20);
    expect(await kube.get(SECRET, 'ci', 'token')).toEqual(SECRET_BODY);
    expect(lines.join('')).toContain(`cannot read ${tokenFile}: ENOENT; retry 1`);
    expect(server!.requests.at(-1)!.headers.authorization).toBe('Bearer sa-token-three');
  });

  test('list: items and the collection\'s resourceVersion, with selectors', async () => {
    const kube = await client((_req, res) => json(res, 200, { kind: 'SecretList', metadata: { resourceVersion: '42' }, items: [SECRET_BODY] }));
    expect(await kube.list(SECRET, 'ci', { labelSelector: 'a=b', fieldSelector: 'metadata.name=token' })).toEqual({ items: [SECRET_BODY], resourceVersion: '42' });
    expect(server!.requests[0].url).toBe('/api/v1/namespaces/ci/secrets?labelSelector=a%3Db&fieldSelector=metadata.name%3Dtoken');
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
