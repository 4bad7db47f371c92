import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage } from '../../lib';
import { RUNNER_EXIT_LINE } from '../../lib/cluster/contract';
import { clusterBundle } from '../../lib/render/cluster-bundle';
import { launcherRules } from '../../lib/render/launcher-pod';
import { RunnerScaleSet } from '../../lib/runner-scale-set';
import { synth, testIf } from '../util';
import { admissionProblems } from './fake-kube';
import { hasOpenssl, makePki } from './fake-tls';
import { arcHarness, DV_NAME, DVS, NS, POD, VMI_REF, VMI_TEMPLATE, VMIS } from './launcher-arc-harness';
import { LauncherRun } from './launcher-run';

// The ARC launcher's bundle with what it meets besides its own VMI: objects of the same name, clone
// mode's DataVolume, the runner image's bake VMI, RunnerScaleSet's rendered pod and ConfigMap, a bad
// configuration, an https API server, OpenShift's admission. See ./launcher-arc-harness.ts.

jest.setTimeout(30_000);

const h = arcHarness();

describe('the ARC launcher: an object of the same name already exists', () => {
  test('created by this pod before its container restarted: adopted and followed to the end', async () => {
    const existing = h.leftover(VMIS, POD.name, POD);
    h.api.setStatus(VMIS, NS, POD.name, { phase: 'Running' });
    const run = h.launch();
    await run.untilOutput(/phase Running after/);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stdout).toContain(`arc-launcher: adopted ${VMI_REF}`);
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(1);
    expect(h.deletes()).toEqual([expect.objectContaining({ options: expect.objectContaining({ preconditions: { uid: existing.metadata.uid } }) })]);
  });

  test('owned by another pod: not adopted, not deleted, exit 1', async () => {
    const other = { name: 'someone-else', uid: randomUUID() };
    h.leftover(VMIS, POD.name, other);
    const run = h.launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`arc-launcher: ${VMI_REF} already exists and is not this pod's `
      + `(owned by Pod someone-else (uid ${other.uid}); this pod's uid is ${POD.uid}): refusing to adopt it`);
    expect(h.vmi()).toBeDefined();
    expect(h.api.requestsOf('DELETE')).toEqual([]);
  });

  test("left by an earlier pod of this runner (ARC's retry: same name, new uid): waits until Kubernetes deletes it, then creates its own", async () => {
    const earlier = { name: POD.name, uid: randomUUID() };
    h.leftover(VMIS, POD.name, earlier, { deletionTimestamp: new Date().toISOString() });
    const run = h.launch();
    await run.untilOutput(/waiting for VirtualMachineInstance/);
    expect(run.stdout).toContain(`it was created by an earlier pod of this runner (owned by Pod ${POD.name} (uid ${earlier.uid}))`);
    h.api.remove(VMIS, NS, POD.name);
    await h.created(VMIS);
    expect(h.vmi().metadata.ownerReferences[0].uid).toBe(POD.uid);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(h.api.requestsOf('DELETE')).toHaveLength(1);
  });
});

