import type { RunnerAffinity } from '../affinity';
import {
  AccessMode, CpuVendor, EvictionStrategy, NestedCpuModel, ResourceScope, RunStrategy, TaintEffect, TolerationOperator, VolumeMode,
} from '../kubevirt-options';
import { OsImage } from '../os-image';
import { Distribution, RunnerArch } from '../platform';
import { deepFreeze } from '../private/freeze';
import { isLabelValue, isQualifiedName, validateDnsSubdomain, validateLabelMap } from '../private/names';
import { at, Naming, propLabel, show } from '../private/naming';
import { parseQuantity, validateByteQuantity, validateCpu } from '../private/quantity';
import { validateBoolean, validateEnum } from '../private/validators';
import { RunnerRelease } from '../runner-release';
import {
  DiskStorageOptions, MINIMUM_DOCKER_DATA_DISK_SIZE, MINIMUM_RUNNER_MEMORY, NestedVirtualizationOptions, ResourceReference,
  RunnerToleration, RunnerVmOptions, RunnerVmSizeOptions,
} from './options';
import { ResolvedNestedVirtualization, ResolvedSetup, ResolvedSizing, ResolvedStorage, ResolvedToleration, ResolvedVmOptions } from './resolved';

// Sub-resolvers: a VM's size, storage and boot image, and where and how it runs.

const INSTANCETYPE_KIND = { [ResourceScope.CLUSTER]: 'VirtualMachineClusterInstancetype', [ResourceScope.NAMESPACED]: 'VirtualMachineInstancetype' };
const PREFERENCE_KIND = { [ResourceScope.CLUSTER]: 'VirtualMachineClusterPreference', [ResourceScope.NAMESPACED]: 'VirtualMachinePreference' };

/** Validates the VM's size and run policy. */
export function resolveSizing(props: RunnerVmSizeOptions, naming: Naming): ResolvedSizing {
  const reference = (prop: string, value: ResourceReference, kinds: Record<ResourceScope, string>) => {
    validateDnsSubdomain(...at(naming, `${prop}.name`), value?.name);
    const scope = validateEnum(...at(naming, `${prop}.scope`), ResourceScope, value.scope ?? ResourceScope.CLUSTER);
    return Object.freeze({ name: value.name, kind: kinds[scope] });
  };
  // With an instancetype, KubeVirt rejects a VM that also sets CPU or memory itself.
  if (props.instancetype && (props.cpu !== undefined || props.memory !== undefined)) {
    throw new Error(`${propLabel(naming, 'instancetype')} ${JSON.stringify(props.instancetype.name)} sizes the VM: do not set 'cpu' or 'memory' with it`);
  }
  return Object.freeze({
    ...(props.instancetype ? { instancetype: reference('instancetype', props.instancetype, INSTANCETYPE_KIND) } : {
      cpu: validateCpu(...at(naming, 'cpu'), props.cpu ?? 4),
      memory: validateByteQuantity(...at(naming, 'memory'), props.memory ?? '16Gi', MINIMUM_RUNNER_MEMORY),
    }),
    ...(props.preference ? { preference: reference('preference', props.preference, PREFERENCE_KIND) } : {}),
    runStrategy: validateEnum(...at(naming, 'runStrategy'), RunStrategy, props.runStrategy ?? RunStrategy.ALWAYS),
    evictionStrategy: validateEnum(...at(naming, 'evictionStrategy'), EvictionStrategy, props.evictionStrategy ?? EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE),
  });
}

