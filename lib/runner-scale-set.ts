import { ApiObject, Chart, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GitHubScope } from './github';
import { EvictionStrategy } from './kubevirt-options';
import { validateLabels, validateRunnerGroup } from './private/github-rules';
import { ClusterNetwork, clusterNetworkOf, clusterNoProxy } from './private/cluster-network';
import { checkCollisionsAtSynth } from './private/collisions';
import { EXTERNAL_SECRETS_ANNOTATION } from './private/external-references';
import { at, Naming, propLabel, show } from './private/naming';
import { defaultDnsLabel, validateDnsLabel } from './private/names';
import { DEFAULT_NODE_IMAGE, validateImageReference } from './private/node-image';
import { launcherConfigData, launcherPodSpec, launcherRules, launcherTemplates, launcherVmSettings, validateDuration } from './private/launcher-pod';
import { ImageSharing, RunnerImage } from './runner-image';
import { resolveSizing, resolveVmOptions, validateSecretName } from './private/resolve-vm';
import { fleetLabel } from './private/vmi-spec';
import { ResolvedProxy, RunnerVmOptions, RunnerVmSizeOptions } from './runner-spec';
import { RUNNER_KUBERNETES_LABELS } from './runner-vm';
import { NetworkPolicySpec, RunnerNetworkPolicy, RunnerNetworkPolicyOptions, RunnerNetworkPolicyProps } from './runner-network-policy';
import { networkPolicyAnnotations } from './private/network-policy';
import { resolveNetworkPolicy } from './private/resolve-network-policy';
import { withResolved } from './private/resolved';

/** The actions-runner-controller release whose objects and semantics the library emits (gha-runner-scale-set chart). */
export const ARC_VERSION = '0.14.2';

/** A ServiceAccount in another namespace. */
export interface ServiceAccountReference {
  /** Its name. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
}

/** Props of RunnerScaleSet. */
export interface RunnerScaleSetProps extends Pick<RunnerVmSizeOptions, 'cpu' | 'memory'>, RunnerVmOptions {
  /** GitHub URL of the scale set: `https://github.com/OWNER[/REPO]` or `https://github.com/enterprises/SLUG`, or the same on a GHES host. */
  readonly url: string;
  /**
   * Name of the Secret, created out of band in the scale set's namespace, with a GitHub App
   * (`github_app_id`, `github_app_installation_id`, `github_app_private_key`) or a PAT (`github_token`).
   * Only actions-runner-controller reads it; it never reaches a VM.
   */
  readonly githubConfigSecret: string;
  /** The baked image every job's VM boots; the scale set lives in the image's namespace. */
  readonly image: RunnerImage;
  /**
   * The scale set's name: the `runs-on` label that targets it, the AutoscalingRunnerSet's name and
   * the prefix of every object. At most 45 characters (actions-runner-controller's limit).
   * @default - derived from the construct path
   */
  readonly name?: string;
  /** Runners kept idle and ready. @default 0 (scale to zero) */
  readonly minRunners?: number;
  /** Most runners (VMs) at once. @default 10 */
  readonly maxRunners?: number;
  /** Runner group of the scale set (organization and enterprise scale sets). @default - the 'Default' group */
  readonly runnerGroup?: string;
  /** Extra labels of the scale set, besides its name, that `runs-on` can target. @default - the name only */
  readonly labels?: string[];
  /** actions-runner-controller's ServiceAccount, which the manager RoleBinding names. @default { name: 'arc-gha-rs-controller', namespace: 'arc-systems' } */
  readonly controllerServiceAccount?: ServiceAccountReference;
  /** The image that runs the launcher (any image with Node.js >= 20 at `node`). @default 'node:26.13.0-alpine3.24' */
  readonly launcherImage?: string;
  /** How long a job's VM may take to boot (and the image to be ready) before the runner fails. @default Duration.minutes(15) */
  readonly bootTimeout?: Duration;
  /** How long a job's VM may run before it is stopped. @default Duration.hours(24) */
  readonly jobTimeout?: Duration;
  /** What a node drain does to a job's VM. @default EvictionStrategy.NONE (the VM stops; a per-job VM cannot move) */
  readonly evictionStrategy?: EvictionStrategy;
  /**
   * The NetworkPolicy of the jobs' VMs (`<name>`): they reach DNS, the internet and `allowEgressTo`,
   * not other pods, the Kubernetes API or the cloud metadata address; nothing reaches them. It
   * selects the VMs' virt-launcher pods only, never the launcher pods, which need the Kubernetes API.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

const NAMING: Naming = { owner: 'RunnerScaleSet' };
/**
 * ARC allows 45 characters (the chart's check), but names each runner pod `<name>-xxxxx-runner-yyyyy`
 * (19 more), and the pod's name is its VM's hostname: at most 63, so the name at most 44.
 */
const MAX_SCALE_SET_NAME_LENGTH = 44;
const CLEANUP_FINALIZER = 'actions.github.com/cleanup-protection';

/**
 * An actions-runner-controller runner scale set whose runners are VMs: every job gets a fresh
 * VirtualMachineInstance booted from a baked RunnerImage, and the set scales to zero.
 *
 * ARC's runner pod runs a launcher (a dependency-free Node.js script, in a ConfigMap) in its
 * container `runner`: it waits for the image to be ready, creates the VMI named and owned by its pod
 * with ARC's JIT Secret as a disk, waits for the guest to run its one job and power off, and exits;
 * ARC then deletes the pod and Kubernetes the VMI. Emits the AutoscalingRunnerSet (ARC 0.14.2
 * semantics), the manager Role and RoleBinding the chart would create (with their cleanup finalizer
 * and annotation pairs), the launcher's ServiceAccount, Role and RoleBinding, and the ConfigMap.
 */
export class RunnerScaleSet extends Construct {
  /** The scale set's name: its `runs-on` label. */
  public readonly name: string;
  /** Namespace of every object (the image's). */
  public readonly namespace: string;
  /** The AutoscalingRunnerSet, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;
  /** The NetworkPolicy of the jobs' VMs, unless `networkPolicy.enabled` is false. */
  public readonly networkPolicy?: RunnerNetworkPolicy;