describe('the ARC launcher: clone mode (dataVolumeTemplateFile)', () => {
  const clone = () => ({ dataVolumeTemplateFile: join(h.dir, 'datavolume.json') });

  test('creates the root DataVolume owned by the pod, the VMI boots from it, both are deleted', async () => {
    const run = h.launch(clone());
    await h.created(VMIS);
    const dv = h.api.object(DVS, NS, DV_NAME);
    expect(dv.metadata).toMatchObject({
      name: DV_NAME,
      namespace: NS,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: POD.name, uid: POD.uid, controller: true, blockOwnerDeletion: true }],
      labels: { 'app.kubernetes.io/name': 'actions-runner', 'cdk8s-kubevirt-runners/runner': POD.name },
    });
    expect(h.vmi().spec.volumes[0]).toEqual({ name: 'rootdisk', dataVolume: { name: DV_NAME } });
    expect(h.vmi().spec.volumes.slice(1)).toEqual([VMI_TEMPLATE.spec.volumes[1], { name: 'jit', secret: { secretName: POD.name } }]);
    expect(h.api.requestsOf('POST').map((r) => r.url).sort()).toEqual([
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${NS}/datavolumes`,
      `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`,
    ]);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(h.deletes().map((d) => d.path)).toEqual([
      `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`,
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${NS}/datavolumes/${DV_NAME}`,
    ]);
    expect(h.api.object(DVS, NS, DV_NAME)).toBeUndefined();
    expect(h.vmi()).toBeUndefined();
  });

  test('SIGINT while the clone runs: VMI and DataVolume deleted, exit 130', async () => {
    const run = h.launch(clone());
    await h.created(VMIS);
    h.setPhase('Pending');
    await run.untilOutput(/phase Pending/);
    run.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(h.vmi()).toBeUndefined();
    expect(h.api.object(DVS, NS, DV_NAME)).toBeUndefined();
  });

  test('the DataVolume and the VMI are posted at once: the VMI does not wait for the DataVolume\'s answer', async () => {
    // KubeVirt takes a VMI whose DataVolume is not there yet and starts it once the clone is populated.
    h.api.inject('POST', DVS, { delayMs: 600 });
    const run = h.launch(clone());
    await h.created(VMIS);
    await h.api.until(() => h.api.object(DVS, NS, DV_NAME) !== undefined);
    const post = (plural: string) => h.api.exchanges.find((e) => e.request.method === 'POST' && e.request.url.endsWith(`/${plural}`))!;
    await h.api.until(() => post(DVS).answeredAt !== undefined);
    expect(post(VMIS).receivedAt).toBeLessThan(post(DVS).receivedAt + 300);
    expect(post(VMIS).answeredAt).toBeLessThan(post(DVS).answeredAt!);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(h.api.object(DVS, NS, DV_NAME)).toBeUndefined();
  });

  test('a DataVolume refused (CDI\'s clone authorization: 403): the VMI posted beside it is deleted, exit 1', async () => {
    h.api.inject('POST', DVS, { status: 403, message: 'insufficient permissions in clone source namespace' });
    const run = h.launch(clone());
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain('insufficient permissions in clone source namespace');
    expect(h.api.requestsOf('POST', VMIS)).toHaveLength(1);
    expect(h.deletes().map((d) => d.path)).toEqual([`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`]);
    expect(h.vmi()).toBeUndefined();
  });

  test('a 403 on the VMI: the DataVolume posted beside it is deleted, exit 1', async () => {
    h.api.inject('POST', VMIS, { status: 403, message: 'forbidden' });
    const run = h.launch(clone());
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain('HTTP 403 Forbidden: forbidden. The API server refused the pod\'s ServiceAccount: see its message');
    expect(h.api.object(DVS, NS, DV_NAME)).toBeUndefined();
    expect(h.deletes().map((d) => d.path)).toEqual([`/apis/cdi.kubevirt.io/v1beta1/namespaces/${NS}/datavolumes/${DV_NAME}`]);
  });

  test('a DataVolume of that name owned by another pod: exit 1, the VMI posted beside it deleted, the DataVolume left alone', async () => {
    h.leftover(DVS, DV_NAME, { name: 'someone-else', uid: randomUUID() });
    const run = h.launch(clone());
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`arc-launcher: DataVolume ${NS}/${DV_NAME} already exists and is not this pod's`);
    expect(h.deletes().map((d) => d.path)).toEqual([`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`]);
    expect(h.vmi()).toBeUndefined();
    expect(h.api.object(DVS, NS, DV_NAME)).toBeDefined();
  });
});

