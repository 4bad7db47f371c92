import type { RunnerAffinity } from '../affinity';
import type {
  AccessMode, CpuVendor, EvictionStrategy, NestedCpuModel, ResourceScope, RunStrategy, TaintEffect, TolerationOperator, VolumeMode,
} from '../kubevirt-options';
import type { OsImage } from '../os-image';

// The props every kind of runner shares, as users write them. Each is validated once, by the
// resolver of the kind the user called (lib/spec/<kind>.ts), into the frozen values of resolved.ts.

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
   * localhost, 127.0.0.1 and ::1 are always added. Not every reader takes every form: CIDRs work for
   * the Docker daemon and curl 7.86+, not for the runner (which also skips IP addresses), node actions
   * or apt (exact names and addresses only); list host names for what the runner must reach.
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
   * A RunnerImage's hash covers this reference, not the certificates: after rotating them, change the
   * image's `name` to bake again. Long-lived VMs take them at their next restart.
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
  /** GitHub runner labels (what `runs-on` targets), in addition to the runner's default ones. @default - none */
  readonly runnerLabels?: string[];
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
export interface RunnerGuestOptions extends RunnerRegistrationOptions, RunnerSetupOptions {
  /**
   * Install the distribution's security updates automatically (unattended-upgrades, Ubuntu and
   * Debian) and reboot for them only while the runner is idle, never in the middle of a job.
   * With `installPackages: false` the image must have the unattended-upgrades package.
   * @default true
   */
  readonly automaticSecurityUpdates?: boolean;
}

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

/** A toleration of a node taint, as Kubernetes' `tolerations[]`. */
export interface RunnerToleration {
  /** The taint key; empty matches every key (then `operator` must be EXISTS). @default - every key */
  readonly key?: string;
  /** How the value is matched. @default TolerationOperator.EQUAL */
  readonly operator?: TolerationOperator;
  /** The taint value, with operator EQUAL. @default '' */
  readonly value?: string;
  /** The taint effect tolerated. @default - every effect */
  readonly effect?: TaintEffect;
  /** With effect NO_EXECUTE: how long the VM stays on a node after the taint appears. @default - for ever */
  readonly tolerationSeconds?: number;
}

/** Nested virtualization: how the guest CPU exposes the virtualization extensions. */
export interface NestedVirtualizationOptions {
  /**
   * The guest CPU. HOST_PASSTHROUGH gives the node's CPU as it is; HOST_MODEL a libvirt model close to
   * it, which can move between similar nodes.
   * @default NestedCpuModel.HOST_PASSTHROUGH
   */
  readonly cpuModel?: NestedCpuModel;
  /** The nodes' CPU vendor: INTEL requires the `vmx` feature, AMD the `svm` feature. @default CpuVendor.INTEL */
  readonly cpuVendor?: CpuVendor;
}

/**
 * Where and how a runner VM runs, beyond its size: scheduling, dedicated CPUs, nested
 * virtualization, a disk for Docker, a readiness probe and SSH access. Shared by every kind of runner.
 */
