import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { admissionProblems, FakeKube, FakeKubeOptions, Plural } from './fake-kube';
import { LAUNCHER, LauncherRun } from './launcher-run';
import { ImageSharing, RunnerImage } from '../../lib';
import { launcherRules } from '../../lib/render/launcher-pod';
import { RunnerScaleSet } from '../../lib/runner-scale-set';
import { synth, testIf } from '../util';
import { freePort } from './fake-http';
import { hasOpenssl, makePki } from './fake-tls';

// lib/cluster/launcher.cjs runs as node runs it in the EphemeralRunner pod: a child process with only
// its environment, against a fake Kubernetes API on 127.0.0.1 (./fake-kube.ts) that the tests
// drive through the VMI's phases. Timeouts and backoff are configured small; the tests assert on
// exit codes, requests and log lines, never on how long anything took.

jest.setTimeout(30_000);

const VMIS: Plural = 'virtualmachineinstances';
const DVS: Plural = 'datavolumes';
const NS = 'ci';
const POD = { name: 'arc-runners-x7k2p-runner-9qv4d', uid: randomUUID() };
const DV_NAME = `${POD.name}-root`;
const RUNNER_LABEL = 'cdk8s-kubevirt-runners/runner';
// ARC puts the runner's JIT config in the container's environment: it must reach nothing.
const JIT_SENTINEL = `JITCONFIG-SENTINEL-${randomUUID()}`;

const VMI_TEMPLATE = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { labels: { 'app.kubernetes.io/name': 'actions-runner', 'cdk8s-kubevirt-runners/scale-set': 'arc-runners' } },
  spec: {
    domain: {
      cpu: { cores: 2 },
      resources: { requests: { cpu: '2', memory: '4Gi' } },
      devices: {
        disks: [
          { name: 'rootdisk', disk: { bus: 'virtio' } },
          { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
          { name: 'jit', disk: { bus: 'virtio' }, serial: 'RUNNERJIT' },
        ],
      },
    },
    terminationGracePeriodSeconds: 30,
    volumes: [
      { name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName: 'baked-image' } } },
      { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '#cloud-config\n{}' } },
      { name: 'jit', secret: { secretName: 'placeholder' } },
    ],
  },
};

const DATAVOLUME_TEMPLATE = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { labels: { 'app.kubernetes.io/name': 'actions-runner' } },
  spec: {
    source: { pvc: { namespace: NS, name: 'baked-image' } },
    storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
  },
};

let dir: string;
let tokenFile: string;
let token: string;
let api: FakeKube;
/** The API server, with RBAC from the launcher's synthesized Role (clone mode: with DataVolumes). */
const newApi = (options: Partial<FakeKubeOptions> = {}) => new FakeKube({ token, role: { namespace: NS, serviceAccount: 'arc-launcher', rules: launcherRules(true) }, ...options });
let runs: LauncherRun[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'launcher-'));
  token = `token-${randomUUID()}`;
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  writeFileSync(join(dir, 'vmi.json'), JSON.stringify(VMI_TEMPLATE));
  writeFileSync(join(dir, 'datavolume.json'), JSON.stringify(DATAVOLUME_TEMPLATE));
  api = newApi();
  await api.start();
  runs = [];
});

afterEach(async () => {
  for (const run of runs) if (run.running) run.kill('SIGKILL');
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
  // Every scenario: no credential in any output, the JIT config nowhere at all, nothing the API refused.
  for (const run of runs) {
    for (const output of [run.stdout, run.stderr]) {
      expect(output).not.toContain(token);
      expect(output).not.toContain(JIT_SENTINEL);
    }
    expect(run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('launcher: '))).toEqual([]);
  }
  expect(JSON.stringify(api.requests)).not.toContain(JIT_SENTINEL);
  expect(api.violations).toEqual([]);
});

function launcherEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    ACTIONS_RUNNER_INPUT_JITCONFIG: JIT_SENTINEL,
    LAUNCHER_POD_NAME: POD.name,
    LAUNCHER_POD_NAMESPACE: NS,
    LAUNCHER_POD_UID: POD.uid,
    LAUNCHER_VMI_TEMPLATE: join(dir, 'vmi.json'),
    LAUNCHER_KUBE_API: api.url,
    LAUNCHER_KUBE_TOKEN_FILE: tokenFile,
    LAUNCHER_RETRY_BASE_MS: '5',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function launch(overrides: Record<string, string | undefined> = {}): LauncherRun {
  const run = new LauncherRun(launcherEnv(overrides));
  runs.push(run);
  return run;
}

