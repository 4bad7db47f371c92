import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { arcHarness, NS, POD, VMI_REF, VMI_TEMPLATE, VMIS } from './launcher-arc-harness';
import { launcherRules } from '../../lib/render/launcher-pod';
import { freePort } from './fake-http';
import { CLUSTER_NODES } from './node-binaries';

// The ARC launcher's bundle (lib/cluster/entries/arc-launcher.ts) as the EphemeralRunner pod runs
// it: the VMI's life from creation to deletion, its watch, and the API's errors. See
// ./launcher-arc-harness.ts for the fakes and the checks after every test.

jest.setTimeout(30_000);

const h = arcHarness();

describe.each(CLUSTER_NODES.map((node) => [node.label, node.path]))('the ARC launcher under %s', (_label, node) => {
  test('success: creates the VMI for this pod, follows its phases, deletes it when the guest powers off, exits 0', async () => {
    const run = h.launch({}, {}, node);
    await h.created(VMIS);
    const object = h.vmi();
    expect(object.metadata).toMatchObject({
      name: POD.name,
      namespace: NS,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: POD.name, uid: POD.uid, controller: true, blockOwnerDeletion: true }],
      labels: { 'app.kubernetes.io/name': 'actions-runner', 'cdk8s-kubevirt-runners/scale-set': 'arc-runners', 'cdk8s-kubevirt-runners/runner': POD.name },
    });
    expect(object.spec.hostname).toBe(POD.name);
    expect(object.spec.volumes).toEqual([VMI_TEMPLATE.spec.volumes[0], VMI_TEMPLATE.spec.volumes[1], { name: 'jit', secret: { secretName: POD.name } }]);
    expect(object.spec.domain).toEqual(VMI_TEMPLATE.spec.domain);
    expect(h.api.requestsOf('POST')[0].url).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`);

    for (const phase of ['Pending', 'Scheduling', 'Scheduled', 'Running']) h.setPhase(phase);
    await run.untilOutput(/phase Running after/);
    h.api.bookmark();
    h.setPhase('Succeeded');

    expect(await run.exit).toBe(0);
    expect(h.vmi()).toBeUndefined();
    expect(h.deletes()).toEqual([{
      path: `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`,
      options: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid: object.metadata.uid } },
    }]);
    expect(run.stdout.split('\n').map((l) => l.replace(/after [\d.]+s/, 'after Ns'))).toEqual([
      `arc-launcher: created ${VMI_REF}`,
      `arc-launcher: ${VMI_REF} phase Pending`,
      `arc-launcher: ${VMI_REF} phase Scheduling`,
      `arc-launcher: ${VMI_REF} phase Scheduled`,
      `arc-launcher: ${VMI_REF} phase Running after Ns`,
      `arc-launcher: ${VMI_REF} phase Succeeded`,
      `arc-launcher: ${VMI_REF} succeeded: the guest powered off after its job`,
      `arc-launcher: deleting ${VMI_REF}`,
      `arc-launcher: deleted ${VMI_REF}`,
      '',
    ]);
    expect(run.stderr).toBe('');
    // Per job: create, one watch, delete; and three Events (VmiCreated, VmiRunning, JobFinished), none waited for.
    expect(h.api.requests.map((r) => `${r.method} ${r.url.includes('watch=1') ? 'watch' : r.url.split('?')[0].split('/').at(-1)}`).filter((r) => r !== 'POST events'))
      .toEqual(['POST virtualmachineinstances', 'GET watch', `DELETE ${POD.name}`]);
    expect(h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body).reason)).toEqual(['VmiCreated', 'VmiRunning', 'JobFinished']);
  });

  test('SIGTERM while Running: deletes the VMI (background propagation), exits 143', async () => {
    const run = h.launch({}, {}, node);
    await h.created(VMIS);
    h.setPhase('Running');
    await run.untilOutput(/phase Running after/);
    run.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(run.stdout).toContain('arc-launcher: received SIGTERM: deleting what this pod created');
    expect(run.stderr).toBe('arc-launcher: stopped by SIGTERM\n');
    expect(h.vmi()).toBeUndefined();
    expect(h.deletes()).toEqual([expect.objectContaining({ options: expect.objectContaining({ propagationPolicy: 'Background' }) })]);
  });
});

describe('the ARC launcher: one VirtualMachineInstance per EphemeralRunner pod', () => {
  test('the watch is the one of the contract, from the created VMI\'s resourceVersion, with the token of the token file', async () => {
    const run = h.launch();
    await h.created(VMIS);
    const createdVersion = h.vmi().metadata.resourceVersion;
    await h.api.until(() => h.api.openWatches === 1);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    const [watch] = h.api.requestsOf('GET', 'watch=');
    const url = new URL(watch.url, 'http://x');
    expect(url.pathname).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      fieldSelector: `metadata.name=${POD.name}`, watch: '1', resourceVersion: createdVersion, allowWatchBookmarks: 'true', timeoutSeconds: '300',
    });
    expect(new Set(h.api.requests.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${h.token}`]));
  });

  test('Failed: logs the reason from the status, deletes the VMI, exits 1', async () => {
    const run = h.launch();
    await h.created(VMIS);
    h.setPhase('Running');
    h.setPhase('Failed', {
      reason: 'NodeUnresponsive',
      conditions: [{ type: 'Ready', status: 'False', reason: 'GuestNotRunning', message: 'Guest VM is not reported as running' }],
    });
    expect(await run.exit).toBe(1);
    expect(run.stdout).toContain(`${VMI_REF} phase Failed`);
    expect(run.stderr).toBe(`arc-launcher: ${VMI_REF} failed: reason NodeUnresponsive; `
      + 'condition Ready=False (GuestNotRunning): Guest VM is not reported as running\n');
    expect(h.vmi()).toBeUndefined();
  });

  test('boot timeout: a VMI that never reaches Running is deleted, exit 1', async () => {
    const run = h.launch({ bootTimeoutSeconds: 1 });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`arc-launcher: ${VMI_REF} did not reach phase Running within 1s (bootTimeoutSeconds); last phase: none yet`);
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(1);
    expect(h.vmi()).toBeUndefined();
    expect(h.deletes()).toHaveLength(1);
  });

  test('job timeout: a VMI still Running after the job timeout is deleted, exit 1', async () => {
    const run = h.launch({ jobTimeoutSeconds: 1 });
    await h.created(VMIS);
    h.setPhase('Running');
    expect(await run.exit).toBe(1);
    expect(run.stdout).toContain('phase Running after');
    expect(run.stderr).toContain(`arc-launcher: ${VMI_REF} was still running 1s after it reached phase Running (jobTimeoutSeconds)`);
    expect(h.vmi()).toBeUndefined();
  });

  test('the VMI deleted by someone else: exit 1 with a message', async () => {
    const run = await h.launchRunning();
    h.api.remove(VMIS, NS, POD.name);
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`arc-launcher: ${VMI_REF} was deleted by someone else before its job ended`);
  });

  test('the VMI deleted gracefully by someone else mid-job (KubeVirt marks it Succeeded as it shuts the guest down): not a job done, exit 1', async () => {
    const run = await h.launchRunning();
    h.api.beginDeletion(VMIS, NS, POD.name);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^arc-launcher: ${VMI_REF} was deleted by someone else \\(deletionTimestamp \\S+, phase Running\\) before its job ended: KubeVirt shuts its guest down\\n$`));
    expect(run.stdout).not.toContain('the guest powered off after its job');
  });

  test('a deletion seen only with the phase Succeeded (the watch was down meanwhile) is still a deletion, exit 1', async () => {
    const run = await h.launchRunning();
    await h.api.until(() => h.api.openWatches === 1);
    h.api.dropWatches();
    h.api.beginDeletion(VMIS, NS, POD.name);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`${VMI_REF} was deleted by someone else (deletionTimestamp `);
    expect(run.stdout).not.toContain('the guest powered off after its job');
  });

  test('a watch that breaks is resumed: a phase change missed meanwhile is still seen', async () => {
    const run = await h.launchRunning();
    await h.api.until(() => h.api.openWatches === 1);
    // Broken mid-stream, and the guest finishes while the launcher is not watching.
    h.api.dropWatches();
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`watch of ${VMI_REF}: the watch broke \\(.+\\); resuming`));
    expect(h.vmi()).toBeUndefined();
  });
});

describe('the ARC launcher: watches that end, break and expire', () => {
  test('dropped mid-job, ended, 410 Gone as an event and as a status: resumed each time, still exits 0 on Succeeded', async () => {
    const run = await h.launchRunning();
    const resumed = async (opened: number) => h.api.until(() => h.api.watchesOpened >= opened && h.api.openWatches === 1);
    await resumed(1);

    h.api.dropWatches();
    await resumed(2);
    h.api.expireNextWatch();
    h.api.endWatches();
    await resumed(4);
    h.api.inject('GET', VMIS, { status: 410, message: 'too old resource version: 1 (2000)', reason: 'Expired' }, { watch: true });
    h.api.endWatches();
    await resumed(5);
    h.setPhase('Succeeded');

    expect(await run.exit).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`watch of ${VMI_REF}: the watch broke`));
    expect(run.stdout).toContain(`watch of ${VMI_REF}: expired (ERROR 410 Expired); listing again`);
    expect(run.stdout).toContain(`watch of ${VMI_REF}: expired (Expired); listing again`);
    // After each expiry the launcher lists, and watches from the list's resourceVersion.
    const versions: string[] = [];
    let listed = 0;
    for (const request of h.api.requestsOf('GET')) {
      const url = new URL(request.url, 'http://x');
      if (url.searchParams.get('watch') !== '1') versions.push(`list ${h.api.listedVersions[listed++]}`);
      else if (versions.at(-1)?.startsWith('list ')) versions.push(`watch ${url.searchParams.get('resourceVersion')}`);
    }
    expect(listed).toBe(2);
    expect(versions).toEqual(h.api.listedVersions.flatMap((v) => [`list ${v}`, `watch ${v}`]));
    expect(run.stdout.match(/phase Running/g)).toHaveLength(1);
  });

  test('the ServiceAccount token is read again for every request (projected tokens rotate)', async () => {
    const run = h.launch();
    await h.created(VMIS);
    h.setPhase('Running');
    await h.api.until(() => h.api.openWatches === 1);
    const rotated = `token-${randomUUID()}`;
    writeFileSync(h.tokenFile, rotated);
    h.api.token = rotated;
    h.api.endWatches();
    await h.api.until(() => h.api.watchesOpened === 2 && h.api.openWatches === 1);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(h.api.requests.at(-1)!.headers.authorization).toBe(`Bearer ${rotated}`);
    expect(run.stdout).not.toContain(rotated);
  });
});

describe('the ARC launcher: API errors', () => {
  test('500 and 429 on create are retried with backoff, then it goes on', async () => {
    h.api.inject('POST', VMIS, { status: 500, message: 'etcdserver: leader changed' });
    h.api.inject('POST', VMIS, { status: 429, message: 'too many requests, please try again later', retryAfter: '1' });
    const run = h.launch();
    await h.created(VMIS);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(3);
    expect(run.stderr).toMatch(/^arc-launcher: create VirtualMachineInstance ci\/\S+: HTTP 500 InternalError: etcdserver: leader changed; retry 1 of 5 in [\d.]+s$/m);
    expect(run.stderr).toMatch(/^arc-launcher: create VirtualMachineInstance ci\/\S+: HTTP 429 TooManyRequests: too many requests, please try again later; retry 2 of 5 in [\d.]+s \(Retry-After 1\.0s\)$/m);
  });

  test('a Retry-After past the boot timeout: exit 1 at once with a message that names both, not a silent wait until the timeout', async () => {
    h.api.inject('POST', VMIS, { status: 429, message: 'the server has received too many requests and has asked us to try again later', retryAfter: '3600' });
    const started = Date.now();
    const run = h.launch({ bootTimeoutSeconds: 900 });
    expect(await run.exit).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const message = new RegExp(`cannot create VirtualMachineInstance ci/${POD.name}: HTTP 429 TooManyRequests: the server has received too many requests and has asked us to try again later; `
      + 'the server asks to wait 3600s before the next attempt \\(Retry-After\\), after the boot timeout \\(bootTimeoutSeconds 900\\) fires in (8\\d\\d|900)s: giving up now rather than at the timeout');
    expect(run.stderr).toMatch(message);
    const failed = h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body)).filter((e) => e.reason === 'JobFailed');
    expect(failed.map((e) => e.involvedObject.kind)).toEqual(['Pod']);
    expect(failed[0].message).toMatch(message);
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(1);
    expect(h.vmi()).toBeUndefined();
  });

  test('a connection reset and a 503 on the watch are retried', async () => {
    h.api.inject('POST', VMIS, { reset: true });
    h.api.inject('GET', VMIS, { status: 503, message: 'the server is currently unable to handle the request' }, { watch: true });
    const run = h.launch();
    await h.created(VMIS);
    await h.api.until(() => h.api.openWatches === 1);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/create VirtualMachineInstance \S+: socket hang up \(ECONNRESET\); retry 1 of 5/);
    expect(run.stderr).toMatch(/watch virtualmachineinstances in namespace ci: HTTP 503 ServiceUnavailable: the server is currently unable to handle the request; retry 1 in/);
  });

  test('an answer that never comes times out; the retried create finds the VMI it made and adopts it', async () => {
    h.api.inject('POST', VMIS, { lostAnswer: true });
    const run = h.launch({ requestTimeoutMs: 300 });
    await run.untilOutput(/adopted/);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/create VirtualMachineInstance \S+: no complete answer within 0.3s; retry 1 of 5/);
    expect(run.stdout).toContain(`arc-launcher: adopted ${VMI_REF}: this pod created it (an earlier attempt whose answer was lost, or before its container restarted)\n`);
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(2);
    expect(h.vmi()).toBeUndefined();
    // The Event says so too: an admin reading `kubectl get events` sees why there was one POST too many.
    const created = h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body)).find((e) => e.reason === 'VmiCreated');
    expect(created.message).toMatch(new RegExp(`^VirtualMachineInstance ${POD.name} is this job's VM, [\\d.]+s after the launcher started; adopted: this pod created it `
      + '\\(an earlier attempt whose answer was lost, or before its container restarted\\); it boots the runner image baked-image$'));
  });

  test('an API server that is not up yet (connection refused) is retried until it is', async () => {
    const port = await freePort();
    const run = h.launch({ kubernetes: { apiUrl: `http://127.0.0.1:${port}`, tokenFile: h.tokenFile }, retryBaseDelayMs: 50 });
    await run.untilOutput(/ECONNREFUSED.*retry 1 of 5/);
    await h.api.stop();
    h.api = h.newApi();
    await h.api.start(port);
    await h.created(VMIS);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/^arc-launcher: create VirtualMachineInstance ci\/\S+: connect ECONNREFUSED 127\.0\.0\.1:\d+; retry 1 of 5/m);
  });

  test('while the VM runs, an API server that stays unavailable is retried past the attempts of one call: the job is not cut short', async () => {
    const run = h.launch();
    await h.created(VMIS);
    h.setPhase('Running');
    await h.api.until(() => h.api.openWatches === 1);
    h.api.inject('GET', VMIS, { status: 503, message: 'apiserver is shutting down' }, { times: 10, watch: true });
    h.api.inject('GET', VMIS, { reset: true }, { times: 2, watch: true });
    h.api.endWatches();
    await run.untilOutput(/watch virtualmachineinstances in namespace ci: HTTP 503 ServiceUnavailable: apiserver is shutting down; retry 10 in/);
    await h.api.until(() => h.api.watchesOpened === 2 && h.api.openWatches === 1);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(/watch virtualmachineinstances in namespace ci: socket hang up \(ECONNRESET\); retry 12 in/);
    expect(h.vmi()).toBeUndefined();
  });

  test('transient errors on create that do not stop: gives up after 6 attempts, exit 1', async () => {
    h.api.inject('POST', VMIS, { status: 503, message: 'etcd is down' }, { times: 100 });
    const run = h.launch();
    expect(await run.exit).toBe(1);
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(6);
    expect(run.stderr).toContain(`arc-launcher: cannot create ${VMI_REF}: HTTP 503 ServiceUnavailable: etcd is down; gave up after 6 attempts`);
  });

  test('403 on create: fatal at once, the hint names what the authorizer refused', async () => {
    await h.api.stop();
    h.api = h.newApi({ role: { namespace: NS, serviceAccount: 'arc-runners-launcher', rules: [{ apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] }] }, contract: launcherRules(true) });
    await h.api.start();
    const run = h.launch();
    expect(await run.exit).toBe(1);
    const message = `virtualmachineinstances.kubevirt.io is forbidden: User "system:serviceaccount:${NS}:arc-runners-launcher" cannot create resource "virtualmachineinstances" in API group "kubevirt.io" in the namespace "${NS}"`;
    expect(run.stderr).toBe(`arc-launcher: cannot create ${VMI_REF}: HTTP 403 Forbidden: ${message}. `
      + `The pod's ServiceAccount may not create virtualmachineinstances in API group kubevirt.io: its Role needs that verb on that resource in namespace ${NS}\n`);
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(1);
    expect(h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'JobFailed', involvedObject: expect.objectContaining({ kind: 'Pod' }), message: expect.stringContaining('its Role needs that verb') }),
    ]);
    expect(h.api.requestsOf('DELETE')).toEqual([]);
  });

  test('a wrong token (401) is fatal and says so, without the token', async () => {
    h.api.token = 'another-token';
    const run = h.launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain("HTTP 401 Unauthorized: Unauthorized. The API server does not accept the pod's ServiceAccount token");
  });
});