export interface RunnerVmOptions {
  /** Node labels the VM's node must have (`nodeSelector`). @default - any node */
  readonly nodeSelector?: Record<string, string>;
  /** Node taints the VM tolerates, e.g. of nodes dedicated to runners. @default - none */
  readonly tolerations?: RunnerToleration[];
  /** Node and pod (anti-)affinity of the VM. @default - none */
  readonly affinity?: RunnerAffinity;
  /** PriorityClass of the VM's pod (must exist in the cluster). @default - the cluster's default priority */
  readonly priorityClassName?: string;
  /**
   * Spread the fleet's VMs across nodes (a topology spread constraint on `kubernetes.io/hostname`,
   * maxSkew 1, ScheduleAnyway), so that one node's loss does not take all runners. Soft: when nodes
   * are short, VMs still start.
   * @default true
   */
  readonly spreadAcrossNodes?: boolean;
  /**
   * Pin each vCPU to a dedicated host CPU (`dedicatedCpuPlacement`). Needs whole CPUs in `cpu`, nodes
   * with the kubelet's static CPU manager policy, and no `instancetype` (an instancetype decides it).
   * The VM's pod gets the Guaranteed QoS class (requests equal limits).
   * @default false
   */
  readonly dedicatedCpus?: boolean;
  /**
   * Nested virtualization: `/dev/kvm` inside the runner, for emulators and VM builds. The nodes must
   * allow it (`kvm_intel nested=1` or `kvm_amd nested=1`); the VM then requires the `vmx` (or `svm`)
   * CPU feature and only schedules onto nodes that expose it. x64 runners only. `true` means
   * `{ cpuModel: NestedCpuModel.HOST_PASSTHROUGH, cpuVendor: CpuVendor.INTEL }`. A VM running nested
   * guests cannot be live-migrated safely: `evictionStrategy` then defaults to NONE, and LIVE_MIGRATE is refused.
   * @default false
   */
  readonly nestedVirtualization?: boolean | NestedVirtualizationOptions;
  /**
   * A disk of its own for `/var/lib/docker` (serial DOCKERDATA), so images and build caches do not
   * fill the root disk: a blank DataVolume `<vm>-docker` per long-lived VM, an `emptyDisk` (on the
   * node's disk, gone with the VM) for one-job VMs, which only take `size`. Needs Docker in the guest
   * (refused with `docker: false`, or with a RunnerImage baked with `docker: false`): nothing else mounts it.
   * @default - Docker's data stays on the root disk
   */
  readonly dockerDataDisk?: DiskStorageOptions;
  /** Mark the VM ready only once its guest agent answers (`readinessProbe.guestAgentPing`). @default true */
  readonly guestAgentReadinessProbe?: boolean;
  /**
   * A Secret (created out of band) whose values are SSH public keys for the runner user, for
   * `virtctl ssh`. KubeVirt's guest agent writes them to the user's authorized_keys while the VM runs,
   * and updates them when the Secret changes. It replaces the whole authorized_keys file with the
   * Secret's keys (again every few minutes), so it cannot be combined with inline `sshAuthorizedKeys`
   * (the props', the RunnerCloudInit's or the RunnerImage's): put every key in the Secret.
   * @default - only `sshAuthorizedKeys`, where the kind of runner has them
   */
  readonly sshPublicKeysSecret?: string;
}

/** A disk: an image and the storage that holds it. */
export interface DiskSpec extends DiskStorageOptions {
  /** The operating-system image the disk is filled with. */
  readonly osImage: OsImage;
}

/** The default Docker apt repository; the distribution is appended. */
export const DEFAULT_DOCKER_APT_BASE_URL = 'https://download.docker.com/linux';
/** Root disk size of each runner when none is given (the seed setup's 50Gi). */
export const DEFAULT_ROOT_DISK_SIZE = '50Gi';
/** The smallest runner memory: the runner (.NET), the guest and Docker do not fit in less. */
export const MINIMUM_RUNNER_MEMORY = '1Gi';
/** The smallest disk for /var/lib/docker: a few CI images and their layers. */
export const MINIMUM_DOCKER_DATA_DISK_SIZE = '2Gi';
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
  /** The container image that runs the refresher. @default 'node:26.12.1-alpine' */
  readonly containerImage?: string;
}

/**
 * When a warm pool runs at full size: two cron schedules in one time zone. At `start` a CronJob sets
 * the pool's replicas to its `replicas`; at `end` another sets them to `offHoursReplicas`. "Weekdays
 * 07:00-19:00 in Berlin" is `{ start: '0 7 * * 1-5', end: '0 19 * * 1-5', timeZone: 'Europe/Berlin' }`.
 *
 * Scaling down can stop a job that is still running at that moment: the pool deletes VMs by its
 * scaleInStrategy, whether their runner is busy or not, and GitHub fails that job. Put `end` where
 * no job runs, or use RunnerScaleSet / RunnerKedaScaleSet, which never stop a busy runner.
 */
export interface ActiveHoursOptions {
  /** When active hours begin (cron, in `timeZone`): the pool is scaled up to its `replicas`. */
  readonly start: string;
  /** When active hours end (cron, in `timeZone`): the pool is scaled down to `offHoursReplicas`, busy runners or not. */
  readonly end: string;
  /** IANA time zone of `start` and `end` (the CronJobs' `timeZone`; daylight saving time included). @default 'Etc/UTC' */
  readonly timeZone?: string;
  /** How many runners stay warm outside active hours (less than the pool's `replicas`). @default 0 */
  readonly offHoursReplicas?: number;
  /** The container image that runs the scaler script. @default 'node:26.12.1-alpine' */
  readonly containerImage?: string;
}

/** The longest pool name that leaves room for its token refresher's CronJob name, `<pool>-refresher` (52). */
export const MAX_REFRESHED_POOL_NAME_LENGTH = 52 - '-refresher'.length;

/** More runners than this in one pool is a typo, not a fleet (and would exhaust memory before failing). */
export const MAX_REPLICAS = 10_000;
