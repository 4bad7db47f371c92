import { AccessMode, VolumeMode } from '../kubevirt-options';
import { OsImage } from '../os-image';
import { RunnerArch } from '../platform';
import { Naming } from '../private/naming';
import { DEFAULT_RUNNER_VERSION, RunnerRelease } from '../runner-release';
import { RunnerNetworkPolicyOptions } from './network-policy';
import { DEFAULT_ROOT_DISK_SIZE, RunnerGuestOptions, RunnerVmOptions, RunnerVmSizeOptions, TokenRefresherOptions } from './options';
import { PoolSpec, resolvePool } from './pool';
import { checkFreeText } from '../private/free-text';

/** Props of RunnerChart: one object for a whole fleet. */
export interface RunnerChartProps extends RunnerGuestOptions, RunnerVmSizeOptions, RunnerVmOptions {
  /** Namespace of every object; the token Secret must be created there. @default 'default' */
  readonly namespace?: string;
  /** Name of the Secret, created out of band, that holds the registration token (key `token`). */
  readonly tokenSecretName: string;
  /** Number of runners, one VM each (at most 10,000). @default 1 */
  readonly replicas?: number;
  /** Pool name: VMs are `<name>-0` ... `<name>-(N-1)`. @default 'actions-runner' */
  readonly name?: string;
  /** Root disk size of each runner. @default '50Gi' */
  readonly diskSize?: string;
  /** StorageClass of the disks. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** Access modes of the disks. @default [AccessMode.READ_WRITE_ONCE] */
  readonly accessModes?: AccessMode[];
  /** Volume mode of the disks. @default - chosen by CDI's StorageProfile */
  readonly volumeMode?: VolumeMode;
  /** Operating-system image every runner's VM boots. @default OsImage.ubuntu2404() */
  readonly osImage?: OsImage;
  /** Runner version. @default DEFAULT_RUNNER_VERSION, the newest release whose checksums the library knows */
  readonly runnerVersion?: string;
  /** SHA-256 of the runner package; required for versions the library has no checksum for. @default - the pinned checksum */
  readonly runnerSha256?: string;
  /** CPU architecture of runners and image. @default RunnerArch.X64 */
  readonly arch?: RunnerArch;
  /** Mirror of the runner downloads. @default 'https://github.com/actions/runner/releases/download' */
  readonly runnerDownloadBaseUrl?: string;
  /**
   * Keep the token Secret fresh from a GitHub App or PAT Secret (a RunnerTokenRefresher,
   * `<name>-refresher`): no human creates registration tokens, and VMs recreated later register by themselves.
   * @default - none: you create the token Secret
   */
  readonly tokenRefresher?: TokenRefresherOptions;
  /**
   * The fleet's NetworkPolicy (`<name>`): the runner VMs reach DNS, the internet and `allowEgressTo`,
   * not other pods, the Kubernetes API or the cloud metadata address; nothing reaches them.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

// RunnerChart flattens the pool's nested props; errors name the flat prop the user wrote.
const NAMING: Naming = {
  owner: 'RunnerChart',
  aliases: {
    'version': 'runnerVersion',
    'sha256': 'runnerSha256',
    'downloadBaseUrl': 'runnerDownloadBaseUrl',
    'release': 'runnerVersion',
    'rootDisk.size': 'diskSize',
    'rootDisk.storageClassName': 'storageClassName',
    'rootDisk.accessModes': 'accessModes',
    'rootDisk.volumeMode': 'volumeMode',
  },
};

/** A RunnerChart's fleet: its flat props as a pool's, resolved once; errors name the flat props. */
export function resolveChart(props: RunnerChartProps): PoolSpec {
  checkFreeText(NAMING, props);
  const namespace = props.namespace ?? 'default';
  const release = RunnerRelease.resolve(NAMING, props.runnerVersion ?? DEFAULT_RUNNER_VERSION, {
    arch: props.arch,
    sha256: props.runnerSha256,
    downloadBaseUrl: props.runnerDownloadBaseUrl,
  });
  return resolvePool({
    ...props,
    name: props.name ?? 'actions-runner',
    namespace,
    replicas: props.replicas ?? 1,
    release,
    rootDisk: {
      size: props.diskSize ?? DEFAULT_ROOT_DISK_SIZE,
      storageClassName: props.storageClassName,
      accessModes: props.accessModes,
      volumeMode: props.volumeMode,
    },
  }, NAMING, { name: () => 'actions-runner', namespace });
}