const vmi = () => api.object(VMIS, NS, POD.name);
const setPhase = (phase: string, extra: object = {}) => api.setStatus(VMIS, NS, POD.name, { phase, ...extra });
const created = (plural: Plural, name = POD.name) => api.until(() => api.object(plural, NS, name) !== undefined);
const deletes = () => api.requestsOf('DELETE').map((r) => ({ path: r.url, options: JSON.parse(r.body) }));

/** An object as an earlier run left it, owned by the Pod `owner`. */
function leftover(plural: Plural, name: string, owner: { name: string; uid: string }, extra: object = {}) {
  const template: any = plural === VMIS ? VMI_TEMPLATE : DATAVOLUME_TEMPLATE;
  return api.put(plural, {
    ...template,
    metadata: {
      name, namespace: NS,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
      ...extra,
    },
  });
}

describe('the launcher: one VirtualMachineInstance per EphemeralRunner pod', () => {
  test('success: creates the VMI for this pod, follows its phases, deletes it when the guest powers off, exits 0', async () => {
    const run = launch();
    await created(VMIS);
    const object = vmi();
    expect(object.metadata).toMatchObject({
      name: POD.name,
      namespace: NS,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: POD.name, uid: POD.uid, controller: true, blockOwnerDeletion: true }],
      labels: { 'app.kubernetes.io/name': 'actions-runner', 'cdk8s-kubevirt-runners/scale-set': 'arc-runners', [RUNNER_LABEL]: POD.name },
    });
    expect(object.spec.hostname).toBe(POD.name);
    expect(object.spec.volumes).toEqual([
      VMI_TEMPLATE.spec.volumes[0],
      VMI_TEMPLATE.spec.volumes[1],
      { name: 'jit', secret: { secretName: POD.name } },
    ]);
    expect(object.spec.domain).toEqual(VMI_TEMPLATE.spec.domain);
    expect(api.requestsOf('POST')[0].url).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`);

    for (const phase of ['Pending', 'Scheduling', 'Scheduled', 'Running']) setPhase(phase);
    await run.untilOutput(/phase Running after/);
    api.bookmark();
    setPhase('Succeeded');

    expect(await run.exit).toBe(0);
    expect(vmi()).toBeUndefined();
    expect(deletes()).toEqual([{
      path: `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`,
      options: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid: object.metadata.uid } },
    }]);
    const ref = `VirtualMachineInstance ${NS}/${POD.name}`;
    expect(run.stdout.split('\n').map((l) => l.replace(/after [\d.]+s/, 'after Ns'))).toEqual([
      `launcher: created ${ref}`,
      `launcher: ${ref} phase Pending`,
      `launcher: ${ref} phase Scheduling`,
      `launcher: ${ref} phase Scheduled`,
      `launcher: ${ref} phase Running after Ns`,
      `launcher: ${ref} phase Succeeded`,
      `launcher: ${ref} succeeded: the guest powered off after its job`,
      `launcher: deleting ${ref}`,
      `launcher: deleted ${ref}`,
      '',
    ]);
    expect(run.stderr).toBe('');
  });

  test('the watch is the one of the contract, with the token of the token file', async () => {
    const run = launch();
    await created(VMIS);
    const createdVersion = vmi().metadata.resourceVersion;
    await api.until(() => api.openWatches === 1);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    const [watch] = api.requestsOf('GET', 'watch=');
    const url = new URL(watch.url, 'http://x');
    expect(url.pathname).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      fieldSelector: `metadata.name=${POD.name}`, watch: '1', resourceVersion: createdVersion, allowWatchBookmarks: 'true', timeoutSeconds: '300',
    });
    expect(new Set(api.requests.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${token}`]));
  });

  test('Failed: logs the reason from the status, deletes the VMI, exits 1', async () => {
    const run = launch();
    await created(VMIS);
    setPhase('Running');
    setPhase('Failed', {
      reason: 'NodeUnresponsive',
      conditions: [{ type: 'Ready', status: 'False', reason: 'GuestNotRunning', message: 'Guest VM is not reported as running' }],
    });
    expect(await run.exit).toBe(1);
    expect(run.stdout).toContain(`VirtualMachineInstance ${NS}/${POD.name} phase Failed`);
    expect(run.stderr).toBe(`launcher: VirtualMachineInstance ${NS}/${POD.name} failed: reason NodeUnresponsive; `
      + 'condition Ready=False (GuestNotRunning): Guest VM is not reported as running\n');
    expect(vmi()).toBeUndefined();
  });

  test('boot timeout: a VMI that never reaches Running is deleted, exit 1', async () => {
    const run = launch({ LAUNCHER_BOOT_TIMEOUT_SECONDS: '1' });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`launcher: VirtualMachineInstance ${NS}/${POD.name} did not reach phase Running within 1s (LAUNCHER_BOOT_TIMEOUT_SECONDS); last phase: none yet`);
    expect(api.requestsOf('POST')).toHaveLength(1);
    expect(vmi()).toBeUndefined();
    expect(deletes()).toHaveLength(1);
  });

  test('job timeout: a VMI still Running after the job timeout is deleted, exit 1', async () => {
    const run = launch({ LAUNCHER_JOB_TIMEOUT_SECONDS: '0.5' });
    await created(VMIS);
    setPhase('Running');
    expect(await run.exit).toBe(1);
    expect(run.stdout).toContain('phase Running after');
    expect(run.stderr).toContain(`launcher: VirtualMachineInstance ${NS}/${POD.name} was still running 0.5s after it reached phase Running (LAUNCHER_JOB_TIMEOUT_SECONDS)`);
    expect(vmi()).toBeUndefined();
  });

  test('SIGTERM while Running: deletes the VMI (background propagation), exits 143', async () => {
    const run = launch();
    await created(VMIS);
    setPhase('Running');
    await run.untilOutput(/phase Running after/);
    run.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(run.stdout).toContain('launcher: received SIGTERM: deleting what this pod created');
    expect(vmi()).toBeUndefined();
    expect(deletes()).toEqual([expect.objectContaining({ options: expect.objectContaining({ propagationPolicy: 'Background' }) })]);
  });

  test('the VMI deleted by someone else: exit 1 with a message', async () => {
    const run = launch();
    await created(VMIS);
    setPhase('Running');
    await run.untilOutput(/phase Running after/);
    api.remove(VMIS, NS, POD.name);
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`launcher: VirtualMachineInstance ${NS}/${POD.name} was deleted by someone else before its job ended`);
  });

  test('a watch that breaks is resumed from a fresh read: a phase change missed meanwhile is still seen', async () => {
    const run = launch();
    await created(VMIS);
    setPhase('Running');
    await run.untilOutput(/phase Running after/);
    await api.until(() => api.openWatches === 1);
    // Broken mid-stream, and the guest finishes while the launcher is not watching.
    api.dropWatches();
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stdout).toMatch(/watch of VirtualMachineInstance \S+ broke \(.+\); reading it again/);
    expect(vmi()).toBeUndefined();
  });
});

