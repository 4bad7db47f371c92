// The contract between the library (which renders each in-cluster job's config.json from the
// resolved spec) and the runtime (which reads and validates it): one type per entry point, imported
// by both sides, so that a field renamed on one side fails `tsc --noEmit`. No cdk8s import here: the
// runtime bundles this file. The runtime's validators (./entries/*) must accept exactly these types;
// test/cluster/contract.test.ts renders each from the library and reads it back with the runtime.
//
// Secrets never appear here: a config names the folder where a Secret is mounted.

/** The file name of the configuration in each job's ConfigMap, beside the bundle. */
export const CONFIG_FILE = 'config.json';

/**
 * The pod's identity, the only settings that come from the environment: the pod template sets each
 * from the downward API (`fieldRef: metadata.<key>`), as a config file cannot know them.
 */
export const POD_IDENTITY_ENV = { name: 'POD_NAME', namespace: 'POD_NAMESPACE', uid: 'POD_UID' } as const;
export type PodIdentityField = keyof typeof POD_IDENTITY_ENV;

/** How the runtime reaches the Kubernetes API. */
export interface KubernetesAccess {
  /** The API server's URL. @default https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT */
  readonly apiUrl?: string;
  /** The bearer token, read again for every request (projected tokens rotate). @default the ServiceAccount token */
  readonly tokenFile?: string;
  /** The CA that signs an https API server's certificate. @default the ServiceAccount's ca.crt */
  readonly caFile?: string;
}

/** Settings of every entry point. The library renders none of them: they are for tests and unusual clusters. */
export interface RuntimeSettings {
  /** @default the pod's in-cluster API with its ServiceAccount */
  readonly kubernetes?: KubernetesAccess;
  /** The first delay between retries, in milliseconds (0 to 60000). @default 1000 */
  readonly retryBaseDelayMs?: number;
}

/** An HTTPS proxy for GitHub (the Kubernetes API is always reached directly). */
export interface ProxySettings {
  /** http(s)://[user:password@]host:port */
  readonly url: string;
  /** Hosts, .domains, IPs, CIDRs (each optionally :port), or '*': reached directly. */
  readonly noProxy: readonly string[];
}

/** How the runtime reaches GitHub for one fleet. */
export interface GitHubAccess {
  /** The fleet's scope: https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG. */
  readonly url: string;
  /** The REST API's URL. @default https://api.github.com, https://api.SUBDOMAIN.ghe.com or https://HOST/api/v3 */
  readonly apiUrl?: string;
  /**
   * Where the credentials Secret is mounted: ARC's keys, either github_app_id,
   * github_app_installation_id and github_app_private_key, or github_token (a PAT).
   */
  readonly credentialsDir: string;
  /** @default direct */
  readonly proxy?: ProxySettings;
}

/** `pool-scaler`: sets a warm pool's replicas through its /scale subresource (RunnerWarmPool activeHours). */
export interface PoolScalerConfig extends RuntimeSettings {
  /** The VirtualMachinePool, in the pod's namespace. */
  readonly pool: string;
  /** The replicas to set (0 to 10000). */
  readonly replicas: number;
}

/** `token-refresher`: a fresh registration token in the fleet's Secret (RunnerTokenRefresher). */
export interface TokenRefresherConfig extends RuntimeSettings {
  readonly github: GitHubAccess;
  /** The token Secret, in the pod's namespace: the runtime only gets and patches it. */
  readonly secretName: string;
  /** The Secret's key for the token. */
  readonly secretKey: string;
  /** Delete the fleet's offline idle runners named `<prefix>-<N>` after storing the token. @default none deleted */
  readonly deleteOfflineRunnersPrefix?: string;
}

/**
 * What both launchers do per job: the VirtualMachineInstance (and, cloning per job, its DataVolume)
 * from templates in the launcher's ConfigMap, owned by the pod, followed until the guest powers off.
 */
export interface LauncherVmSettings extends RuntimeSettings {
  /** The VMI template (a JSON file beside the config): named after the pod, owned by it, its `jit` volume pointed at the JIT Secret. */
  readonly vmiTemplateFile: string;
  /** Clone mode: the DataVolume template file; its per-job clone `<pod>-root` becomes the VMI's `rootdisk`. @default the template's own rootdisk */
  readonly dataVolumeTemplateFile?: string;
  /** The runner image's bake VMI, which must have succeeded before a job's VM is made. @default no wait */
  readonly imageReadyVmi?: string;
  /** Seconds for the image to be ready and the VMI to reach phase Running (1 to 2147483). */
  readonly bootTimeoutSeconds: number;
  /** Seconds the VMI may run after it reached phase Running (1 to 2147483). */
  readonly jobTimeoutSeconds: number;
  /** Milliseconds one request may take (1 to 600000): for tests. @default 30000 */
  readonly requestTimeoutMs?: number;
}

/** `arc-launcher`: ARC's EphemeralRunner pod (RunnerScaleSet); ARC made the runner, its JIT Secret is named after the pod. */
export type ArcLauncherConfig = LauncherVmSettings;

/** `mint-launcher`: KEDA's Job pod (RunnerKedaScaleSet); it registers its own JIT runner and keeps the config in the Secret `<pod>-jit`. */
export interface MintLauncherConfig extends LauncherVmSettings {
  readonly github: GitHubAccess;
  /** The runner's labels (1 to 100, each 1 to 256 characters). */
  readonly runnerLabels: readonly string[];
  /** The runner group (organization and enterprise scopes). @default the default group */
  readonly runnerGroup?: string;
  /** Seconds a runner may wait for a job after its VM runs before it is removed (1 to 2147483). */
  readonly idleTimeoutSeconds: number;
  /** Milliseconds between two reads of the runner's state while it waits for a job (1 to 600000): for tests. @default 15000 */
  readonly idlePollMs?: number;
}

/** Each entry point's name (its bundle is `<name>.js`) and its configuration type. */
export interface ClusterEntryConfigs {
  readonly 'pool-scaler': PoolScalerConfig;
  readonly 'token-refresher': TokenRefresherConfig;
  readonly 'arc-launcher': ArcLauncherConfig;
  readonly 'mint-launcher': MintLauncherConfig;
}

export type ClusterEntry = keyof ClusterEntryConfigs;

/** Every entry point, in a fixed order. */
export const CLUSTER_ENTRIES: readonly ClusterEntry[] = ['pool-scaler', 'token-refresher', 'arc-launcher', 'mint-launcher'];
