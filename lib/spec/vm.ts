import { EvictionStrategy } from '../kubevirt-options';
import { DNS_LABEL_MAX_LENGTH, TreeDefaults } from '../private/names';
import { Naming, propLabel, show } from '../private/naming';
import { validateBranded, validateKubernetesLabels, validateName, validateSecretName } from '../private/validators';
import { IRunnerCloudInit } from './cloud-init';
import { DiskSpec, MINIMUM_BOOT_DISK_SIZE, RunnerVmOptions, RunnerVmSizeOptions } from './options';
import { ResolvedDisk, ResolvedSizing, ResolvedVmOptions } from './resolved';
import { seal, Sealed } from './sealed';
import { defaultEvictionStrategy, resolveSizing, resolveStorage, resolveVmOptions, validateBootImage } from './vm-options';
import { checkFreeText } from '../private/free-text';

/** Props of RunnerVm. */
export interface RunnerVmProps extends RunnerVmSizeOptions, Omit<RunnerVmOptions, 'spreadAcrossNodes'> {
  /** The cloud-config that sets the VM up and registers the runner: a RunnerCloudInit. */
  readonly cloudInit: IRunnerCloudInit;
  /** The VM's own root disk, created with the VM (a `dataVolumeTemplates` entry). */
  readonly rootDisk: DiskSpec;
  /** Name of the Secret, created out of band, that holds the registration token. */
  readonly tokenSecretName: string;
  /** `metadata.name` of the VM; also its hostname and the runner's name. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the VM; must be the cloud-init Secret's. @default - the cloud-init Secret's namespace */
  readonly namespace?: string;
  /** Extra Kubernetes labels on the VM and its pods. @default - only the library's app.kubernetes.io labels */
  readonly vmLabels?: Record<string, string>;
}

/** What a RunnerVm renders, before it is sealed. */
export interface VmParts {
  readonly name: string;
  readonly namespace: string;
  readonly cloudInit: IRunnerCloudInit;
  readonly rootDisk: ResolvedDisk;
  readonly sizing: ResolvedSizing;
  readonly vmOptions: ResolvedVmOptions;
  /** Labels that select the VMIs of the VM's fleet (for spreading them); none for a VM alone. */
  readonly fleetSelector?: Readonly<Record<string, string>>;
  readonly tokenSecretName: string;
  readonly vmLabels: Readonly<Record<string, string>>;
  /** Annotations of the VM's template (its VMIs and their pods). */
  readonly templateAnnotations?: Readonly<Record<string, string>>;
}

/** What a RunnerVm renders. */
export type VmSpec = Sealed<'vm', VmParts>;

const NAMING: Naming = { owner: 'RunnerVm' };

/** A RunnerVm made alone: its own props, and its parts (the cloud-init, the image) checked against each other. */
export function resolveVm(props: RunnerVmProps, defaults: TreeDefaults): VmSpec {
  checkFreeText(NAMING, props);
  const cloudInit = validateBranded<IRunnerCloudInit>(NAMING, 'cloudInit', props.cloudInit, 'RunnerCloudInit');
  const namespace = validateName(NAMING, 'namespace', props.namespace ?? cloudInit.namespace);
  if (namespace !== cloudInit.namespace) {
    throw new Error(`${propLabel(NAMING, 'namespace')} is ${show(namespace)} but its cloud-init Secret is in `
      + `${show(cloudInit.namespace)}: a VM can only use Secrets of its own namespace`);
  }
  const rootDisk = props.rootDisk;
  // `<name>-docker` is a DataVolume name, a DNS label too.
  const maxName = props.dockerDataDisk !== undefined ? DNS_LABEL_MAX_LENGTH - '-docker'.length : DNS_LABEL_MAX_LENGTH;
  const sizing = resolveSizing({
    ...props, evictionStrategy: props.evictionStrategy ?? defaultEvictionStrategy(props, EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE),
  }, NAMING);
  return seal('vm', {
    name: validateName(NAMING, 'name', props.name ?? defaults.name(maxName), maxName),
    namespace,
    cloudInit,
    rootDisk: Object.freeze({
      ...resolveStorage(rootDisk, NAMING, 'rootDisk', MINIMUM_BOOT_DISK_SIZE),
      osImage: validateBootImage(NAMING, 'rootDisk.osImage', rootDisk.osImage, cloudInit.release, cloudInit.distribution),
    }),
    sizing,
    vmOptions: resolveVmOptions({ ...props, spreadAcrossNodes: false }, NAMING,
      { sizing, arch: cloudInit.release.arch, oneJob: false, guest: { setup: cloudInit.guest, from: 'RunnerCloudInit' } }),
    tokenSecretName: validateSecretName(NAMING, 'tokenSecretName', props.tokenSecretName),
    vmLabels: validateKubernetesLabels(NAMING, 'vmLabels', props.vmLabels),
  });
}

/** One VM of a fleet whose resolver validated every part. */
export function fleetVmSpec(parts: VmParts): VmSpec {
  return seal('vm', { ...parts });
}
