import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { DataVolume, DataVolumeSpecStorageResourcesRequests } from '../imports/cdi.kubevirt.io';
import { OsImage } from './os-image';
import { checkCollisionsAtSynth } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
import { treeDefaults } from './private/names';
import { dataVolumeSpec } from './render/data-volume';
import { DiskObjectSpec, resolveDisk, RunnerDiskProps } from './spec/disk';
import { isSealed } from './spec/sealed';

/**
 * A CDI DataVolume (cdi.kubevirt.io/v1beta1) that fills a volume from an OsImage. A RunnerPool
 * uses one as its golden image: imported once, then cloned for every runner.
 */
export class RunnerDisk extends Construct {
  /** `metadata.name` of the DataVolume. */
  public readonly name: string;
  /** Namespace of the DataVolume. */
  public readonly namespace: string;
  /** The operating-system image the disk holds. */
  public readonly osImage: OsImage;
  /** Size of the volume. */
  public readonly size: string;
  /** The DataVolume, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerDiskProps);
  /** @internal A volume another construct imports, from the spec its resolver made. */
  constructor(scope: Construct, id: string, spec: DiskObjectSpec);
  constructor(scope: Construct, id: string, input: RunnerDiskProps | DiskObjectSpec) {
    super(scope, id);
    const spec = isSealed<DiskObjectSpec>(input, 'disk') ? input : resolveDisk(input, treeDefaults(this, 'RunnerDisk'));
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.osImage = spec.disk.osImage;
    this.size = spec.disk.size;
    checkCollisionsAtSynth(this);
    const externalVolumes = annotationValue([this.osImage.externalVolume(this.namespace)]);
    const annotations = {
      // CDI: import even when the StorageClass is WaitForFirstConsumer.
      ...(spec.bindImmediately ? { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' } : {}),
      ...(externalVolumes ? { [EXTERNAL_VOLUMES_ANNOTATION]: externalVolumes } : {}),
      // The Secret with the image source's credentials, created out of band.
      ...(this.osImage.secretRef ? { [EXTERNAL_SECRETS_ANNOTATION]: this.osImage.secretRef } : {}),
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
    const { distribution, arch } = this.osImage;
    if (distribution === undefined) {
      throw new Error(`RunnerDisk '${this.name}' holds a blank disk: it has no operating system to clone`);
    }
    return OsImage.synthesizedDataVolume(this.namespace, this.name, { distribution, arch });
  }
}
