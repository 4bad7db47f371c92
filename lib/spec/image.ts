import { AccessMode, EvictionStrategy, VolumeMode } from '../kubevirt-options';
import { OsImage } from '../os-image';
import { Distribution, RunnerArch } from '../platform';
import { TreeDefaults } from '../private/names';
import { Naming, propLabel, show } from '../private/naming';
import { checkSameNamespace, validateBranded, validateEnum, validateName } from '../private/validators';
import { RunnerRelease } from '../runner-release';
import { resolveSetup, validateRelease } from './guest';
import { ResolvedNetworkRules, resolveNetworkPolicy, RunnerNetworkPolicyOptions } from './network-policy';
import { DEFAULT_ROOT_DISK_SIZE, MINIMUM_BOOT_DISK_SIZE, RunnerSetupOptions, RunnerVmOptions } from './options';
import { ResolvedSetup, ResolvedSizing, ResolvedStorage, ResolvedVmOptions } from './resolved';
import { resolveSizing, resolveStorage, resolveVmOptions, validateBootImage } from './vm-options';
import { checkFreeText } from '../private/free-text';
import { MAX_REFRESHED_IMAGE_NAME_LENGTH, refreshEnabled, ResolvedImageRefresh, resolveImageRefresh, RunnerImageRefreshOptions } from './image-refresh';

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

/**
 * Props of RunnerImage. The scheduling props (`nodeSelector`, `tolerations`, `affinity`,
 * `priorityClassName`) place the bake VM, e.g. on tainted nodes dedicated to runners; they are not
 * part of the image's hash (they change nothing baked in), so changing them does not bake again. A bake
 * VM already stuck Pending keeps its old placement (a VMI does not change): delete its VirtualMachine
 * (`readyVmiName`) and apply again.
 */
export interface RunnerImageProps extends RunnerSetupOptions, Pick<RunnerVmOptions, 'nodeSelector' | 'tolerations' | 'affinity' | 'priorityClassName'> {
  /** The runner package baked into the image. @default RunnerRelease.latestKnown() (DEFAULT_RUNNER_VERSION, x64) */
  readonly release?: RunnerRelease;
  /** The operating system the image is baked from. @default OsImage.ubuntu2404() for the release's architecture */
  readonly baseOsImage?: OsImage;
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
  /**
   * The bake VM's NetworkPolicy (`<name>-bake`): it installs packages and the runner from the
   * internet (and `allowEgressTo`: a proxy, a mirror) and reaches no other pod, not the Kubernetes
   * API or the cloud metadata address; nothing reaches it.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
  /**
   * Re-bake the image in the cluster on a schedule (newest runner release, the distribution's
   * updates) and point the fleet at each new bake: a CronJob `<name>-refresh`; the name is then at
   * most 44 characters. `{ enabled: false }` bakes once, as before: the fleet then stops getting jobs
   * when its runner is more than 30 days behind a new release, until you bake again.
   * @default - on: { enabled: true } (daily at 03:17 UTC)
   */
  readonly refresh?: RunnerImageRefreshOptions;
}

/**
 * Where a refreshed image's consumers find its refresher: the pointer the launchers read per job, and
 * the registration of the warm pools whose template the refresher re-points.
 */
export interface ImageRefresherLink {
  /** The pointer ConfigMap (`<name>-current`), written only by the refresher. */
  readonly pointerConfigMap: string;
  /** The image's input hash: a pointer refreshed from other inputs is ignored. */
  readonly source: string;
  /** Adds a VirtualMachinePool (RunnerWarmPool) that the refresher re-points at each new bake. */
  addWarmPool(name: string): void;
}

/**
 * A RunnerImage, as the kinds that boot one (RunnerScaleSet, RunnerKedaScaleSet, RunnerWarmPool) see it.
 * Only a RunnerImage is accepted where one is asked for (synth checks it); the props name this
 * interface so that the spec layer, which validates them, never depends on the construct.
 */
export interface IRunnerImage {
  /** Namespace of the image. */
  readonly namespace: string;
  /** Name of the baked volume (DataVolume and PVC): `<name>-<hash>`. */
  readonly volumeName: string;
  /** Name of the bake VM, and of the VirtualMachineInstance whose success says the image is ready. */
  readonly readyVmiName: string;
  /** How per-job VMs use the image. */
  readonly sharing: ImageSharing;
  /** The baked runner package. */
  readonly release: RunnerRelease;
  /** The distribution inside the image. */
  readonly distribution: Distribution;
  /** The image's architecture. */
  readonly arch: RunnerArch;
  /** Storage of the baked volume. @internal */
  readonly storage: ResolvedStorage;
  /** The guest set-up baked in. @internal */
  readonly setup: ResolvedSetup;
  /**
   * The image's refresher, when `refresh` is on.
   * @default - none: refresh is off
   * @internal
   */
  readonly refresher?: ImageRefresherLink;
  /** The baked volume as a clone source, for a per-job (or any) DataVolume that copies it. */
  asCloneSource(): OsImage;
}