describe('the launcher: watches that end, break and expire', () => {
  test('dropped mid-job, ended, 410 Gone as an event and as a status: resumed each time, still exits 0 on Succeeded', async () => {
    const run = launch();
    await created(VMIS);
    setPhase('Running');
    await run.untilOutput(/phase Running after/);
    const resumed = async (opened: number) => api.until(() => api.watchesOpened >= opened && api.openWatches === 1);
    await resumed(1);

    api.dropWatches();
    await resumed(2);
    api.expireNextWatch();
    api.endWatches();
    await resumed(4);
    api.inject('GET', VMIS, { status: 410, message: 'too old resource version: 1 (2000)', reason: 'Expired' }, { watch: true });
    api.endWatches();
    await resumed(5);
    setPhase('Succeeded');

    expect(await run.exit).toBe(0);
    expect(run.stdout).toMatch(/watch of VirtualMachineInstance \S+ broke/);
    expect(run.stdout).toContain('watch of VirtualMachineInstance ci/arc-runners-x7k2p-runner-9qv4d expired (error 410 Expired: too old resource version');
    expect(run.stdout).toContain('watch of VirtualMachineInstance ci/arc-runners-x7k2p-runner-9qv4d expired (HTTP 410 Expired: too old resource version');
    // Each watch after the first starts from the resourceVersion of the read before it.
    const watchVersions = api.requestsOf('GET', 'watch=').map((r) => new URL(r.url, 'http://x').searchParams.get('resourceVersion'));
    expect(watchVersions.slice(1)).toEqual(api.listedVersions.slice(0, watchVersions.length - 1));
    expect(run.stdout.match(/phase Running/g)).toHaveLength(1);
  });

  test('the ServiceAccount token is read again for every request (projected tokens rotate)', async () => {
    const run = launch();
    await created(VMIS);
    setPhase('Running');
    await api.until(() => api.openWatches === 1);
    const rotated = `token-${randomUUID()}`;
    writeFileSync(tokenFile, rotated);
    api.token = rotated;
    api.endWatches();
    await api.until(() => api.watchesOpened === 2 && api.openWatches === 1);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(api.requests.at(-1)!.headers.authorization).toBe(`Bearer ${rotated}`);
    expect(run.stdout).not.toContain(rotated);
  });
});

