import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  VirtualMachine,
  VirtualMachineSpecDataVolumeTemplatesSpecStorageResourcesRequests as DataVolumeStorageQuantity,
  VirtualMachineSpecTemplateSpecDomainResourcesRequests as DomainQuantity,
} from '../imports/kubevirt.io';
import { validateEnum } from './enum-value';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './external-references';
import { defaultDnsLabel, validateDnsLabel, validateDnsSubdomain, validateLabelMap } from './names';
import { validateByteQuantity, validateCpu, vcpusFor } from './quantity';
import { RunnerCloudInit } from './runner-cloud-init';
import { dataVolumeSpec, DiskSpec } from './runner-disk';
import { RunnerArch } from './runner-release';
import { TOKEN_DISK_SERIAL } from './token-disk';

/** When KubeVirt runs the VM (`spec.runStrategy`). */
export enum RunStrategy {
  /** Always running; restarted whenever it stops. */
  ALWAYS = 'Always',
  /** Restarted only after a failure. */
  RERUN_ON_FAILURE = 'RerunOnFailure',
  /** Started and stopped by hand (virtctl start/stop). */
  MANUAL = 'Manual',
  /** Never running. */
  HALTED = 'Halted',
  /** Runs once, never restarted. */
  ONCE = 'Once',
}

/** What happens to the VM when its node is drained (`spec.template.spec.evictionStrategy`). */
export enum EvictionStrategy {
  /** Live-migrate when the VM can move (RWX disks), otherwise shut it down: a drain is never blocked. */
  LIVE_MIGRATE_IF_POSSIBLE = 'LiveMigrateIfPossible',
  /** Always live-migrate; a drain waits while the VM cannot move (RWO root disks cannot). */
  LIVE_MIGRATE = 'LiveMigrate',
  /** Shut the VM down. */
  NONE = 'None',
  /** Leave it to an external controller. */
  EXTERNAL = 'External',
}

/** Which kind of instancetype or preference a VM refers to. */
export enum ResourceScope {
  /** A cluster-wide VirtualMachineClusterInstancetype / VirtualMachineClusterPreference. */
  CLUSTER = 'cluster',
  /** A VirtualMachineInstancetype / VirtualMachinePreference in the VM's namespace. */
  NAMESPACED = 'namespaced',
}

/** A reference to an instancetype or preference. */
export interface ResourceReference {
  /** Its name, e.g. 'u1.2xlarge'. */
  readonly name: string;
  /** Cluster-wide or namespaced. @default ResourceScope.CLUSTER */
  readonly scope?: ResourceScope;
}

/** Sizing and scheduling of a runner VM, shared by RunnerVm, RunnerPool and RunnerChart. */
export interface RunnerVmSizeOptions {
  /** Virtual CPUs: a number of cores or a Kubernetes CPU quantity. Not with `instancetype`. @default 4 (a GitHub-hosted public-repository runner) */
  readonly cpu?: number | string;
  /** Memory, a Kubernetes quantity. Not with `instancetype`. @default '16Gi' (a GitHub-hosted public-repository runner) */
  readonly memory?: string;
  /** An instancetype that sizes the VM instead of `cpu` and `memory`. @default - sized by `cpu` and `memory` */
  readonly instancetype?: ResourceReference;
  /** A preference for the VM's devices and firmware. @default - none */
  readonly preference?: ResourceReference;
  /** When KubeVirt runs the VM. @default RunStrategy.ALWAYS */
  readonly runStrategy?: RunStrategy;
  /**
   * What a node drain does to the VM. Set explicitly because some clusters default to LiveMigrate,
   * which blocks drains of VMs on ReadWriteOnce disks.
   * @default EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE
   */
  readonly evictionStrategy?: EvictionStrategy;
}

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

const KUBEVIRT_ARCH: Record<RunnerArch, string> = { [RunnerArch.X64]: 'amd64', [RunnerArch.ARM64]: 'arm64' };
const INSTANCETYPE_KIND = { [ResourceScope.CLUSTER]: 'VirtualMachineClusterInstancetype', [ResourceScope.NAMESPACED]: 'VirtualMachineInstancetype' };
const PREFERENCE_KIND = { [ResourceScope.CLUSTER]: 'VirtualMachineClusterPreference', [ResourceScope.NAMESPACED]: 'VirtualMachinePreference' };

