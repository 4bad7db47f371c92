import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CONFIG_FILE, type TokenRefresherConfig } from './cluster/contract';
import { checkCollisionsAtSynth } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION } from './private/external-references';
import { treeDefaults } from './private/names';
import { clusterConfigMapData, clusterCronJobSpec, clusterMount, clusterPodSpec } from './render/cluster-pod';
import { ONE_OFF_JOB_TTL_SECONDS, oneOffJobName } from './render/one-off-job';
import { caSecretNames, podNetwork } from './render/pod-network';
import { RUNNER_KUBERNETES_LABELS } from './render/vmi-spec';
import { clusterNoProxy } from './spec/cluster-network';
import { isSealed } from './spec/sealed';
import { RefresherSpec, resolveTokenRefresher, RunnerTokenRefresherProps } from './spec/token-refresher';

const CREDENTIALS_MOUNT = '/etc/github-credentials';

/**
 * Keeps the registration-token Secret of a fleet fresh, so that no human handles a token: a
 * CronJob (every 30 minutes; registration tokens live one hour) and a Job that runs at once on
 * apply (`<name>-now-<hash>`: as a Job's pod template is immutable, an apply that changes what it
 * runs makes a new one), both running the library's token-refresher (one Node.js file and its
 * config.json in a ConfigMap), which authenticates as a GitHub App or with a PAT from a Secret you
 * create, requests a registration token for the fleet's scope and writes it into the token Secret
 * the VMs read. Its ServiceAccount may only get, patch and update that one Secret (a RunnerWarmPool's
 * refresher also lists pods and reads their logs: its VMs' serial consoles). A failure leaves
 * the last token in place and fails the Job. With `proxy`, it reaches GitHub through the proxy's
 * `https` URL (a CONNECT tunnel; the Kubernetes API directly); with `caCertificates` or
 * `caCertificatesFrom`, it trusts those CAs (NODE_EXTRA_CA_CERTS), for a GitHub Enterprise Server
 * with a private CA.
 */
export class RunnerTokenRefresher extends Construct {
  /** Name prefix of the refresher's objects. */
  public readonly name: string;
  /** Namespace of the refresher and the token Secret. */
  public readonly namespace: string;
  /** The token Secret (synthesized empty; the refresher fills it). */
  public readonly tokenSecretName: string;
  /** The CronJob, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerTokenRefresherProps);
  /** @internal A fleet's refresher, from the spec its resolver made. */
  constructor(scope: Construct, id: string, spec: RefresherSpec);
  constructor(scope: Construct, id: string, input: RunnerTokenRefresherProps | RefresherSpec) {
    super(scope, id);
    const spec = isSealed<RefresherSpec>(input, 'token-refresher') ? input : resolveTokenRefresher(input, treeDefaults(this, 'RunnerTokenRefresher'));
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.tokenSecretName = spec.tokenSecretName;
    const { githubCredentialsSecret: credentials, schedule, containerImage: image } = spec.options;
    checkCollisionsAtSynth(this);

    const labels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/component': 'token-refresher', 'app.kubernetes.io/instance': this.name };
    const metadata = (name: string) => ({ name, namespace: this.namespace, labels });

    // The token Secret exists before the first run: the refresher may only patch it (RBAC cannot
    // limit `create` to one name). kubectl apply and GitOps tools leave the data the refresher adds.
    new k8s.KubeSecret(this, 'TokenSecret', {
      metadata: { ...metadata(this.tokenSecretName), annotations: { 'cdk8s-kubevirt-runners/filled-by': `${this.name} (RunnerTokenRefresher)` } },
      type: 'Opaque',
    });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: metadata(this.name) });
    new k8s.KubeRole(this, 'Role', {
      metadata: metadata(this.name),
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [this.tokenSecretName], verbs: ['get', 'patch', 'update'] },
        // A failed refresh: a Warning Event TokenRefreshFailed on the Job's pod (and a warm pool's RunnerOutdated on the pool).
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
        ...(spec.warmPool ? warmPoolRules(spec.warmPool.pool) : [])],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: metadata(this.name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.name },
      subjects: [{ kind: 'ServiceAccount', name: this.name, namespace: this.namespace }],
    });
    const network = podNetwork(spec.network, clusterMount('token-refresher'));
    const scriptData = { ...clusterConfigMapData('token-refresher', { [CONFIG_FILE]: refresherConfig(spec) }), ...network.configData };
    new k8s.KubeConfigMap(this, 'Script', { metadata: metadata(this.name), data: scriptData });
    // The Secrets the pods mount but the output does not hold, on both objects that run them.
    const annotations = { [EXTERNAL_SECRETS_ANNOTATION]: annotationValue([credentials, ...caSecretNames(spec.network)])! };
    const jobSpec: k8s.JobSpec = {
      backoffLimit: 2,
      // A run takes seconds; one that hangs must not hold the next schedule back.
      activeDeadlineSeconds: 300,
      template: {
        metadata: { labels },
        spec: clusterPodSpec({
          entry: 'token-refresher', containerName: 'refresher', image, serviceAccountName: this.name, configMapName: this.name, identity: ['name', 'namespace', 'uid'],
          env: network.env,
          mounts: [
            { volume: { name: 'github-credentials', secret: { secretName: credentials, defaultMode: 0o440 } }, mountPath: CREDENTIALS_MOUNT },
            ...network.mounts.map((m) => ({ volume: m.volume as k8s.Volume, mountPath: m.mountPath })),
          ],
          // The credentials' files are root's; the group lets the runtime (uid 1000) read them.
          fsGroup: 1000,
        }),
      },
    };
    // The first token at once, not up to one schedule later; a new Job whenever what it runs changes.
    const nowSpec: k8s.JobSpec = { ...jobSpec, ttlSecondsAfterFinished: ONE_OFF_JOB_TTL_SECONDS };
    new k8s.KubeJob(this, 'Now', { metadata: { ...metadata(oneOffJobName(this.name, { spec: nowSpec, scriptData })), annotations }, spec: nowSpec });
    this.apiObject = ApiObject.of(new k8s.KubeCronJob(this, 'Resource', {
      metadata: { ...metadata(this.name), annotations },
      spec: clusterCronJobSpec({ schedule, startingDeadlineSeconds: 300, labels, job: jobSpec }),
    }));
  }
}

/**
 * A warm pool's serial consoles: its virt-launcher pods listed by label and their `guest-console-log` read (Kubernetes cannot limit
 * a list, nor pods whose names KubeVirt generates, to names), and the pool itself, for the Event's uid.
 */
function warmPoolRules(pool: string): k8s.PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], resourceNames: [pool], verbs: ['get'] },
  ];
}

/** The runtime's configuration, from the resolved spec (the proxy's https URL only: GitHub is https). */
function refresherConfig(spec: RefresherSpec): TokenRefresherConfig {
  const proxy = spec.network?.proxy;
  return {
    github: {
      url: spec.url,
      credentialsDir: CREDENTIALS_MOUNT,
      ...(proxy?.https ? { proxy: { url: proxy.https, noProxy: clusterNoProxy(proxy) } } : {}),
    },
    secretName: spec.tokenSecretName,
    secretKey: spec.tokenKey,
    ...(spec.options.deleteOfflineRunners ? { deleteOfflineRunnersPrefix: spec.runnerNamePrefix } : {}),
    ...(spec.warmPool ? { warmPool: { pool: spec.warmPool.pool, podSelector: spec.warmPool.podSelector } } : {}),
  };
}
