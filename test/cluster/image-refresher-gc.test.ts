import { CLUSTER_NODES } from './node-binaries';
import { bake, DVS, h, NS, POINTER, POOLS, putRefreshedImage, refresh, setUp, synthesized, tearDown, V0, V1, V2, VMIS, VMS } from './image-refresher-harness';

// Old refreshed images go, and only when nothing uses them: a VMI that mounts one (directly, as an
// ephemeral layer, or by its DataVolume), a DataVolume that clones it, a VirtualMachine or pool
// template that names it keeps it; so do `keep`, the current image, the one current before this run's
// switch and the synthesized image. Only the refresher's own objects are ever deleted.

jest.setTimeout(60_000);

const image = (n: number) => `${synthesized.name}-00000000${String(n).padStart(2, '0')}`;
const CURRENT = image(9);

/** The three objects of a refreshed image, or which of them remain. */
const remaining = (volume: string) => [
  h.kube.object(DVS, NS, volume) && 'DataVolume', h.kube.object(VMS, NS, `${volume}-bake`) && 'VirtualMachine', h.kube.object('secrets', NS, `${volume}-bake`) && 'Secret',
].filter(Boolean);

/** A VMI template spec booting `claimName` as RunnerWarmPool's does. */
const bootingSpec = (claimName: string) => ({
  domain: { devices: { disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }] } },
  volumes: [{ name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName, readOnly: true } } }],
});

/** A per-job VMI, as a launcher makes it (owned by its pod), in `phase`. */
function putJobVmi(name: string, claimName: string, phase: string): void {
  h.kube.put(VMIS, { metadata: { name, namespace: NS, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: `${name}-uid`, controller: true }] }, spec: bootingSpec(claimName) });
  h.kube.setStatus(VMIS, NS, name, { phase });
}

describe.each(CLUSTER_NODES)('garbage collection of old images under $label', (clusterNode) => {
  beforeAll(() => {
    h.node = clusterNode;
  });
  afterEach(tearDown);

  test('deletes an unused old image beyond keep, never one in use, never the current, the synthesized or another image\'s', async () => {
    await setUp([{ version: V0 }, { version: V1 }]);
    for (let n = 1; n <= 9; n++) putRefreshedImage(image(n), V1, `2026-11-0${n}T03:00:00Z`);
    putRefreshedImage('other-image-0000000001', V1, '2026-10-01T03:00:00Z', 'other-image');
    h.kube.put('configmaps', { metadata: { name: POINTER, namespace: NS }, data: { volumeName: CURRENT, source: synthesized.source, runnerVersion: V1, bakedAt: '2026-11-09T04:00:00Z' } });
    // 8: the newest besides the current one (keep 1). 7, 5: unused. 1: a running per-job VMI on an ephemeral layer over it.
    putJobVmi('arc-runner-abc12', image(1), 'Running');
    // 2: cloned by a per-job DataVolume.
    h.kube.put(DVS, { ...synthesized.dataVolume, metadata: { name: 'keda-job-x-root', namespace: NS }, spec: { source: { pvc: { namespace: NS, name: image(2) } }, storage: synthesized.dataVolume.spec.storage } });
    // 3: a VirtualMachine's template. 4: another pool's template. 6: only a finished VMI mounted it.
    h.kube.put(VMS, { metadata: { name: 'long-lived-0', namespace: NS }, spec: { runStrategy: 'Always', template: { spec: bootingSpec(image(3)) } } });
    h.kube.put(POOLS, { ...synthesized.pool, metadata: { name: 'other-pool', namespace: NS }, spec: { ...synthesized.pool.spec, virtualMachineTemplate: { spec: { template: { spec: bootingSpec(image(4)) } } } } });
    putJobVmi('arc-runner-done1', image(6), 'Succeeded');

    const run = await refresh();

    expect(run.code).toBe(0);
    const left = Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [n, remaining(image(n)).length]));
    expect(left).toEqual({ 1: 3, 2: 3, 3: 3, 4: 3, 5: 0, 6: 0, 7: 0, 8: 3, 9: 3 });
    expect(remaining('other-image-0000000001')).toHaveLength(3);
    expect(h.kube.object(DVS, NS, synthesized.volumeName)).toBeDefined();
    expect(run.stdout).toContain(`keeping the old image ${image(1)}: in use by VirtualMachineInstance ${NS}/arc-runner-abc12`);
    expect(run.stdout).toContain(`keeping the old image ${image(2)}: in use by DataVolume ${NS}/keda-job-x-root`);
    expect(run.stdout).toContain(`keeping the old image ${image(3)}: in use by VirtualMachine ${NS}/long-lived-0`);
    expect(run.stdout).toContain(`keeping the old image ${image(4)}: in use by VirtualMachinePool ${NS}/other-pool`);
    expect(run.stdout).toContain(`deleted the old image ${image(5)} (baked 2026-11-05T03:00:00Z): nothing uses it`);
    // Each delete names the uid it saw: an object made in its place is never deleted.
    const deletes = h.kube.requestsOf('DELETE');
    expect(deletes).toHaveLength(9);
    for (const request of deletes) expect(JSON.parse(request.body)).toMatchObject({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: expect.any(String) } });
    expect(deletes.map((r) => r.url.replace(/^.*\/namespaces\/ci\//, '')).slice(0, 3)).toEqual([`virtualmachines/${image(7)}-bake`, `secrets/${image(7)}-bake`, `datavolumes/${image(7)}`]);
  });

  test('a cluster that serves no VirtualMachinePools (KubeVirt before 1.7): no pool uses an image; the others are still asked', async () => {
    await setUp([{ version: V0 }]);
    for (let n = 1; n <= 3; n++) putRefreshedImage(image(n), V1, `2026-11-0${n}T03:00:00Z`);
    putJobVmi('arc-runner-abc12', image(1), 'Running');
    h.kube.inject('GET', POOLS, { status: 404, message: 'the server could not find the requested resource' });
    const run = await refresh({ warmPools: [] });

    expect(run.code).toBe(0);
    expect([1, 2, 3].map((n) => remaining(image(n)).length)).toEqual([3, 0, 3]);
  });

  test('after a switch, the image current before it stays even with keep 0 (a launcher may have just read it); the one before goes', async () => {
    await setUp([{ version: V0 }, { version: V1 }, { version: V2 }]);
    putRefreshedImage(image(1), V1, '2026-11-01T03:00:00Z');
    putRefreshedImage(image(2), V1, '2026-11-02T03:00:00Z');
    h.kube.put('configmaps', { metadata: { name: POINTER, namespace: NS }, data: { volumeName: image(2), source: synthesized.source, runnerVersion: V1, bakedAt: '2026-11-02T04:00:00Z' } });

    const [run, vmName] = await Promise.all([refresh({ keep: 0 }), bake('Succeeded')]);

    expect(run.code).toBe(0);
    expect(remaining(vmName.replace(/-bake$/, ''))).toHaveLength(3);
    expect(remaining(image(2))).toHaveLength(3);
    expect(remaining(image(1))).toEqual([]);
  });
});
