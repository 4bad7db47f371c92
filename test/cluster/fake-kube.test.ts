import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { SCALE_SCHEMA_DIR } from './fake-kube-admission';
import { FakeKube, FakeKubeOptions, PolicyRule } from './fake-kube';
import { hasSharedSchemas, SHARED_SCHEMAS_DIR, testIf } from '../util';

// The fake Kubernetes API answers in the real wire format. Checked against Kubernetes 1.34's own
// OpenAPI definitions (../shared/schemas/kubernetes/v1.34.0/_definitions.json, from cdk8s-team/cdk8s
// kubernetes-schemas, see ../shared/schemas/SOURCES.md), made standalone-strict (no field the
// definition lacks), and against the Go types where the JSON names omitempty: ScaleSpec.replicas is
// `json:"replicas,omitempty"`, ScaleStatus.replicas is `json:"replicas"` (the definitions mark it
// required), StatusDetails.group `json:"group,omitempty"` (k8s.io/api/autoscaling/v1/types.go,
// k8s.io/apimachinery/pkg/apis/meta/v1/types.go). The pool's /scale paths are the ones KubeVirt
// v1.9's CRD declares (../shared/schemas/crds/kubevirt-v1.9.0/pool.kubevirt.io_virtualmachinepools.yaml).

const NS = 'ci';
const TOKEN = 'sa-token';
const POOLS = 'virtualmachinepools';
const SECRETS = 'secrets';
const POOL_PATH = `/apis/pool.kubevirt.io/v1beta1/namespaces/${NS}/virtualmachinepools`;
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets`;
const VMI_PATH = `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`;
const VMI = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm-1' }, spec: { domain: { devices: {} } } };
const POOL = {
  metadata: { name: 'warm', namespace: NS },
  spec: {
    replicas: 2, selector: { matchLabels: { app: 'warm' } },
    virtualMachineTemplate: { metadata: { labels: { app: 'warm' } }, spec: { template: { spec: { domain: { devices: {} } } } } },
  },
};
const SCALER_RULES: PolicyRule[] = [{ apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools/scale'], resourceNames: ['warm'], verbs: ['get', 'patch'] }];

const definitions = hasSharedSchemas
  ? JSON.parse(readFileSync(join(SHARED_SCHEMAS_DIR, 'kubernetes', 'v1.34.0', '_definitions.json'), 'utf8')).definitions : {};

/** A definition with its $refs inlined and `additionalProperties: false` wherever it lists properties (as the shipped schemas are). */
function standaloneStrict(node: any): any {
  if (Array.isArray(node)) return node.map(standaloneStrict);
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const { $ref, ...rest } = node;
    return standaloneStrict({ ...definitions[$ref.replace('#/definitions/', '')], ...rest });
  }
  const out: any = {};
  for (const [field, value] of Object.entries(node)) {
    out[field] = field === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([p, s]) => [p, standaloneStrict(s)])) : standaloneStrict(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const ajv = addFormats(new Ajv({ allErrors: true, strict: false }))
  .addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 })
  .addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
/** The problems of `value` against Kubernetes' definition `name` (standalone-strict). */
const problems = (name: string, value: unknown) => {
  const validate = ajv.getSchema(name) ?? (ajv.addSchema(standaloneStrict(definitions[name]), name), ajv.getSchema(name)!);
  return validate(value) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);
};
const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';

let kube: FakeKube;
async function start(options: Partial<FakeKubeOptions> = {}): Promise<void> {
  await kube?.stop();
  kube = new FakeKube({ token: TOKEN, ...options });
  await kube.start();
}
const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
  const res = await fetch(`${kube.url}${path}`, {
    method, headers: { 'Authorization': `Bearer ${TOKEN}`, 'Content-Type': contentType }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() as any };
};

beforeEach(() => start());
afterEach(() => kube.stop());

describe('the fake Kubernetes API speaks the real wire format', () => {
  testIf(hasSharedSchemas, '../shared/schemas')('errors are metav1.Status bodies with the API server\'s messages, reasons and details', async () => {
    await start({ role: { namespace: NS, serviceAccount: 'launcher', rules: [{ apiGroups: ['kubevirt.io', ''], resources: ['virtualmachineinstances', 'secrets'], verbs: ['get', 'create'] }] } });
    const missing = await call('GET', `${VMI_PATH}/nope`);
    expect(missing).toMatchObject({ status: 404 });
    expect(missing.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'virtualmachineinstances.kubevirt.io "nope" not found',
      reason: 'NotFound', details: { name: 'nope', group: 'kubevirt.io', kind: 'virtualmachineinstances' }, code: 404,
    });
    // The core group: `group` is omitempty, so absent.
    expect((await call('GET', `${SECRET_PATH}/nope`)).body.details).toEqual({ name: 'nope', kind: 'secrets' });
    expect((await call('POST', VMI_PATH, VMI)).status).toBe(201);
    const exists = await call('POST', VMI_PATH, VMI);
    expect(exists.body).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'virtualmachineinstances.kubevirt.io "vm-1" already exists' });
    const invalid = await call('POST', VMI_PATH, { ...VMI, metadata: { name: 'Bad_Name' } });
    expect(invalid.body).toMatchObject({ code: 422, reason: 'Invalid', message: expect.stringMatching(/^VirtualMachineInstance "Bad_Name" is invalid: /) });
    const forbidden = await call('DELETE', `${VMI_PATH}/vm-1`);
    expect(forbidden.body).toMatchObject({
      code: 403, reason: 'Forbidden', details: { name: 'vm-1', group: 'kubevirt.io', kind: 'virtualmachineinstances' },
      message: 'virtualmachineinstances.kubevirt.io "vm-1" is forbidden: User "system:serviceaccount:ci:launcher" cannot delete resource '
        + '"virtualmachineinstances" in API group "kubevirt.io" in the namespace "ci"',
    });
    const unauthorized = await fetch(`${kube.url}${VMI_PATH}/vm-1`);
    expect(await unauthorized.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    for (const answer of [missing, exists, invalid, forbidden]) expect(problems(STATUS, answer.body)).toEqual([]);
    kube.violations.length = 0;
  });

  testIf(hasSharedSchemas, '../shared/schemas')('a Scale at 0 replicas is "spec": {} and keeps status.replicas; a patch from 0 lands', async () => {
    expect(definitions['io.k8s.api.autoscaling.v1.ScaleSpec'].required).toBeUndefined();
    expect(definitions['io.k8s.api.autoscaling.v1.ScaleStatus'].required).toEqual(['replicas']);
    kube.put(POOLS, { ...POOL, spec: { ...POOL.spec, replicas: 0 } });
    const scale = await call('GET', `${POOL_PATH}/warm/scale`);
    expect(scale.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: {}, status: { replicas: 0 } });
    expect(scale.body.spec).toEqual({});
    expect(typeof scale.body.metadata.resourceVersion).toBe('string');
    expect(problems('io.k8s.api.autoscaling.v1.Scale', scale.body)).toEqual([]);
    const patched = await call('PATCH', `${POOL_PATH}/warm/scale`, { spec: { replicas: 2 } }, 'application/merge-patch+json');
    expect(patched.body.spec).toEqual({ replicas: 2 });
    const back = await call('PATCH', `${POOL_PATH}/warm/scale`, { spec: { replicas: 0 } }, 'application/merge-patch+json');
    expect(back.body.spec).toEqual({});
    expect(kube.object(POOLS, NS, 'warm').spec.replicas).toBe(0);
  });

  testIf(hasSharedSchemas, '../shared/schemas')('a watch is newline-delimited WatchEvents: ADDED from the list\'s resourceVersion, BOOKMARK, 410 Expired as an ERROR event', async () => {
    const list = await call('GET', VMI_PATH);
    expect(list.body).toEqual({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceList', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) }, items: [] });
    const res = await fetch(`${kube.url}${VMI_PATH}?watch=1&fieldSelector=metadata.name%3Dvm-1&allowWatchBookmarks=true&resourceVersion=${list.body.metadata.resourceVersion}`,
      { headers: { Authorization: `Bearer ${TOKEN}` } });
    const reader = res.body!.getReader();
    await kube.until(() => kube.openWatches === 1);
    kube.put('virtualmachineinstances', { ...VMI, metadata: { name: 'vm-1', namespace: NS } });
    kube.bookmark();
    const events = await readLines(reader, 2);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(events[1].object).toEqual({ kind: 'VirtualMachineInstance', apiVersion: 'kubevirt.io/v1', metadata: { resourceVersion: events[0].object.metadata.resourceVersion } });
    kube.endWatches();

    kube.expireNextWatch();
    const expired = await fetch(`${kube.url}${VMI_PATH}?watch=1&fieldSelector=metadata.name%3Dvm-1&resourceVersion=1`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(expired.status).toBe(200);
    const [error] = await readLines(expired.body!.getReader(), 1);
    expect(error).toEqual({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/), reason: 'Expired', code: 410 } });
    for (const event of [...events, error]) expect(problems('io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', event)).toEqual([]);
    expect(problems(STATUS, error.object)).toEqual([]);
  });

  test('OwnerReferencesPermissionEnforcement: blockOwnerDeletion needs update on the owner\'s finalizers', async () => {
    const owned = { ...VMI, metadata: { name: 'vm-1', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'pod-1', uid: 'u-1', controller: true, blockOwnerDeletion: true }] } };
    const rules: PolicyRule[] = [{ apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['create'] }];
    await start({ role: { namespace: NS, serviceAccount: 'launcher', rules }, ownerReferencesPermissionEnforcement: true });
    expect((await call('POST', VMI_PATH, owned)).body).toMatchObject({
      code: 403, reason: 'Forbidden',
      message: 'virtualmachineinstances.kubevirt.io "vm-1" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can\'t set finalizers on: , <nil>',
    });
    await start({ role: { namespace: NS, serviceAccount: 'launcher', rules: [...rules, { apiGroups: [''], resources: ['pods/finalizers'], verbs: ['update'] }] }, ownerReferencesPermissionEnforcement: true });
    expect((await call('POST', VMI_PATH, owned)).status).toBe(201);
    await start({ role: { namespace: NS, serviceAccount: 'launcher', rules } });
    expect((await call('POST', VMI_PATH, owned)).status).toBe(201);
  });

  test('faults for chosen requests: latency, 429 with Retry-After, 5xx, connection reset; the next request is answered', async () => {
    kube.put(POOLS, POOL);
    kube.inject('GET', POOLS, { delayMs: 200 });
    const started = Date.now();
    expect((await call('GET', `${POOL_PATH}/warm/scale`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    kube.inject('GET', POOLS, { status: 429, message: 'too many requests', retryAfter: '3' });
    const limited = await call('GET', `${POOL_PATH}/warm/scale`);
    expect(limited).toMatchObject({ status: 429, body: { code: 429, reason: 'TooManyRequests', message: 'too many requests', details: { retryAfterSeconds: 3 } } });
    expect(limited.headers.get('retry-after')).toBe('3');
    kube.inject('GET', POOLS, { status: 503 });
    expect((await call('GET', `${POOL_PATH}/warm/scale`)).body).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    kube.inject('GET', POOLS, { reset: true });
    await expect(call('GET', `${POOL_PATH}/warm/scale`)).rejects.toThrow();
    // Something in front of the API server (a proxy, a load balancer) answers with its own page.
    kube.inject('GET', POOLS, { status: 502, page: '<html><body>Bad Gateway</body></html>' });
    const page = await fetch(`${kube.url}${POOL_PATH}/warm/scale`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect([page.status, page.headers.get('content-type'), await page.text()]).toEqual([502, 'text/html', '<html><body>Bad Gateway</body></html>']);
    expect((await call('GET', `${POOL_PATH}/warm/scale`)).status).toBe(200);
  });

  testIf(hasSharedSchemas, '../shared/schemas')('a JSON patch (RFC 6902) applies in order; one that cannot apply is the generic 422, a body that is no patch a 400', async () => {
    kube.put(SECRETS, { metadata: { name: 'token', namespace: NS }, data: { a: 'YQ==', b: 'Yg==' } });
    kube.put(POOLS, POOL);
    const patch = (path: string, operations: unknown) => call('PATCH', path, operations, 'application/json-patch+json');
    const patched = await patch(`${SECRET_PATH}/token`, [
      { op: 'test', path: '/data/a', value: 'YQ==' }, { op: 'move', from: '/data/a', path: '/data/c' }, { op: 'remove', path: '/data/b' },
      { op: 'add', path: '/metadata/labels', value: { x: 'y' } }, { op: 'copy', from: '/data/c', path: '/data/d' }, { op: 'replace', path: '/data/d', value: 'ZA==' },
    ]);
    expect(patched).toMatchObject({ status: 200, body: { data: { c: 'YQ==', d: 'ZA==' }, metadata: { labels: { x: 'y' } } } });
    expect(Object.keys(patched.body.data)).toEqual(['c', 'd']);
    expect((await patch(`${POOL_PATH}/warm/scale`, [{ op: 'replace', path: '/spec/replicas', value: 5 }])).body.spec).toEqual({ replicas: 5 });
    expect(kube.object(POOLS, NS, 'warm').spec.replicas).toBe(5);
    // apiserver's patch.go: Apply's error is NewGenericServerResponse(422, ...): the generic message, no cause.
    const failed = await patch(`${SECRET_PATH}/token`, [{ op: 'test', path: '/data/c', value: 'eA==' }]);
    expect(failed).toMatchObject({ status: 422, body: { kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, message: 'the server rejected our request due to an error in our request', details: {} } });
    expect(problems(STATUS, failed.body)).toEqual([]);
    expect((await patch(`${SECRET_PATH}/token`, [{ op: 'remove', path: '/data/nope' }])).status).toBe(422);
    expect((await patch(`${SECRET_PATH}/token`, { op: 'remove', path: '/data/c' })).body).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(kube.object(SECRETS, NS, 'token').data).toEqual({ c: 'YQ==', d: 'ZA==' });
    expect(kube.violations).toEqual([
      'PATCH secrets/token: the JSON patch does not apply: missing value at data/nope',
      'PATCH secrets/token: the JSON patch is not a list of operations',
    ]);
    kube.violations.length = 0;
  });

  test('lists and watches select by label (=, ==, !=, exists, !exists, in, notin; a watch sees objects leave and enter); a selector that does not parse is 400', async () => {
    for (const [name, labels] of [['a', { tier: 'warm', zone: 'x' }], ['b', { tier: 'cold' }], ['c', {}]] as const) {
      kube.put(SECRETS, { metadata: { name, namespace: NS, labels } });
    }
    const names = async (selector: string) => (await call('GET', `${SECRET_PATH}?labelSelector=${encodeURIComponent(selector)}`)).body.items.map((s: any) => s.metadata.name);
    expect(await names('tier=warm')).toEqual(['a']);
    expect(await names('tier==cold')).toEqual(['b']);
    expect(await names('tier!=warm')).toEqual(['b', 'c']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('!zone')).toEqual(['b', 'c']);
    expect(await names('tier in (warm, cold),zone')).toEqual(['a']);
    expect(await names('tier notin (warm)')).toEqual(['b', 'c']);
    const bad = await call('GET', `${SECRET_PATH}?labelSelector=${encodeURIComponent('tier=(warm')}`);
    expect(bad.body).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    expect(kube.violations).toEqual(['secrets: labelSelector "tier=(warm" does not parse']);
    kube.violations.length = 0;

    // A watch sees an object leave its selection as DELETED (its last selected state) and come back as ADDED.
    const from = (await call('GET', SECRET_PATH)).body.metadata.resourceVersion;
    const res = await fetch(`${kube.url}${SECRET_PATH}?watch=1&fieldSelector=metadata.name%3Da&labelSelector=tier%3Dwarm&resourceVersion=${from}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    await kube.until(() => kube.openWatches === 1);
    kube.modify(SECRETS, NS, 'a', { metadata: { labels: { zone: 'y' } } });
    kube.modify(SECRETS, NS, 'a', { metadata: { labels: { tier: 'cold' } } });
    kube.modify(SECRETS, NS, 'b', { metadata: { labels: { tier: 'warm' } } });
    kube.modify(SECRETS, NS, 'a', { metadata: { labels: { tier: 'warm' } } });
    const events = await readLines(res.body!.getReader(), 3);
    const rv = Number(from);
    expect(events.map((e) => [e.type, e.object.metadata.labels.tier, e.object.metadata.resourceVersion])).toEqual([
      ['MODIFIED', 'warm', String(rv + 1)], ['DELETED', 'warm', String(rv + 2)], ['ADDED', 'warm', String(rv + 4)],
    ]);
  });

  test('it refuses a Scale the API server would refuse: negative replicas, unknown fields, a non-merge patch', async () => {
    await start({ role: { namespace: NS, serviceAccount: 'pool-scaler', rules: SCALER_RULES } });
    kube.put(POOLS, { ...POOL, status: { replicas: 3 } });
    const answer = (body: unknown, contentType = 'application/merge-patch+json') => call('PATCH', `${POOL_PATH}/warm/scale`, body, contentType);
    expect((await answer({ spec: { replicas: -1 } })).body.message).toContain('spec.replicas: Invalid value: must be greater than or equal to 0');
    expect((await answer({ spec: { replicas: '2' } })).status).toBe(422);
    expect((await answer({ spec: { replica: 2 } })).status).toBe(422);
    expect((await answer({ spec: { replicas: 1 } }, 'application/strategic-merge-patch+json')).status).toBe(415);
    expect(kube.object(POOLS, NS, 'warm').spec.replicas).toBe(2);
    expect((await answer({ spec: { replicas: 1 } })).body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { replicas: 3 } });
    expect((await call('GET', `${POOL_PATH}/warm`)).status).toBe(403);
    expect(kube.violations.length).toBeGreaterThanOrEqual(5);
  });

  test('pods/log is text/plain, the last tailLines lines of the named container; an unknown container is 400, a gone pod 404', async () => {
    const POD_PATH = `/api/v1/namespaces/${NS}/pods`;
    await start({ role: { namespace: NS, serviceAccount: 'launcher', rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] }, { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ] } });
    kube.put('pods', {
      metadata: { name: 'virt-launcher-vm-1-abcde', namespace: NS, labels: { 'kubevirt.io/created-by': 'uid-1' } },
      spec: { initContainers: [{ name: 'guest-console-log', image: 'virt-launcher' }], containers: [{ name: 'compute', image: 'virt-launcher' }] },
    });
    kube.setContainerLog(NS, 'virt-launcher-vm-1-abcde', 'guest-console-log', 'one\ntwo\nthree\n');
    const read = (query: string) => fetch(`${kube.url}${POD_PATH}/virt-launcher-vm-1-abcde/log${query}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const tail = await read('?container=guest-console-log&tailLines=2');
    expect(tail.status).toBe(200);
    expect(tail.headers.get('content-type')).toBe('text/plain');
    expect(await tail.text()).toBe('two\nthree\n');
    expect(await (await read('?container=guest-console-log')).text()).toBe('one\ntwo\nthree\n');
    expect(await (await read('?container=compute')).text()).toBe('');
    const unknown = await read('?container=nope');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest', message: 'container nope is not valid for pod virt-launcher-vm-1-abcde' });
    expect(await (await read('')).json()).toMatchObject({ code: 400, message: 'a container name must be specified for pod virt-launcher-vm-1-abcde, choose one of: [guest-console-log compute]' });
    const listed = await call('GET', `${POD_PATH}?labelSelector=${encodeURIComponent('kubevirt.io/created-by=uid-1')}`);
    expect(listed.body.items.map((p: any) => p.metadata.name)).toEqual(['virt-launcher-vm-1-abcde']);
    kube.remove('pods', NS, 'virt-launcher-vm-1-abcde');
    expect(await (await read('?container=guest-console-log')).json()).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "virt-launcher-vm-1-abcde" not found' });
    expect((await call('GET', `${POD_PATH}/virt-launcher-vm-1-abcde`)).status).toBe(403);
    expect(kube.violations).toEqual(['get pods "virt-launcher-vm-1-abcde" in ci: outside the client\'s Role']);
  });

  test('an Event is admitted as ValidateEventCreate admits it: its involved object in its own namespace', async () => {
    const EVENT_PATH = `/api/v1/namespaces/${NS}/events`;
    const event = {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'vm-1.17a2b3c4d5e6f708' }, type: 'Warning', reason: 'RunnerOutdated', message: 'the runner exited 7',
      involvedObject: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', namespace: NS, name: 'vm-1', uid: 'uid-1' }, count: 1,
    };
    expect((await call('POST', EVENT_PATH, event)).status).toBe(201);
    expect((await call('POST', EVENT_PATH, { ...event, metadata: { name: 'vm-1.2' }, involvedObject: { ...event.involvedObject, namespace: 'other' } })).status).toBe(422);
    expect((await call('POST', EVENT_PATH, { ...event, metadata: { name: 'vm-1.3' }, type: 'Error' })).status).toBe(422);
    expect((await call('POST', EVENT_PATH, { ...event, metadata: { name: 'vm-1.4' }, reasons: 'x' })).status).toBe(422);
    expect(kube.violations).toHaveLength(3);
  });

  testIf(hasSharedSchemas, '../shared/schemas')('its Scale and Event schemas are Kubernetes 1.34\'s autoscaling/v1 Scale and core/v1 Event, standalone-strict like the shipped schemas', () => {
    // The same derivation reproduces a shipped schema, so the conventions match.
    expect(standaloneStrict(definitions['io.k8s.api.core.v1.ConfigMap']))
      .toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', 'lib', 'validate', 'schemas', 'kubernetes', 'configmap-v1.json'), 'utf8')));
    expect(JSON.parse(readFileSync(join(SCALE_SCHEMA_DIR, 'scale-autoscaling-v1.json'), 'utf8'))).toEqual(standaloneStrict(definitions['io.k8s.api.autoscaling.v1.Scale']));
    expect(JSON.parse(readFileSync(join(SCALE_SCHEMA_DIR, 'event-v1.json'), 'utf8'))).toEqual(standaloneStrict(definitions['io.k8s.api.core.v1.Event']));
  });
});

/** The next `count` newline-delimited JSON values of a stream. */
async function readLines(reader: ReadableStreamDefaultReader<Uint8Array>, count: number): Promise<any[]> {
  let text = '';
  while (text.split('\n').length <= count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  return text.split('\n').slice(0, count).map((line) => JSON.parse(line));
}
