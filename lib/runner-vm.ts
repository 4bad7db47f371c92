import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { VirtualMachine, VirtualMachineSpecDataVolumeTemplatesSpecStorageResourcesRequests as DataVolumeStorageQuantity } from '../imports/kubevirt.io';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
import { registerRunner } from './private/collisions';
import { deepFreeze } from './private/freeze';
import { Naming, propLabel } from './private/naming';
import { defaultDnsLabel } from './private/names';
import { resolvedOf } from './private/resolved';
import { TOKEN_DISK_SERIAL } from './private/token-disk';
import { setupDisks, setupSecretNames } from './private/setup-disks';
import { runnerVmiSpec } from './private/vmi-spec';
import { RunnerCloudInit } from './runner-cloud-init';
import { dataVolumeSpec } from './runner-disk';
import { resolveSizing, resolveStorage, validateBootImage, validateKubernetesLabels, validateName, validateSecretName } from './private/resolve-vm';
import { DiskSpec, MINIMUM_BOOT_DISK_SIZE, ResolvedDisk, ResolvedSizing, RunnerVmSizeOptions } from './runner-spec';

/** Props of RunnerVm. */
export interface RunnerVmProps extends RunnerVmSizeOptions {
  /** The cloud-config that sets the VM up and registers the runner. */
  readonly cloudInit: RunnerCloudInit;
  /** The VM's own root disk, created with the VM (a `dataVolumeTemplates` entry). */
  readonly rootDisk: DiskSpec;
  /** Name of the Secret, created out of band, that holds the registration token. */
  readonly tokenSecretName: string;
  /** `metadata.name` of the VM; also its hostname and the runner's name. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the VM; must be the cloud-init Secret's. @default - the cloud-init Secret's namespace */
  readonly namespace?: string;
  /** Extra labels on the VM and its pods. @default - only the library's app.kubernetes.io labels */
  readonly labels?: Record<string, string>;
}

/** What a RunnerVm renders. */
export interface VmSpec {
  readonly name: string;
  readonly namespace: string;
  readonly cloudInit: RunnerCloudInit;
  readonly rootDisk: ResolvedDisk;
  readonly sizing: ResolvedSizing;
  readonly tokenSecretName: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The library's own Kubernetes labels on every VM and its pods, for selectors and cost reports. */
export const RUNNER_KUBERNETES_LABELS: Readonly<Record<string, string>> = deepFreeze({
  'app.kubernetes.io/name': 'github-actions-runner',
  'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
});

const NAMING: Naming = { owner: 'RunnerVm' };

/**
 * A KubeVirt VirtualMachine (kubevirt.io/v1) that is one GitHub Actions runner: its own root disk,
 * the cloud-config Secret, the registration-token Secret as a disk with a known serial, and the pod
 * network (masquerade). The hostname is the VM name, so the runner registers under the VM's name.
 */
export class RunnerVm extends Construct {
  /** `metadata.name` of the VM, its hostname and its runner's name. */
  public readonly name: string;
  /** Namespace of the VM. */
  public readonly namespace: string;
  /** Name of the VM's root-disk DataVolume. */
  public readonly rootDiskName: string;
  /** The VirtualMachine, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerVmProps) {
    super(scope, id);
    const spec = resolvedOf<VmSpec>(props) ?? resolveVm(props, this);
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.rootDiskName = `${this.name}-root`;
    registerRunner(this, { runnerName: this.name, githubUrl: spec.cloudInit.scope.url, namespace: this.namespace });
    // The library's own labels win: selectors and cost reports rely on them.
    const labels = { ...spec.labels, ...RUNNER_KUBERNETES_LABELS };
    const externalVolumes = annotationValue([spec.rootDisk.image.externalVolume(this.namespace)]);

    this.apiObject = new VirtualMachine(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels,
        // What is created out of band (the token Secret, a clone source you keep), so that
        // validation knows not to look for it in the output.
        annotations: {
          [EXTERNAL_SECRETS_ANNOTATION]: annotationValue([spec.tokenSecretName, spec.rootDisk.image.secretRef, ...setupSecretNames(spec.cloudInit.guest)])!,
          ...(externalVolumes ? { [EXTERNAL_VOLUMES_ANNOTATION]: externalVolumes } : {}),
        },
      },
      spec: {
        runStrategy: spec.sizing.runStrategy,
        ...(spec.sizing.instancetype ? { instancetype: { ...spec.sizing.instancetype } } : {}),
        ...(spec.sizing.preference ? { preference: { ...spec.sizing.preference } } : {}),
        dataVolumeTemplates: [{
          metadata: { name: this.rootDiskName },
          spec: dataVolumeSpec(spec.rootDisk, DataVolumeStorageQuantity.fromString),
        }],
        template: {
          metadata: { labels },
          spec: runnerVmiSpec({
            hostname: this.name,
            sizing: spec.sizing,
            arch: spec.cloudInit.release.arch,
            evictionStrategy: spec.sizing.evictionStrategy,
            disks: [
              { name: 'rootdisk', volume: { dataVolume: { name: this.rootDiskName } } },
              { name: 'cloudinitdisk', volume: { cloudInitNoCloud: { secretRef: { name: spec.cloudInit.secretName } } } },
              // optional: once every runner has registered, the token Secret can (and should) be
              // deleted; a configured runner never reads it again, and its VM still starts.
              { name: 'token', serial: TOKEN_DISK_SERIAL, readonly: true, volume: { secret: { secretName: spec.tokenSecretName, optional: true } } },
              ...setupDisks(spec.cloudInit.guest),
            ],
          }),
        },
      },
    });
  }
}

// A VM used alone: its own props, and its parts (the cloud-init, the image) checked against each other.
function resolveVm(props: RunnerVmProps, self: Construct): VmSpec {
  const cloudInit = props.cloudInit;
  if (!RunnerCloudInit.isRunnerCloudInit(cloudInit)) {
    throw new Error(`${propLabel(NAMING, 'cloudInit')} must be a RunnerCloudInit, got ${JSON.stringify(cloudInit)}`);
  }
  const namespace = validateName(NAMING, 'namespace', props.namespace ?? cloudInit.namespace);
  if (namespace !== cloudInit.namespace) {
    throw new Error(`${propLabel(NAMING, 'namespace')} is ${JSON.stringify(namespace)} but its cloud-init Secret is in `
      + `${JSON.stringify(cloudInit.namespace)}: a VM can only use Secrets of its own namespace`);
  }
  const rootDisk = props.rootDisk;
  return {
    name: validateName(NAMING, 'name', props.name ?? defaultDnsLabel(self)),
    namespace,
    cloudInit,
    rootDisk: {
      ...resolveStorage(rootDisk, NAMING, 'rootDisk', MINIMUM_BOOT_DISK_SIZE),
      image: validateBootImage(NAMING, 'rootDisk.image', rootDisk.image, cloudInit.release, cloudInit.distribution),
    },
    sizing: resolveSizing(props, NAMING),
    tokenSecretName: validateSecretName(NAMING, 'tokenSecretName', props.tokenSecretName),
    labels: validateKubernetesLabels(NAMING, 'labels', props.labels),
  };
}
