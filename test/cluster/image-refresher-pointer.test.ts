import { CLUSTER_NODES } from './node-binaries';
import { bake, created, DVS, h, NS, POINTER, POOL, POOLS, pointer, poolImage, putRefreshedImage, refresh, setUp, synthesized, tearDown, V0, V1, V2, VMS } from './image-refresher-harness';

// The pointer launchers read per job: switched in one write with the resourceVersion it read, so a
// reader sees the old or the new complete pointer and nothing in between, and another writer in
// between is detected (409) and decided on again. The warm pools follow the pointer, also when a
// re-applied manifest put the synthesized image back into their template.

jest.setTimeout(60_000);

const OLD = `${synthesized.name}-0000000001`;
const oldPointer = { volumeName: OLD, source: synthesized.source, runnerVersion: V1, bakedAt: '2026-11-30T03:00:00Z' };

/** Stores the pointer as an earlier refresh left it (and its image). */
function putPointer(data: Record<string, string> = oldPointer): void {
  h.kube.put('configmaps', {
    metadata: { name: POINTER, namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'kubevirt-runners-image-refresher' } },
    data,
  });
}

/** Points the pool's template at `claimName`, as a refresh (or a person) did before. */
function setPoolImage(claimName: string): void {
  const template = structuredClone(synthesized.pool.spec.virtualMachineTemplate);
  template.spec.template.spec.volumes.find((v: any) => v.name === 'rootdisk').ephemeral.persistentVolumeClaim.claimName = claimName;
  h.kube.modify(POOLS, NS, POOL, { spec: { virtualMachineTemplate: template } });
}

/** GETs the pointer as a launcher does, again and again until `done()`; resolves every answer's data (undefined: 404). */
async function readConstantly(done: () => boolean): Promise<(Record<string, string> | undefined)[]> {
  const seen: (Record<string, string> | undefined)[] = [];
  for (let extra = 0; extra < 20; extra += done() ? 1 : 0) {
    const answer = await fetch(`${h.kube.url}/api/v1/namespaces/${NS}/configmaps/${POINTER}`, { headers: { authorization: `Bearer ${h.kubeToken}` } });
    const body = await answer.json() as any;
    seen.push(answer.status === 404 ? undefined : body.data);
  }
  return seen;
}