describe('the launcher: API errors', () => {
  test('500 and 429 on create are retried with backoff, then it goes on', async () => {
    api.inject('POST', VMIS, { status: 500, message: 'etcdserver: leader changed' });
    api.inject('POST', VMIS, { status: 429, message: 'too many requests, please try again later', retryAfter: '1' });
    const run = launch();
    await created(VMIS);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(api.requestsOf('POST')).toHaveLength(3);
    expect(run.stderr).toMatch(/^launcher: create VirtualMachineInstance ci\/\S+: HTTP 500 InternalError: etcdserver: leader changed; retry 1 of 7 in [\d.]+s$/m);
    expect(run.stderr).toMatch(/^launcher: create VirtualMachineInstance ci\/\S+: HTTP 429 TooManyRequests: too many requests, please try again later; retry 2 of 7 in [\d.]+s$/m);
  });

  test('a connection reset and a 503 on the watch are retried', async () => {
    api.inject('POST', VMIS, { reset: true });
    api.inject('GET', VMIS, { status: 503, message: 'the server is currently unable to handle the request' }, { watch: true });
    const run = launch();
    await created(VMIS);
    await api.until(() => api.openWatches === 1);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/create VirtualMachineInstance \S+: socket hang up \(ECONNRESET\); retry 1 of 7/);
    expect(run.stderr).toMatch(/watch VirtualMachineInstance \S+: HTTP 503 ServiceUnavailable: the server is currently unable to handle the request; retry 1 in/);
  });

  test('an answer that never comes times out; the retried create finds the VMI it made and adopts it', async () => {
    api.inject('POST', VMIS, { lostAnswer: true });
    const run = launch({ LAUNCHER_REQUEST_TIMEOUT_SECONDS: '0.3' });
    await run.untilOutput(/adopted/);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/create VirtualMachineInstance \S+: no complete answer within 0.3s; retry 1 of 7/);
    expect(run.stdout).toContain(`launcher: adopted VirtualMachineInstance ${NS}/${POD.name}: this pod created it before its container restarted`);
    expect(api.requestsOf('POST')).toHaveLength(2);
    expect(vmi()).toBeUndefined();
  });

  test('an API server that is not up yet (connection refused) is retried until it is', async () => {
    const port = await freePort();
    const run = launch({ LAUNCHER_KUBE_API: `http://127.0.0.1:${port}`, LAUNCHER_RETRY_BASE_MS: '50' });
    await run.untilOutput(/ECONNREFUSED.*retry 1 of 7/);
    await api.stop();
    api = newApi();
    await api.start(port);
    await created(VMIS);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/^launcher: create VirtualMachineInstance ci\/\S+: connect ECONNREFUSED 127\.0\.0\.1:\d+; retry 1 of 7/m);
  });

  test('while the VM runs, an API server that stays unavailable is retried past 8 attempts: the job is not cut short', async () => {
    const run = launch();
    await created(VMIS);
    setPhase('Running');
    await api.until(() => api.openWatches === 1);
    api.inject('GET', VMIS, { status: 503, message: 'apiserver is shutting down' }, { times: 10 });
    api.inject('GET', VMIS, { reset: true }, { times: 2, watch: true });
    api.endWatches();
    await run.untilOutput(/list VirtualMachineInstance \S+: HTTP 503 ServiceUnavailable: apiserver is shutting down; retry 10 in/);
    await api.until(() => api.watchesOpened === 2 && api.openWatches === 1);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/watch VirtualMachineInstance \S+: socket hang up \(ECONNRESET\); retry 2 in/);
    expect(vmi()).toBeUndefined();
  });

  test('transient errors on create that do not stop: gives up after 8 attempts, exit 1', async () => {
    api.inject('POST', VMIS, { status: 503, message: 'etcd is down' }, { times: 100 });
    const run = launch();
    expect(await run.exit).toBe(1);
    expect(api.requestsOf('POST')).toHaveLength(8);
    expect(run.stderr).toContain('launcher: cannot create VirtualMachineInstance ci/arc-runners-x7k2p-runner-9qv4d: HTTP 503 ServiceUnavailable: etcd is down; gave up after 8 attempts');
  });

  test('403 on create: fatal at once, names the verb and resource the ServiceAccount lacks', async () => {
    const message = `virtualmachineinstances.kubevirt.io is forbidden: User "system:serviceaccount:${NS}:arc-runners-launcher" cannot create resource "virtualmachineinstances" in API group "kubevirt.io" in the namespace "${NS}"`;
    api.inject('POST', VMIS, { status: 403, message });
    const run = launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toBe(`launcher: cannot create VirtualMachineInstance ${NS}/${POD.name}: HTTP 403 Forbidden: ${message}. `
      + `The pod's ServiceAccount lacks permission: its Role needs the verb 'create' on 'virtualmachineinstances' in apiGroup 'kubevirt.io' in namespace '${NS}'\n`);
    expect(api.requestsOf('POST')).toHaveLength(1);
    expect(api.requestsOf('DELETE')).toEqual([]);
  });

  test('a wrong token (401) is fatal and says so, without the token', async () => {
    api.token = 'another-token';
    const run = launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain("HTTP 401 Unauthorized: Unauthorized. The API server does not accept the pod's ServiceAccount token");
  });
});

