import { ApiObject, Chart, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GitHubScope, GitHubScopeKind } from './github';
import { EvictionStrategy } from './kubevirt-options';
import { caSecretNames, checkOneCaSource, clusterNetworkOf, clusterNoProxy, podNetwork } from './private/cluster-network';
import { clusterMount } from './private/cluster-pod';
import { checkCollisionsAtSynth } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION } from './private/external-references';
import { validateLabels, validateRunnerGroup } from './private/github-rules';
import { launcherConfigData, launcherPodSpec, launcherRules, launcherTemplates, launcherVmSettings, validateDuration } from './private/launcher-pod';
import { at, Naming, propLabel, show } from './private/naming';
import { defaultDnsLabel, validateDnsLabel } from './private/names';
import { DEFAULT_NODE_IMAGE, validateImageReference } from './private/node-image';
import { resolveSizing, resolveVmOptions, validateSecretName } from './private/resolve-vm';
import { fleetLabel } from './private/vmi-spec';
import { ImageSharing, RunnerImage } from './runner-image';
import { RunnerVmOptions, RunnerVmSizeOptions } from './runner-spec';
import { RUNNER_KUBERNETES_LABELS } from './runner-vm';
import { NetworkPolicySpec, RunnerNetworkPolicy, RunnerNetworkPolicyOptions, RunnerNetworkPolicyProps } from './runner-network-policy';
import { networkPolicyAnnotations } from './private/network-policy';
import { resolveNetworkPolicy } from './private/resolve-network-policy';
import { withResolved } from './private/resolved';

/** What the GitHub credentials Secret holds. */
export enum GitHubCredentialsKind {
  /** A GitHub App: `github_app_id` (the numeric App ID: KEDA reads it as a number), `github_app_installation_id`, `github_app_private_key`. */
  APP = 'app',
  /** A personal access token: `github_token`. */
  PAT = 'pat',
}

/** Props of RunnerKedaScaleSet. */
export interface RunnerKedaScaleSetProps extends Pick<RunnerVmSizeOptions, 'cpu' | 'memory'>, RunnerVmOptions {
  /** GitHub URL of the runners: `https://github.com/OWNER[/REPO]` or `https://github.com/enterprises/SLUG`, or the same on a GHES host. */
  readonly url: string;
  /**
   * Name of the Secret, created out of band in the image's namespace, with a GitHub App
   * (`github_app_id`, `github_app_installation_id`, `github_app_private_key`) or a PAT (`github_token`).
   * KEDA's scaler and the launcher pods read it; it never reaches a VM.
   */
  readonly githubCredentialsSecret: string;
  /** Whether the Secret holds a GitHub App or a PAT. @default GitHubCredentialsKind.APP */
  readonly githubCredentialsKind?: GitHubCredentialsKind;
  /** The baked image every job's VM boots; every object lives in the image's namespace. */
  readonly image: RunnerImage;
  /** The labels of the runners, which `runs-on` targets and KEDA's scaler matches queued jobs against: at least one. */
  readonly labels: string[];
  /** Runner group of the runners (organization and enterprise URLs). @default - the default group */
  readonly runnerGroup?: string;
  /** Most runners (VMs) at once: the ScaledJob's maxReplicaCount. @default 10 */
  readonly maxRunners?: number;
  /** How long a VM's runner may wait for a job before it is removed (its job ran elsewhere). @default Duration.minutes(10) */
  readonly idleTimeout?: Duration;
  /** How long a job's VM may take to boot (and the image to be ready) before the runner fails. @default Duration.minutes(15) */
  readonly bootTimeout?: Duration;
  /** How long a job's VM may run before it is stopped. @default Duration.hours(24) */
  readonly jobTimeout?: Duration;
  /** The image that runs the launcher (any image with Node.js >= 20 at `node`). @default 'node:26.13.0-alpine3.24' */
  readonly launcherImage?: string;
  /** How often KEDA asks GitHub for queued jobs (each time costs API requests: rate limits). @default Duration.seconds(30) */
  readonly pollingInterval?: Duration;
  /**
   * The ScaledJob's name and the prefix of every object. At most 50 characters: KEDA names each
   * Job's pod `<name>-xxxxx-yyyyy`, which becomes its VM's hostname (at most 63).
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * The NetworkPolicy of the jobs' VMs (`<name>`): they reach DNS, the internet and `allowEgressTo`,
   * not other pods, the Kubernetes API or the cloud metadata address; nothing reaches them. It
   * selects the VMs' virt-launcher pods only, never the launcher pods, which need the Kubernetes API.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

const NAMING: Naming = { owner: 'RunnerKedaScaleSet' };
const MAX_NAME_LENGTH = 50;
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
  /** The runners' labels. */
  public readonly labels: readonly string[];
  /** The ScaledJob, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;
  /** The NetworkPolicy of the jobs' VMs, unless `networkPolicy.enabled` is false. */
  public readonly networkPolicy?: RunnerNetworkPolicy;