  constructor(scope: Construct, id: string, props: RunnerScaleSetProps) {
    super(scope, id);
    const image = props.image;
    if (!RunnerImage.isRunnerImage(image)) {
      throw new Error(`${propLabel(NAMING, 'image')} must be a RunnerImage, got ${show(image)}`);
    }
    this.name = validateDnsLabel(...at(NAMING, 'name'), props.name ?? defaultDnsLabel(this, MAX_SCALE_SET_NAME_LENGTH), MAX_SCALE_SET_NAME_LENGTH);
    this.namespace = image.namespace;
    if (Chart.of(this).namespace !== undefined && Chart.of(this).namespace !== this.namespace) {
      throw new Error(`${propLabel(NAMING, 'image')} is in namespace ${image.namespace} but the chart is in ${Chart.of(this).namespace}: `
        + 'a job\'s VM can only boot a volume of its own namespace');
    }
    const scope_ = GitHubScope.fromUrl(props.url, ...at(NAMING, 'url'));
    const githubConfigSecret = validateSecretName(NAMING, 'githubConfigSecret', props.githubConfigSecret);
    const { minRunners, maxRunners } = validateRunnerCounts(props);
    const labels = validateLabels(...at(NAMING, 'labels'), props.labels ?? []);
    const runnerGroup = props.runnerGroup === undefined ? undefined : validateRunnerGroup(...at(NAMING, 'runnerGroup'), props.runnerGroup);
    const controller = validateController(props.controllerServiceAccount ?? { name: 'arc-gha-rs-controller', namespace: 'arc-systems' });
    const sizing = resolveSizing({ cpu: props.cpu, memory: props.memory }, NAMING);
    const bootTimeout = validateDuration(NAMING, 'bootTimeout', props.bootTimeout ?? Duration.minutes(15));
    const jobTimeout = validateDuration(NAMING, 'jobTimeout', props.jobTimeout ?? Duration.hours(24));
    const launcherImage = validateImageReference(NAMING, 'launcherImage', props.launcherImage ?? DEFAULT_NODE_IMAGE);
    const evictionStrategy = props.evictionStrategy ?? EvictionStrategy.NONE;
    if (!Object.values(EvictionStrategy).includes(evictionStrategy)) {
      throw new Error(`${propLabel(NAMING, 'evictionStrategy')} must be one of ${Object.values(EvictionStrategy).join(', ')}, got ${show(evictionStrategy)}`);
    }
    const vmOptions = resolveVmOptions(props, NAMING, { sizing: { ...sizing, evictionStrategy }, arch: image.arch, oneJob: true, guest: { setup: image.setup, from: 'RunnerImage' } });
    const networkPolicy = resolveNetworkPolicy(props.networkPolicy, NAMING);
    checkCollisionsAtSynth(this);

    const common = commonLabels(this.name, this.namespace);
    const managerName = `${this.name}-gha-rs-manager`;
    const launcherName = `${this.name}-launcher`;
    const clone = image.sharing === ImageSharing.CLONE_PER_JOB;
    const metadata = (name: string, extra: { finalizers?: string[]; component?: string } = {}) => ({
      name,
      namespace: this.namespace,
      labels: { ...common, ...(extra.component ? { 'app.kubernetes.io/component': extra.component } : {}) },
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
    });

    // What the gha-runner-scale-set chart creates beside the AutoscalingRunnerSet: the controller's
    // rights in this namespace, kept (finalizer) until the controller has cleaned up on GitHub.
    new k8s.KubeRole(this, 'ManagerRole', {
      metadata: metadata(managerName, { finalizers: [CLEANUP_FINALIZER], component: 'manager-role' }),
      rules: MANAGER_RULES,
    });
    new k8s.KubeRoleBinding(this, 'ManagerRoleBinding', {
      metadata: metadata(managerName, { finalizers: [CLEANUP_FINALIZER], component: 'manager-role-binding' }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: managerName },
      subjects: [{ kind: 'ServiceAccount', name: controller.name, namespace: controller.namespace }],
    });

    // The launcher may create, watch and delete VMIs (and, cloning per job, DataVolumes), nothing else.
    new k8s.KubeServiceAccount(this, 'LauncherServiceAccount', { metadata: metadata(launcherName, { component: 'launcher' }) });
    new k8s.KubeRole(this, 'LauncherRole', {
      metadata: metadata(launcherName, { component: 'launcher' }),
      rules: launcherRules(clone),
    });
    new k8s.KubeRoleBinding(this, 'LauncherRoleBinding', {
      metadata: metadata(launcherName, { component: 'launcher' }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: launcherName },
      subjects: [{ kind: 'ServiceAccount', name: launcherName, namespace: this.namespace }],
    });

    const fleet = fleetLabel('scale-set', this.name);
    const vmiLabels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'runner' };
    if (networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy', withResolved<RunnerNetworkPolicyProps>({
        name: this.name, namespace: this.namespace, vmLabels: vmiLabels, rules: networkPolicy,
      } satisfies NetworkPolicySpec));
    }
    const templates = launcherTemplates(image, sizing, evictionStrategy, { ...vmiLabels, ...fleet }, { options: vmOptions, fleetSelector: fleet },
      networkPolicyAnnotations(networkPolicy !== undefined));
    new k8s.KubeConfigMap(this, 'LauncherConfig', {
      metadata: metadata(launcherName, { component: 'launcher' }),
      data: launcherConfigData('arc-launcher', launcherVmSettings('arc-launcher', image, templates, { bootTimeout, jobTimeout }), templates),
    });

    // ARC's controller and listener talk to GitHub: the baked image's proxy and CA, as the runners use them.
    const network = clusterNetworkOf(image.setup);
    const tls = githubServerTls(network, this.name);
    if (tls?.inline) {
      new k8s.KubeConfigMap(this, 'GitHubServerCa', {
        metadata: metadata(tls.configMapKeyRef.name, { component: 'github-server-ca' }),
        data: { [tls.configMapKeyRef.key]: tls.inline },
      });
    }

    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'actions.github.com/v1alpha1',
      kind: 'AutoscalingRunnerSet',
      metadata: {
        ...metadata(this.name, { component: 'autoscaling-runner-set' }),
        annotations: {
          // The controller removes the cleanup finalizer only from objects named here.
          'actions.github.com/cleanup-manager-role-name': managerName,
          'actions.github.com/cleanup-manager-role-binding': managerName,
          // Created out of band; validation should not look for it in the output.
          [EXTERNAL_SECRETS_ANNOTATION]: githubConfigSecret,
        },
      },
      spec: {
        githubConfigUrl: scope_.url,
        githubConfigSecret,
        runnerScaleSetName: this.name,
        ...(labels.length > 0 ? { runnerScaleSetLabels: labels } : {}),
        ...(runnerGroup !== undefined ? { runnerGroup } : {}),
        minRunners,
        maxRunners,
        ...(network.proxy ? { proxy: arcProxy(network.proxy) } : {}),
        ...(tls ? { githubServerTLS: { certificateFrom: { configMapKeyRef: tls.configMapKeyRef } } } : {}),
        template: {
          metadata: { labels: { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'launcher' } },
          spec: launcherPodSpec({ entry: 'arc-launcher', serviceAccountName: launcherName, configMapName: launcherName, launcherImage }),
        },
      },
    });
  }
}

