import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { DataVolume, DataVolumeSpecStorageResourcesRequests } from '../imports/cdi.kubevirt.io';
import { OsImage } from './os-image';
import { checkCollisionsAtSynth } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
import { Naming } from './private/naming';
import { defaultDnsLabel } from './private/names';
import { resolvedOf } from './private/resolved';
import { resolveStorage, validateImage, validateName } from './private/resolve-vm';
import { DiskSpec, ResolvedDisk } from './runner-spec';

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

/** What a RunnerDisk renders. */
export interface DiskObjectSpec {
  readonly name: string;
  readonly namespace: string;
  readonly disk: ResolvedDisk;
  readonly bindImmediately: boolean;
}

const NAMING: Naming = { owner: 'RunnerDisk' };

/**
 * `spec` of a DataVolume (standalone or in a VM's `dataVolumeTemplates`) for a disk. The two
 * generated types differ only in their quantity classes, so the caller passes its own.
 */
export function dataVolumeSpec<Q>(disk: ResolvedDisk, quantity: (value: string) => Q) {
  return {
    ...disk.image.toDataVolumeSource(),
    storage: {
      accessModes: [...disk.accessModes],
      ...(disk.storageClassName ? { storageClassName: disk.storageClassName } : {}),
      ...(disk.volumeMode ? { volumeMode: disk.volumeMode } : {}),
      resources: { requests: { storage: quantity(disk.size) } },
    },
  };
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
    const spec = resolvedOf<DiskObjectSpec>(props) ?? resolveDiskObject(props, this);
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.image = spec.disk.image;
    this.size = spec.disk.size;
    checkCollisionsAtSynth(this);
    const externalVolumes = annotationValue([this.image.externalVolume(this.namespace)]);
    const annotations = {
      // CDI: import even when the StorageClass is WaitForFirstConsumer.
      ...(spec.bindImmediately ? { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' } : {}),
      ...(externalVolumes ? { [EXTERNAL_VOLUMES_ANNOTATION]: externalVolumes } : {}),
      // The Secret with the image source's credentials, created out of band.
      ...(this.image.secretRef ? { [EXTERNAL_SECRETS_ANNOTATION]: this.image.secretRef } : {}),
    };
    this.apiObject = new DataVolume(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      spec: dataVolumeSpec(spec.disk, DataVolumeSpecStorageResourcesRequests.fromString),
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

function resolveDiskObject(props: RunnerDiskProps, self: Construct): DiskObjectSpec {
  if (props.bindImmediately !== undefined && typeof props.bindImmediately !== 'boolean') {
    throw new Error(`RunnerDisk 'bindImmediately' must be true or false, got ${JSON.stringify(props.bindImmediately)}`);
  }
  return {
    name: validateName(NAMING, 'name', props.name ?? defaultDnsLabel(self)),
    namespace: validateName(NAMING, 'namespace', props.namespace ?? Chart.of(self).namespace ?? 'default'),
    disk: { ...resolveStorage(props, NAMING, ''), image: validateImage(NAMING, 'image', props.image) },
    bindImmediately: props.bindImmediately ?? false,
  };
}
