import type { GitHubScope } from './github';
import type { AccessMode, EvictionStrategy, ResourceScope, RunStrategy, VolumeMode } from './kubevirt-options';
import type { OsImage } from './os-image';
import type { Distribution } from './platform';
import type { RunnerRelease } from './runner-release';

// The runner spec: the props every kind of runner shares, as users write them, and the resolved
// values the constructs render. Every prop is validated once, by the construct the user called (errors
// name it and its prop), in lib/private/resolve-*.ts; a construct built by another construct receives
// the values its parent resolved (private/resolved.ts).

// ---------------------------------------------------------------------------------------------
// Props, as users write them.

/** Where Docker's apt repository is fetched from. */
export interface DockerAptOptions {
  /** Base URL of the repository (a mirror must serve Docker's signed files); the distribution is appended. @default 'https://download.docker.com/linux' */
  readonly repositoryBaseUrl?: string;
  /**
   * The key the repository is signed with, for a mirror that re-signs Docker's repository with a key
   * of its own. @default - Docker's own key, shipped with the library and pinned by fingerprint
   */
  readonly signingKey?: AptSigningKey;
}

/**
 * An apt repository's signing key: an ASCII-armored OpenPGP public key, pinned by the fingerprint of
 * its primary key (synth fails when they disagree, so a pasted key cannot silently be another one).
 */
export interface AptSigningKey {
  /** The key, ASCII-armored (`gpg --armor --export KEYID`): `-----BEGIN PGP PUBLIC KEY BLOCK-----` ... */
  readonly armored: string;
  /** The fingerprint of its primary key: 40 hex digits (spaces allowed), as `gpg --fingerprint` prints it. */
  readonly fingerprint: string;
}

/** An apt mirror of the distribution's own archive, which replaces the image's default sources. */
export interface AptMirrorOptions {
  /**
   * The mirror's URL, where `dists/` and `pool/` are (a mirror of `http://deb.debian.org/debian` or
   * `http://archive.ubuntu.com/ubuntu`).
   */
  readonly url: string;
  /**
   * The key the mirror's Release files are signed with, for a mirror that re-signs.
   * @default - the distribution's own archive keyring in the image (a plain mirror keeps the distribution's signatures)
   */
  readonly signingKey?: AptSigningKey;
  /**
   * The suites to use; `$RELEASE` is the image's codename (bookworm, noble).
   * @default - Ubuntu: ['$RELEASE', '$RELEASE-updates', '$RELEASE-security']; Debian: ['$RELEASE', '$RELEASE-updates']
   */
  readonly suites?: string[];
  /** The components to use. @default - Ubuntu: ['main', 'restricted', 'universe', 'multiverse']; Debian: ['main'] */
  readonly components?: string[];
  /**
   * A mirror of Debian's security archive (`http://security.debian.org/debian-security`), for the
   * suite `$RELEASE-security` (Ubuntu's security pocket is in its main archive: see `suites`).
   * @default - none: a Debian guest gets no security updates from a mirror unless this is set
   */
  readonly securityUrl?: string;
}

/** Where Docker Engine is installed from. */
export enum DockerSource {
  /** Docker's apt repository (`docker-ce`, `containerd.io`, the buildx and compose plugins), as docs.docker.com installs it. */
  DOCKER_REPOSITORY = 'docker-repository',
  /**
   * The distribution's own packages (`docker.io`, with `docker-buildx` and `docker-compose` where the
   * distribution has them): no third-party repository, older Docker, the distribution's security updates.
   */
  DISTRIBUTION = 'distribution',
}

/** An HTTP(S) proxy for the guest: apt, the Docker daemon, the runner and login shells. */
export interface ProxyOptions {
  /** Proxy for http:// URLs, e.g. 'http://proxy.corp.example:3128' (no credentials). @default - none */
  readonly http?: string;
  /** Proxy for https:// URLs. @default - none */
  readonly https?: string;
  /**
   * Hosts reached without the proxy: host names, `.domain` suffixes, IP addresses and CIDRs.
   * localhost, 127.0.0.1 and ::1 are always added.
   * @default - only localhost, 127.0.0.1 and ::1
   */
  readonly noProxy?: string[];
}

/** One key of a Secret or ConfigMap (exactly one of `secret` and `configMap`). */
export interface KeyReference {
  /** Name of the Secret. @default - none: `configMap` names the object */
  readonly secret?: string;
  /** Name of the ConfigMap. @default - none: `secret` names the object */
  readonly configMap?: string;
  /** The key that holds the value. */
  readonly key: string;
}

/** Settings of the Docker daemon (/etc/docker/daemon.json). */
export interface DockerDaemonOptions {
  /** Docker Hub pull-through mirrors, http(s) URLs such as 'https://mirror.gcr.io'. @default - none */
  readonly registryMirrors?: string[];
  /** Registries reached over plain HTTP or without TLS verification: `host[:port]` or a CIDR. @default - none */
  readonly insecureRegistries?: string[];
}

