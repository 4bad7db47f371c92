import { EvictionStrategy } from '../kubevirt-options';
import { OsImage } from '../os-image';
import { DNS_LABEL_MAX_LENGTH, TreeDefaults } from '../private/names';
import { at, Naming, propLabel, show } from '../private/naming';
import { parseQuantity } from '../private/quantity';
import { validateInteger, validateKubernetesLabels, validateName, validateSecretName } from '../private/validators';
import { RunnerRelease } from '../runner-release';
import { checkOneCaSource, clusterNetworkOf } from './cluster-network';
import { resolveGuest, validateRelease } from './guest';
import { resolveNetworkPolicy, RunnerNetworkPolicyOptions } from './network-policy';
import {
  DEFAULT_ROOT_DISK_SIZE, DiskStorageOptions, MAX_REFRESHED_POOL_NAME_LENGTH, MAX_REPLICAS, MINIMUM_BOOT_DISK_SIZE, RunnerGuestOptions,
  RunnerVmOptions, RunnerVmSizeOptions, TokenRefresherOptions,
} from './options';
import { ResolvedPool } from './resolved';
import { seal, Sealed } from './sealed';
import { resolveTokenRefresherOptions } from './token-refresher';
import { defaultEvictionStrategy, resolveSizing, resolveStorage, resolveVmOptions, validateBootImage } from './vm-options';
import { checkFreeText } from '../private/free-text';

/** Props of RunnerPool. */
export interface RunnerPoolProps extends RunnerGuestOptions, RunnerVmSizeOptions, RunnerVmOptions {
  /** Number of runners, one VM each (at most 10,000). */
  readonly replicas: number;
  /** Name of the Secret, created out of band, that holds the registration token. */
  readonly tokenSecretName: string;
  /** Pool name: VMs are `<name>-0` ... `<name>-(N-1)`. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of every object of the pool. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
  /** The runner package, pinned by version and checksum. @default RunnerRelease.latestKnown() (DEFAULT_RUNNER_VERSION, x64) */
  readonly release?: RunnerRelease;
  /** Operating-system image of every runner. @default OsImage.ubuntu2404() */
  readonly osImage?: OsImage;
  /** Each runner's root disk. @default { size: '50Gi' } */
  readonly rootDisk?: DiskStorageOptions;
  /**
   * Storage of the golden image that http and registry images are imported into once. On
   * Filesystem volumes CDI copies the disk image as it is into each clone, so a smaller golden image
   * gives every runner a smaller disk (unless KubeVirt's ExpandDisks feature gate is on).
   * @default - the root disk's storage (same size, class, modes)
   */
  readonly goldenImage?: Partial<DiskStorageOptions>;
  /** Extra Kubernetes labels on the VMs and their pods. @default - the library's app.kubernetes.io labels and the pool's instance label */
  readonly vmLabels?: Record<string, string>;
  /**
   * Keep the token Secret fresh with a RunnerTokenRefresher (`<name>-refresher`) from a GitHub App or
   * PAT Secret, so that VMs register without a human creating tokens; the pool then owns the token Secret.
   * @default - none: you create the token Secret
   */
  readonly tokenRefresher?: TokenRefresherOptions;
  /**
   * The pool's NetworkPolicy (`<name>`): its VMs reach DNS, the internet and `allowEgressTo`, not
   * other pods, the Kubernetes API or the cloud metadata address; nothing reaches them.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

/** What a RunnerPool renders. */
export type PoolSpec = Sealed<'pool', ResolvedPool>;

/** Validates a whole pool: every runner prop once, and the parts against each other. */
export function resolvePool(props: RunnerPoolProps, naming: Naming, defaults: TreeDefaults): PoolSpec {
  checkFreeText(naming, props);
  const replicas = validateInteger(naming, 'replicas', props.replicas, 1, MAX_REPLICAS);
  // The longest derived name, `<pool>-<N-1>-root` (`-docker` with a Docker disk), must still be a DNS label.
  const maxName = DNS_LABEL_MAX_LENGTH - `-${replicas - 1}-${props.dockerDataDisk !== undefined ? 'docker' : 'root'}`.length;
  const name = validateName(naming, 'name', props.name ?? defaults.name(maxName), maxName);
  const namespace = validateName(naming, 'namespace', props.namespace ?? defaults.namespace);
  const release = validateRelease(naming, props.release);
  const osImage = validateBootImage(naming, 'osImage', props.osImage ?? OsImage.ubuntu2404({ arch: release.arch }), release);
  const guest = resolveGuest({ ...props, release, distribution: osImage.distribution }, naming);
  const rootDisk = resolveStorage(props.rootDisk ?? { size: DEFAULT_ROOT_DISK_SIZE }, naming, 'rootDisk', MINIMUM_BOOT_DISK_SIZE);
  const goldenImage = osImage.isImport
    ? resolveStorage({ ...rootDisk, accessModes: [...rootDisk.accessModes], ...(props.goldenImage ?? {}) }, naming, 'goldenImage', MINIMUM_BOOT_DISK_SIZE)
    : undefined;
  if (goldenImage && parseQuantity(goldenImage.size)! > parseQuantity(rootDisk.size)!) {
    throw new Error(`${propLabel(naming, 'goldenImage.size')} ${goldenImage.size} is larger than '${at(naming, 'rootDisk.size')[1]}' ${rootDisk.size}: `
      + 'CDI cannot clone a volume into a smaller one');
  }
  const tokenSecretName = validateSecretName(naming, 'tokenSecretName', props.tokenSecretName);
  if (props.tokenRefresher !== undefined && name.length > MAX_REFRESHED_POOL_NAME_LENGTH) {
    throw new Error(`${propLabel(naming, 'name')} must be at most ${MAX_REFRESHED_POOL_NAME_LENGTH} characters with a 'tokenRefresher' `
      + `(its CronJob is '<name>-refresher', and Kubernetes allows CronJob names of 52), got ${show(name)}`);
  }
  const sizing = resolveSizing({ ...props, evictionStrategy: props.evictionStrategy ?? defaultEvictionStrategy(props, EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE) }, naming);
  if (props.tokenRefresher !== undefined) checkOneCaSource(naming, clusterNetworkOf(guest), 'the token refresher');
  return seal('pool', {
    name,
    namespace,
    replicas,
    guest,
    osImage,
    rootDisk,
    goldenImage,
    sizing,
    vmOptions: resolveVmOptions(props, naming, { sizing, arch: release.arch, oneJob: false, guest: { setup: guest } }),
    tokenSecretName,
    vmLabels: validateKubernetesLabels(naming, 'vmLabels', props.vmLabels),
    networkPolicy: resolveNetworkPolicy(props.networkPolicy, naming),
    ...(props.tokenRefresher !== undefined ? { tokenRefresher: resolveTokenRefresherOptions(props.tokenRefresher, naming, 'tokenRefresher', tokenSecretName) } : {}),
  });
}