/** Validates a volume's storage; `prop` is where it sits in the caller's props ('rootDisk'), '' at the top. */
export function resolveStorage(storage: DiskStorageOptions, naming: Naming, prop: string, minimumSize?: string): ResolvedStorage {
  const where = (field: string) => at(naming, prop ? `${prop}.${field}` : field);
  if (typeof storage !== 'object' || storage === null) {
    throw new Error(`${propLabel(naming, prop || 'size')} must be an object with a 'size', got ${JSON.stringify(storage)}`);
  }
  const modes = storage.accessModes ?? [AccessMode.READ_WRITE_ONCE];
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => !Object.values(AccessMode).includes(m))) {
    const [owner, name] = where('accessModes');
    throw new Error(`${owner} '${name}' must be a non-empty list of ${Object.values(AccessMode).join(', ')}, got ${JSON.stringify(storage.accessModes)}`);
  }
  return Object.freeze({
    size: validateByteQuantity(...where('size'), storage.size, minimumSize),
    ...(storage.storageClassName !== undefined ? { storageClassName: validateDnsSubdomain(...where('storageClassName'), storage.storageClassName) } : {}),
    accessModes: Object.freeze([...modes]),
    ...(storage.volumeMode !== undefined ? { volumeMode: validateEnum(...where('volumeMode'), VolumeMode, storage.volumeMode) } : {}),
  });
}

/** Checks that a value is an OsImage. */
export function validateImage(naming: Naming, prop: string, image: OsImage): OsImage {
  if (!OsImage.isOsImage(image)) {
    throw new Error(`${propLabel(naming, prop)} must be an OsImage (OsImage.ubuntu2404(), OsImage.http(...), ...), got ${JSON.stringify(image)}`);
  }
  return image;
}

/** Checks that an image can boot a runner for `release`: it holds an operating system of the release's architecture. */
export function validateBootImage(naming: Naming, prop: string, image: OsImage, release: RunnerRelease, distribution?: Distribution): OsImage {
  validateImage(naming, prop, image);
  if (image.distribution === undefined) {
    throw new Error(`${propLabel(naming, prop)} must hold an operating system; a blank disk cannot boot a runner`);
  }
  if (distribution !== undefined && image.distribution !== distribution) {
    throw new Error(`${propLabel(naming, prop)} is ${image.distribution} but the cloud-init was rendered for `
      + `${distribution}: Docker's repository would not match the guest`);
  }
  if (image.arch !== release.arch) {
    throw new Error(`${propLabel(naming, prop)} is ${image.arch} but the runner release is ${release.arch}`);
  }
  if (image.minimumRunnerVersion !== undefined && release.isOlderThan(image.minimumRunnerVersion)) {
    throw new Error(`${propLabel(naming, prop)} needs runner ${image.minimumRunnerVersion} or later, but the runner release is ${release.version}`);
  }
  return image;
}

// ---------------------------------------------------------------------------------------------
// Where and how a runner VM runs: scheduling, CPUs, Docker's disk, probe, SSH.

/** What resolving the VM options depends on, besides the props. */
export interface VmOptionsContext {
  /** The VM's resolved size and eviction strategy. */
  readonly sizing: Pick<ResolvedSizing, 'cpu' | 'instancetype' | 'evictionStrategy'>;
  /** The runner's architecture. */
  readonly arch: RunnerArch;
  /** One-job VMs (warm pool, scale sets) get an emptyDisk for Docker, which only has a size. */
  readonly oneJob: boolean;
  /** The guest the VM boots: Docker's disk needs Docker, and a Secret of SSH keys replaces the inline ones. */
  readonly guest: GuestOfVm;
}

/** The guest set-up a VM boots with, and where it was given. */
export interface GuestOfVm {
  readonly setup: Pick<ResolvedSetup, 'docker' | 'sshAuthorizedKeys'>;
  /** The construct whose props set it up ('RunnerImage', 'RunnerCloudInit'); undefined when it is the VM's own props. */
  readonly from?: string;
}

const NESTED_FEATURE: Record<CpuVendor, string> = { [CpuVendor.INTEL]: 'vmx', [CpuVendor.AMD]: 'svm' };
const TOLERATION_FIELDS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

