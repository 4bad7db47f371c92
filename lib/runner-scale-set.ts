import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkCollisionsAtSynth } from './private/collisions';
import { EXTERNAL_SECRETS_ANNOTATION } from './private/external-references';
import { treeDefaults } from './private/names';
import { networkPolicyAnnotations } from './private/network-policy';
import { launcherConfigData, launcherPodSpec, launcherRules, launcherTemplates, launcherVmSettings } from './render/launcher-pod';
import { fleetLabel, RUNNER_KUBERNETES_LABELS } from './render/vmi-spec';
import { RunnerNetworkPolicy } from './runner-network-policy';
import { clusterNetworkOf, clusterNoProxy } from './spec/cluster-network';
import { ImageSharing } from './spec/image';
import { fleetNetworkPolicySpec } from './spec/network-policy';
import { ResolvedProxy } from './spec/resolved';
import { resolveScaleSet, RunnerScaleSetProps } from './spec/scale-set';
import { DEFAULT_ARC_VERSION } from './private/versions';

/**
 * The actions-runner-controller release RunnerScaleSet targets unless `arcVersion` says otherwise
 * (the newest release the library knows; lib/private/versions.ts).
 */
export const ARC_VERSION: string = DEFAULT_ARC_VERSION;

const CLEANUP_FINALIZER = 'actions.github.com/cleanup-protection';

/**
 * An actions-runner-controller runner scale set whose runners are VMs: every job gets a fresh
 * VirtualMachineInstance booted from a baked RunnerImage, and the set scales to zero.
 *
 * ARC's runner pod runs a launcher (a dependency-free Node.js script, in a ConfigMap) in its
 * container `runner`: it waits for the image to be ready, creates the VMI named and owned by its pod
 * with ARC's JIT Secret as a disk, waits for the guest to run its one job and power off, and exits;
 * ARC then deletes the pod and Kubernetes the VMI. Emits the AutoscalingRunnerSet (labelled for
 * `arcVersion`; the objects are the same for ARC 0.14.2 and 0.15.0), the manager Role and
 * RoleBinding the chart would create (with their cleanup finalizer and annotation pairs), the
 * launcher's ServiceAccount, Role and RoleBinding, and the ConfigMap.
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
    const spec = resolveScaleSet(props, treeDefaults(this, 'RunnerScaleSet'));
    const { runnerImage: image, sizing, vmOptions, networkPolicy } = spec;
    this.name = spec.name;
    this.namespace = spec.namespace;
    checkCollisionsAtSynth(this);

    const common = commonLabels(this.name, this.namespace, spec.arcVersion);
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
      subjects: [{ kind: 'ServiceAccount', name: spec.controller.name, namespace: spec.controller.namespace }],
    });

    // The launcher may create, watch and delete VMIs (and, cloning per job, DataVolumes), nothing else.
    new k8s.KubeServiceAccount(this, 'LauncherServiceAccount', { metadata: metadata(launcherName, { component: 'launcher' }) });
    new k8s.KubeRole(this, 'LauncherRole', {
      metadata: metadata(launcherName, { component: 'launcher' }),
      rules: launcherRules(clone, image.refresher?.pointerConfigMap),
    });
    new k8s.KubeRoleBinding(this, 'LauncherRoleBinding', {
      metadata: metadata(launcherName, { component: 'launcher' }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: launcherName },
      subjects: [{ kind: 'ServiceAccount', name: launcherName, namespace: this.namespace }],
    });

    const fleet = fleetLabel('scale-set', this.name);
    const vmiLabels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'runner' };
    if (networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy', fleetNetworkPolicySpec(this.name, this.namespace, vmiLabels, networkPolicy));
    }
    const templates = launcherTemplates(image, sizing, sizing.evictionStrategy, { ...vmiLabels, ...fleet }, { options: vmOptions, fleetSelector: fleet },
      networkPolicyAnnotations(networkPolicy !== undefined));
    new k8s.KubeConfigMap(this, 'LauncherConfig', {
      metadata: metadata(launcherName, { component: 'launcher' }),
      data: launcherConfigData('arc-launcher', launcherVmSettings('arc-launcher', image, templates, { bootTimeout: spec.bootTimeout, jobTimeout: spec.jobTimeout }), templates),
    });

    // ARC's controller and listener talk to GitHub: the baked image's proxy and CA, as the runners use them.
    const network = clusterNetworkOf(image.setup);
    const tls = spec.githubServerTls;
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
          [EXTERNAL_SECRETS_ANNOTATION]: spec.githubCredentialsSecret,
        },
      },
      spec: {
        githubConfigUrl: spec.scope.url,
        // ARC's name for the Secret with the GitHub App or PAT.
        githubConfigSecret: spec.githubCredentialsSecret,
        runnerScaleSetName: this.name,
        ...(spec.runnerLabels.length > 0 ? { runnerScaleSetLabels: [...spec.runnerLabels] } : {}),
        ...(spec.runnerGroup !== undefined ? { runnerGroup: spec.runnerGroup } : {}),
        minRunners: spec.minRunners,
        maxRunners: spec.maxRunners,
        ...(network.proxy ? { proxy: arcProxy(network.proxy) } : {}),
        ...(tls ? { githubServerTLS: { certificateFrom: { configMapKeyRef: tls.configMapKeyRef } } } : {}),
        template: {
          metadata: { labels: { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'launcher' } },
          spec: launcherPodSpec({ entry: 'arc-launcher', serviceAccountName: launcherName, configMapName: launcherName, launcherImage: spec.launcherContainerImage }),
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
function commonLabels(name: string, namespace: string, arcVersion: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/version': arcVersion,
    'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
    'app.kubernetes.io/part-of': 'gha-rs',
    'actions.github.com/scale-set-name': name,
    'actions.github.com/scale-set-namespace': namespace,
  };
}