describe('the launcher: an object of the same name already exists', () => {
  test('created by this pod before its container restarted: adopted and followed to the end', async () => {
    const existing = leftover(VMIS, POD.name, POD);
    api.setStatus(VMIS, NS, POD.name, { phase: 'Running' });
    const run = launch();
    await run.untilOutput(/phase Running after/);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stdout).toContain(`launcher: adopted VirtualMachineInstance ${NS}/${POD.name}`);
    expect(api.requestsOf('POST')).toHaveLength(1);
    expect(deletes()).toEqual([expect.objectContaining({ options: expect.objectContaining({ preconditions: { uid: existing.metadata.uid } }) })]);
  });

  test('owned by another pod: not adopted, not deleted, exit 1', async () => {
    const other = { name: 'someone-else', uid: randomUUID() };
    leftover(VMIS, POD.name, other);
    const run = launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`launcher: VirtualMachineInstance ${NS}/${POD.name} already exists and is not this pod's `
      + `(owned by Pod someone-else (uid ${other.uid}); this pod's uid is ${POD.uid}): refusing to adopt it`);
    expect(vmi()).toBeDefined();
    expect(api.requestsOf('DELETE')).toEqual([]);
  });

  test("left by an earlier pod of this runner (ARC's retry: same name, new uid): waits until Kubernetes deletes it, then creates its own", async () => {
    const earlier = { name: POD.name, uid: randomUUID() };
    leftover(VMIS, POD.name, earlier, { deletionTimestamp: new Date().toISOString() });
    const run = launch();
    await run.untilOutput(/waiting for VirtualMachineInstance/);
    expect(run.stdout).toContain(`it was created by an earlier pod of this runner (owned by Pod ${POD.name} (uid ${earlier.uid}))`);
    api.remove(VMIS, NS, POD.name);
    await created(VMIS);
    expect(vmi().metadata.ownerReferences[0].uid).toBe(POD.uid);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(api.requestsOf('DELETE')).toHaveLength(1);
  });
});

describe('the launcher: clone mode (LAUNCHER_DATAVOLUME_TEMPLATE)', () => {
  test('creates the root DataVolume owned by the pod, the VMI boots from it, both are deleted', async () => {
    const run = launch({ LAUNCHER_DATAVOLUME_TEMPLATE: join(dir, 'datavolume.json') });
    await created(VMIS);
    const dv = api.object(DVS, NS, DV_NAME);
    expect(dv.metadata).toMatchObject({
      name: DV_NAME,
      namespace: NS,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: POD.name, uid: POD.uid, controller: true, blockOwnerDeletion: true }],
      labels: { 'app.kubernetes.io/name': 'actions-runner', [RUNNER_LABEL]: POD.name },
    });
    expect(dv.spec).toEqual(DATAVOLUME_TEMPLATE.spec);
    expect(vmi().spec.volumes[0]).toEqual({ name: 'rootdisk', dataVolume: { name: DV_NAME } });
    expect(vmi().spec.volumes.slice(1)).toEqual([VMI_TEMPLATE.spec.volumes[1], { name: 'jit', secret: { secretName: POD.name } }]);
    expect(api.requestsOf('POST').map((r) => r.url)).toEqual([
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${NS}/datavolumes`,
      `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`,
    ]);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(deletes().map((d) => d.path)).toEqual([
      `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`,
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${NS}/datavolumes/${DV_NAME}`,
    ]);
    expect(api.object(DVS, NS, DV_NAME)).toBeUndefined();
    expect(vmi()).toBeUndefined();
  });

  test('SIGINT while the clone runs: VMI and DataVolume deleted, exit 130', async () => {
    const run = launch({ LAUNCHER_DATAVOLUME_TEMPLATE: join(dir, 'datavolume.json') });
    await created(VMIS);
    setPhase('Pending');
    await run.untilOutput(/phase Pending/);
    run.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(vmi()).toBeUndefined();
    expect(api.object(DVS, NS, DV_NAME)).toBeUndefined();
  });

  test('a 403 on the VMI after the DataVolume was made: the DataVolume is deleted, exit 1', async () => {
    api.inject('POST', VMIS, { status: 403, message: 'forbidden' });
    const run = launch({ LAUNCHER_DATAVOLUME_TEMPLATE: join(dir, 'datavolume.json') });
    expect(await run.exit).toBe(1);
    expect(api.object(DVS, NS, DV_NAME)).toBeUndefined();
    expect(deletes().map((d) => d.path)).toEqual([`/apis/cdi.kubevirt.io/v1beta1/namespaces/${NS}/datavolumes/${DV_NAME}`]);
  });

  test('a DataVolume of that name owned by another pod: exit 1, no VMI', async () => {
    leftover(DVS, DV_NAME, { name: 'someone-else', uid: randomUUID() });
    const run = launch({ LAUNCHER_DATAVOLUME_TEMPLATE: join(dir, 'datavolume.json') });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`launcher: DataVolume ${NS}/${DV_NAME} already exists and is not this pod's`);
    expect(api.requestsOf('POST', 'virtualmachineinstances')).toEqual([]);
    expect(api.object(DVS, NS, DV_NAME)).toBeDefined();
  });
});