describe('the ARC launcher: OwnerReferencesPermissionEnforcement (OpenShift)', () => {
  test('with the synthesized Role (update on pods/finalizers), the pod-owned VMI and DataVolume are admitted, exit 0', async () => {
    await h.api.stop();
    h.api = h.newApi({ ownerReferencesPermissionEnforcement: true });
    await h.api.start();
    const run = h.launch({ dataVolumeTemplateFile: join(h.dir, 'datavolume.json') });
    await h.created(VMIS);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
  });

  test('a Role without it: refused at the first create, and the hint names the missing rule, not the verb the Role has', async () => {
    await h.api.stop();
    const rules = launcherRules(false).filter((r) => !r.resources.includes('pods/finalizers'));
    h.api = h.newApi({ ownerReferencesPermissionEnforcement: true, role: { namespace: NS, serviceAccount: 'arc-launcher', rules } });
    await h.api.start();
    const run = h.launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain('cannot set blockOwnerDeletion if an ownerReference refers to a resource you can\'t set finalizers on');
    expect(run.stderr).toContain('requires the verb update on pods/finalizers to set blockOwnerDeletion on an object owned by the pod: the launcher\'s Role needs that rule');
    expect(run.stderr).not.toContain('may not create');
  });
});

describe('the ARC launcher: waits for the runner image (imageReadyVmi)', () => {
  const BAKE = 'ci-image-0123456789-bake';
  const bake = (phase?: string) => {
    h.api.put(VMIS, { ...VMI_TEMPLATE, metadata: { name: BAKE, namespace: NS } });
    if (phase) h.api.setStatus(VMIS, NS, BAKE, { phase });
    return h.api.object(VMIS, NS, BAKE);
  };

  test('an image baked already: goes straight on, and never touches the bake VMI', async () => {
    bake('Succeeded');
    const run = h.launch({ imageReadyVmi: BAKE });
    await h.created(VMIS);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(h.api.requests[0].url).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${BAKE}`);
    expect(run.stdout).not.toContain('waiting for the runner image');
    expect(h.api.object(VMIS, NS, BAKE).status.phase).toBe('Succeeded');
    expect(h.deletes().map((d) => d.path)).toEqual([`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${POD.name}`]);
  });

  const bakeRequests = () => h.api.requests.filter((r) => r.url.includes(BAKE)).map((r) => `${r.method} ${decodeURIComponent(r.url).replace(/resourceVersion=\d+/, 'resourceVersion=N')}`);
  const bakeWatch = `GET /apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances?fieldSelector=metadata.name=${BAKE}&watch=1&resourceVersion=N&allowWatchBookmarks=true&timeoutSeconds=300`;

  test('a bake still running: one read and one watch from its resourceVersion, creating nothing, until it succeeds', async () => {
    const running = bake('Running');
    const run = h.launch({ imageReadyVmi: BAKE });
    await run.untilOutput(/waiting for the runner image/);
    expect(run.stdout).toContain(`arc-launcher: waiting for the runner image: its bake VM's VirtualMachineInstance ${NS}/${BAKE} has not succeeded (phase Running)`);
    await h.api.until(() => h.api.openWatches === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // No polling: the GET, then the watch from the resourceVersion it read.
    expect(bakeRequests()).toEqual([`GET /apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${BAKE}`, bakeWatch]);
    expect(h.api.requests.at(-1)!.url).toContain(`resourceVersion=${running.metadata.resourceVersion}&`);
    expect(h.api.requestsOf('POST')).toEqual([]);
    h.api.setStatus(VMIS, NS, BAKE, { phase: 'Succeeded' });
    await h.created(VMIS);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stdout).toContain(`arc-launcher: the runner image is ready: VirtualMachineInstance ${NS}/${BAKE} succeeded`);
    expect(h.api.object(VMIS, NS, BAKE)).toBeDefined();
  });

  test('the bake\'s watch resumes after the server ends it, lists again after 410 Gone, and follows the bake VMI deleted and made again', async () => {
    bake('Running');
    const run = h.launch({ imageReadyVmi: BAKE });
    await h.api.until(() => h.api.openWatches === 1);
    // The server's timeout: resumed from the same resourceVersion, without a line.
    h.api.endWatches();
    await h.api.until(() => h.api.openWatches === 1 && bakeRequests().length === 3);
    h.api.expireNextWatch();
    h.api.endWatches();
    await run.untilOutput(/expired \(ERROR 410 Expired\); listing again/);
    await h.api.until(() => h.api.openWatches === 1);
    h.api.remove(VMIS, NS, BAKE);
    await run.untilOutput(/has not succeeded \(not created yet\)/);
    bake('Scheduling');
    await run.untilOutput(/has not succeeded \(phase Scheduling\)/);
    expect(h.api.requestsOf('POST', VMIS)).toEqual([]);
    h.api.setStatus(VMIS, NS, BAKE, { phase: 'Succeeded' });
    await h.created(VMIS);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(bakeRequests()).toEqual([
      `GET /apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${BAKE}`, bakeWatch, bakeWatch, bakeWatch,
      `GET /apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances?fieldSelector=metadata.name=${BAKE}`, bakeWatch,
    ]);
  });

  test('a bake that fails while the launcher watches it: exit 1 at once, ImageNotReady on the bake VMI', async () => {
    const running = bake('Running');
    const run = h.launch({ imageReadyVmi: BAKE });
    await h.api.until(() => h.api.openWatches === 1);
    h.api.setStatus(VMIS, NS, BAKE, { phase: 'Failed', reason: 'PodFailed' });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`arc-launcher: the runner image is not usable: its bake VM's VirtualMachineInstance ${NS}/${BAKE} failed (reason PodFailed); bake it again`);
    expect(h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body)).map((e) => [e.reason, e.involvedObject.name, e.involvedObject.uid]))
      .toEqual([['ImageNotReady', POD.name, POD.uid], ['ImageNotReady', BAKE, running.metadata.uid]]);
    expect(h.api.requestsOf('POST', VMIS)).toEqual([]);
  });

  test('no bake VMI within the boot timeout: exit 1, nothing created', async () => {
    const run = h.launch({ imageReadyVmi: BAKE, bootTimeoutSeconds: 1 });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`arc-launcher: the runner image was not ready within 1s (bootTimeoutSeconds): its bake VM's `
      + `VirtualMachineInstance ${NS}/${BAKE} has not succeeded (not created yet); see its console (virtctl console ${BAKE})`);
    expect(h.api.requestsOf('POST', VMIS)).toEqual([]);
    // No bake VMI to read a resourceVersion from: a list, then the watch from the list's.
    expect(bakeRequests()).toEqual([
      `GET /apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${BAKE}`,
      `GET /apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances?fieldSelector=metadata.name=${BAKE}`, bakeWatch,
    ]);
    // ImageNotReady on the pod and on the bake VMI, not created yet: no uid.
    expect(h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body)).map((e) => [e.type, e.reason, e.involvedObject])).toEqual([
      ['Warning', 'ImageNotReady', { apiVersion: 'v1', kind: 'Pod', namespace: NS, name: POD.name, uid: POD.uid }],
      ['Warning', 'ImageNotReady', { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', namespace: NS, name: BAKE }],
    ]);
    expect(h.api.requestsOf('DELETE')).toEqual([]);
  });

  test('a bake VMI that failed: exit 1 at once, nothing created', async () => {
    bake('Failed');
    const run = h.launch({ imageReadyVmi: BAKE });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`arc-launcher: the runner image is not usable: its bake VM's VirtualMachineInstance ${NS}/${BAKE} failed`);
    expect(h.api.requestsOf('POST', VMIS)).toEqual([]);
    const events = h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body));
    expect(events.map((e) => [e.reason, e.involvedObject.kind, e.involvedObject.name, e.involvedObject.uid])).toEqual([
      ['ImageNotReady', 'Pod', POD.name, POD.uid], ['ImageNotReady', 'VirtualMachineInstance', BAKE, h.api.object(VMIS, NS, BAKE).metadata.uid],
    ]);
    expect(events[0].message).toContain('bake it again');
  });
});

