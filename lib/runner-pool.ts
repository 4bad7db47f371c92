import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { defaultDnsLabel, DNS_LABEL_MAX_LENGTH, validateDnsLabel } from './names';
import { OsImage } from './os-image';
import { parseQuantity, validateByteQuantity } from './quantity';
import { RunnerCloudInit, RunnerCloudInitProps } from './runner-cloud-init';
import { DiskStorageOptions, RunnerDisk } from './runner-disk';
import { RunnerVm, RunnerVmSizeOptions } from './runner-vm';

/** Props of RunnerPool. */
export interface RunnerPoolProps
  extends Omit<RunnerCloudInitProps, 'name' | 'namespace' | 'distribution'>, RunnerVmSizeOptions {
  /** Number of runners, one VM each. */
  readonly replicas: number;
  /** Name of the Secret, created out of band, that holds the registration token. */
  readonly tokenSecretName: string;
  /** Pool name: VMs are `<name>-0` ... `<name>-(N-1)`. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of every object of the pool. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
  /** Operating-system image of every runner. @default OsImage.ubuntu2404() */
  readonly image?: OsImage;
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
}

/** Root disk size of each runner when none is given (the seed setup's 50Gi). */
export const DEFAULT_ROOT_DISK_SIZE = '50Gi';

/**
 * N identical runners, one VM each. One cloud-config Secret serves them all; an http or registry
 * image is imported once into a golden DataVolume (`<pool>-image`) and every VM clones it into its
 * own root disk, so N runners download the image once, not N times.
 */
export class RunnerPool extends Construct {
  /** The pool's name, the prefix of its VMs. */
  public readonly name: string;
  /** Namespace of every object of the pool. */
  public readonly namespace: string;
  /** The shared cloud-config. */
  public readonly cloudInit: RunnerCloudInit;
  /** The golden image, when the image is imported (http, registry); clones come from it. */
  public readonly goldenImage?: RunnerDisk;
  /** The runners, `<name>-0` first. */
  public readonly vms: readonly RunnerVm[];

  constructor(scope: Construct, id: string, props: RunnerPoolProps) {
    super(scope, id);
    const owner = 'RunnerPool';
    if (!Number.isInteger(props.replicas) || props.replicas < 1) {
      throw new Error(`${owner} 'replicas' must be an integer >= 1, got ${JSON.stringify(props.replicas)}`);
    }
    // The longest derived name, `<pool>-<N-1>-root`, must still be a DNS label.
    const suffix = `-${props.replicas - 1}-root`.length;
    this.name = validateDnsLabel(owner, 'name', props.name ?? defaultDnsLabel(this, DNS_LABEL_MAX_LENGTH - suffix),
      DNS_LABEL_MAX_LENGTH - suffix);
    this.namespace = validateDnsLabel(owner, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    const image = props.image ?? OsImage.ubuntu2404({ arch: props.release?.arch });
    if (!(image instanceof OsImage) || image.distribution === undefined) {
      throw new Error(`${owner} 'image' must be an OsImage with an operating system, got ${JSON.stringify(props.image)}`);
    }
    const rootDisk = props.rootDisk ?? { size: DEFAULT_ROOT_DISK_SIZE };
    validateByteQuantity(owner, 'rootDisk.size', rootDisk.size);

    this.cloudInit = new RunnerCloudInit(this, 'CloudInit', {
      ...props,
      name: `${this.name}-cloud-init`,
      namespace: this.namespace,
      distribution: image.distribution,
    });

    let runnerImage = image;
    if (image.isImport) {
      this.goldenImage = new RunnerDisk(this, 'GoldenImage', {
        ...rootDisk,
        ...(props.goldenImage ?? {}),
        image,
        name: `${this.name}-image`,
        namespace: this.namespace,
        bindImmediately: true,
      });
      if (parseQuantity(this.goldenImage.size)! > parseQuantity(rootDisk.size)!) {
        throw new Error(`${owner} 'goldenImage.size' ${this.goldenImage.size} is larger than 'rootDisk.size' ${rootDisk.size}: `
          + 'CDI cannot clone a volume into a smaller one');
      }
      runnerImage = this.goldenImage.asImage();
    }

    const vms: RunnerVm[] = [];
    for (let i = 0; i < props.replicas; i++) {
      vms.push(new RunnerVm(this, `Runner${i}`, {
        cpu: props.cpu,
        memory: props.memory,
        instancetype: props.instancetype,
        preference: props.preference,
        runStrategy: props.runStrategy,
        evictionStrategy: props.evictionStrategy,
        tokenSecretName: props.tokenSecretName,
        name: `${this.name}-${i}`,
        namespace: this.namespace,
        cloudInit: this.cloudInit,
        rootDisk: { ...rootDisk, image: runnerImage },
        labels: { 'app.kubernetes.io/instance': this.name, ...(props.vmLabels ?? {}) },
      }));
    }
    this.vms = vms;
  }
}
