import { createHash } from 'node:crypto';
import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { VirtualMachine } from '../imports/kubevirt.io';
import { AccessMode, EvictionStrategy, RunStrategy, VolumeMode } from './kubevirt-options';
import { OsImage } from './os-image';
import { Distribution, RunnerArch } from './platform';
import { brandOf, hasBrand, setBrand } from './private/brand';
import { renderCloudConfig } from './private/cloud-config';
import { checkCollisionsAtSynth } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
import { Naming, propLabel } from './private/naming';
import { defaultDnsLabel } from './private/names';
import { withResolved } from './private/resolved';
import { setupDisks, setupSecretNames } from './private/setup-disks';
import { runnerVmiSpec } from './private/vmi-spec';
import { DiskObjectSpec, RunnerDisk, RunnerDiskProps } from './runner-disk';
import { RunnerRelease } from './runner-release';
import { resolveSetup } from './private/resolve-guest';
import { resolveSizing, resolveStorage, validateBootImage, validateName } from './private/resolve-vm';
import { DEFAULT_ROOT_DISK_SIZE, MINIMUM_BOOT_DISK_SIZE, ResolvedSetup, ResolvedStorage, RunnerSetupOptions } from './runner-spec';
import { RUNNER_KUBERNETES_LABELS } from './runner-vm';

/** How per-job VMs use a baked image. */
export enum ImageSharing {
  /**
   * Every per-job VM boots a copy-on-write layer over the one baked volume (a KubeVirt `ephemeral`
   * volume; the layer lives on the node, in the VM's pod). Fast and cheap; the volume must be
   * ReadWriteMany (or ReadOnlyMany) when VMs run on more than one node.
   */
  SHARED = 'shared',
  /**
   * Every per-job VM gets its own clone of the baked volume (a DataVolume owned by its runner pod),
   * for clusters whose storage is ReadWriteOnce only. Slower to start: a clone per job.
   */
  CLONE_PER_JOB = 'clone-per-job',
}

/** Props of RunnerImage. */
export interface RunnerImageProps extends RunnerSetupOptions {
  /** The runner package baked into the image. @default RunnerRelease.latestKnown() (2.334.0, x64) */
  readonly release?: RunnerRelease;
  /** The operating system the image is baked from. @default OsImage.ubuntu2404() for the release's architecture */
  readonly baseImage?: OsImage;
  /** Size of the baked volume: the disk every per-job VM sees. @default '50Gi' */
  readonly size?: string;
  /** StorageClass of the baked volume. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** Access modes of the baked volume. @default [READ_WRITE_MANY] when shared, [READ_WRITE_ONCE] when cloned per job */
  readonly accessModes?: AccessMode[];
  /** Volume mode of the baked volume. @default - chosen by CDI's StorageProfile */
  readonly volumeMode?: VolumeMode;
  /** How per-job VMs use the image. @default ImageSharing.SHARED */
  readonly sharing?: ImageSharing;
  /** Virtual CPUs of the bake VM. @default 2 */
  readonly bakeCpu?: number | string;
  /** Memory of the bake VM. @default '4Gi' */
  readonly bakeMemory?: string;
  /** Name prefix: the volume is `<name>-<hash>`, the bake VM `<name>-<hash>-bake`. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the image; the runners that boot it must be in the same one. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
}

const NAMING: Naming = { owner: 'RunnerImage' };
const BRAND = brandOf('RunnerImage');
// `-<hash>-bake`: the longest name derived from the prefix.
const HASH_LENGTH = 10;
const MAX_NAME_LENGTH = 63 - `-${'0'.repeat(HASH_LENGTH)}-bake`.length;

/**
 * A runner image baked in the cluster: a bake VM boots the base image with a bake cloud-config
 * that installs the packages, Docker and the checksum-verified runner, enables the per-job unit,
 * forgets the machine's identity and powers off; the volume it leaves is the image. The name carries
 * a hash of everything that went into it, so a change bakes a new image while running VMs keep theirs.
 *
 * Readiness: the image is ready when the bake VM's VirtualMachineInstance (`readyVmiName`) has
 * succeeded, i.e. the guest powered itself off at the end of a successful bake (a failed bake stays
 * up and never succeeds). Every consumer waits for that before it boots the volume.
 */
export class RunnerImage extends Construct {
  /** Whether `x` is a RunnerImage (of any copy of this library). */
  public static isRunnerImage(x: unknown): x is RunnerImage {
    return hasBrand(x, BRAND);
  }