describe('the ARC launcher as RunnerScaleSet renders it (its ConfigMap and runner pod)', () => {
  // The pod as Kubernetes would start it from the AutoscalingRunnerSet's template: the ConfigMap's
  // files where the container mounts them (under the test folder; the config's paths moved there),
  // the env with the downward API resolved; the fake API and small delays added to the config.
  function renderedPod(sharing: ImageSharing) {
    const chart = new Chart(Testing.app(), 'scale-set', { namespace: NS });
    const image = new RunnerImage(chart, 'image', { name: 'ci-image', namespace: NS, sharing });
    new RunnerScaleSet(chart, 'runners', { url: 'https://github.com/acme', githubCredentialsSecret: 'arc-github-app', runnerImage: image });
    const objects = synth(chart);
    const podSpec = objects.find((o) => o.kind === 'AutoscalingRunnerSet')!.spec.template.spec;
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === podSpec.volumes[0].configMap.name)!;
    const container = podSpec.containers.find((c: any) => c.name === 'runner');
    const mounted = (path: string) => join(h.dir, 'pod', path);
    for (const mount of container.volumeMounts) {
      const volume = podSpec.volumes.find((v: any) => v.name === mount.name);
      expect(volume.configMap.name).toBe(configMap.metadata.name);
      for (const [file, content] of Object.entries<string>(configMap.data)) {
        mkdirSync(dirname(mounted(`${mount.mountPath}/${file}`)), { recursive: true });
        writeFileSync(mounted(`${mount.mountPath}/${file}`), content);
      }
    }
    const fields: Record<string, string> = { 'metadata.name': POD.name, 'metadata.namespace': NS, 'metadata.uid': POD.uid };
    const env = Object.fromEntries(container.env.map((v: any) => [v.name, fields[v.valueFrom.fieldRef.fieldPath]]));
    expect(container.command).toEqual(['node', '/etc/arc-launcher/arc-launcher.js', '/etc/arc-launcher/config.json']);
    const config = JSON.parse(readFileSync(mounted(container.command[2]), 'utf8'));
    const moved = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === 'string' && v.startsWith('/') ? mounted(v) : v]));
    writeFileSync(mounted(container.command[2]), JSON.stringify({ ...moved, kubernetes: { apiUrl: h.api.url, tokenFile: h.tokenFile }, retryBaseDelayMs: 5 }));
    return { image, env, config, script: mounted(container.command[1]), configFile: mounted(container.command[2]) };
  }

  test.each([ImageSharing.SHARED, ImageSharing.CLONE_PER_JOB])('sharing %s: waits for the image, creates what the API admits, exits 0', async (sharing) => {
    // The launcher's rights as the Role renders them: the pointer (absent until the first refresh) by name.
    await h.api.stop();
    h.api = h.newApi({ role: { namespace: NS, serviceAccount: 'arc-launcher', rules: launcherRules(true, 'ci-image-current') } });
    await h.api.start();
    const { image, env, config, script, configFile } = renderedPod(sharing);
    expect(readFileSync(script, 'utf8')).toBe(clusterBundle('arc-launcher'));
    expect(config).toEqual({
      vmiTemplateFile: '/etc/arc-launcher/vmi.json',
      ...(sharing === ImageSharing.CLONE_PER_JOB ? { dataVolumeTemplateFile: '/etc/arc-launcher/datavolume.json' } : {}),
      imageReadyVmi: image.readyVmiName, bootTimeoutSeconds: 900, jobTimeoutSeconds: 86400, readRunnerExit: true,
      imagePointer: { configMap: 'ci-image-current', source: image.hash },
    });
    h.api.put(VMIS, { ...VMI_TEMPLATE, metadata: { name: image.readyVmiName, namespace: NS } });
    h.api.setStatus(VMIS, NS, image.readyVmiName, { phase: 'Succeeded' });
    const run = new LauncherRun(script, configFile, h.env(env));
    h.runs.push(run);
    await h.created(VMIS);
    expect(h.api.requests[0].url).toBe(`/api/v1/namespaces/${NS}/configmaps/ci-image-current`);
    expect(h.api.requests[1].url).toBe(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${image.readyVmiName}`);
    expect(h.vmi().spec.hostname).toBe(POD.name);
    expect(h.vmi().spec.domain.devices.logSerialConsole).toBe(true);
    expect(h.vmi().spec.volumes.find((v: any) => v.name === 'jit')).toEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: POD.name }) }));
    // KubeVirt's virt-launcher pod, whose guest-console-log container the synthesized Role may read.
    const launcherPod = `virt-launcher-${POD.name}-abcde`;
    h.api.put('pods', {
      metadata: { name: launcherPod, namespace: NS, labels: { 'kubevirt.io/created-by': h.vmi().metadata.uid } },
      spec: { initContainers: [{ name: 'guest-console-log', image: 'virt-launcher' }], containers: [{ name: 'compute', image: 'virt-launcher' }] },
    });
    h.api.setContainerLog(NS, launcherPod, 'guest-console-log', `actions-runner-jit: starting\n${RUNNER_EXIT_LINE}0\nreboot: Power down\n`);
    if (sharing === ImageSharing.CLONE_PER_JOB) {
      expect(h.vmi().spec.volumes.find((v: any) => v.name === 'rootdisk')).toEqual({ name: 'rootdisk', dataVolume: { name: DV_NAME } });
      expect(h.api.object(DVS, NS, DV_NAME).metadata.ownerReferences[0].uid).toBe(POD.uid);
    } else {
      expect(h.api.object(DVS, NS, DV_NAME)).toBeUndefined();
    }
    h.setPhase('Running');
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stdout).toContain('arc-launcher: the runner exited 0');
    expect(run.stderr).toBe('');
    expect(h.vmi()).toBeUndefined();
    expect(h.api.object(DVS, NS, DV_NAME)).toBeUndefined();
  });
});

describe('the ARC launcher: bad configuration exits 2 before any request', () => {
  const write = (name: string, content: unknown) => {
    const file = join(h.dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const withoutJit = () => ({ ...VMI_TEMPLATE, spec: { ...VMI_TEMPLATE.spec, volumes: VMI_TEMPLATE.spec.volumes.filter((v) => v.name !== 'jit') } });
  type Case = [string, () => { config?: Record<string, unknown>; env?: Record<string, string | undefined> }, RegExp];
  const cases: Case[] = [
    ['no pod name', () => ({ env: { POD_NAME: undefined } }), /POD_NAME is not set: the pod template sets it from the downward API/],
    ['no pod uid', () => ({ env: { POD_UID: '' } }), /POD_UID is not set/],
    ['no namespace', () => ({ env: { POD_NAMESPACE: undefined } }), /POD_NAMESPACE is not set/],
    ['a pod name that is not a DNS label', () => ({ env: { POD_NAME: 'a'.repeat(64) } }), /POD_NAME must be a DNS label/],
    ['no template', () => ({ config: { vmiTemplateFile: undefined } }), /vmiTemplateFile is required: an absolute file path/],
    ['an unknown field', () => ({ config: { vmiTemplate: '/x.json' } }), /vmiTemplate is not a known field/],
    ['a template that is not there', () => ({ config: { vmiTemplateFile: join(h.dir, 'missing.json') } }), /vmiTemplateFile \S+missing\.json cannot be read: ENOENT/],
    ['a template that is not JSON', () => ({ config: { vmiTemplateFile: write('bad.json', '{"apiVersion":') } }), /vmiTemplateFile \S+bad\.json is not JSON/],
    ['a template of another kind', () => ({ config: { vmiTemplateFile: write('vm.json', { ...VMI_TEMPLATE, kind: 'VirtualMachine' }) } }),
      /vmiTemplateFile \S+vm\.json must hold a kubevirt.io\/v1 VirtualMachineInstance, found apiVersion "kubevirt.io\/v1" kind "VirtualMachine"/],
    ['a template without the jit volume', () => ({ config: { vmiTemplateFile: write('nojit.json', withoutJit()) } }),
      /vmiTemplateFile \S+nojit\.json has no volume named 'jit' of kind secret/],
    ['a DataVolume template that is not there', () => ({ config: { dataVolumeTemplateFile: join(h.dir, 'nodv.json') } }), /dataVolumeTemplateFile \S+nodv\.json cannot be read/],
    ['a DataVolume template of another kind', () => ({ config: { dataVolumeTemplateFile: write('pvc.json', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: {} }) } }),
      /dataVolumeTemplateFile \S+pvc\.json must hold a cdi.kubevirt.io\/v1beta1 DataVolume/],
    ['a bake VMI name that is not a DNS label', () => ({ config: { imageReadyVmi: 'Bake_VM' } }), /imageReadyVmi must be a VirtualMachineInstance name \(a DNS label\), got "Bake_VM"/],
    ['a boot timeout that is not a number', () => ({ config: { bootTimeoutSeconds: '15m' } }), /bootTimeoutSeconds must be a whole number from 1 to 2147483, got "15m"/],
    ['a job timeout of 0', () => ({ config: { jobTimeoutSeconds: 0 } }), /jobTimeoutSeconds must be a whole number from 1 to 2147483/],
    ['a job timeout past what a timer can hold', () => ({ config: { jobTimeoutSeconds: 3_000_000 } }), /jobTimeoutSeconds must be a whole number from 1 to 2147483, got 3000000/],
    ['no API address outside a pod', () => ({ config: { kubernetes: undefined } }), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/],
    ['an API URL with credentials', () => ({ config: { kubernetes: { apiUrl: 'http://admin:hunter2@127.0.0.1:1' } } }), /kubernetes.apiUrl must be an http\(s\) URL without credentials/],
    ['a token file that is not there', () => ({ config: { kubernetes: { apiUrl: h.api.url, tokenFile: join(h.dir, 'no-token') } } }), /kubernetes.tokenFile \S+no-token cannot be read: ENOENT/],
    ['an https API without its CA file', () => ({ config: { kubernetes: { apiUrl: 'https://127.0.0.1:1', tokenFile: h.tokenFile, caFile: join(h.dir, 'no-ca.crt') } } }),
      /the API server's CA certificate \S+no-ca\.crt \(kubernetes.caFile\) cannot be read: ENOENT/],
  ];

  test.each(cases)('%s', async (_name, overrides, message) => {
    const { config = {}, env = {} } = overrides();
    const run = h.launch(config, env);
    expect(await run.exit).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^arc-launcher: configuration error: ${message.source}`));
    expect(run.stderr).not.toContain('hunter2');
    expect(h.api.requests).toEqual([]);
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

describe('the ARC launcher: in-cluster HTTPS (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount CA)', () => {
  const tlsTest = testIf(hasOpenssl, 'openssl (to make a test CA; apt-get install openssl)');

  tlsTest('trusts the API server through the CA file, and refuses one it does not sign', async () => {
    const pki = makePki(h.dir);
    await h.api.stop();
    h.api = h.newApi({ tls: { key: pki.serverKey, cert: pki.serverCert } });
    await h.api.start();
    const inCluster = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(h.api.port) };

    const run = h.launch({ kubernetes: { tokenFile: h.tokenFile, caFile: pki.caFile } }, inCluster);
    await h.created(VMIS);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);

    const untrusted = h.launch({ kubernetes: { tokenFile: h.tokenFile, caFile: pki.otherCaFile } }, inCluster);
    expect(await untrusted.exit).toBe(1);
    expect(untrusted.stderr).toMatch(new RegExp(`^arc-launcher: TLS: the API server at https://127\\.0\\.0\\.1:${h.api.port} is not trusted with the CA certificate ${pki.otherCaFile}`));
    expect(untrusted.stderr).not.toContain('retry');
  });
});
