import { arrayAt, namespaceOf } from '../manifest-values';
import { formatAmount } from './amount';
import { Context, PerRunnerVolume, Runner } from './model';
import { memoryOf, vcpuOf } from './runner-size';
import { StorageLocation } from './types';
import { cloneOf, diskRole, sizeOf, storageOf, vmiVolumes } from './volumes';

/** A bake VM (RunnerImage) is no runner: it says which volume it bakes, and what it takes while it does. */
export function recordBake(vm: any, context: Context): void {
  const vmi = vm.spec?.template?.spec ?? {};
  const size = `${formatAmount(vcpuOf(vm.spec, vmi), 'vcpu')} vCPU, ${formatAmount(memoryOf(vm.spec, vmi), 'bytes')} memory`;
  for (const volume of arrayAt(vmi.volumes)) {
    const name = volume?.dataVolume?.name ?? volume?.persistentVolumeClaim?.claimName;
    context.use(namespaceOf(vm), name, undefined, `baked by VM ${vm.metadata?.name} (${size}, once)`);
  }
}

/** A runner from a VirtualMachine spec (a VM's, or a pool's template). */
export function vmRunner(vmSpec: any, namespace: string, fleet: string, vmName: string | undefined, context: Context): Runner {
  const vmi = vmSpec?.template?.spec ?? {};
  const templates: any[] = Array.isArray(vmSpec?.dataVolumeTemplates) ? vmSpec.dataVolumeTemplates : [];
  const templateNames = new Set(templates.map((t) => t?.metadata?.name));
  const volumes: PerRunnerVolume[] = templates.map((template) => {
    const name = String(template?.metadata?.name);
    const shown = vmName && name.startsWith(`${vmName}-`) ? `<vm>${name.slice(vmName.length)}` : name;
    return {
      volume: shown,
      what: [diskRole(vmi, name), `DataVolume template, ${cloneOf(template?.spec, namespace, fleet, context, 'golden image, cloned for each runner')}`]
        .filter(Boolean).join(', '),
      location: StorageLocation.VOLUME,
      storage: storageOf(template?.spec),
      size: sizeOf(template?.spec, `size of ${shown}`),
    };
  });
  volumes.push(...vmiVolumes(vmi, namespace, fleet, context, (name) => templateNames.has(name)));
  return { vcpu: vcpuOf(vmSpec, vmi), memory: memoryOf(vmSpec, vmi), volumes };
}