describe('the launcher: waits for the runner image (LAUNCHER_IMAGE_READY_VMI)', () => {
  const BAKE = 'ci-image-0123456789-bake';
  const bake = (phase?: string) => {
    api.put(VMIS, { ...VMI_TEMPLATE, metadata: { name: BAKE, namespace: NS } });
    if (phase) api.setStatus(VMIS, NS, BAKE, { phase });
  };

  test('an image baked already: goes straight on, and never touches the bake VMI', async () => {
    bake('Succeeded');
    const run = launch({ LAUNCHER_IMAGE_READY_VMI: BAKE });
    await created(VMIS);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(api.requests[0].url).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${BAKE}`);
    expect(run.stdout).not.toContain('waiting for the runner image');
    expect(api.object(VMIS, NS, BAKE).status.phase).toBe('Succeeded');
    expect(deletes().map((d) => d.path)).toEqual([`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`]);
  });

  test('a bake still running: waits, creating nothing, until it succeeds', async () => {
    bake('Running');
    const run = launch({ LAUNCHER_IMAGE_READY_VMI: BAKE });
    await run.untilOutput(/waiting for the runner image/);
    expect(run.stdout).toContain(`launcher: waiting for the runner image: its bake VM's VirtualMachineInstance ${NS}/${BAKE} has not succeeded (phase Running)`);
    await api.until(() => api.requestsOf('GET', BAKE).length >= 3);
    expect(api.requestsOf('POST')).toEqual([]);
    api.setStatus(VMIS, NS, BAKE, { phase: 'Succeeded' });
    await created(VMIS);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stdout).toContain(`launcher: the runner image is ready: VirtualMachineInstance ${NS}/${BAKE} succeeded`);
    expect(api.object(VMIS, NS, BAKE)).toBeDefined();
  });

  test('no bake VMI within the boot timeout: exit 1, nothing created', async () => {
    const run = launch({ LAUNCHER_IMAGE_READY_VMI: BAKE, LAUNCHER_BOOT_TIMEOUT_SECONDS: '1' });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`launcher: the runner image was not ready within 1s (LAUNCHER_BOOT_TIMEOUT_SECONDS): its bake VM's `
      + `VirtualMachineInstance ${NS}/${BAKE} has not succeeded (not created yet); see its console (virtctl console ${BAKE})`);
    expect(api.requestsOf('POST')).toEqual([]);
    expect(api.requestsOf('DELETE')).toEqual([]);
  });

  test('a bake VMI that failed: exit 1 at once, nothing created', async () => {
    bake('Failed');
    const run = launch({ LAUNCHER_IMAGE_READY_VMI: BAKE });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`launcher: the runner image is not usable: its bake VM's VirtualMachineInstance ${NS}/${BAKE} failed`);
    expect(api.requestsOf('POST')).toEqual([]);
  });
});