/** Whether a `nestedVirtualization` prop turns it on (for defaults that depend on it). */
export function wantsNestedVirtualization(value: boolean | NestedVirtualizationOptions | undefined): boolean {
  return value !== undefined && value !== false;
}

/** The eviction strategy a VM gets when the user set none: a VM running nested guests is not live-migrated. */
export function defaultEvictionStrategy(props: RunnerVmOptions, otherwise: EvictionStrategy): EvictionStrategy {
  return wantsNestedVirtualization(props.nestedVirtualization) ? EvictionStrategy.NONE : otherwise;
}

/** Validates where and how a runner VM runs; errors name `naming`'s owner and the prop. */
export function resolveVmOptions(props: RunnerVmOptions, naming: Naming, context: VmOptionsContext): ResolvedVmOptions {
  const dedicatedCpus = validateBoolean(naming, 'dedicatedCpus', props.dedicatedCpus, false);
  if (dedicatedCpus) {
    if (context.sizing.instancetype) {
      throw new Error(`${propLabel(naming, 'dedicatedCpus')} cannot be set with an 'instancetype': the instancetype decides `
        + 'dedicated CPUs (its spec.cpu.dedicatedCPUPlacement, e.g. the cx1 series), and KubeVirt rejects a VM that sets both');
    }
    const cores = parseQuantity(context.sizing.cpu ?? '');
    if (cores === undefined || !Number.isInteger(cores)) {
      throw new Error(`${propLabel(naming, 'dedicatedCpus')} needs whole CPUs in '${at(naming, 'cpu')[1]}' (each vCPU gets a host CPU), `
        + `got ${show(context.sizing.cpu)}`);
    }
  }
  const priorityClassName = props.priorityClassName === undefined ? undefined
    : validateDnsSubdomain(...at(naming, 'priorityClassName'), props.priorityClassName);
  const sshPublicKeysSecret = props.sshPublicKeysSecret === undefined ? undefined
    : validateDnsSubdomain(...at(naming, 'sshPublicKeysSecret'), props.sshPublicKeysSecret);
  checkAgainstGuest(props, naming, context.guest);
  const nestedVirtualization = resolveNested(props.nestedVirtualization, naming, context);
  return Object.freeze({
    nodeSelector: Object.freeze({ ...validateLabelMap(...at(naming, 'nodeSelector'), objectProp(naming, 'nodeSelector', props.nodeSelector ?? {})) }),
    tolerations: Object.freeze(listProp(naming, 'tolerations', props.tolerations ?? []).map((t, i) => resolveToleration(t, naming, `tolerations[${i}]`))),
    ...(props.affinity !== undefined ? { affinity: validateAffinity(props.affinity, naming) } : {}),
    ...(priorityClassName !== undefined ? { priorityClassName } : {}),
    spreadAcrossNodes: validateBoolean(naming, 'spreadAcrossNodes', props.spreadAcrossNodes, true),
    dedicatedCpus,
    ...(nestedVirtualization ? { nestedVirtualization } : {}),
    ...(props.dockerDataDisk !== undefined ? { dockerDataDisk: resolveDockerDataDisk(props.dockerDataDisk, naming, context.oneJob) } : {}),
    guestAgentReadinessProbe: validateBoolean(naming, 'guestAgentReadinessProbe', props.guestAgentReadinessProbe, true),
    ...(sshPublicKeysSecret !== undefined ? { sshPublicKeysSecret } : {}),
  });
}