/** ARC's proxy: its controller and listener reach GitHub through it; the cluster's own services directly. */
function arcProxy(proxy: ResolvedProxy) {
  return {
    ...(proxy.http ? { http: { url: proxy.http } } : {}),
    ...(proxy.https ? { https: { url: proxy.https } } : {}),
    noProxy: clusterNoProxy(proxy),
  };
}

/**
 * ARC's githubServerTLS takes one ConfigMap key: inline certificates go into a ConfigMap of the
 * library's (`<name>-github-ca`), a ConfigMap key is referenced; a Secret cannot be.
 */
function githubServerTls(network: ClusterNetwork, name: string) {
  const naming = { ...NAMING, owner: `${NAMING.owner} (its image's setup)` };
  const from = network.caCertificatesFrom;
  if (network.caCertificates.length > 0 && from) {
    throw new Error(`${propLabel(naming, 'caCertificatesFrom')} and ${propLabel(naming, 'caCertificates')} are both set, but ARC's `
      + 'githubServerTLS takes one ConfigMap key: give all the CA certificates one way, either inline in caCertificates or in the one '
      + 'ConfigMap key of caCertificatesFrom');
  }
  if (network.caCertificates.length > 0) {
    return { configMapKeyRef: { name: `${name}-github-ca`, key: 'ca.crt' }, inline: network.caCertificates.join('') };
  }
  if (!from) return undefined;
  if (from.kind === 'secret') {
    throw new Error(`${propLabel(naming, 'caCertificatesFrom')} names Secret ${show(from.name)}, but ARC's controller reads its GitHub CA `
      + '(AutoscalingRunnerSet spec.githubServerTLS.certificateFrom) only from a ConfigMap key: put the CA certificates in a ConfigMap '
      + `(caCertificatesFrom: { configMap: ..., key: ${show(from.key)} }) or inline in caCertificates; a CA certificate is not secret`);
  }
  return { configMapKeyRef: { name: from.name, key: from.key }, inline: undefined };
}