describe.each(CLUSTER_NODES)('the image pointer under $label', (clusterNode) => {
  beforeAll(() => {
    h.node = clusterNode;
  });
  beforeEach(async () => {
    await setUp([{ version: V0 }, { version: V1 }, { version: V2 }]);
    putRefreshedImage(OLD, V1, '2026-11-30T02:00:00Z');
    putPointer();
    setPoolImage(OLD);
  });
  afterEach(tearDown);

  test('switched atomically while launchers read it: every read is the old or the new complete pointer; one update with the read resourceVersion', async () => {
    let finished = false;
    const before = h.kube.object('configmaps', NS, POINTER).metadata.resourceVersion;
    const [run, vmName, reads] = await Promise.all([refresh().finally(() => { finished = true; }), bake('Succeeded'), readConstantly(() => finished)]);

    expect(run.code).toBe(0);
    const next = pointer()!;
    expect(next).toMatchObject({ volumeName: vmName.replace(/-bake$/, ''), runnerVersion: V2, source: synthesized.source });
    expect(reads.every((data) => JSON.stringify(data) === JSON.stringify(oldPointer) || JSON.stringify(data) === JSON.stringify(next))).toBe(true);
    expect(reads[0]).toEqual(oldPointer);
    expect(reads.at(-1)).toEqual(next);
    const writes = h.kube.requests.filter((r) => r.url.includes('/configmaps') && r.method !== 'GET');
    expect(writes.map((w) => w.method)).toEqual(['PUT']);
    expect(JSON.parse(writes[0].body).metadata.resourceVersion).toBe(before);
    expect(poolImage()).toBe(next.volumeName);
  });

  test('another writer in between (an older pointer written again): detected by the 409, read again, this run\'s newer image written', async () => {
    const racing = (async () => {
      await h.kube.until(() => created(VMS).length > 0);
      h.kube.modify('configmaps', NS, POINTER, { data: { bakedAt: '2026-11-30T04:00:00Z' } });
    })();
    const [run] = await Promise.all([refresh(), racing.then(() => bake('Succeeded'))]);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`image-refresher: another writer changed ConfigMap ${NS}/${POINTER} since it was read: it now names ${OLD} (runner ${V1})\n`);
    expect(h.kube.requestsOf('PUT', '/configmaps')).toHaveLength(2);
    expect(pointer()).toMatchObject({ runnerVersion: V2 });
  });

  test('another writer switched to an image at least as new meanwhile: its pointer stays, this run\'s bake is deleted', async () => {
    const NEWER = `${synthesized.name}-0000000009`;
    const theirs = { volumeName: NEWER, source: synthesized.source, runnerVersion: V2, bakedAt: '2026-12-07T01:00:00Z' };
    const racing = (async () => {
      await h.kube.until(() => created(VMS).length > 0);
      h.kube.modify('configmaps', NS, POINTER, { data: theirs });
    })();
    const [run, vmName] = await Promise.all([refresh(), racing.then(() => bake('Succeeded'))]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`another writer already switched the fleet to ${NEWER} (runner ${V2}): this run's image is not needed and was deleted`);
    expect(pointer()).toEqual(theirs);
    expect(h.kube.object(VMS, NS, vmName)).toBeUndefined();
    expect(h.kube.object(DVS, NS, vmName.replace(/-bake$/, ''))).toBeUndefined();
    expect(poolImage()).toBe(OLD);
  });

  test('a re-applied manifest put the synthesized image back into the pool: pointed at the current image again, without a bake', async () => {
    h.releases.setReleases([{ version: V0 }, { version: V1 }]);
    h.kube.modify(POOLS, NS, POOL, { spec: { virtualMachineTemplate: synthesized.pool.spec.virtualMachineTemplate } });
    expect(poolImage()).toBe(synthesized.volumeName);
    const run = await refresh();

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`image-refresher: pointed VirtualMachinePool ${NS}/${POOL} at ${OLD} (it booted ${synthesized.volumeName})`);
    expect(poolImage()).toBe(OLD);
    expect(created(DVS)).toEqual([]);
    expect(h.kube.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url}`)).toEqual([`PATCH /apis/pool.kubevirt.io/v1beta1/namespaces/${NS}/virtualmachinepools/${POOL}`]);
  });

  test('the pool changed between its read and the patch (the test operation fails, 422): read again and pointed', async () => {
    h.releases.setReleases([{ version: V0 }, { version: V1 }]);
    setPoolImage(synthesized.volumeName);
    h.kube.inject('PATCH', POOLS, { status: 422, message: 'the server rejected our request due to an error in our request' });
    const run = await refresh();

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`VirtualMachinePool ${NS}/${POOL} changed while it was being pointed at ${OLD}: reading it again`);
    expect(h.kube.requestsOf('PATCH')).toHaveLength(2);
    expect(h.kube.requestsOf('GET', `/virtualmachinepools/${POOL}`)).toHaveLength(2);
    expect(poolImage()).toBe(OLD);
  });

  test('a pointer someone left incomplete: launchers ignore it, so the runner in use is the manifests\'; replaced by a complete one', async () => {
    h.releases.setReleases([{ version: V0 }, { version: V1 }]);
    h.kube.modify('configmaps', NS, POINTER, { data: { bakedAt: null, runnerVersion: 'latest' } });
    const [run, vmName] = await Promise.all([refresh(), bake('Succeeded')]);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`image-refresher: ConfigMap ${NS}/${POINTER} is not a complete image pointer (volumeName, source, runnerVersion, bakedAt): launchers ignore it; the next switch replaces it\n`);
    expect(run.stdout).toContain(`current image ${synthesized.volumeName} (runner ${V0})`);
    expect(pointer()).toEqual({ volumeName: vmName.replace(/-bake$/, ''), source: synthesized.source, runnerVersion: V1, bakedAt: expect.any(String) });
    expect(h.kube.requestsOf('PUT', '/configmaps')).toHaveLength(1);
    // Not rolled back to the manifests' image first: the pool goes from the image it booted to the new one.
    expect(h.kube.requestsOf('PATCH').map((r) => JSON.parse(r.body)[0].value)).toEqual([OLD]);
    expect(poolImage()).toBe(pointer()!.volumeName);
  });

  test('a pool on another image is left alone, with a warning', async () => {
    h.releases.setReleases([{ version: V0 }, { version: V1 }]);
    setPoolImage('other-image-0123456789');
    const run = await refresh();

    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`image-refresher: VirtualMachinePool ${NS}/${POOL} boots other-image-0123456789, not an image of this RunnerImage: left alone\n`);
    expect(h.kube.requestsOf('PATCH')).toEqual([]);
  });

  test('a pointer refreshed from other inputs (the manifests changed since) is ignored: the manifests\' image and runner are current, the pool is theirs', async () => {
    h.releases.setReleases([{ version: V0 }]);
    h.kube.modify('configmaps', NS, POINTER, { data: { source: 'ffffffffff' } });
    const run = await refresh();

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`the pointer names ${OLD}, refreshed from other inputs (ffffffffff): the manifests' image ${synthesized.volumeName} is current`);
    expect(run.stdout).toContain(`nothing newer: the latest release of actions/runner is ${V0}, the runner version in use`);
    expect(h.kube.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
