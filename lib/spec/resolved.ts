import type { RunnerAffinity } from '../affinity';
import type { GitHubScope } from '../github';
import type { AccessMode, EvictionStrategy, NestedCpuModel, RunStrategy, TaintEffect, TolerationOperator, VolumeMode } from '../kubevirt-options';
import type { OsImage } from '../os-image';
import type { Distribution } from '../platform';
import type { RunnerRelease } from '../runner-release';
import type { ResolvedNetworkRules } from './network-policy';
import type { DockerSource } from './options';

// Resolved values: validated, defaulted, frozen. What the renderers read.

/** How the guest is set up: what every cloud-config renders. */
export interface ResolvedSetup {
  readonly release: RunnerRelease;
  readonly distribution: Distribution;
  readonly user: string;
  readonly passwordlessSudo: boolean;
  readonly docker: boolean;
  readonly installPackages: boolean;
  readonly dockerAptBaseUrl: string;
  readonly extraPackages: readonly string[];
  readonly upgradePackages: boolean;
  readonly sshAuthorizedKeys: readonly string[];
  readonly proxy?: ResolvedProxy;
  /** PEM certificates, each ending in a newline. */
  readonly caCertificates: readonly string[];
  readonly caCertificatesFrom?: ResolvedKeyReference;
  readonly aptMirror?: ResolvedAptMirror;
  readonly dockerSource: DockerSource;
  /** Armored key of a re-signing Docker mirror; undefined for Docker's own key. */
  readonly dockerAptSigningKey?: ResolvedAptSigningKey;
  readonly dockerDaemon: ResolvedDockerDaemon;
}

/** A checked proxy: at least one of http and https. */
export interface ResolvedProxy {
  readonly http?: string;
  readonly https?: string;
  /** The given entries after localhost, 127.0.0.1 and ::1. */
  readonly noProxy: readonly string[];
}

/** A checked key: armored text (ending in a newline) whose primary key has `fingerprint`. */
export interface ResolvedAptSigningKey {
  readonly armored: string;
  /** 40 upper-case hex digits. */
  readonly fingerprint: string;
}

/** A checked apt mirror. */
export interface ResolvedAptMirror {
  readonly url: string;
  readonly signingKey?: ResolvedAptSigningKey;
  readonly suites: readonly string[];
  readonly components: readonly string[];
  readonly securityUrl?: string;
}

/** A checked Secret or ConfigMap key. */
export interface ResolvedKeyReference {
  readonly kind: 'secret' | 'configMap';
  readonly name: string;
  readonly key: string;
}

/** Checked daemon.json settings. */
export interface ResolvedDockerDaemon {
  readonly registryMirrors: readonly string[];
  readonly insecureRegistries: readonly string[];
}

/** What a long-lived runner registers as. */
export interface ResolvedRegistration {
  readonly scope: GitHubScope;
  readonly runnerLabels: readonly string[];
  readonly runnerGroup?: string;
  readonly noDefaultLabels: boolean;
  readonly ephemeral: boolean;
  readonly disableUpdate: boolean;
  readonly workDir: string;
  readonly tokenKey: string;
}

/** Everything a long-lived runner's guest needs. */
export interface ResolvedGuest extends ResolvedSetup, ResolvedRegistration {
  /** unattended-upgrades, and a reboot when the runner is idle (long-lived VMs only: a warm pool's VM lives for one job). */
  readonly automaticSecurityUpdates: boolean;
}

/** A VM's sizing and run policy. */
export interface ResolvedSizing {
  /** A CPU quantity; undefined with an instancetype. */
  readonly cpu?: string;
  /** A memory quantity; undefined with an instancetype. */
  readonly memory?: string;
  readonly instancetype?: { readonly name: string; readonly kind: string };
  readonly preference?: { readonly name: string; readonly kind: string };
  readonly runStrategy: RunStrategy;
  readonly evictionStrategy: EvictionStrategy;
}

/** A volume's storage. */
export interface ResolvedStorage {
  readonly size: string;
  readonly storageClassName?: string;
  readonly accessModes: readonly AccessMode[];
  readonly volumeMode?: VolumeMode;
}

/** A disk: storage filled from an image. */
export interface ResolvedDisk extends ResolvedStorage {
  readonly osImage: OsImage;
}

/** A validated toleration. */
export interface ResolvedToleration {
  readonly key?: string;
  readonly operator?: TolerationOperator;
  readonly value?: string;
  readonly effect?: TaintEffect;
  readonly tolerationSeconds?: number;
}

/** Nested virtualization, validated: the guest CPU model and the feature it requires. */
export interface ResolvedNestedVirtualization {
  readonly cpuModel: NestedCpuModel;
  /** `vmx` (Intel) or `svm` (AMD). */
  readonly feature: string;
}

/** Where and how a runner VM runs, validated. */
export interface ResolvedVmOptions {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly ResolvedToleration[];
  readonly affinity?: RunnerAffinity;
  readonly priorityClassName?: string;
  readonly spreadAcrossNodes: boolean;
  readonly dedicatedCpus: boolean;
  readonly nestedVirtualization?: ResolvedNestedVirtualization;
  readonly dockerDataDisk?: ResolvedStorage;
  readonly guestAgentReadinessProbe: boolean;
  readonly sshPublicKeysSecret?: string;
}

/** A whole pool of identical runners. */
export interface ResolvedPool {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly guest: ResolvedGuest;
  /** The OS image every runner boots (its distribution and architecture agree with the guest's). */
  readonly osImage: OsImage;
  readonly rootDisk: ResolvedStorage;
  /** Storage of the golden image, when the image is imported (http, registry). */
  readonly goldenImage?: ResolvedStorage;
  readonly sizing: ResolvedSizing;
  readonly vmOptions: ResolvedVmOptions;
  readonly tokenSecretName: string;
  readonly vmLabels: Readonly<Record<string, string>>;
  /** The refresher that keeps the token Secret fresh, when the pool has one. */
  readonly tokenRefresher?: ResolvedTokenRefresher;
  /** The fleet's NetworkPolicy rules; undefined when the user opted out. */
  readonly networkPolicy?: ResolvedNetworkRules;
}

/** A validated token refresher. */
export interface ResolvedTokenRefresher {
  readonly githubCredentialsSecret: string;
  readonly schedule: string;
  readonly containerImage: string;
  readonly deleteOfflineRunners: boolean;
}

/** A validated activeHours schedule. */
export interface ResolvedActiveHours {
  readonly start: string;
  readonly end: string;
  readonly timeZone: string;
  readonly offHoursReplicas: number;
  readonly containerImage: string;
}
