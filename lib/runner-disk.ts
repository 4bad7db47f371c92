import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { DataVolume, DataVolumeSpecStorageResourcesRequests } from '../imports/cdi.kubevirt.io';
import { validateEnum } from './enum-value';
import { annotationValue, EXTERNAL_VOLUMES_ANNOTATION } from './external-references';
import { defaultDnsLabel, validateDnsLabel, validateDnsSubdomain } from './names';
import { OsImage } from './os-image';
import { validateByteQuantity } from './quantity';

/** How a volume may be mounted (PersistentVolumeClaim access modes). */
export enum AccessMode {
  READ_WRITE_ONCE = 'ReadWriteOnce',
  READ_WRITE_MANY = 'ReadWriteMany',
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
  READ_ONLY_MANY = 'ReadOnlyMany',
}

/** Whether the volume is a filesystem holding a disk image, or a raw block device. */
export enum VolumeMode {
  FILESYSTEM = 'Filesystem',
  BLOCK = 'Block',
}

/** Storage of a disk, as CDI's `storage` API takes it. */
export interface DiskStorageOptions {
  /** Size of the volume, a Kubernetes quantity such as '50Gi'. */
  readonly size: string;
  /** StorageClass of the volume. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** Access modes of the volume. @default [AccessMode.READ_WRITE_ONCE] */
  readonly accessModes?: AccessMode[];
  /** Volume mode. @default - chosen by CDI from the StorageClass's StorageProfile */
  readonly volumeMode?: VolumeMode;
}

/** A disk: an image and the storage that holds it. */
export interface DiskSpec extends DiskStorageOptions {
  /** What the disk is filled with. */
  readonly image: OsImage;
}

/** Props of a standalone DataVolume. */
export interface RunnerDiskProps extends DiskSpec {
  /** `metadata.name` of the DataVolume. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the DataVolume, always written out so that clones can name it. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
  /**
   * Ask CDI to import at once even when the StorageClass binds on first consumer. A golden image
   * has no consumer of its own (VMs clone it), so without this it would wait forever on such classes.
   * @default false
   */
  readonly bindImmediately?: boolean;
}

/**
 * `spec` of a DataVolume (standalone or in a VM's `dataVolumeTemplates`) for a disk. The two
 * generated types differ only in their quantity classes, so the caller passes its own.
 */
export function dataVolumeSpec<Q>(owner: string, disk: DiskSpec, quantity: (value: string) => Q) {
  validateDiskSpec(owner, disk);
  return {
    ...disk.image.toDataVolumeSource(),
    storage: {
      accessModes: disk.accessModes ?? [AccessMode.READ_WRITE_ONCE],
      ...(disk.storageClassName ? { storageClassName: disk.storageClassName } : {}),
      ...(disk.volumeMode ? { volumeMode: disk.volumeMode } : {}),
      resources: { requests: { storage: quantity(disk.size) } },
    },
  };
}

function validateDiskSpec(owner: string, disk: DiskSpec): void {
  if (!(disk.image instanceof OsImage)) {
    throw new Error(`${owner} 'image' must be an OsImage (OsImage.ubuntu2404(), OsImage.http(...), ...), got ${JSON.stringify(disk.image)}`);
  }
  validateByteQuantity(owner, 'size', disk.size);
  if (disk.storageClassName !== undefined) {
    validateDnsSubdomain(owner, 'storageClassName', disk.storageClassName);
  }
  const modes = disk.accessModes ?? [AccessMode.READ_WRITE_ONCE];
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => !Object.values(AccessMode).includes(m))) {
    throw new Error(`${owner} 'accessModes' must be a non-empty list of ${Object.values(AccessMode).join(', ')}, got ${JSON.stringify(disk.accessModes)}`);
  }
  if (disk.volumeMode !== undefined) validateEnum(owner, 'volumeMode', VolumeMode, disk.volumeMode);
}

/**
 * A CDI DataVolume (cdi.kubevirt.io/v1beta1) that fills a volume from an OsImage. A RunnerPool
 * uses one as its golden image: imported once, then cloned for every runner.
 */
export class RunnerDisk extends Construct {
  /** `metadata.name` of the DataVolume. */
  public readonly name: string;
  /** Namespace of the DataVolume. */
  public readonly namespace: string;
  /** What the disk holds. */
  public readonly image: OsImage;
  /** Size of the volume. */
  public readonly size: string;
  /** The DataVolume, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerDiskProps) {
    super(scope, id);
    this.name = validateDnsLabel('RunnerDisk', 'name', props.name ?? defaultDnsLabel(this));
    this.namespace = validateDnsLabel('RunnerDisk', 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    this.image = props.image;
    this.size = props.size;
    const spec = dataVolumeSpec('RunnerDisk', props, DataVolumeSpecStorageResourcesRequests.fromString);
    const externalVolumes = annotationValue([props.image.externalVolume(this.namespace)]);
    const annotations = {
      // CDI: import even when the StorageClass is WaitForFirstConsumer.
      ...(props.bindImmediately ? { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' } : {}),
      ...(externalVolumes ? { [EXTERNAL_VOLUMES_ANNOTATION]: externalVolumes } : {}),
    };
    this.apiObject = new DataVolume(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      spec,
    });
  }

  /** This disk as a clone source: VMs whose root disk uses it get their own copy of it. */
  public asImage(): OsImage {
    const { distribution, arch } = this.image;
    if (distribution === undefined) {
      throw new Error(`RunnerDisk '${this.name}' holds a blank disk: it has no operating system to clone`);
    }
    return OsImage.synthesizedDataVolume(this.namespace, this.name, { distribution, arch });
  }
}