describe('the launcher as RunnerScaleSet renders it (its ConfigMap and runner pod)', () => {
  // The pod as Kubernetes would start it from the AutoscalingRunnerSet's template: the ConfigMap's
  // files where the container mounts them (under the test folder), the env with the downward API resolved.
  function renderedPod(sharing: ImageSharing) {
    const chart = new Chart(Testing.app(), 'scale-set', { namespace: NS });
    const image = new RunnerImage(chart, 'image', { name: 'ci-image', namespace: NS, sharing });
    new RunnerScaleSet(chart, 'runners', { url: 'https://github.com/acme', githubCredentialsSecret: 'arc-github-app', runnerImage: image });
    const objects = synth(chart);
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    const podSpec = objects.find((o) => o.kind === 'AutoscalingRunnerSet')!.spec.template.spec;
    const container = podSpec.containers.find((c: any) => c.name === 'runner');
    const root = join(dir, 'pod');
    const mounted = (path: string) => join(root, path);
    for (const mount of container.volumeMounts) {
      const volume = podSpec.volumes.find((v: any) => v.name === mount.name);
      expect(volume.configMap.name).toBe(configMap.metadata.name);
      for (const [file, content] of Object.entries<string>(configMap.data)) {
        mkdirSync(dirname(mounted(`${mount.mountPath}/${file}`)), { recursive: true });
        writeFileSync(mounted(`${mount.mountPath}/${file}`), content);
      }
    }
    const fields: Record<string, string> = { 'metadata.name': POD.name, 'metadata.namespace': NS, 'metadata.uid': POD.uid };
    const env: Record<string, string> = {};
    for (const variable of container.env) {
      const value: string = variable.valueFrom ? fields[variable.valueFrom.fieldRef.fieldPath] : variable.value;
      env[variable.name] = value.startsWith('/') ? mounted(value) : value;
    }
    expect(container.command[0]).toBe('node');
    return { image, env, script: mounted(container.command[1]) };
  }

  test.each([ImageSharing.SHARED, ImageSharing.CLONE_PER_JOB])('sharing %s: waits for the image, creates what the API admits, exits 0', async (sharing) => {
    const { image, env, script } = renderedPod(sharing);
    expect(readFileSync(script, 'utf8')).toBe(readFileSync(LAUNCHER, 'utf8'));
    api.put(VMIS, { ...VMI_TEMPLATE, metadata: { name: image.readyVmiName, namespace: NS } });
    api.setStatus(VMIS, NS, image.readyVmiName, { phase: 'Succeeded' });
    const run = new LauncherRun({ ...launcherEnv(), ...env }, script);
    runs.push(run);
    await created(VMIS);
    expect(api.requests[0].url).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${image.readyVmiName}`);
    expect(vmi().spec.hostname).toBe(POD.name);
    expect(vmi().spec.volumes.find((v: any) => v.name === 'jit')).toEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: POD.name }) }));
    if (sharing === ImageSharing.CLONE_PER_JOB) {
      expect(vmi().spec.volumes.find((v: any) => v.name === 'rootdisk')).toEqual({ name: 'rootdisk', dataVolume: { name: DV_NAME } });
      expect(api.object(DVS, NS, DV_NAME).metadata.ownerReferences[0].uid).toBe(POD.uid);
    } else {
      expect(api.object(DVS, NS, DV_NAME)).toBeUndefined();
    }
    setPhase('Running');
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(vmi()).toBeUndefined();
    expect(api.object(DVS, NS, DV_NAME)).toBeUndefined();
  });
});

describe('the launcher: bad configuration exits 2 before any request', () => {
  const write = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const withoutJit = () => ({ ...VMI_TEMPLATE, spec: { ...VMI_TEMPLATE.spec, volumes: VMI_TEMPLATE.spec.volumes.filter((v) => v.name !== 'jit') } });
  const cases: Array<[string, () => Record<string, string | undefined>, RegExp]> = [
    ['no pod name', () => ({ LAUNCHER_POD_NAME: undefined }), /LAUNCHER_POD_NAME is not set/],
    ['no pod uid', () => ({ LAUNCHER_POD_UID: '' }), /LAUNCHER_POD_UID is not set/],
    ['no namespace', () => ({ LAUNCHER_POD_NAMESPACE: undefined }), /LAUNCHER_POD_NAMESPACE is not set/],
    ['no template', () => ({ LAUNCHER_VMI_TEMPLATE: undefined }), /LAUNCHER_VMI_TEMPLATE is not set/],
    ['a pod name that is not a DNS label', () => ({ LAUNCHER_POD_NAME: 'a'.repeat(64) }), /LAUNCHER_POD_NAME must be a DNS label/],
    ['a template that is not there', () => ({ LAUNCHER_VMI_TEMPLATE: join(dir, 'missing.json') }), /LAUNCHER_VMI_TEMPLATE \S+missing\.json cannot be read: ENOENT/],
    ['a template that is not JSON', () => ({ LAUNCHER_VMI_TEMPLATE: write('bad.json', '{"apiVersion":') }), /LAUNCHER_VMI_TEMPLATE \S+bad\.json is not valid JSON/],
    ['a template of another kind', () => ({ LAUNCHER_VMI_TEMPLATE: write('vm.json', { ...VMI_TEMPLATE, kind: 'VirtualMachine' }) }),
      /LAUNCHER_VMI_TEMPLATE \S+vm\.json must hold a kubevirt.io\/v1 VirtualMachineInstance, found apiVersion 'kubevirt.io\/v1' kind 'VirtualMachine'/],
    ['a template without the jit volume', () => ({ LAUNCHER_VMI_TEMPLATE: write('nojit.json', withoutJit()) }),
      /LAUNCHER_VMI_TEMPLATE \S+nojit\.json has no volume named 'jit' of kind secret/],
    ['a DataVolume template that is not there', () => ({ LAUNCHER_DATAVOLUME_TEMPLATE: join(dir, 'nodv.json') }), /LAUNCHER_DATAVOLUME_TEMPLATE \S+nodv\.json cannot be read/],
    ['a DataVolume template of another kind', () => ({ LAUNCHER_DATAVOLUME_TEMPLATE: write('pvc.json', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: {} }) }),
      /LAUNCHER_DATAVOLUME_TEMPLATE \S+pvc\.json must hold a cdi.kubevirt.io\/v1beta1 DataVolume/],
    ['a bake VMI name that is not a DNS label', () => ({ LAUNCHER_IMAGE_READY_VMI: 'Bake_VM' }), /LAUNCHER_IMAGE_READY_VMI must name a VirtualMachineInstance \(a DNS label\), got 'Bake_VM'/],
    ['a boot timeout that is not a number', () => ({ LAUNCHER_BOOT_TIMEOUT_SECONDS: '15m' }), /LAUNCHER_BOOT_TIMEOUT_SECONDS must be a number of seconds above 0 .*got '15m'/],
    ['a job timeout of 0', () => ({ LAUNCHER_JOB_TIMEOUT_SECONDS: '0' }), /LAUNCHER_JOB_TIMEOUT_SECONDS must be a number of seconds above 0/],
    ['a job timeout past what a timer can hold', () => ({ LAUNCHER_JOB_TIMEOUT_SECONDS: '3000000' }), /LAUNCHER_JOB_TIMEOUT_SECONDS .* at most 2147483/],
    ['no API address outside a pod', () => ({ LAUNCHER_KUBE_API: undefined }), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/],
    ['an API URL with credentials', () => ({ LAUNCHER_KUBE_API: 'http://admin:hunter2@127.0.0.1:1' }), /LAUNCHER_KUBE_API must not carry credentials/],
    ['a token file that is not there', () => ({ LAUNCHER_KUBE_TOKEN_FILE: join(dir, 'no-token') }), /LAUNCHER_KUBE_TOKEN_FILE \S+no-token cannot be read: ENOENT/],
    ['an https API without its CA file', () => ({ LAUNCHER_KUBE_API: 'https://127.0.0.1:1', LAUNCHER_KUBE_CA_FILE: join(dir, 'no-ca.crt') }),
      /the API server's CA certificate \S+no-ca\.crt \(LAUNCHER_KUBE_CA_FILE\) cannot be read: ENOENT/],
  ];

  test.each(cases)('%s', async (_name, overrides, message) => {
    const run = launch(overrides());
    expect(await run.exit).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^launcher: configuration error: ${message.source}`));
    expect(run.stderr).not.toContain('hunter2');
    expect(api.requests).toEqual([]);
  });
});

