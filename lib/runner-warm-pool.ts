import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { toJson_VirtualMachineSpecTemplateSpec } from '../imports/kubevirt.io';
import type { PoolScalerConfig } from './cluster/contract';
import { EvictionStrategy, RunStrategy } from './kubevirt-options';
import { checkCollisionsAtSynth } from './private/collisions';
import { EXTERNAL_SECRETS_ANNOTATION } from './private/external-references';
import { treeDefaults } from './private/names';
import { networkPolicyAnnotations } from './private/network-policy';
import { TOKEN_DISK_SERIAL } from './private/token-disk';
import { renderCloudConfig } from './render/cloud-config';
import { clusterConfigMapData, clusterCronJobSpec, clusterPodSpec } from './render/cluster-pod';
import { fleetLabel, RUNNER_KUBERNETES_LABELS, runnerVmiSpec } from './render/vmi-spec';
import { RunnerNetworkPolicy } from './runner-network-policy';
import { RunnerTokenRefresher } from './runner-token-refresher';
import { clusterNetworkOf } from './spec/cluster-network';
import { fleetNetworkPolicySpec } from './spec/network-policy';
import { ResolvedActiveHours } from './spec/resolved';
import { fleetRefresherSpec } from './spec/token-refresher';
import { resolveWarmPool, RunnerWarmPoolProps } from './spec/warm-pool';


/**
 * A fixed-size pool of one-job runners without actions-runner-controller: a KubeVirt
 * VirtualMachinePool (pool.kubevirt.io/v1beta1) whose VMs boot the baked RunnerImage on an
 * `ephemeral` root volume, register an ephemeral runner with the token Secret at every boot, run one
 * job and power off; `runStrategy: Always` then starts a new VMI on a new copy-on-write layer, so
 * every job starts on a clean VM. With `tokenRefresher`, no human ever creates a token.
 *
 * Scale-in is the pool's (KubeVirt picks which VMs to delete, busy or not): change `replicas` when
 * no jobs run, or use RunnerScaleSet, which never stops a runner that holds a job. The same holds for
 * `activeHours`: its scale-down at the end of active hours stops whatever job a deleted VM runs.
 *
 * With a refreshed image (RunnerImage `refresh`), the image's refresher points the pool's template at
 * each new bake; the pool's `updateStrategy: opportunistic` lets each VM take it when it starts again
 * after its job, so no busy VM is stopped.
 *
 * A VM whose runner GitHub deprecated (it exits 7) says so on its serial console and holds 40 minutes
 * before it powers off; with `tokenRefresher`, the refresher reads the running VMs' consoles and records
 * a Warning Event `RunnerOutdated` on the pool.
 */
