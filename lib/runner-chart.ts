import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { validateEnum } from './enum-value';
import { OsImage } from './os-image';
import { RunnerCloudInitProps } from './runner-cloud-init';
import { DEFAULT_ROOT_DISK_SIZE, RunnerPool } from './runner-pool';
import { validateByteQuantity } from './quantity';
import { DEFAULT_RUNNER_VERSION, RunnerArch, RunnerRelease } from './runner-release';
import { AccessMode, VolumeMode } from './runner-disk';
import { RunnerVmSizeOptions } from './runner-vm';

/** Props of RunnerChart: one object for a whole fleet. */
export interface RunnerChartProps
  extends Omit<RunnerCloudInitProps, 'name' | 'namespace' | 'distribution' | 'release'>, RunnerVmSizeOptions {
  /** Namespace of every object; the token Secret must be created there. @default 'default' */
  readonly namespace?: string;
  /** Name of the Secret, created out of band, that holds the registration token (key `token`). */
  readonly tokenSecretName: string;
  /** Number of runners, one VM each. @default 1 */
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
  /** Operating-system image. @default OsImage.ubuntu2404() */
  readonly image?: OsImage;
  /** Runner version. @default '2.334.0' */
  readonly runnerVersion?: string;
  /** SHA-256 of the runner package; required for versions the library has no checksum for. @default - the pinned checksum */
  readonly runnerSha256?: string;
  /** CPU architecture of runners and image. @default RunnerArch.X64 */
  readonly arch?: RunnerArch;
  /** Mirror of the runner downloads. @default 'https://github.com/actions/runner/releases/download' */
  readonly runnerDownloadBaseUrl?: string;
}

/**
 * A chart holding a complete fleet: one RunnerPool with its cloud-config Secret, golden image and
 * VMs, from one props object. The usual entry point: `new RunnerChart(app, 'runners', {...})`.
 */
export class RunnerChart extends Chart {
  /** The fleet. */
  public readonly pool: RunnerPool;

  constructor(scope: Construct, id: string, props: RunnerChartProps) {
    super(scope, id, { namespace: props.namespace ?? 'default' });
    // Props that RunnerChart renames are checked here, so that errors name the prop the user wrote.
    const arch = validateEnum('RunnerChart', 'arch', RunnerArch, props.arch ?? RunnerArch.X64);
    const diskSize = validateByteQuantity('RunnerChart', 'diskSize', props.diskSize ?? DEFAULT_ROOT_DISK_SIZE);
    this.pool = new RunnerPool(this, 'Pool', {
      ...props,
      name: props.name ?? 'actions-runner',
      namespace: this.namespace,
      replicas: props.replicas ?? 1,
      image: props.image ?? OsImage.ubuntu2404({ arch }),
      release: chartRelease(props, arch),
      rootDisk: {
        size: diskSize,
        storageClassName: props.storageClassName,
        accessModes: props.accessModes,
        volumeMode: props.volumeMode,
      },
    });
  }
}

// RunnerChart spells RunnerRelease's props its own way; errors name the prop the user wrote.
const RELEASE_PROPS: Record<string, string> = { version: 'runnerVersion', sha256: 'runnerSha256', downloadBaseUrl: 'runnerDownloadBaseUrl' };

function chartRelease(props: RunnerChartProps, arch: RunnerArch): RunnerRelease {
  try {
    return RunnerRelease.of(props.runnerVersion ?? DEFAULT_RUNNER_VERSION, {
      arch,
      sha256: props.runnerSha256,
      downloadBaseUrl: props.runnerDownloadBaseUrl,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/^RunnerRelease '(\w+)'/, (_, prop: string) => `RunnerChart '${RELEASE_PROPS[prop] ?? prop}'`);
    throw new Error(message);
  }
}
