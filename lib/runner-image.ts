import { createHash } from 'node:crypto';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { VirtualMachine } from '../imports/kubevirt.io';
import { EvictionStrategy, RunStrategy } from './kubevirt-options';
import { OsImage } from './os-image';
import { Distribution, RunnerArch } from './platform';
import { brandOf, hasBrand, setBrand } from './private/brand';
import { checkCollisionsAtSynth } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
import { treeDefaults } from './private/names';
import { networkPolicyAnnotations } from './private/network-policy';
import { renderCloudConfig } from './render/cloud-config';
import { renderImageRefresher } from './render/image-refresher';
import { setupDisks, setupSecretNames } from './render/setup-disks';
import { RUNNER_KUBERNETES_LABELS, runnerVmiSpec } from './render/vmi-spec';
import { RunnerDisk } from './runner-disk';
import { RunnerNetworkPolicy } from './runner-network-policy';
import { RunnerRelease } from './runner-release';
import { importedVolumeSpec } from './spec/disk';
import { IMAGE_HASH_LENGTH, ImageRefresherLink, ImageSharing, IRunnerImage, resolveImage, RunnerImageProps } from './spec/image';
import { fleetNetworkPolicySpec } from './spec/network-policy';
import { ResolvedSetup, ResolvedStorage } from './spec/resolved';

const BRAND = brandOf('RunnerImage');


/**
 * A runner image baked in the cluster: a bake VM boots the base image with a bake cloud-config
 * that installs the packages, Docker and the checksum-verified runner, enables the per-job unit,
 * forgets the machine's identity and powers off; the volume it leaves is the image. The name carries
 * a hash of everything that went into it, so a change bakes a new image while running VMs keep theirs.
 *
 * Readiness: the image is ready when the bake VM's VirtualMachineInstance (`readyVmiName`) has
 * succeeded, i.e. the guest powered itself off at the end of a successful bake (a failed bake stays
 * up and never succeeds). Every consumer waits for that before it boots the volume.
 *
 * Refresh (`refresh`, on by default): a CronJob `<name>-refresh` re-bakes the image in the cluster with
 * the newest runner release and the distribution's updates, and points the fleet at each new bake
 * through the ConfigMap `<name>-current`, which only it writes (docs/19-keeping-current.md).
 */
export class RunnerImage extends Construct implements IRunnerImage {
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
  /** The bake VM's NetworkPolicy, unless `networkPolicy.enabled` is false. */
  public readonly networkPolicy?: RunnerNetworkPolicy;
  /** The refresher's CronJob (`<name>-refresh`), for `ApiObject.of(...).addJsonPatch(...)`, unless `refresh.enabled` is false. */
  public readonly refreshCronJob?: ApiObject;
  /**
   * The image's refresher, when `refresh` is on.
   * @default - none: refresh is off
   * @internal
   */
  public readonly refresher?: ImageRefresherLink;

  constructor(scope: Construct, id: string, props: RunnerImageProps = {}) {
    super(scope, id);
    setBrand(this, BRAND);
    const spec = resolveImage(props, treeDefaults(this, 'RunnerImage'));
    const { name, baseOsImage: baseImage } = spec;
    this.namespace = spec.namespace;
    this.sharing = spec.sharing;
    this.release = spec.release;
    this.setup = spec.setup;
    this.storage = spec.storage;
    this.distribution = spec.setup.distribution;
    this.arch = spec.release.arch;

    const userData = renderCloudConfig({ kind: 'bake', guest: this.setup });
    this.hash = createHash('sha256')
      .update(JSON.stringify({ source: baseImage.toDataVolumeSource(), arch: this.arch, storage: this.storage, userData, caFrom: this.setup.caCertificatesFrom }))
      .digest('hex').slice(0, IMAGE_HASH_LENGTH);
    this.volumeName = `${name}-${this.hash}`;
    this.readyVmiName = `${this.volumeName}-bake`;
    checkCollisionsAtSynth(this);

    const volume = new RunnerDisk(this, 'Volume', importedVolumeSpec(this.volumeName, this.namespace, { ...this.storage, osImage: baseImage }));
    const cloudInit = new kplus.Secret(this, 'BakeCloudInit', {
      metadata: { name: this.readyVmiName, namespace: this.namespace },
      stringData: { userdata: userData },
    });
    const labels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/component': 'runner-image-bake', 'app.kubernetes.io/instance': name };
    // Selects every bake of this image (the labels hold no hash), so the policy's name stays when the image changes.
    if (spec.networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'BakeNetworkPolicy', fleetNetworkPolicySpec(`${name}-bake`, this.namespace, labels, spec.networkPolicy));
    }
    const annotations = networkPolicyAnnotations(spec.networkPolicy !== undefined);
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
          metadata: { labels, ...(annotations ? { annotations } : {}) },
          spec: runnerVmiSpec({
            hostname: this.readyVmiName,
            sizing: spec.sizing,
            arch: this.arch,
            evictionStrategy: EvictionStrategy.NONE,
            options: spec.scheduling,
            disks: [
              { name: 'rootdisk', volume: { dataVolume: { name: this.volumeName } } },
              { name: 'cloudinitdisk', volume: { cloudInitNoCloud: { secretRef: { name: cloudInit.name } } } },
              ...setupDisks(this.setup),
            ],
          }),
        },
      },
    });
    if (spec.refresh) {
      const warmPools: string[] = [];
      const pointerConfigMap = `${name}-current`;
      this.refresher = { pointerConfigMap, source: this.hash, addWarmPool: (pool) => warmPools.push(pool) };
      const source = baseImage.toDataVolumeSource();
      const bakeVm = this.apiObject;
      this.refreshCronJob = renderImageRefresher(this, {
        name, namespace: this.namespace, hash: this.hash, volumeName: this.volumeName, release: this.release, setup: this.setup, refresh: spec.refresh,
        pointerConfigMap,
        cloneSourceNamespace: source.source?.pvc?.namespace ?? (source.sourceRef ? source.sourceRef.namespace ?? this.namespace : undefined),
        templates: () => ({ dataVolume: volume.apiObject.toJson(), bakeVm: bakeVm.toJson() }),
        warmPools: () => warmPools,
      });
    }
  }

  /** The baked volume as a clone source, for a per-job (or any) DataVolume that copies it. */
  public asCloneSource(): OsImage {
    return OsImage.synthesizedDataVolume(this.namespace, this.volumeName, { distribution: this.distribution, arch: this.arch });
  }
}
