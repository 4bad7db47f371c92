import { launcherRules } from '../../lib/render/launcher-pod';
import { arcHarness, DV_NAME, DVS, NS, VMI_TEMPLATE, VMIS } from './launcher-arc-harness';

// A refreshed RunnerImage: the launcher reads the image pointer once per job and boots the volume it
// names (lib/cluster/launcher/image-pointer.ts); the manifests' image otherwise. The templates of the
// harness boot 'baked-image'; the refresher's images are 'baked-<10 hex>'.

jest.setTimeout(30_000);

const h = arcHarness();
const POINTER = 'baked-current';
const SOURCE = 'abcdef0123';
const REFRESHED = 'baked-0123456789';

async function withPointerRole(grant = true): Promise<void> {
  await h.api.stop();
  h.api = h.newApi({ role: { namespace: NS, serviceAccount: 'arc-launcher', rules: launcherRules(true, grant ? POINTER : undefined) } });
  await h.api.start();
}

function pointer(data: Record<string, string>): void {
  h.api.put('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: POINTER, namespace: NS }, data });
}

function bakeSucceeded(name: string): void {
  h.api.put(VMIS, { ...VMI_TEMPLATE, metadata: { name, namespace: NS } });
  h.api.setStatus(VMIS, NS, name, { phase: 'Succeeded' });
}

const current = { volumeName: REFRESHED, source: SOURCE, runnerVersion: '2.338.0', bakedAt: '2026-12-07T03:17:00Z' };
const settings = (clone = false) => ({
  imageReadyVmi: 'baked-image-bake', imagePointer: { configMap: POINTER, source: SOURCE }, ...(clone ? { dataVolumeTemplateFile: `${h.dir}/datavolume.json` } : {}),
});
const rootdisk = () => h.vmi().spec.volumes.find((v: any) => v.name === 'rootdisk');
const gets = (path: string) => h.api.requestsOf('GET').filter((r) => r.url.split('?')[0] === path);
const POINTER_PATH = `/api/v1/namespaces/${NS}/configmaps/${POINTER}`;

async function runJob(overrides: object) {
  const run = h.launch(overrides);
  await h.created(VMIS);
  h.setPhase('Running');
  await run.untilOutput(/phase Running after/);
  h.setPhase('Succeeded');
  expect(await run.exit).toBe(0);
  return run;
}

describe('the launcher and a refreshed image', () => {
  test('boots the volume the pointer names, after its bake succeeded: one read of the pointer', async () => {
    await withPointerRole();
    pointer(current);
    bakeSucceeded(`${REFRESHED}-bake`);
    const run = h.launch(settings());
    await h.created(VMIS);
    expect(rootdisk()).toEqual({ name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName: REFRESHED } } });
    expect(gets(POINTER_PATH)).toHaveLength(1);
    expect(h.api.requestsOf('GET').map((r) => r.url.split('?')[0])).toContain(`/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${REFRESHED}-bake`);
    expect(run.stdout).toContain(`arc-launcher: booting the refreshed image ${REFRESHED} (runner 2.338.0, baked 2026-12-07T03:17:00Z)`);
    h.setPhase('Running');
    await run.untilOutput(/phase Running after/);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
  });

  test('clone mode: the per-job DataVolume clones the pointer\'s volume', async () => {
    await withPointerRole();
    pointer(current);
    bakeSucceeded(`${REFRESHED}-bake`);
    await runJob(settings(true));
    const clone = h.api.requestsOf('POST').find((r) => r.url.includes('/datavolumes'))!;
    expect(JSON.parse(clone.body).spec.source.pvc).toEqual({ namespace: NS, name: REFRESHED });
    expect(h.api.object(DVS, NS, DV_NAME)).toBeUndefined();
  });

  test.each([
    ['no pointer yet', undefined, ''],
    ['a pointer refreshed from other manifests', { ...current, source: 'fedcba9876' }, 'was refreshed from other manifests (source fedcba9876, these are abcdef0123)'],
    ['an incomplete pointer', { volumeName: REFRESHED, source: SOURCE }, 'is not a complete image pointer'],
    ['a pointer naming no volume', { ...current, volumeName: 'Not_A_Name' }, 'names "Not_A_Name", not a volume name'],
  ])('%s: the manifests\' image', async (_, data, said) => {
    await withPointerRole();
    if (data) pointer(data as Record<string, string>);
    bakeSucceeded('baked-image-bake');
    const run = await runJob(settings());
    expect(h.api.requestsOf('POST', VMIS).map((r) => JSON.parse(r.body).spec.volumes?.find((v: any) => v.name === 'rootdisk')?.ephemeral.persistentVolumeClaim.claimName))
      .toEqual(['baked-image']);
    expect(gets(POINTER_PATH)).toHaveLength(1);
    expect(run.stdout + run.stderr).toContain(said);
  });

  test('a Role without the pointer: a warning naming the rule, and the job still runs on the manifests\' image', async () => {
    await withPointerRole(false);
    pointer(current);
    bakeSucceeded('baked-image-bake');
    const run = await runJob(settings());
    expect(run.stderr).toContain(`its Role needs get on configmaps with resourceNames [${POINTER}]); this job boots the manifests' image baked-image`);
    // The refusal was the point of this test; the harness refuses any other.
    expect(h.api.violations.splice(0)).toEqual([`get configmaps "${POINTER}" in ${NS}: outside the client's Role`]);
  });

  test('without imagePointer the pointer is never read', async () => {
    await withPointerRole();
    pointer(current);
    bakeSucceeded('baked-image-bake');
    await runJob({ imageReadyVmi: 'baked-image-bake' });
    expect(gets(POINTER_PATH)).toEqual([]);
  });

  test.each([
    [{ imagePointer: { configMap: POINTER } }, /imagePointer.source is required/],
    [{ imagePointer: { configMap: POINTER, source: 'XYZ' } }, /imagePointer.source must be the image's input hash/],
    [{ imagePointer: { configMap: POINTER, source: SOURCE, extra: 1 } }, /imagePointer.extra is not a known field/],
  ])('a bad imagePointer %j exits 2 before any request', async (overrides, message) => {
    const run = h.launch(overrides);
    expect(await run.exit).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(h.api.requests).toEqual([]);
  });
});
