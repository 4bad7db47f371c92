import { FakeKube, LoadOptions } from './fake-kube';

// The fake API as a busy server (./fake-kube-load.ts): each fault answered as kube-apiserver answers
// it (priority and fairness's 429 is text/plain with Retry-After, not a Status: apiserver
// pkg/server/filters tooManyRequests; a storage error is a 500 InternalError Status; a write that
// outlived its request's timeout is a 504 Timeout Status and has landed), each client's faults the
// same in every run, and a timeline of every exchange.

const NS = 'ci';
const VMI_PATH = `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`;
const vmi = (name: string) => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name }, spec: { domain: { devices: {} } } });

let kube: FakeKube | undefined;
async function start(load: LoadOptions): Promise<FakeKube> {
  kube = new FakeKube({ token: 'server-token', load });
  kube.addToken('pod-a-token', 'pod-a');
  await kube.start();
  return kube;
}
afterEach(() => kube?.stop());

async function call(method: string, path: string, body?: unknown, token = 'pod-a-token') {
  const res = await fetch(`${kube!.url}${path}`, {
    method, headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('the fake Kubernetes API under load', () => {
  test('without load options: no latency, no fault; each pod\'s token is its client, an unknown token 401', async () => {
    const api = await start({});
    expect((await call('POST', VMI_PATH, vmi('a'))).status).toBe(201);
    expect((await call('GET', `${VMI_PATH}/a`, undefined, 'server-token')).status).toBe(200);
    expect((await call('GET', `${VMI_PATH}/a`, undefined, 'stolen')).status).toBe(401);
    expect(api.exchanges.map((e) => [e.client, e.status, e.fault])).toEqual([['pod-a', 201, undefined], ['default', 200, undefined], ['unknown', 401, undefined]]);
    expect(api.exchanges.every((e) => e.answeredAt! >= e.receivedAt)).toBe(true);
    // The head is written before the answer is finished: sentAt is when the client could first have it.
    expect(api.exchanges.every((e) => e.sentAt! >= e.receivedAt && e.sentAt! <= e.answeredAt!)).toBe(true);
  });

  test('latency: every answer comes that much later', async () => {
    const api = await start({ latencyMs: 60 });
    await call('GET', VMI_PATH);
    expect(api.exchanges[0].answeredAt! - api.exchanges[0].receivedAt).toBeGreaterThanOrEqual(59);
  });

  test('429: priority and fairness\'s plain-text refusal with Retry-After; nothing done', async () => {
    const api = await start({ tooManyRequests: 1, retryAfterSeconds: 2, maxFaultsInARow: 1 });
    const refused = await call('POST', VMI_PATH, vmi('a'));
    expect(refused).toMatchObject({ status: 429, text: 'Too many requests, please try again later.\n' });
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(api.object('virtualmachineinstances', NS, 'a')).toBeUndefined();
    expect(api.exchanges[0]).toMatchObject({ fault: 'tooManyRequests', status: 429, retryAfterSeconds: 2 });
    // maxFaultsInARow: the next request gets through.
    expect((await call('POST', VMI_PATH, vmi('a'))).status).toBe(201);
  });

  test('500: an InternalError Status, nothing done', async () => {
    const api = await start({ internalErrors: 1, maxFaultsInARow: 1 });
    const refused = await call('POST', VMI_PATH, vmi('a'));
    expect(refused.status).toBe(500);
    expect(JSON.parse(refused.text)).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Internal error occurred: etcdserver: leader changed',
      reason: 'InternalError', details: { causes: [{ message: 'etcdserver: leader changed' }] }, code: 500,
    });
    expect(api.object('virtualmachineinstances', NS, 'a')).toBeUndefined();
  });

  test('504 after a write: the object is created (landedStatus 201); a write refused anyway is answered as it is', async () => {
    const api = await start({ timeoutsAfterWrite: 1, maxFaultsInARow: 5 });
    const timedOut = await call('POST', VMI_PATH, vmi('a'));
    expect(timedOut.status).toBe(504);
    expect(JSON.parse(timedOut.text)).toMatchObject({ reason: 'Timeout', code: 504, message: 'Timeout: request did not complete within requested timeout - context deadline exceeded', details: {} });
    expect(api.object('virtualmachineinstances', NS, 'a')).toBeDefined();
    expect((await call('POST', VMI_PATH, vmi('a'))).status).toBe(409);
    expect(api.exchanges.map((e) => [e.status, e.landedStatus, e.fault])).toEqual([[504, 201, 'timeoutAfterWrite'], [409, undefined, undefined]]);
  });

  test('a watch ended early: the stream ends (as at its timeout) before timeoutSeconds', async () => {
    const api = await start({ watchesEndedEarly: 1, watchEndMs: 200 });
    await call('POST', VMI_PATH, vmi('a'));
    const watch = await call('GET', `${VMI_PATH}?fieldSelector=metadata.name%3Da&watch=1&resourceVersion=1&timeoutSeconds=300`);
    expect(watch.status).toBe(200);
    expect(watch.text.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['ADDED']);
    expect(typeof api.exchanges[1].fault).toBe('object');
    expect(api.exchanges[1].answeredAt! - api.exchanges[1].receivedAt).toBeLessThan(1000);
    expect(api.peakWatches).toBe(1);
  });

  test('the same seed, the same faults for a client, whatever else the server is doing', async () => {
    const faultsOf = async (noise: number) => {
      const api = await start({ tooManyRequests: 0.3, internalErrors: 0.2, seed: 7 });
      api.addToken('pod-b-token', 'pod-b');
      for (let i = 0; i < 20; i++) {
        for (let n = 0; n < noise; n++) await call('GET', VMI_PATH, undefined, 'pod-b-token');
        await call('GET', VMI_PATH);
      }
      const mine = api.exchanges.filter((e) => e.client === 'pod-a').map((e) => e.status);
      await api.stop();
      return mine;
    };
    const quiet = await faultsOf(0);
    expect(await faultsOf(2)).toEqual(quiet);
    expect(quiet.filter((s) => s !== 200).length).toBeGreaterThan(0);
  });
});