/** How a runner's guest is set up: shared by every kind of runner and by RunnerImage. */
export interface RunnerSetupOptions {
  /** Guest user the runner runs as. @default 'actions-runner' */
  readonly user?: string;
  /** Passwordless sudo for the runner user, as on GitHub-hosted runners. @default true */
  readonly passwordlessSudo?: boolean;
  /** Install Docker Engine from Docker's repository and put the runner user in the docker group. @default true */
  readonly docker?: boolean;
  /** Docker repository, for mirrors. @default - Docker's own repository */
  readonly dockerApt?: DockerAptOptions;
  /** More Debian/Ubuntu packages to install, e.g. 'build-essential' or 'jq=1.7.1-3'. @default - none */
  readonly extraPackages?: string[];
  /** Upgrade all packages at first boot (slower boot, fresher guest). @default false */
  readonly upgradePackages?: boolean;
  /**
   * Install packages at first boot. Set false for images that already hold everything (git, curl,
   * the guest agent, Docker when `docker` is on): pre-baked golden images, air-gapped clusters. The
   * cloud-config then adds no apt repository and installs nothing; the registration script still
   * refuses to register when git (or docker) is missing.
   * @default true
   */
  readonly installPackages?: boolean;
  /** SSH public keys for the runner user (for `virtctl ssh`). @default - no SSH access */
  readonly sshAuthorizedKeys?: string[];
  /**
   * An HTTP(S) proxy, for apt, the Docker daemon (a systemd drop-in), the runner (its `.env`) and
   * login shells (/etc/environment, /etc/profile.d). @default - no proxy
   */
  readonly proxy?: ProxyOptions;
  /**
   * Extra trusted CA certificates, PEM (`-----BEGIN CERTIFICATE-----`), one certificate each: added to
   * the guest's trust store before apt runs, and given to the runner's node (NODE_EXTRA_CA_CERTS).
   * @default - none
   */
  readonly caCertificates?: string[];
  /**
   * Extra trusted CA certificates (PEM, one or more) from a key of a Secret or ConfigMap you create,
   * attached as a disk (serial RUNNERCA) and added to the trust store at every boot, before apt runs.
   * Long-lived runners and RunnerImage's bake VM read it; per-job VMs boot the baked trust store.
   * @default - none
   */
  readonly caCertificatesFrom?: KeyReference;
  /** A mirror of the distribution's archive, which replaces the image's default apt sources. @default - the image's default sources */
  readonly aptMirror?: AptMirrorOptions;
  /** Where Docker is installed from (with `docker`). @default DockerSource.DOCKER_REPOSITORY */
  readonly dockerSource?: DockerSource;
  /** Docker daemon settings: registry mirrors, insecure registries. @default - Docker's defaults */
  readonly dockerDaemon?: DockerDaemonOptions;
}

/** What a runner registers as: shared by RunnerCloudInit, RunnerPool and RunnerChart. */
export interface RunnerRegistrationOptions {
  /** GitHub URL the runners register with: `https://github.com/OWNER[/REPO]` or `https://github.com/enterprises/SLUG`, or the same on a GHES host. */
  readonly url: string;
  /** Custom runner labels, in addition to the runner's default ones. @default - none */
  readonly labels?: string[];
  /** Runner group to join (organization and enterprise runners). @default - the 'Default' group */
  readonly runnerGroup?: string;
  /** Register without the default labels (self-hosted, Linux, X64); needs at least one label. @default false */
  readonly noDefaultLabels?: boolean;
  /** Register as an ephemeral runner that takes a single job. @default false */
  readonly ephemeral?: boolean;
  /** Stop the runner updating itself; you then have to roll out new versions within 30 days. @default false */
  readonly disableUpdate?: boolean;
  /** Runner work directory, relative to the runner's install directory. @default '_work' */
  readonly workDir?: string;
  /** Key of the token Secret that holds the registration token. @default 'token' */
  readonly tokenSecretKey?: string;
}

/** What a long-lived runner registers as and how its guest is set up. */
export interface RunnerGuestOptions extends RunnerRegistrationOptions, RunnerSetupOptions {}

/** A reference to an instancetype or preference. */
export interface ResourceReference {
  /** Its name, e.g. 'u1.2xlarge'. */
  readonly name: string;
  /** Cluster-wide or namespaced. @default ResourceScope.CLUSTER */
  readonly scope?: ResourceScope;
}

