import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { toJson_VirtualMachineSpecTemplateSpec } from '../imports/kubevirt.io';
import { EvictionStrategy, RunStrategy } from './kubevirt-options';
import { renderCloudConfig } from './private/cloud-config';
import type { PoolScalerConfig } from './cluster/contract';
import { checkOneCaSource, clusterNetworkOf } from './private/cluster-network';
import { clusterConfigMapData, clusterPodSpec } from './private/cluster-pod';
import { checkCollisionsAtSynth } from './private/collisions';
import { EXTERNAL_SECRETS_ANNOTATION } from './private/external-references';
import { Naming, propLabel, show } from './private/naming';
import { defaultDnsLabel } from './private/names';
import { withResolved } from './private/resolved';
import { resolveRegistration } from './private/resolve-guest';
import { resolveActiveHours, resolveTokenRefresher } from './private/resolve-pool';
import { resolveSizing, resolveVmOptions, validateName, validateSecretName } from './private/resolve-vm';
import { TOKEN_DISK_SERIAL } from './private/token-disk';
import { fleetLabel, runnerVmiSpec } from './private/vmi-spec';
import { ImageSharing, RunnerImage } from './runner-image';
import {
  ActiveHoursOptions, MAX_REPLICAS, ResolvedActiveHours, RunnerRegistrationOptions, RunnerVmOptions, RunnerVmSizeOptions, TokenRefresherOptions,
} from './runner-spec';
import { RefresherSpec, RunnerTokenRefresher, RunnerTokenRefresherProps } from './runner-token-refresher';
import { RUNNER_KUBERNETES_LABELS } from './runner-vm';
import { NetworkPolicySpec, RunnerNetworkPolicy, RunnerNetworkPolicyOptions, RunnerNetworkPolicyProps } from './runner-network-policy';
import { networkPolicyAnnotations } from './private/network-policy';
import { resolveNetworkPolicy } from './private/resolve-network-policy';

/** Props of RunnerWarmPool. */
export interface RunnerWarmPoolProps extends RunnerRegistrationOptions, Pick<RunnerVmSizeOptions, 'cpu' | 'memory'>, RunnerVmOptions {
  /** The baked image every VM boots, on a fresh copy-on-write layer at every boot; it must be `ImageSharing.SHARED`. */
  readonly image: RunnerImage;
  /** How many one-job runners are kept warm (at most 10,000). */
  readonly replicas: number;
  /** Name of the Secret with the registration token (kept fresh by `tokenRefresher`, or created by you). */
  readonly tokenSecretName: string;
  /** Keep the token Secret fresh from a GitHub App or PAT Secret (`<name>-refresher`). @default - none: you keep the token Secret fresh */
  readonly tokenRefresher?: TokenRefresherOptions;
  /**
   * Scale the pool down outside active hours: a CronJob `<name>-scale-up` sets its replicas to `replicas` at
   * `start`, another, `<name>-scale-down`, to `offHoursReplicas` (0) at `end`, both through the pool's `/scale`.
   * Scaling down can stop a job that is still running then: the pool deletes VMs busy or not. The pool is
   * synthesized with `replicas`, so re-applying it off-hours scales it up until the next `end` (see the README).
   * @default - none: the pool always has `replicas` VMs
   */
  readonly activeHours?: ActiveHoursOptions;
  /** Name of the VirtualMachinePool; its VMs (and runners) are `<name>-<n>`; at most 41 characters. @default - derived from the construct path */
  readonly name?: string;
  /**
   * The pool's NetworkPolicy (`<name>`): its VMs reach DNS, the internet and `allowEgressTo`, not
   * other pods, the Kubernetes API or the cloud metadata address; nothing reaches them.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

/** What a warm pool's VMs use, validated. */
const NAMING: Naming = { owner: 'RunnerWarmPool' };
// `<name>-scale-down` (and `<name>-refresher`) are CronJob names (52 at most); the pool's VMs add `-<n>`.
// One limit whether or not the pool has them, so that adding activeHours never renames a pool.
const MAX_NAME_LENGTH = 52 - '-scale-down'.length;

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
    const image = props.image;
    if (!RunnerImage.isRunnerImage(image)) {
      throw new Error(`${propLabel(NAMING, 'image')} must be a RunnerImage, got ${show(image)}`);
    }
    if (image.sharing !== ImageSharing.SHARED) {
      throw new Error(`${propLabel(NAMING, 'image')} must be shared (ImageSharing.SHARED): every boot starts from a copy-on-write layer `
        + `over the one baked volume, got ${image.sharing}`);
    }
    this.name = validateName(NAMING, 'name', props.name ?? defaultDnsLabel(this, MAX_NAME_LENGTH), MAX_NAME_LENGTH);
    this.namespace = image.namespace;
    const chartNamespace = Chart.of(this).namespace;
    if (chartNamespace !== undefined && chartNamespace !== this.namespace) {
      throw new Error(`${propLabel(NAMING, 'image')} is in namespace ${image.namespace} but the chart is in ${chartNamespace}: `
        + 'a VM can only boot a volume of its own namespace');
    }
    if (typeof props.replicas !== 'number' || !Number.isInteger(props.replicas) || props.replicas < 0 || props.replicas > MAX_REPLICAS) {
      throw new Error(`${propLabel(NAMING, 'replicas')} must be an integer from 0 to ${MAX_REPLICAS}, got ${show(props.replicas)}`);
    }
    const registration = resolveRegistration(props, NAMING, image.release);
    const tokenSecretName = validateSecretName(NAMING, 'tokenSecretName', props.tokenSecretName);
    const refresher = props.tokenRefresher === undefined ? undefined
      : resolveTokenRefresher(props.tokenRefresher, NAMING, 'tokenRefresher', tokenSecretName);
    const sizing = resolveSizing({ cpu: props.cpu, memory: props.memory }, NAMING);
    const vmOptions = resolveVmOptions(props, NAMING, { sizing: { ...sizing, evictionStrategy: EvictionStrategy.NONE }, arch: image.arch, oneJob: true, guest: { setup: image.setup, from: 'RunnerImage' } });
    const activeHours = props.activeHours === undefined ? undefined : resolveActiveHours(props.activeHours, NAMING, 'activeHours', props.replicas);
    const networkPolicy = resolveNetworkPolicy(props.networkPolicy, NAMING);
    if (refresher) checkOneCaSource({ ...NAMING, owner: `${NAMING.owner} (its image's setup)` }, clusterNetworkOf(image.setup), 'the token refresher');
    checkCollisionsAtSynth(this);