describe('the fake API refuses what the real one would', () => {
  test('a misspelt field, a bad name, two controllers, a disk without a volume', () => {
    const bad = {
      ...VMI_TEMPLATE,
      metadata: {
        name: 'Not_A_Name',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'a', uid: '1', controller: true }, { apiVersion: 'v1', kind: 'Pod', name: 'b', uid: '2', controller: true }],
      },
      spec: { ...VMI_TEMPLATE.spec, hostnme: 'x', volumes: VMI_TEMPLATE.spec.volumes.slice(1) },
    };
    expect(admissionProblems(VMIS, NS, bad)).toEqual([
      "/spec: unknown field 'hostnme'",
      'metadata.name: invalid name "Not_A_Name"',
      'metadata.ownerReferences: only one reference can have controller set to true',
      'spec.domain.devices.disks: disk rootdisk has no matching volume',
    ]);
  });
});

describe('the launcher: in-cluster HTTPS (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount CA)', () => {
  const tlsTest = testIf(hasOpenssl, 'openssl (to make a test CA; apt-get install openssl)');

  tlsTest('trusts the API server through the CA file, and refuses one it does not sign', async () => {
    const pki = makePki(dir);
    await api.stop();
    api = newApi({ tls: { key: pki.serverKey, cert: pki.serverCert } });
    await api.start();
    const inCluster = { LAUNCHER_KUBE_API: undefined, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };

    const run = launch({ ...inCluster, LAUNCHER_KUBE_CA_FILE: pki.caFile });
    await created(VMIS);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);

    const untrusted = launch({ ...inCluster, LAUNCHER_KUBE_CA_FILE: pki.otherCaFile });
    expect(await untrusted.exit).toBe(1);
    expect(untrusted.stderr).toMatch(new RegExp(`^launcher: TLS: the API server at https://127\\.0\\.0\\.1:${api.port} is not trusted with the CA certificate ${pki.otherCaFile}`));
    expect(untrusted.stderr).not.toContain('retry');
  });
});