// KubeVirt's qemuGuestAgent propagation of accessCredentials (pkg/virt-launcher/virtwrap/access-credentials)
// rewrites the user's whole ~/.ssh/authorized_keys with the Secret's keys, again every few minutes: inline
// keys written by cloud-init would vanish shortly after boot. And a Docker disk needs Docker to mount it.
function checkAgainstGuest(props: RunnerVmOptions, naming: Naming, guest: GuestOfVm): void {
  const theirs = (prop: string) => guest.from ? `${guest.from} '${prop}'` : `'${at(naming, prop)[1]}'`;
  if (props.sshPublicKeysSecret !== undefined && guest.setup.sshAuthorizedKeys.length > 0) {
    throw new Error(`${propLabel(naming, 'sshPublicKeysSecret')} cannot be used with ${theirs('sshAuthorizedKeys')}: KubeVirt's guest agent `
      + 'replaces the whole authorized_keys of the user with the Secret\'s keys (and again every few minutes), so the inline keys '
      + 'would stop working; put every key in the Secret, or use only the inline keys');
  }
  if (props.dockerDataDisk !== undefined && !guest.setup.docker) {
    throw new Error(`${propLabel(naming, 'dockerDataDisk')} would be ignored: ${theirs('docker')} is false, so nothing mounts the disk; `
      + 'remove it (or turn Docker on)');
  }
}