    const cloudInitName = `${this.name}-cloud-init`;
    new kplus.Secret(this, 'CloudInit', {
      metadata: { name: cloudInitName, namespace: this.namespace },
      stringData: { userdata: renderCloudConfig({ kind: 'warm', guest: { ...image.setup, ...registration } }) },
    });
    if (refresher) {
      this.tokenRefresher = new RunnerTokenRefresher(this, 'TokenRefresher', withResolved<RunnerTokenRefresherProps>({
        name: `${this.name}-refresher`,
        namespace: this.namespace,
        url: registration.scope.url,
        tokenSecretName,
        tokenKey: registration.tokenKey,
        runnerNamePrefix: this.name,
        options: refresher,
        // The baked image's proxy and CA: the refresher reaches GitHub the way the runners do.
        network: clusterNetworkOf(image.setup),
      } satisfies RefresherSpec));
    }

    const labels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'warm-runner' };
    const fleet = fleetLabel('warm-pool', this.name);
    if (networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy', withResolved<RunnerNetworkPolicyProps>({
        name: this.name, namespace: this.namespace, vmLabels: labels, rules: networkPolicy,
      } satisfies NetworkPolicySpec));
    }
    const annotations = networkPolicyAnnotations(networkPolicy !== undefined);
    const vmi = runnerVmiSpec({
      sizing,
      arch: image.arch,
      options: vmOptions,
      fleetSelector: fleet,
      sshUser: image.setup.user,
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
        replicas: props.replicas,
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
    if (activeHours) {
      [this.scaleUpCronJob, this.scaleDownCronJob] = this.scaleOnSchedule(activeHours, props.replicas);
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
      rules: [{ apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools/scale'], resourceNames: [this.name], verbs: ['get', 'patch'] }],
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
      spec: {
        schedule,
        timeZone: hours.timeZone,
        concurrencyPolicy: 'Forbid',
        // A start or end missed by up to an hour (controller down, cluster upgrade) still runs.
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            // A run takes a second; one that hangs must not hold the next schedule back.
            activeDeadlineSeconds: 300,
            template: {
              metadata: { labels },
              spec: clusterPodSpec({
                entry: 'pool-scaler', containerName: 'scaler', image: hours.image, serviceAccountName: name, configMapName: name,
                configFile: `${suffix}.json`, identity: ['namespace'],
              }),
            },
          },
        },
      },
    }));
    return [
      cronJob('ScaleUp', 'scale-up', hours.start),
      cronJob('ScaleDown', 'scale-down', hours.end),
    ];
  }
}
