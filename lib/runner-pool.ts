import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { OsImage } from './os-image';
import { clusterNetworkOf } from './private/cluster-network';
import { Naming } from './private/naming';
import { defaultDnsLabel } from './private/names';
import { resolvedOf, withResolved } from './private/resolved';
import { fleetLabel } from './private/vmi-spec';
import { CloudInitSpec, RunnerCloudInit, RunnerCloudInitProps } from './runner-cloud-init';
import { DiskObjectSpec, RunnerDisk, RunnerDiskProps } from './runner-disk';
import { resolvePool } from './private/resolve-pool';
import { DiskStorageOptions, ResolvedPool, RunnerGuestOptions, RunnerVmOptions, RunnerVmSizeOptions, TokenRefresherOptions } from './runner-spec';
import { RefresherSpec, RunnerTokenRefresher, RunnerTokenRefresherProps } from './runner-token-refresher';
import { RunnerRelease } from './runner-release';
import { RUNNER_KUBERNETES_LABELS, RunnerVm, RunnerVmProps, VmSpec } from './runner-vm';
import { NetworkPolicySpec, RunnerNetworkPolicy, RunnerNetworkPolicyOptions, RunnerNetworkPolicyProps } from './runner-network-policy';
import { networkPolicyAnnotations } from './private/network-policy';

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
  /** The runner package, pinned by version and checksum. @default RunnerRelease.latestKnown() (2.334.0, x64) */
  readonly release?: RunnerRelease;
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

const NAMING: Naming = { owner: 'RunnerPool' };

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
  /** The token refresher, when the pool has one. */
  public readonly tokenRefresher?: RunnerTokenRefresher;
  /** The pool's NetworkPolicy, unless `networkPolicy.enabled` is false. */
  public readonly networkPolicy?: RunnerNetworkPolicy;

  constructor(scope: Construct, id: string, props: RunnerPoolProps) {
    super(scope, id);
    const pool = resolvedOf<ResolvedPool>(props) ?? resolvePool(props, NAMING, {
      name: (maxLength) => defaultDnsLabel(this, maxLength),
      namespace: Chart.of(this).namespace ?? 'default',
    });
    this.name = pool.name;
    this.namespace = pool.namespace;

    this.cloudInit = new RunnerCloudInit(this, 'CloudInit', withResolved<RunnerCloudInitProps>({
      name: `${pool.name}-cloud-init`, namespace: pool.namespace, guest: pool.guest,
    } satisfies CloudInitSpec));

    let bootImage = pool.image;
    if (pool.goldenImage) {
      this.goldenImage = new RunnerDisk(this, 'GoldenImage', withResolved<RunnerDiskProps>({
        name: `${pool.name}-image`, namespace: pool.namespace, disk: { ...pool.goldenImage, image: pool.image }, bindImmediately: true,
      } satisfies DiskObjectSpec));
      bootImage = this.goldenImage.asImage();
    }

    if (pool.tokenRefresher) {
      this.tokenRefresher = new RunnerTokenRefresher(this, 'TokenRefresher', withResolved<RunnerTokenRefresherProps>({
        name: `${pool.name}-refresher`,
        namespace: pool.namespace,
        url: pool.guest.scope.url,
        tokenSecretName: pool.tokenSecretName,
        tokenKey: pool.guest.tokenKey,
        runnerNamePrefix: pool.name,
        options: pool.tokenRefresher,
        // The fleet's proxy and CA: the refresher reaches GitHub the way the runners do.
        network: clusterNetworkOf(pool.guest),
      } satisfies RefresherSpec));
    }

    const labels = { 'app.kubernetes.io/instance': pool.name, ...pool.vmLabels };
    if (pool.networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy', withResolved<RunnerNetworkPolicyProps>({
        name: pool.name, namespace: pool.namespace, vmLabels: { ...labels, ...RUNNER_KUBERNETES_LABELS }, rules: pool.networkPolicy,
      } satisfies NetworkPolicySpec));
    }
    this.vms = Array.from({ length: pool.replicas }, (_, i) => new RunnerVm(this, `Runner${i}`, withResolved<RunnerVmProps>({
      name: `${pool.name}-${i}`,
      namespace: pool.namespace,
      cloudInit: this.cloudInit,
      rootDisk: { ...pool.rootDisk, image: bootImage },
      sizing: pool.sizing,
      vmOptions: pool.vmOptions,
      fleetSelector: fleetLabel('pool', pool.name),
      tokenSecretName: pool.tokenSecretName,
      labels: { ...labels, ...fleetLabel('pool', pool.name) },
      templateAnnotations: networkPolicyAnnotations(pool.networkPolicy !== undefined),
    } satisfies VmSpec)));
  }
}