export class RunnerWarmPool extends Construct {
  /** The pool's name, the prefix of its VMs and runners. */
  public readonly name: string;
  /** Namespace of every object (the image's). */
  public readonly namespace: string;
  /** The token refresher, when the pool has one. */
  public readonly tokenRefresher?: RunnerTokenRefresher;
  /** The pool's NetworkPolicy, unless `networkPolicy.enabled` is false. */
  public readonly networkPolicy?: RunnerNetworkPolicy;
  /** The VirtualMachinePool, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;
  /** The CronJob that scales the pool up at the start of active hours, when it has `activeHours`. */
  public readonly scaleUpCronJob?: ApiObject;
  /** The CronJob that scales the pool down at the end of active hours, when it has `activeHours`. */
  public readonly scaleDownCronJob?: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerWarmPoolProps) {
    super(scope, id);
    const spec = resolveWarmPool(props, treeDefaults(this, 'RunnerWarmPool'));
    const { runnerImage: image, registration, tokenSecretName, tokenRefresher: refresher } = spec;
    this.name = spec.name;
    this.namespace = spec.namespace;
    checkCollisionsAtSynth(this);

    const cloudInitName = `${this.name}-cloud-init`;
    new kplus.Secret(this, 'CloudInit', {
      metadata: { name: cloudInitName, namespace: this.namespace },
      stringData: { userdata: renderCloudConfig({ kind: 'warm', guest: { ...image.setup, ...registration } }) },
    });
    const labels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'warm-runner' };
    const fleet = fleetLabel('warm-pool', this.name);
    if (refresher) {
      this.tokenRefresher = new RunnerTokenRefresher(this, 'TokenRefresher', fleetRefresherSpec({
        name: this.name,
        namespace: this.namespace,
        url: registration.scope.url,
        tokenSecretName,
        tokenKey: registration.tokenKey,
        options: refresher,
        // The baked image's proxy and CA: the refresher reaches GitHub the way the runners do.
        network: clusterNetworkOf(image.setup),
        // A VM whose runner GitHub deprecated says so on its console and holds (lib/guest/report-runner-exit.sh): the refresher reads
        // the consoles of the pool's running VMs (their virt-launcher pods carry the VMI template's fleet label) and records RunnerOutdated.
        warmPool: { pool: this.name, podSelector: Object.entries({ 'kubevirt.io': 'virt-launcher', ...fleet }).map(([k, v]) => `${k}=${v}`).join(',') },
      }));
    }

    if (spec.networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy', fleetNetworkPolicySpec(this.name, this.namespace, labels, spec.networkPolicy));
    }
    const annotations = networkPolicyAnnotations(spec.networkPolicy !== undefined);
    const vmi = runnerVmiSpec({
      sizing: spec.sizing,
      arch: image.arch,
      options: spec.vmOptions,
      fleetSelector: fleet,
      sshUser: image.setup.user,
      // A one-job VM is gone once it powered off: its console stays readable (kubectl logs -c guest-console-log).
      logSerialConsole: true,
      // A one-job VM cannot move (its layer is on the node): a drain stops it, and the pool starts another.
      evictionStrategy: EvictionStrategy.NONE,
      disks: [
        { name: 'rootdisk', volume: { ephemeral: { persistentVolumeClaim: { claimName: image.volumeName, readOnly: true } } } },
        { name: 'cloudinitdisk', volume: { cloudInitNoCloud: { secretRef: { name: cloudInitName } } } },
        { name: 'token', serial: TOKEN_DISK_SERIAL, readonly: true, volume: { secret: { secretName: tokenSecretName, optional: true } } },
      ],
    });
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'pool.kubevirt.io/v1beta1',
      kind: 'VirtualMachinePool',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels,
        ...(refresher ? {} : { annotations: { [EXTERNAL_SECRETS_ANNOTATION]: tokenSecretName } }),
      },
      spec: {
        // Always the active-hours size, whatever the time: the output stays the same on every synth.
        replicas: spec.replicas,
        // A refreshed image: the refresher re-points the template, and each VM takes it when it next
        // starts (after its job), so no busy VM is stopped.
        ...(image.refresher ? { updateStrategy: { opportunistic: {} } } : {}),
        selector: { matchLabels: { 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'warm-runner' } },
        virtualMachineTemplate: {
          metadata: { labels },
          spec: {
            // A VM that powered off after its job starts again: a new VMI, a new copy-on-write layer.
            runStrategy: RunStrategy.ALWAYS,
            template: { metadata: { labels: { ...labels, ...fleet }, ...(annotations ? { annotations } : {}) }, spec: toJson_VirtualMachineSpecTemplateSpec(vmi) },
          },
        },
      },
    });
    image.refresher?.addWarmPool(this.name);
    if (spec.activeHours) {
      [this.scaleUpCronJob, this.scaleDownCronJob] = this.scaleOnSchedule(spec.activeHours, spec.replicas);
    }
  }

  /**
   * Two CronJobs that set the pool's replicas through its /scale subresource (lib/cluster/entries/pool-scaler.ts,
   * one config file each), with a ServiceAccount that may only get and patch that one pool's scale (its GET and merge PATCH).
   */
  private scaleOnSchedule(hours: ResolvedActiveHours, activeReplicas: number): [ApiObject, ApiObject] {
    const name = `${this.name}-scaler`;
    const labels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/component': 'pool-scaler', 'app.kubernetes.io/instance': name };
    const metadata = (objectName: string) => ({ name: objectName, namespace: this.namespace, labels });
    new k8s.KubeServiceAccount(this, 'ScalerServiceAccount', { metadata: metadata(name) });
    new k8s.KubeRole(this, 'ScalerRole', {
      metadata: metadata(name),
      rules: [{ apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools/scale'], resourceNames: [this.name], verbs: ['get', 'patch'] },
        // A failed scaling: a Warning Event PoolScaleFailed on the Job's pod.
        { apiGroups: [''], resources: ['events'], verbs: ['create'] }],
    });
    new k8s.KubeRoleBinding(this, 'ScalerRoleBinding', {
      metadata: metadata(name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: this.namespace }],
    });
    const config = (replicas: number): PoolScalerConfig => ({ pool: this.name, replicas });
    new k8s.KubeConfigMap(this, 'ScalerScript', {
      metadata: metadata(name),
      data: clusterConfigMapData('pool-scaler', { 'scale-up.json': config(activeReplicas), 'scale-down.json': config(hours.offHoursReplicas) }),
    });
    const cronJob = (id: string, suffix: string, schedule: string) => ApiObject.of(new k8s.KubeCronJob(this, id, {
      metadata: metadata(`${this.name}-${suffix}`),
      // A start or end missed by up to an hour (controller down, cluster upgrade) still runs.
      spec: clusterCronJobSpec({
        schedule, timeZone: hours.timeZone, startingDeadlineSeconds: 3600, labels,
        job: {
          backoffLimit: 2,
          // A run takes a second; one that hangs must not hold the next schedule back.
          activeDeadlineSeconds: 300,
          template: {
            metadata: { labels },
            spec: clusterPodSpec({
              entry: 'pool-scaler', containerName: 'scaler', image: hours.containerImage, serviceAccountName: name, configMapName: name,
              configFile: `${suffix}.json`, identity: ['name', 'namespace', 'uid'],
            }),
          },
        },
      }),
    }));
    return [
      cronJob('ScaleUp', 'scale-up', hours.start),
      cronJob('ScaleDown', 'scale-down', hours.end),
    ];
  }
}
