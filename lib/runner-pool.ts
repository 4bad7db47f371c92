import { Construct } from 'constructs';
import { treeDefaults } from './private/names';
import { Naming } from './private/naming';
import { networkPolicyAnnotations } from './private/network-policy';
import { fleetLabel, RUNNER_KUBERNETES_LABELS } from './render/vmi-spec';
import { RunnerCloudInit } from './runner-cloud-init';
import { RunnerDisk } from './runner-disk';
import { RunnerNetworkPolicy } from './runner-network-policy';
import { RunnerTokenRefresher } from './runner-token-refresher';
import { RunnerVm } from './runner-vm';
import { fleetCloudInitSpec } from './spec/cloud-init';
import { clusterNetworkOf } from './spec/cluster-network';
import { importedVolumeSpec } from './spec/disk';
import { fleetNetworkPolicySpec } from './spec/network-policy';
import { PoolSpec, resolvePool, RunnerPoolProps } from './spec/pool';
import { isSealed } from './spec/sealed';
import { fleetRefresherSpec } from './spec/token-refresher';
import { fleetVmSpec } from './spec/vm';

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

  constructor(scope: Construct, id: string, props: RunnerPoolProps);
  /** @internal RunnerChart's pool, from the spec its resolver made. */
  constructor(scope: Construct, id: string, spec: PoolSpec);
  constructor(scope: Construct, id: string, input: RunnerPoolProps | PoolSpec) {
    super(scope, id);
    const pool = isSealed<PoolSpec>(input, 'pool') ? input : resolvePool(input, NAMING, treeDefaults(this, 'RunnerPool'));
    this.name = pool.name;
    this.namespace = pool.namespace;

    this.cloudInit = new RunnerCloudInit(this, 'CloudInit', fleetCloudInitSpec(`${pool.name}-cloud-init`, pool.namespace, pool.guest));

    let bootImage = pool.osImage;
    if (pool.goldenImage) {
      this.goldenImage = new RunnerDisk(this, 'GoldenImage',
        importedVolumeSpec(`${pool.name}-image`, pool.namespace, { ...pool.goldenImage, osImage: pool.osImage }));
      bootImage = this.goldenImage.asImage();
    }

    if (pool.tokenRefresher) {
      this.tokenRefresher = new RunnerTokenRefresher(this, 'TokenRefresher', fleetRefresherSpec({
        name: pool.name,
        namespace: pool.namespace,
        url: pool.guest.scope.url,
        tokenSecretName: pool.tokenSecretName,
        tokenKey: pool.guest.tokenKey,
        options: pool.tokenRefresher,
        // The fleet's proxy and CA: the refresher reaches GitHub the way the runners do.
        network: clusterNetworkOf(pool.guest),
      }));
    }

    const labels = { 'app.kubernetes.io/instance': pool.name, ...pool.vmLabels };
    if (pool.networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy',
        fleetNetworkPolicySpec(pool.name, pool.namespace, { ...labels, ...RUNNER_KUBERNETES_LABELS }, pool.networkPolicy));
    }
    this.vms = Array.from({ length: pool.replicas }, (_, i) => new RunnerVm(this, `Runner${i}`, fleetVmSpec({
      name: `${pool.name}-${i}`,
      namespace: pool.namespace,
      cloudInit: this.cloudInit,
      rootDisk: { ...pool.rootDisk, osImage: bootImage },
      sizing: pool.sizing,
      vmOptions: pool.vmOptions,
      fleetSelector: fleetLabel('pool', pool.name),
      tokenSecretName: pool.tokenSecretName,
      vmLabels: { ...labels, ...fleetLabel('pool', pool.name) },
      templateAnnotations: networkPolicyAnnotations(pool.networkPolicy !== undefined),
    })));
  }
}