/** Sizing and scheduling of a runner VM, shared by RunnerVm, RunnerPool and RunnerChart. */
export interface RunnerVmSizeOptions {
  /** Virtual CPUs: a number of cores or a Kubernetes CPU quantity. Not with `instancetype`. @default 4 (a GitHub-hosted public-repository runner) */
  readonly cpu?: number | string;
  /** Memory, a Kubernetes quantity. Not with `instancetype`. @default '16Gi' (a GitHub-hosted public-repository runner) */
  readonly memory?: string;
  /** An instancetype that sizes the VM instead of `cpu` and `memory`. @default - sized by `cpu` and `memory` */
  readonly instancetype?: ResourceReference;
  /** A preference for the VM's devices and firmware. @default - none */
  readonly preference?: ResourceReference;
  /** When KubeVirt runs the VM. @default RunStrategy.ALWAYS */
  readonly runStrategy?: RunStrategy;
  /**
   * What a node drain does to the VM. Set explicitly because some clusters default to LiveMigrate,
   * which blocks drains of VMs on ReadWriteOnce disks.
   * @default EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE
   */
  readonly evictionStrategy?: EvictionStrategy;
}

/** Storage of a disk, as CDI's `storage` API takes it. */
export interface DiskStorageOptions {
  /** Size of the volume, a Kubernetes quantity such as '50Gi'. */
  readonly size: string;
  /** StorageClass of the volume. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** Access modes of the volume. @default [AccessMode.READ_WRITE_ONCE] */
  readonly accessModes?: AccessMode[];
  /** Volume mode. @default - chosen by CDI from the StorageClass's StorageProfile */
  readonly volumeMode?: VolumeMode;
}

/** A disk: an image and the storage that holds it. */
export interface DiskSpec extends DiskStorageOptions {
  /** What the disk is filled with. */
  readonly image: OsImage;
}

// ---------------------------------------------------------------------------------------------
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
  readonly labels: readonly string[];
  readonly runnerGroup?: string;
  readonly noDefaultLabels: boolean;
  readonly ephemeral: boolean;
  readonly disableUpdate: boolean;
  readonly workDir: string;
  readonly tokenKey: string;
}

/** Everything a long-lived runner's guest needs. */
export interface ResolvedGuest extends ResolvedSetup, ResolvedRegistration {}

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
  readonly image: OsImage;
}

/** A whole pool of identical runners. */
export interface ResolvedPool {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly guest: ResolvedGuest;
  /** The image every runner boots (its distribution and architecture agree with the guest's). */
  readonly image: OsImage;
  readonly rootDisk: ResolvedStorage;
  /** Storage of the golden image, when the image is imported (http, registry). */
  readonly goldenImage?: ResolvedStorage;
  readonly sizing: ResolvedSizing;
  readonly tokenSecretName: string;
  readonly vmLabels: Readonly<Record<string, string>>;
  /** The refresher that keeps the token Secret fresh, when the pool has one. */
  readonly tokenRefresher?: ResolvedTokenRefresher;
}

/** The default Docker apt repository; the distribution is appended. */
export const DEFAULT_DOCKER_APT_BASE_URL = 'https://download.docker.com/linux';
/** Root disk size of each runner when none is given (the seed setup's 50Gi). */
export const DEFAULT_ROOT_DISK_SIZE = '50Gi';
/** The smallest runner memory: the runner (.NET), the guest and Docker do not fit in less. */
export const MINIMUM_RUNNER_MEMORY = '1Gi';
/** The smallest disk a runner boots from: the distributions' cloud images alone are 2-3.5 GiB. */
export const MINIMUM_BOOT_DISK_SIZE = '4Gi';



// ---------------------------------------------------------------------------------------------
// Token refresh.


/** A RunnerTokenRefresher for a fleet: the token Secret is kept fresh from a GitHub App or PAT. */
export interface TokenRefresherOptions {
  /**
   * Name of a Secret, created out of band, with a GitHub App (`github_app_id`, `github_app_installation_id`,
   * `github_app_private_key`) or a PAT (`github_token`), the keys actions-runner-controller uses. It never reaches a VM.
   */
  readonly githubCredentialsSecret: string;
  /** When to refresh (cron); registration tokens live one hour. @default '*\/30 * * * *' */
  readonly schedule?: string;
  /** Also delete the fleet's offline runners (named `<pool>-N`) from GitHub. @default false */
  readonly deleteOfflineRunners?: boolean;
  /** The image that runs the refresher. @default 'node:26.13.0-alpine3.24' */
  readonly image?: string;
}

/** A validated token refresher. */
export interface ResolvedTokenRefresher {
  readonly githubCredentialsSecret: string;
  readonly schedule: string;
  readonly image: string;
  readonly deleteOfflineRunners: boolean;
}


/** The longest pool name that leaves room for its token refresher's CronJob name, `<pool>-refresher` (52). */
export const MAX_REFRESHED_POOL_NAME_LENGTH = 52 - '-refresher'.length;

/** More runners than this in one pool is a typo, not a fleet (and would exhaust memory before failing). */
export const MAX_REPLICAS = 10_000;