/** The library's own labels on every VM, for selectors and cost reports. */
export const RUNNER_LABELS = {
  'app.kubernetes.io/name': 'github-actions-runner',
  'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
};

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
    const owner = 'RunnerVm';
    if (!(props.cloudInit instanceof RunnerCloudInit)) {
      throw new Error(`${owner} 'cloudInit' must be a RunnerCloudInit, got ${JSON.stringify(props.cloudInit)}`);
    }
    const cloudInit = props.cloudInit;
    this.name = validateDnsLabel(owner, 'name', props.name ?? defaultDnsLabel(this));
    this.namespace = validateDnsLabel(owner, 'namespace', props.namespace ?? cloudInit.namespace);
    if (this.namespace !== cloudInit.namespace) {
      throw new Error(`${owner} 'namespace' is ${JSON.stringify(this.namespace)} but its cloud-init Secret is in `
        + `${JSON.stringify(cloudInit.namespace)}: a VM can only use Secrets of its own namespace`);
    }
    validateDnsSubdomain(owner, 'tokenSecretName', props.tokenSecretName);
    checkImageFitsCloudInit(props.rootDisk, cloudInit);
    this.rootDiskName = `${this.name}-root`;
    const runStrategy = validateEnum(owner, 'runStrategy', RunStrategy, props.runStrategy ?? RunStrategy.ALWAYS);
    const evictionStrategy = validateEnum(owner, 'evictionStrategy', EvictionStrategy, props.evictionStrategy ?? EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE);
    // The library's own labels win: selectors and cost reports rely on them.
    const labels = { ...validateLabelMap(owner, 'labels', props.labels ?? {}), ...RUNNER_LABELS };

    this.apiObject = new VirtualMachine(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels,
        // What is created out of band (the token Secret, a clone source you keep), so that
        // validation knows not to look for it in the output.
        annotations: {
          [EXTERNAL_SECRETS_ANNOTATION]: props.tokenSecretName,
          ...externalVolumes(props.rootDisk.image.externalVolume(this.namespace)),
        },
      },
      spec: {
        runStrategy,
        ...instancetypeSpec(props),
        dataVolumeTemplates: [{
          metadata: { name: this.rootDiskName },
          spec: dataVolumeSpec(`${owner} rootDisk`, props.rootDisk, DataVolumeStorageQuantity.fromString),
        }],
        template: {
          metadata: { labels },
          spec: {
            hostname: this.name,
            evictionStrategy,
            architecture: KUBEVIRT_ARCH[cloudInit.release.arch],
            domain: {
              ...domainSizing(props),
              devices: {
                disks: [
                  { name: 'rootdisk', disk: { bus: 'virtio' } },
                  { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
                  // The bootstrap script finds this disk as /dev/disk/by-id/virtio-<serial>.
                  { name: 'token', serial: TOKEN_DISK_SERIAL, disk: { bus: 'virtio', readonly: true } },
                ],
                interfaces: [{ name: 'default', masquerade: {} }],
                rng: {},
              },
            },
            networks: [{ name: 'default', pod: {} }],
            volumes: [
              { name: 'rootdisk', dataVolume: { name: this.rootDiskName } },
              { name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: cloudInit.secretName } } },
              // optional: once every runner has registered, the token Secret can (and should) be
              // deleted; a configured runner never reads it again, and its VM still starts.
              { name: 'token', secret: { secretName: props.tokenSecretName, optional: true } },
            ],
          },
        },
      },
    });
  }
}

function externalVolumes(reference: string | undefined): Record<string, string> {
  const value = annotationValue([reference]);
  return value ? { [EXTERNAL_VOLUMES_ANNOTATION]: value } : {};
}

function checkImageFitsCloudInit(rootDisk: DiskSpec, cloudInit: RunnerCloudInit): void {
  const image = rootDisk?.image;
  if (image?.distribution === undefined) {
    throw new Error(`RunnerVm 'rootDisk.image' must hold an operating system; a blank disk cannot boot a runner`);
  }
  if (image.distribution !== cloudInit.distribution) {
    throw new Error(`RunnerVm 'rootDisk.image' is ${image.distribution} but the cloud-init was rendered for `
      + `${cloudInit.distribution}: Docker's repository would not match the guest`);
  }
  if (image.arch !== cloudInit.release.arch) {
    throw new Error(`RunnerVm 'rootDisk.image' is ${image.arch} but the runner release is ${cloudInit.release.arch}`);
  }
}

function instancetypeSpec(props: RunnerVmSizeOptions) {
  const ref = (owner: string, value: ResourceReference, kinds: Record<ResourceScope, string>) => {
    validateDnsSubdomain('RunnerVm', `${owner}.name`, value.name);
    const scope = validateEnum('RunnerVm', `${owner}.scope`, ResourceScope, value.scope ?? ResourceScope.CLUSTER);
    return { name: value.name, kind: kinds[scope] };
  };
  return {
    ...(props.instancetype ? { instancetype: ref('instancetype', props.instancetype, INSTANCETYPE_KIND) } : {}),
    ...(props.preference ? { preference: ref('preference', props.preference, PREFERENCE_KIND) } : {}),
  };
}

// With an instancetype, KubeVirt rejects a VM that also sets CPU or memory itself.
function domainSizing(props: RunnerVmSizeOptions) {
  if (props.instancetype) {
    if (props.cpu !== undefined || props.memory !== undefined) {
      throw new Error(`RunnerVm 'instancetype' ${JSON.stringify(props.instancetype.name)} sizes the VM: do not set 'cpu' or 'memory' with it`);
    }
    return {};
  }
  const cpu = validateCpu('RunnerVm', 'cpu', props.cpu ?? 4);
  const memory = validateByteQuantity('RunnerVm', 'memory', props.memory ?? '16Gi');
  return {
    cpu: { cores: vcpusFor(cpu) },
    resources: { requests: { cpu: DomainQuantity.fromString(cpu), memory: DomainQuantity.fromString(memory) } },
  };
}