/** What a RunnerImage bakes, and where. */
export interface ImageSpec {
  /** The name prefix of its objects. */
  readonly name: string;
  readonly namespace: string;
  readonly sharing: ImageSharing;
  readonly release: RunnerRelease;
  readonly baseOsImage: OsImage;
  readonly setup: ResolvedSetup;
  readonly storage: ResolvedStorage;
  /** The bake VM's size. */
  readonly sizing: ResolvedSizing;
  /** Where the bake VM runs. */
  readonly scheduling: ResolvedVmOptions;
  readonly networkPolicy?: ResolvedNetworkRules;
  /** The refresh, when on. */
  readonly refresh?: ResolvedImageRefresh;
}

const NAMING: Naming = { owner: 'RunnerImage' };
/** The length of the hash in a baked volume's name. */
export const IMAGE_HASH_LENGTH = 10;
// `-<hash>-bake`: the longest name derived from the prefix.
const MAX_NAME_LENGTH = 63 - `-${'0'.repeat(IMAGE_HASH_LENGTH)}-bake`.length;

/** Validates a RunnerImage's props. */
export function resolveImage(props: RunnerImageProps, defaults: TreeDefaults): ImageSpec {
  checkFreeText(NAMING, props);
  const refreshing = refreshEnabled(NAMING, props.refresh);
  // With refresh, the CronJob `<name>-refresh` sets the limit; without, today's limit (and names) stay.
  const maxName = refreshing ? MAX_REFRESHED_IMAGE_NAME_LENGTH : MAX_NAME_LENGTH;
  if (refreshing && typeof props.name === 'string' && props.name.length > maxName && props.name.length <= MAX_NAME_LENGTH) {
    throw new Error(`${propLabel(NAMING, 'name')} must be at most ${maxName} characters with refresh on (its CronJob '<name>-refresh' may have 52), `
      + `got ${show(props.name)} (${props.name.length}); shorten it, or set refresh: { enabled: false }`);
  }
  const name = validateName(NAMING, 'name', props.name ?? defaults.name(maxName), maxName);
  const namespace = validateName(NAMING, 'namespace', props.namespace ?? defaults.namespace);
  const sharing = validateEnum(NAMING.owner, 'sharing', ImageSharing, props.sharing ?? ImageSharing.SHARED);
  const release = validateRelease(NAMING, props.release);
  const baseOsImage = validateBootImage(NAMING, 'baseOsImage', props.baseOsImage ?? OsImage.ubuntu2404({ arch: release.arch }), release);
  const setup = resolveSetup({ ...props, release, distribution: baseOsImage.distribution }, NAMING);
  const storage = resolveStorage({
    size: props.size ?? DEFAULT_ROOT_DISK_SIZE,
    storageClassName: props.storageClassName,
    accessModes: props.accessModes ?? [sharing === ImageSharing.SHARED ? AccessMode.READ_WRITE_MANY : AccessMode.READ_WRITE_ONCE],
    volumeMode: props.volumeMode,
  }, NAMING, '', MINIMUM_BOOT_DISK_SIZE);
  const sizing = resolveSizing({ cpu: props.bakeCpu ?? 2, memory: props.bakeMemory ?? '4Gi', evictionStrategy: EvictionStrategy.NONE },
    { ...NAMING, aliases: { cpu: 'bakeCpu', memory: 'bakeMemory' } });
  // Only where the bake VM runs: no readiness probe (nothing waits for it to be Ready) and no fleet to spread.
  const scheduling = resolveVmOptions({
    nodeSelector: props.nodeSelector, tolerations: props.tolerations, affinity: props.affinity, priorityClassName: props.priorityClassName,
    spreadAcrossNodes: false, guestAgentReadinessProbe: false,
  }, NAMING, { sizing, arch: release.arch, oneJob: true, guest: { setup } });
  const networkPolicy = resolveNetworkPolicy(props.networkPolicy, NAMING);
  const refresh = refreshing ? resolveImageRefresh(NAMING, props.refresh ?? {}, release, setup) : undefined;
  return Object.freeze({
    name, namespace, sharing, release, baseOsImage, setup, storage, sizing, scheduling, ...(networkPolicy ? { networkPolicy } : {}), ...(refresh ? { refresh } : {}),
  });
}

/** The image a per-job kind boots: a RunnerImage, in the chart's namespace when the chart has one. */
export function validateRunnerImage(naming: Naming, prop: string, image: unknown, chartNamespace: string | undefined, why: string): IRunnerImage {
  const runnerImage = validateBranded<IRunnerImage>(naming, prop, image, 'RunnerImage');
  checkSameNamespace(naming, prop, runnerImage.namespace, chartNamespace, why);
  return runnerImage;
}

/** A RunnerImage that per-job VMs share must be ImageSharing.SHARED: `what` says why the kind needs it. */
export function validateSharedImage(naming: Naming, prop: string, image: IRunnerImage, what: string): void {
  if (image.sharing !== ImageSharing.SHARED) {
    throw new Error(`${propLabel(naming, prop)} must be shared (ImageSharing.SHARED): ${what}, got ${image.sharing}`);
  }
}
