import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GitHubScope, GitHubScopeKind } from './github';
import { EvictionStrategy } from './kubevirt-options';
import { checkCollisionsAtSynth } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION } from './private/external-references';
import { treeDefaults } from './private/names';
import { clusterMount } from './render/cluster-pod';
import { networkPolicyAnnotations } from './private/network-policy';
import { launcherConfigData, launcherPodSpec, launcherRules, launcherTemplates, launcherVmSettings } from './render/launcher-pod';
import { caSecretNames, podNetwork } from './render/pod-network';
import { fleetLabel, RUNNER_KUBERNETES_LABELS } from './render/vmi-spec';
import { RunnerNetworkPolicy } from './runner-network-policy';
import { clusterNetworkOf, clusterNoProxy } from './spec/cluster-network';
import { ImageSharing } from './spec/image';
import { GitHubCredentialsKind, resolveKedaScaleSet, RunnerKedaScaleSetProps } from './spec/keda-scale-set';
import { fleetNetworkPolicySpec } from './spec/network-policy';

const CREDENTIALS_MOUNT = '/etc/github-credentials';
const APP_ID_ENV = 'GITHUB_APP_ID';
const INSTALLATION_ID_ENV = 'GITHUB_APP_INSTALLATION_ID';
const SCALER_SCOPE: Record<GitHubScopeKind, string> = {
  [GitHubScopeKind.REPOSITORY]: 'repo',
  [GitHubScopeKind.ORGANIZATION]: 'org',
  [GitHubScopeKind.ENTERPRISE]: 'ent',
};

/**
 * Per-job runner VMs without actions-runner-controller: a KEDA ScaledJob, scaled by KEDA's
 * `github-runner` scaler on the number of queued jobs that match `labels`, starts one Job per queued
 * job; its pod runs the launcher in mint mode, which registers its own one-job (JIT) runner on
 * GitHub, stores the config in a Secret owned by the pod, boots a fresh VirtualMachineInstance from
 * the baked RunnerImage, and exits when the guest powers off after the job. A runner that gets no
 * job within `idleTimeout` (another runner took it) is removed with its VM.
 *
 * Emits the TriggerAuthentication and the ScaledJob (keda.sh/v1alpha1), the launcher's
 * ServiceAccount, Role and RoleBinding, and the ConfigMap with the launcher and its templates.
 */
export class RunnerKedaScaleSet extends Construct {
  /** The ScaledJob's name, the prefix of every object. */
  public readonly name: string;
  /** Namespace of every object (the image's). */
  public readonly namespace: string;
  /** The runners' GitHub labels. */
  public readonly runnerLabels: readonly string[];
  /** The ScaledJob, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;
  /** The NetworkPolicy of the jobs' VMs, unless `networkPolicy.enabled` is false. */
  public readonly networkPolicy?: RunnerNetworkPolicy;

  constructor(scope: Construct, id: string, props: RunnerKedaScaleSetProps) {
    super(scope, id);
    const spec = resolveKedaScaleSet(props, treeDefaults(this, 'RunnerKedaScaleSet'));
    const { runnerImage: image, sizing, vmOptions, networkPolicy, scope: github, githubCredentialsSecret: credentialsSecret, runnerGroup } = spec;
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.runnerLabels = spec.runnerLabels;
    checkCollisionsAtSynth(this);

    const launcherName = `${this.name}-launcher`;
    const clone = image.sharing === ImageSharing.CLONE_PER_JOB;
    const common = {
      'app.kubernetes.io/name': 'kubevirt-runners-keda',
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
    };
    const metadata = (name: string, component: string, extra: object = {}) => ({
      name, namespace: this.namespace, labels: { ...common, 'app.kubernetes.io/component': component }, ...extra,
    });

    // The launcher may create, watch and delete VMIs (and, cloning per job, DataVolumes), and its JIT
    // Secret. RBAC cannot limit `create` by name (the name is not known when it is authorized), so the
    // launcher may create any Secret in this namespace; get and delete are as broad, since the names
    // (<pod>-jit) are only known per job. Keep other secrets out of this namespace or trust the launcher.
    new k8s.KubeServiceAccount(this, 'LauncherServiceAccount', { metadata: metadata(launcherName, 'launcher') });
    new k8s.KubeRole(this, 'LauncherRole', {
      metadata: metadata(launcherName, 'launcher'),
      rules: [...launcherRules(clone, image.refresher?.pointerConfigMap), { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'delete'] }],
    });
    new k8s.KubeRoleBinding(this, 'LauncherRoleBinding', {
      metadata: metadata(launcherName, 'launcher'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: launcherName },
      subjects: [{ kind: 'ServiceAccount', name: launcherName, namespace: this.namespace }],
    });

