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
  /** A warm pool's VMs whose serial consoles the refresher reads for a deprecated runner (RunnerWarmPool). @default none read */
  readonly warmPool?: WarmPoolConsoles;
}

/**
 * A warm pool's VMs, whose runner, when GitHub deprecated its version, exits 7 and holds its VM
 * (lib/guest/report-runner-exit.sh): the token refresher reads RUNNER_EXIT_LINE in their consoles and
 * records a Warning Event RunnerOutdated on the pool.
 */
export interface WarmPoolConsoles {
  /** The VirtualMachinePool (pool.kubevirt.io), in the pod's namespace: the Event's object. */
  readonly pool: string;
  /** The label selector of its VMs' virt-launcher pods (KubeVirt copies the VMI's labels onto its pod). */
  readonly podSelector: string;
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
  /** The image refresher's pointer, read once per job (RunnerImage `refresh`). @default the templates' image, always */
  readonly imagePointer?: ImagePointerSettings;
  /**
   * The VMI logs its serial console (KubeVirt `logSerialConsole`): after the guest powers off, the
   * launcher reads the `guest-console-log` container of the VMI's virt-launcher pod for the runner's
   * exit status line (`RUNNER_EXIT_LINE`). @default false
   */
  readonly readRunnerExit?: boolean;
}

/**
 * The line the guest writes to its serial console when the runner exits: `RUNNER_EXIT_LINE` then
 * the exit status, e.g. `kubevirt-runners: runner exited 7`. Exit 7 = the runner's version is
 * deprecated (ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1).
 */
export const RUNNER_EXIT_LINE = 'kubevirt-runners: runner exited ';

/**
 * Where a RunnerImage with `refresh` says which baked volume is current: a ConfigMap that only the
 * image refresher writes (it is not in the synthesized manifests, so re-applying them never points
 * the fleet back at an older image). Its data is an `ImagePointer`.
 */
export interface ImagePointerSettings {
  /** The pointer ConfigMap, in the pod's namespace (`<image name>-current`); absent until the first refresh. */
  readonly configMap: string;
  /**
   * The hash of the synthesized image's inputs (`RunnerImage.hash`). A pointer whose `source` is
   * another hash was refreshed from other inputs (the manifests changed since): it is ignored and the
   * templates' image is used.
   */
  readonly source: string;
}

/** The data of the pointer ConfigMap (every value a string, as a ConfigMap's are). */
export interface ImagePointer {
  /** The current baked volume (DataVolume and PVC); its bake VMI is `<volumeName>-bake`. */
  readonly volumeName: string;
  /** `ImagePointerSettings.source` of the manifests it was refreshed from. */
  readonly source: string;
  /** The runner version baked into it. */
  readonly runnerVersion: string;
  /** When it was baked (RFC 3339, UTC). */
  readonly bakedAt: string;
}

/** The runner package a bake installs: what the refresher swaps in the bake templates. */
export interface RunnerPackage {
  readonly version: string;
  /** SHA-256 of the package, lower-case hex. */
  readonly sha256: string;
  readonly downloadUrl: string;
}

/** `image-refresher`: re-bakes a RunnerImage with the newest (or a pinned) runner and the distribution's updates. */
export interface ImageRefresherConfig extends RuntimeSettings {
  /** The image's name prefix: refreshed volumes are `<name>-<hash of source, runner version, bake date>`. */
  readonly name: string;
  /** As in ImagePointerSettings: the synthesized image's input hash. */
  readonly source: string;
  /** The synthesized image's volume, the fleet's image until the first refresh (never deleted by the refresher). */
  readonly volumeName: string;
  /** The pointer ConfigMap the refresher writes. */
  readonly pointerConfigMap: string;
  /** The runner package in the templates (the synthesized one): the strings the refresher replaces. */
  readonly release: RunnerPackage;
  /** The releases API of actions/runner (or a mirror with its wire format). @default https://api.github.com/repos/actions/runner/releases */
  readonly releasesApiUrl?: string;
  /** `<base>/v<version>/actions-runner-linux-<arch>-<version>.tar.gz`: where the guest downloads the package. */
  readonly downloadBaseUrl: string;
  /** The package's architecture, as in its file name: 'x64' or 'arm64'. */
  readonly arch: string;
  /** Bake this version instead of the newest release. @default the newest release */
  readonly runnerVersion?: string;
  /** @default direct */
  readonly proxy?: ProxySettings;
  /** Files beside the config: the bake's DataVolume, VirtualMachine and cloud-config user data of the synthesized image. */
  readonly templates: { readonly dataVolumeFile: string; readonly bakeVmFile: string; readonly userDataFile: string };
  /** Refreshed images kept besides the current one (0 to 10), each deleted only when nothing uses it. */
  readonly keep: number;
  /** VirtualMachinePools (RunnerWarmPool) whose template the refresher points at the new image. */
  readonly warmPools: readonly string[];
  /** Seconds a bake may take before the refresh fails (1 to 2147483). */
  readonly bakeTimeoutSeconds: number;
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
  readonly 'image-refresher': ImageRefresherConfig;
}

export type ClusterEntry = keyof ClusterEntryConfigs;

/** Every entry point, in a fixed order. */
export const CLUSTER_ENTRIES: readonly ClusterEntry[] = ['pool-scaler', 'token-refresher', 'arc-launcher', 'mint-launcher', 'image-refresher'];