// The rights the gha-runner-scale-set chart's manager Role gives the controller (templates/manager_role.yaml, default mode).
const MANAGER_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get'] },
  { apiGroups: [''], resources: ['pods/status'], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create', 'delete', 'get', 'patch', 'update'] },
];

// The chart's common labels that the controller reads or propagates; app.kubernetes.io/version must
// match the controller's major.minor, or the controller deletes the AutoscalingRunnerSet.
function commonLabels(name: string, namespace: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/version': ARC_VERSION,
    'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
    'app.kubernetes.io/part-of': 'gha-rs',
    'actions.github.com/scale-set-name': name,
    'actions.github.com/scale-set-namespace': namespace,
  };
}


function validateRunnerCounts(props: RunnerScaleSetProps): { minRunners: number; maxRunners: number } {
  const count = (prop: 'minRunners' | 'maxRunners', value: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10_000) {
      throw new Error(`${propLabel(NAMING, prop)} must be an integer from 0 to 10000, got ${show(value)}`);
    }
    return value;
  };
  const minRunners = count('minRunners', props.minRunners ?? 0);
  const maxRunners = count('maxRunners', props.maxRunners ?? 10);
  if (maxRunners < 1 || minRunners > maxRunners) {
    throw new Error(`${propLabel(NAMING, 'maxRunners')} must be at least 1 and at least 'minRunners' (${minRunners}), got ${maxRunners}`);
  }
  return { minRunners, maxRunners };
}

function validateController(account: ServiceAccountReference): ServiceAccountReference {
  validateDnsLabel(...at(NAMING, 'controllerServiceAccount.namespace'), account?.namespace);
  validateSecretName(NAMING, 'controllerServiceAccount.name', account?.name);
  return { name: account.name, namespace: account.namespace };
}