  constructor(scope: Construct, id: string, props: RunnerKedaScaleSetProps) {
    super(scope, id);
    const image = props.image;
    if (!RunnerImage.isRunnerImage(image)) {
      throw new Error(`${propLabel(NAMING, 'image')} must be a RunnerImage, got ${show(image)}`);
    }
    this.name = validateDnsLabel(...at(NAMING, 'name'), props.name ?? defaultDnsLabel(this, MAX_NAME_LENGTH), MAX_NAME_LENGTH);
    this.namespace = image.namespace;
    if (Chart.of(this).namespace !== undefined && Chart.of(this).namespace !== this.namespace) {
      throw new Error(`${propLabel(NAMING, 'image')} is in namespace ${image.namespace} but the chart is in ${Chart.of(this).namespace}: `
        + 'a job\'s VM can only boot a volume of its own namespace');
    }
    const github = GitHubScope.fromUrl(props.url, ...at(NAMING, 'url'));
    const credentialsSecret = validateSecretName(NAMING, 'githubCredentialsSecret', props.githubCredentialsSecret);
    const credentialsKind = props.githubCredentialsKind ?? GitHubCredentialsKind.APP;
    if (!Object.values(GitHubCredentialsKind).includes(credentialsKind)) {
      throw new Error(`${propLabel(NAMING, 'githubCredentialsKind')} must be one of ${Object.values(GitHubCredentialsKind).join(', ')}, got ${show(credentialsKind)}`);
    }
    if (props.labels === undefined || (Array.isArray(props.labels) && props.labels.length === 0)) {
      throw new Error(`${propLabel(NAMING, 'labels')} must name at least one label: KEDA's scaler counts the queued jobs whose runs-on labels the runners have`);
    }
    this.labels = Object.freeze(validateLabels(...at(NAMING, 'labels'), props.labels));
    const runnerGroup = props.runnerGroup === undefined ? undefined : validateRunnerGroup(...at(NAMING, 'runnerGroup'), props.runnerGroup);
    if (runnerGroup !== undefined && github.kind === GitHubScopeKind.REPOSITORY) {
      throw new Error(`${propLabel(NAMING, 'runnerGroup')} is set but 'url' ${github.url} is a repository: runner groups belong to organizations and enterprises`);
    }
    const maxRunners = props.maxRunners ?? 10;
    if (typeof maxRunners !== 'number' || !Number.isInteger(maxRunners) || maxRunners < 1 || maxRunners > 10_000) {
      throw new Error(`${propLabel(NAMING, 'maxRunners')} must be an integer from 1 to 10000, got ${show(maxRunners)}`);
    }
    const sizing = resolveSizing({ cpu: props.cpu, memory: props.memory }, NAMING);
    const idleTimeout = validateDuration(NAMING, 'idleTimeout', props.idleTimeout ?? Duration.minutes(10), 'Duration.minutes(10)');
    const bootTimeout = validateDuration(NAMING, 'bootTimeout', props.bootTimeout ?? Duration.minutes(15));
    const jobTimeout = validateDuration(NAMING, 'jobTimeout', props.jobTimeout ?? Duration.hours(24));
    const pollingInterval = validateDuration(NAMING, 'pollingInterval', props.pollingInterval ?? Duration.seconds(30), 'Duration.seconds(30)');
    const launcherImage = validateImageReference(NAMING, 'launcherImage', props.launcherImage ?? DEFAULT_NODE_IMAGE);
    const vmOptions = resolveVmOptions(props, NAMING, { sizing: { ...sizing, evictionStrategy: EvictionStrategy.NONE }, arch: image.arch, oneJob: true, guest: { setup: image.setup, from: 'RunnerImage' } });
    const networkPolicy = resolveNetworkPolicy(props.networkPolicy, NAMING);
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
      rules: [...launcherRules(clone), { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'delete'] }],
    });
    new k8s.KubeRoleBinding(this, 'LauncherRoleBinding', {
      metadata: metadata(launcherName, 'launcher'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: launcherName },
      subjects: [{ kind: 'ServiceAccount', name: launcherName, namespace: this.namespace }],
    });

    const fleet = fleetLabel('keda', this.name);
    const vmiLabels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'runner' };
    if (networkPolicy) {
      this.networkPolicy = new RunnerNetworkPolicy(this, 'NetworkPolicy', withResolved<RunnerNetworkPolicyProps>({
        name: this.name, namespace: this.namespace, vmLabels: vmiLabels, rules: networkPolicy,
      } satisfies NetworkPolicySpec));
    }
    // The baked image's proxy and CA: the launcher mints JIT configs on GitHub the way the runners reach it.
    checkOneCaSource({ ...NAMING, owner: `${NAMING.owner} (its image's setup)` }, clusterNetworkOf(image.setup), 'the launcher');
    const setup = clusterNetworkOf(image.setup);
    const network = podNetwork(setup, clusterMount('mint-launcher'), { proxyEnv: false });
    const templates = launcherTemplates(image, sizing, EvictionStrategy.NONE, { ...vmiLabels, ...fleet }, { options: vmOptions, fleetSelector: fleet },
      networkPolicyAnnotations(networkPolicy !== undefined));
    // The proxy's https URL only: GitHub's API is https.
    const proxy = setup.proxy?.https ? { url: setup.proxy.https, noProxy: clusterNoProxy(setup.proxy) } : undefined;
    new k8s.KubeConfigMap(this, 'LauncherConfig', {
      metadata: metadata(launcherName, 'launcher'),
      data: {
        ...launcherConfigData('mint-launcher', {
          ...launcherVmSettings('mint-launcher', image, templates, { bootTimeout, jobTimeout }),
          github: { url: github.url, credentialsDir: CREDENTIALS_MOUNT, ...(proxy ? { proxy } : {}) },
          runnerLabels: this.labels,
          ...(runnerGroup !== undefined ? { runnerGroup } : {}),
          idleTimeoutSeconds: idleTimeout,
        }, templates),
        ...network.configData,
      },
    });

    // KEDA's scaler: the App's key (or the PAT) from the Secret; the App and installation ids are
    // trigger metadata, not auth parameters, so the scaler reads them from the launcher container's
    // environment (`...FromEnv`), which takes them from the same Secret.
    const app = credentialsKind === GitHubCredentialsKind.APP;
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
      entry: 'mint-launcher', serviceAccountName: launcherName, configMapName: launcherName, launcherImage,
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
        pollingInterval,
        minReplicaCount: 0,
        maxReplicaCount: maxRunners,
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
            labels: this.labels.join(','),
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
