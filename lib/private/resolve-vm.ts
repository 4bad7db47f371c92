import { AccessMode, EvictionStrategy, ResourceScope, RunStrategy, VolumeMode } from '../kubevirt-options';
import { OsImage } from '../os-image';
import { Distribution } from '../platform';
import { RunnerRelease } from '../runner-release';
import { DiskStorageOptions, MINIMUM_RUNNER_MEMORY, ResolvedSizing, ResolvedStorage, ResourceReference, RunnerVmSizeOptions } from '../runner-spec';
import { validateEnum } from './enum-value';
import { at, Naming, propLabel } from './naming';
import { DNS_LABEL_MAX_LENGTH, validateDnsLabel, validateDnsSubdomain, validateLabelMap } from './names';
import { validateByteQuantity, validateCpu } from './quantity';

// The runner spec, part two: a VM's size, storage and boot image, and the names of its objects.

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
  return image;
}

/** Validates a resource name (a DNS-1123 label, like VM and namespace names). */
export function validateName(naming: Naming, prop: string, value: string, maxLength = DNS_LABEL_MAX_LENGTH): string {
  return validateDnsLabel(...at(naming, prop), value, maxLength);
}

/** Validates a Secret name. */
export function validateSecretName(naming: Naming, prop: string, value: string): string {
  return validateDnsSubdomain(...at(naming, prop), value);
}

/** Validates extra Kubernetes labels. */
export function validateKubernetesLabels(naming: Naming, prop: string, labels: Record<string, string> | undefined): Readonly<Record<string, string>> {
  return Object.freeze({ ...validateLabelMap(...at(naming, prop), labels ?? {}) });
}