  /** Namespace of the image. */
  public readonly namespace: string;
  /** Name of the baked volume (DataVolume and PVC): `<name>-<hash>`. */
  public readonly volumeName: string;
  /** Name of the bake VM, and of the VirtualMachineInstance whose success says the image is ready. */
  public readonly readyVmiName: string;
  /** The short hash of everything baked in. */
  public readonly hash: string;
  /** How per-job VMs use the image. */
  public readonly sharing: ImageSharing;
  /** The baked runner package. */
  public readonly release: RunnerRelease;
  /** The distribution inside the image. */
  public readonly distribution: Distribution;
  /** The image's architecture. */
  public readonly arch: RunnerArch;
  /** Storage of the baked volume. @internal */
  public readonly storage: ResolvedStorage;
  /** The guest set-up baked in. @internal */
  public readonly setup: ResolvedSetup;
  /** The bake VirtualMachine, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerImageProps = {}) {
    super(scope, id);
    setBrand(this, BRAND);
    const name = validateName(NAMING, 'name', props.name ?? defaultDnsLabel(this, MAX_NAME_LENGTH), MAX_NAME_LENGTH);
    this.namespace = validateName(NAMING, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    this.sharing = validateSharing(props.sharing ?? ImageSharing.SHARED);
    const release = props.release ?? RunnerRelease.latestKnown();
    if (!RunnerRelease.isRunnerRelease(release)) {
      throw new Error(`${propLabel(NAMING, 'release')} must be a RunnerRelease (RunnerRelease.of('2.334.0')), got ${JSON.stringify(props.release)}`);
    }
    const baseImage = validateBootImage(NAMING, 'baseImage', props.baseImage ?? OsImage.ubuntu2404({ arch: release.arch }), release);
    this.setup = resolveSetup({ ...props, release, distribution: baseImage.distribution }, NAMING);
    this.storage = resolveStorage({
      size: props.size ?? DEFAULT_ROOT_DISK_SIZE,
      storageClassName: props.storageClassName,
      accessModes: props.accessModes ?? [this.sharing === ImageSharing.SHARED ? AccessMode.READ_WRITE_MANY : AccessMode.READ_WRITE_ONCE],
      volumeMode: props.volumeMode,
    }, NAMING, '', MINIMUM_BOOT_DISK_SIZE);
    const sizing = resolveSizing({ cpu: props.bakeCpu ?? 2, memory: props.bakeMemory ?? '4Gi' },
      { owner: 'RunnerImage', aliases: { cpu: 'bakeCpu', memory: 'bakeMemory' } });
    this.release = release;
    this.distribution = this.setup.distribution;
    this.arch = release.arch;

    const userData = renderCloudConfig({ kind: 'bake', guest: this.setup });
    this.hash = createHash('sha256')
      .update(JSON.stringify({ source: baseImage.toDataVolumeSource(), arch: this.arch, storage: this.storage, userData, caFrom: this.setup.caCertificatesFrom }))
      .digest('hex').slice(0, HASH_LENGTH);
    this.volumeName = `${name}-${this.hash}`;
    this.readyVmiName = `${this.volumeName}-bake`;
    checkCollisionsAtSynth(this);

    new RunnerDisk(this, 'Volume', withResolved<RunnerDiskProps>({
      name: this.volumeName, namespace: this.namespace, disk: { ...this.storage, image: baseImage }, bindImmediately: true,
    } satisfies DiskObjectSpec));
    const cloudInit = new kplus.Secret(this, 'BakeCloudInit', {
      metadata: { name: this.readyVmiName, namespace: this.namespace },
      stringData: { userdata: userData },
    });
    const labels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/component': 'runner-image-bake', 'app.kubernetes.io/instance': name };
    const externalVolumes = annotationValue([baseImage.externalVolume(this.namespace)]);
    const externalSecrets = annotationValue([baseImage.secretRef, ...setupSecretNames(this.setup)]);
    this.apiObject = new VirtualMachine(this, 'BakeVm', {
      metadata: {
        name: this.readyVmiName,
        namespace: this.namespace,
        labels,
        annotations: {
          ...(externalSecrets ? { [EXTERNAL_SECRETS_ANNOTATION]: externalSecrets } : {}),
          ...(externalVolumes ? { [EXTERNAL_VOLUMES_ANNOTATION]: externalVolumes } : {}),
        },
      },
      spec: {
        // Once: the bake runs a single time; its succeeded VMI stays as the readiness record.
        runStrategy: RunStrategy.ONCE,
        template: {
          metadata: { labels },
          spec: runnerVmiSpec({
            hostname: this.readyVmiName,
            sizing,
            arch: this.arch,
            evictionStrategy: EvictionStrategy.NONE,
            disks: [
              { name: 'rootdisk', volume: { dataVolume: { name: this.volumeName } } },
              { name: 'cloudinitdisk', volume: { cloudInitNoCloud: { secretRef: { name: cloudInit.name } } } },
              ...setupDisks(this.setup),
            ],
          }),
        },
      },
    });
  }

  /** The baked volume as a clone source, for a per-job (or any) DataVolume that copies it. */
  public asCloneSource(): OsImage {
    return OsImage.synthesizedDataVolume(this.namespace, this.volumeName, { distribution: this.distribution, arch: this.arch });
  }
}

function validateSharing(sharing: ImageSharing): ImageSharing {
  if (!Object.values(ImageSharing).includes(sharing)) {
    throw new Error(`${propLabel(NAMING, 'sharing')} must be one of ${Object.values(ImageSharing).join(', ')}, got ${JSON.stringify(sharing)}`);
  }
  return sharing;
}
