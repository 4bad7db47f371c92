import { isKubeStatus } from '../runtime/errors';
import { isObject } from '../runtime/http';
import { KubeClient } from '../runtime/kube';
import { bakeName, DATA_VOLUME, POOL, VIRTUAL_MACHINE, VMI } from './image-objects';

// Who uses an image volume, in the namespace: a VMI that mounts it (persistentVolumeClaim, an
// ephemeral layer over it, or its DataVolume), a DataVolume that clones it (spec.source.pvc), and a
// VirtualMachine or VirtualMachinePool whose template does either (a pool's VMs restart from their
// template: until the pool has moved every VM, the old template still names the old image). A
// finished VMI (Succeeded, Failed) holds no volume. The bake VM of a refreshed image is its maker,
// not a user.

type Json = Record<string, any>;

/** Claim names of a VMI spec's volumes. */
function volumeClaims(spec: Json | undefined): string[] {
  const volumes = Array.isArray(spec?.volumes) ? spec!.volumes.filter(isObject) : [];
  return volumes.flatMap((v: Json) => [v.persistentVolumeClaim?.claimName, v.ephemeral?.persistentVolumeClaim?.claimName, v.dataVolume?.name]);
}

/** The PVC a DataVolume spec clones, when it is in `namespace`. */
function cloneSource(spec: Json | undefined, namespace: string): string | undefined {
  const pvc = spec?.source?.pvc;
  return pvc && (pvc.namespace === undefined || pvc.namespace === namespace) ? pvc.name : undefined;
}

/** Each volume name in use, with who uses it (`VirtualMachineInstance ci/x`). */
export async function imageUsers(kube: KubeClient, namespace: string, signal: AbortSignal): Promise<Map<string, string[]>> {
  const [vmis, dataVolumes, vms, pools] = await Promise.all([VMI, DATA_VOLUME, VIRTUAL_MACHINE, POOL].map(async (resource) => {
    try {
      return await kube.list(resource, namespace, { signal });
    } catch (error) {
      // A cluster whose KubeVirt serves no pool.kubevirt.io/v1beta1 (before 1.7) has no pools to ask.
      if (resource === POOL && isKubeStatus(error, 404)) return { items: [], resourceVersion: '' };
      throw error;
    }
  }));
  const users = new Map<string, string[]>();
  const use = (claims: (string | undefined)[], who: string) => {
    for (const claim of claims) if (typeof claim === 'string') users.set(claim, [...(users.get(claim) ?? []), who]);
  };
  for (const vmi of vmis.items as Json[]) {
    if (vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed') continue;
    use(volumeClaims(vmi.spec), KubeClient.describe(VMI, namespace, vmi.metadata?.name));
  }
  for (const dv of dataVolumes.items as Json[]) use([cloneSource(dv.spec, namespace)], KubeClient.describe(DATA_VOLUME, namespace, dv.metadata?.name));
  for (const vm of vms.items as Json[]) {
    const claims = [...volumeClaims(vm.spec?.template?.spec), ...(vm.spec?.dataVolumeTemplates ?? []).map((t: Json) => cloneSource(t?.spec, namespace))];
    // A bake VM makes the volume of its name; it does not use it.
    use(claims.filter((claim) => typeof claim !== 'string' || bakeName(claim) !== vm.metadata?.name), KubeClient.describe(VIRTUAL_MACHINE, namespace, vm.metadata?.name));
  }
  for (const pool of pools.items as Json[]) {
    const template = pool.spec?.virtualMachineTemplate?.spec;
    const claims = [...volumeClaims(template?.template?.spec), ...(template?.dataVolumeTemplates ?? []).map((t: Json) => cloneSource(t?.spec, namespace))];
    use(claims, KubeClient.describe(POOL, namespace, pool.metadata?.name));
  }
  return users;
}