    const fleet = fleetLabel('keda', this.name);
    const vmiLabels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'runner' };
    if (networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy', fleetNetworkPolicySpec(this.name, this.namespace, vmiLabels, networkPolicy));
    }
    // The baked image's proxy and CA: the launcher mints JIT configs on GitHub the way the runners reach it.
    const setup = clusterNetworkOf(image.setup);
    const network = podNetwork(setup, clusterMount('mint-launcher'));
    const templates = launcherTemplates(image, sizing, EvictionStrategy.NONE, { ...vmiLabels, ...fleet }, { options: vmOptions, fleetSelector: fleet },
      networkPolicyAnnotations(networkPolicy !== undefined));
    // The proxy's https URL only: GitHub's API is https.
    const proxy = setup.proxy?.https ? { url: setup.proxy.https, noProxy: clusterNoProxy(setup.proxy) } : undefined;
    new k8s.KubeConfigMap(this, 'LauncherConfig', {
      metadata: metadata(launcherName, 'launcher'),
      data: {
        ...launcherConfigData('mint-launcher', {
          ...launcherVmSettings('mint-launcher', image, templates, { bootTimeout: spec.bootTimeout, jobTimeout: spec.jobTimeout }),
          github: { url: github.url, credentialsDir: CREDENTIALS_MOUNT, ...(proxy ? { proxy } : {}) },
          runnerLabels: this.runnerLabels,
          ...(runnerGroup !== undefined ? { runnerGroup } : {}),
          idleTimeoutSeconds: spec.idleTimeout,
        }, templates),
        ...network.configData,
      },
    });

    // KEDA's scaler: the App's key (or the PAT) from the Secret; the App and installation ids are
    // trigger metadata, not auth parameters, so the scaler reads them from the launcher container's
    // environment (`...FromEnv`), which takes them from the same Secret.
    const app = spec.githubCredentialsKind === GitHubCredentialsKind.APP;
    const authName = `${this.name}-github`;
    new ApiObject(this, 'TriggerAuthentication', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: metadata(authName, 'trigger-authentication', { annotations: { [EXTERNAL_SECRETS_ANNOTATION]: credentialsSecret } }),
      spec: {
        secretTargetRef: [app
          ? { parameter: 'appKey', name: credentialsSecret, key: 'github_app_private_key' }
          : { parameter: 'personalAccessToken', name: credentialsSecret, key: 'github_token' }],
      },
    });

    const [owner, repo] = github.path.split('/');
    const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: credentialsSecret, key } } });
    const podSpec = launcherPodSpec({
      entry: 'mint-launcher', serviceAccountName: launcherName, configMapName: launcherName, launcherImage: spec.launcherContainerImage,
      // The credentials' files are root's; the group lets the launcher (uid 1000) read them.
      fsGroup: 1000,
      env: [
        // For KEDA's scaler (applicationIDFromEnv, installationIDFromEnv); the launcher reads the files.
        ...(app ? [secretEnv(APP_ID_ENV, 'github_app_id'), secretEnv(INSTALLATION_ID_ENV, 'github_app_installation_id')] : []),
        ...network.env,
      ],
      mounts: [
        { volume: { name: 'github-credentials', secret: { secretName: credentialsSecret, defaultMode: 0o440 } }, mountPath: CREDENTIALS_MOUNT },
        ...network.mounts.map((m) => ({ volume: m.volume as k8s.Volume, mountPath: m.mountPath })),
      ],
    });

    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledJob',
      metadata: metadata(this.name, 'scaled-job', {
        annotations: { [EXTERNAL_SECRETS_ANNOTATION]: annotationValue([credentialsSecret, ...caSecretNames(clusterNetworkOf(image.setup))])! },
      }),
      spec: {
        jobTargetRef: {
          // A failed launcher is not retried: its runner is gone, and KEDA starts a new Job for a job still queued.
          backoffLimit: 0,
          template: {
            metadata: { labels: { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'launcher' } },
            spec: podSpec,
          },
        },
        pollingInterval: spec.pollingInterval,
        minReplicaCount: 0,
        maxReplicaCount: spec.maxRunners,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 5,
        // A change of the ScaledJob must never kill a running Job (its VM runs a job).
        rollout: { strategy: 'gradual' },
        // GitHub's queue no longer counts a job once a runner took it: 'accurate' subtracts only the
        // Jobs not yet running. A launcher that starts for a job another runner took meanwhile is
        // removed by the idle timeout.
        scalingStrategy: { strategy: 'accurate' },
        triggers: [{
          type: 'github-runner',
          metadata: {
            githubApiURL: githubApiUrl(github),
            owner,
            runnerScope: SCALER_SCOPE[github.kind],
            ...(github.kind === GitHubScopeKind.REPOSITORY ? { repos: repo } : {}),
            labels: this.runnerLabels.join(','),
            targetWorkflowQueueLength: '1',
            ...(app ? { applicationIDFromEnv: APP_ID_ENV, installationIDFromEnv: INSTALLATION_ID_ENV } : {}),
          },
          authenticationRef: { name: authName },
        }],
      },
    });
  }
}

/** The REST API of a GitHub host: api.github.com, api.SUBDOMAIN.ghe.com, or https://HOST/api/v3 (GHES). */
function githubApiUrl(scope: GitHubScope): string {
  if (scope.isGitHubDotCom) return 'https://api.github.com';
  if (/^[a-z0-9-]+\.ghe\.com$/.test(scope.host)) return `https://api.${scope.host}`;
  return `https://${scope.host}/api/v3`;
}
