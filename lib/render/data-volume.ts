import type { ResolvedDisk } from '../spec/resolved';

/**
 * `spec` of a DataVolume (standalone or in a VM's `dataVolumeTemplates`) for a disk. The two
 * generated types differ only in their quantity classes, so the caller passes its own.
 */
export function dataVolumeSpec<Q>(disk: ResolvedDisk, quantity: (value: string) => Q) {
  return {
    ...disk.osImage.toDataVolumeSource(),
    storage: {
      accessModes: [...disk.accessModes],
      ...(disk.storageClassName ? { storageClassName: disk.storageClassName } : {}),
      ...(disk.volumeMode ? { volumeMode: disk.volumeMode } : {}),
      resources: { requests: { storage: quantity(disk.size) } },
    },
  };
}
