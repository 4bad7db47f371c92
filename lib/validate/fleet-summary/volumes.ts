import { arrayAt, quantity } from '../manifest-values';
import { Amount, known, unknownTerm } from './amount';
import { Context, PerRunnerVolume } from './model';
import { StorageLocation } from './types';

/**
 * The volumes of a VMI spec that each runner has for itself on the node (copy-on-write layers,
 * emptyDisks); references to shared volumes are recorded as uses. `own` tells the volumes counted
 * elsewhere (DataVolume templates).
 */
export function vmiVolumes(vmi: any, namespace: string, fleet: string, context: Context, own: (name: string) => boolean): PerRunnerVolume[] {
  const result: PerRunnerVolume[] = [];
  for (const volume of arrayAt(vmi.volumes)) {
    const name = String(volume?.name);
    const role = diskRole(vmi, name, name);
    if (volume?.ephemeral?.persistentVolumeClaim) {
      const claim = volume.ephemeral.persistentVolumeClaim.claimName;
      context.use(namespace, claim, fleet, 'base of a copy-on-write layer per runner');
      result.push({
        volume: name,
        what: [role, `copy-on-write layer over ${namespace}/${claim}, at most its size`].filter(Boolean).join(', '),
        location: StorageLocation.NODE,
        storage: '',
        size: context.sizeOfShared(namespace, claim),
      });
    } else if (volume?.emptyDisk) {
      const capacity = quantity(volume.emptyDisk.capacity);
      result.push({
        volume: name,
        what: [role, 'emptyDisk'].filter(Boolean).join(', '),
        location: StorageLocation.NODE,
        storage: '',
        size: capacity !== undefined ? known(capacity) : unknownTerm(`capacity of emptyDisk ${name}`),
      });
    } else {
      const reference = volume?.dataVolume?.name ?? volume?.persistentVolumeClaim?.claimName;
      if (typeof reference === 'string' && !own(reference)) context.use(namespace, reference, fleet, 'attached to the runners');
    }
  }
  return result;
}

/** `boot disk` or `disk serial X` for the VMI disk of a volume, when it says so. */
export function diskRole(vmi: any, dataVolumeName: string, volumeName?: string): string {
  const volumes = arrayAt(vmi.volumes);
  const volume = volumeName !== undefined ? volumes.find((v) => v?.name === volumeName)
    : volumes.find((v) => v?.dataVolume?.name === dataVolumeName || v?.persistentVolumeClaim?.claimName === dataVolumeName);
  if (!volume) return '';
  const disks = arrayAt(vmi.domain?.devices?.disks);
  const disk = disks.find((d) => d?.name === volume.name);
  if (!disk) return '';
  if (typeof disk.serial === 'string') return `disk serial ${disk.serial}`;
  const booted = disks.some((d) => typeof d?.bootOrder === 'number') ? disk.bootOrder === 1 : disks[0] === disk;
  return booted ? 'boot disk' : '';
}

/** Where a DataVolume template's content comes from, recording the use of the volume it clones. */
export function cloneOf(spec: any, namespace: string, fleet: string, context: Context, role: string): string {
  const pvc = spec?.source?.pvc;
  if (pvc) context.use(pvc.namespace ?? namespace, pvc.name, fleet, role);
  return sourceOf(spec, namespace);
}

/** Where a DataVolume's content comes from. */
export function sourceOf(spec: any, namespace: string): string {
  const source = spec?.source ?? {};
  if (source.pvc) return `clone of ${source.pvc.namespace ?? namespace}/${source.pvc.name}`;
  if (spec?.sourceRef) return `clone of ${spec.sourceRef.kind ?? 'DataSource'} ${spec.sourceRef.namespace ?? namespace}/${spec.sourceRef.name}`;
  const kind = Object.keys(source).sort()[0];
  return kind === 'blank' ? 'blank' : kind ? `import from ${kind}` : 'no source';
}

export function storageRequest(object: any): unknown {
  const spec = object?.kind === 'PersistentVolumeClaim' ? { pvc: object.spec } : object?.spec;
  return (spec?.storage ?? spec?.pvc)?.resources?.requests?.storage;
}

export function sizeOf(spec: any, term: string): Amount {
  const size = quantity((spec?.storage ?? spec?.pvc)?.resources?.requests?.storage);
  return size !== undefined ? known(size) : unknownTerm(term);
}

/** Access modes and StorageClass of a DataVolume spec (or a PVC's spec). */
export function storageOf(spec: any): string {
  const storage = spec?.storage ?? spec?.pvc ?? spec ?? {};
  const modes: string[] = Array.isArray(storage.accessModes) ? storage.accessModes : [];
  const klass = typeof storage.storageClassName === 'string' ? `class ${storage.storageClassName}` : 'default class';
  return [...modes, klass].join(', ');
}