function objectProp<T extends object>(naming: Naming, prop: string, value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${propLabel(naming, prop)} must be an object, got ${show(value)}`);
  }
  return value;
}

function listProp<T>(naming: Naming, prop: string, value: T[]): T[] {
  if (!Array.isArray(value)) throw new Error(`${propLabel(naming, prop)} must be a list, got ${show(value)}`);
  return value;
}

// Kubernetes pkg/apis/core/validation ValidateTolerations: a key is a qualified name; no key means
// Exists; Exists takes no value; tolerationSeconds only with NoExecute.
function resolveToleration(toleration: RunnerToleration, naming: Naming, prop: string): ResolvedToleration {
  objectProp(naming, prop, toleration);
  const unknown = Object.keys(toleration).filter((k) => !TOLERATION_FIELDS.includes(k));
  if (unknown.length > 0) throw new Error(`${propLabel(naming, prop)} has unknown fields ${show(unknown)} (${TOLERATION_FIELDS.join(', ')})`);
  const { key, value, tolerationSeconds } = toleration;
  if (key !== undefined && key !== '' && !isQualifiedName(key)) {
    throw new Error(`${propLabel(naming, `${prop}.key`)} must be a label key ([prefix/]name), got ${show(key)}`);
  }
  const operator = toleration.operator === undefined ? undefined : validateEnum(...at(naming, `${prop}.operator`), TolerationOperator, toleration.operator);
  const effect = toleration.effect === undefined ? undefined : validateEnum(...at(naming, `${prop}.effect`), TaintEffect, toleration.effect);
  if (!key && operator !== TolerationOperator.EXISTS) {
    throw new Error(`${propLabel(naming, `${prop}.operator`)} must be EXISTS when the toleration has no key (it then tolerates every taint)`);
  }
  if (value !== undefined && value !== '') {
    if (operator === TolerationOperator.EXISTS) throw new Error(`${propLabel(naming, `${prop}.value`)} must be empty with operator EXISTS, got ${show(value)}`);
    if (!isLabelValue(value)) throw new Error(`${propLabel(naming, `${prop}.value`)} must be a label value (at most 63 letters, digits, -, _ or .), got ${show(value)}`);
  }
  if (tolerationSeconds !== undefined) {
    if (typeof tolerationSeconds !== 'number' || !Number.isInteger(tolerationSeconds)) {
      throw new Error(`${propLabel(naming, `${prop}.tolerationSeconds`)} must be a whole number of seconds, got ${show(tolerationSeconds)}`);
    }
    if (effect !== TaintEffect.NO_EXECUTE) {
      throw new Error(`${propLabel(naming, `${prop}.tolerationSeconds`)} only applies with effect NO_EXECUTE`);
    }
  }
  return Object.freeze({
    ...(key ? { key } : {}), ...(operator ? { operator } : {}), ...(value ? { value } : {}), ...(effect ? { effect } : {}),
    ...(tolerationSeconds !== undefined ? { tolerationSeconds } : {}),
  });
}

// The label selectors and topology keys inside an affinity follow the label rules; the rest of its
// shape is checked by the schema validation of the output.
function validateAffinity(affinity: RunnerAffinity, naming: Naming): RunnerAffinity {
  objectProp(naming, 'affinity', affinity);
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [field, value] of Object.entries(node)) {
      const where = `${path}.${field}`;
      if (field === 'matchLabels') validateLabelMap(...at(naming, where), objectProp(naming, where, value as Record<string, string>));
      else if (field === 'topologyKey' && !isQualifiedName(value)) {
        throw new Error(`${propLabel(naming, where)} must be a label key such as 'kubernetes.io/hostname', got ${show(value)}`);
      } else if (field === 'matchExpressions' || field === 'matchFields') {
        listProp(naming, where, value as unknown[]).forEach((expression: any, i) => {
          if (field === 'matchExpressions' && !isQualifiedName(expression?.key)) {
            throw new Error(`${propLabel(naming, `${where}[${i}].key`)} must be a label key, got ${show(expression?.key)}`);
          }
          if (!SELECTOR_OPERATORS.includes(expression?.operator)) {
            throw new Error(`${propLabel(naming, `${where}[${i}].operator`)} must be one of ${SELECTOR_OPERATORS.join(', ')}, got ${show(expression?.operator)}`);
          }
        });
      } else walk(value, where);
    }
  };
  walk(affinity, 'affinity');
  // A copy: changing the caller's object later must not change what was validated.
  return deepFreeze(structuredClone(affinity));
}

function resolveNested(value: boolean | NestedVirtualizationOptions | undefined, naming: Naming, context: VmOptionsContext)
  : ResolvedNestedVirtualization | undefined {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new Error(`${propLabel(naming, 'nestedVirtualization')} must be true, false or { cpuModel, cpuVendor }, got ${show(value)}`);
  }
  const options: NestedVirtualizationOptions = value === true ? {} : value;
  const cpuModel = validateEnum(...at(naming, 'nestedVirtualization.cpuModel'), NestedCpuModel, options.cpuModel ?? NestedCpuModel.HOST_PASSTHROUGH);
  const vendor = validateEnum(...at(naming, 'nestedVirtualization.cpuVendor'), CpuVendor, options.cpuVendor ?? CpuVendor.INTEL);
  if (context.arch !== RunnerArch.X64) {
    throw new Error(`${propLabel(naming, 'nestedVirtualization')} is supported for x64 runners only (the vmx and svm features), `
      + `the runners are ${context.arch}`);
  }
  // A nested guest's state cannot be moved reliably, and a host-passthrough CPU only to an identical
  // node: a drain that insists on live migration would wait for ever.
  if (context.sizing.evictionStrategy === EvictionStrategy.LIVE_MIGRATE) {
    throw new Error(`${propLabel(naming, 'nestedVirtualization')} cannot be used with '${at(naming, 'evictionStrategy')[1]}' LIVE_MIGRATE: `
      + 'a VM running nested guests cannot be live-migrated safely; leave evictionStrategy unset (NONE) or use LIVE_MIGRATE_IF_POSSIBLE');
  }
  return Object.freeze({ cpuModel, feature: NESTED_FEATURE[vendor] });
}

function resolveDockerDataDisk(disk: DiskStorageOptions, naming: Naming, oneJob: boolean): ResolvedStorage {
  if (oneJob && typeof disk === 'object' && disk !== null) {
    const extra = Object.keys(disk).filter((k) => k !== 'size');
    if (extra.length > 0) {
      throw new Error(`${propLabel(naming, `dockerDataDisk.${extra[0]}`)} does not apply: a one-job VM's Docker disk is an emptyDisk `
        + "on the node, gone with the VM; only 'size' can be set");
    }
  }
  return resolveStorage(disk, naming, 'dockerDataDisk', MINIMUM_DOCKER_DATA_DISK_SIZE);
}
