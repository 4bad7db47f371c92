import { GitHubScope, GitHubScopeKind } from './github';
import { AccessMode, EvictionStrategy, ResourceScope, RunStrategy, VolumeMode } from './kubevirt-options';
import { OsImage } from './os-image';
import { Distribution } from './platform';
import { validateEnum } from './private/enum-value';
import { validateLabels, validateRunnerGroup } from './private/github-rules';
import { at, Naming, propLabel, show } from './private/naming';
import { DNS_LABEL_MAX_LENGTH, validateDnsLabel, validateDnsSubdomain, validateLabelMap } from './private/names';
import { parseQuantity, validateByteQuantity, validateCpu } from './private/quantity';
import { DEFAULT_TOKEN_KEY } from './private/token-disk';
import { DEFAULT_NODE_IMAGE, validateImageReference } from './private/node-image';
import { validateUrl } from './private/url';
import type { RunnerPoolProps } from './runner-pool';
import { MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM, RunnerRelease } from './runner-release';

// The runner spec: every prop of every construct is validated here, once, by the construct the user
// called (errors name it and its prop), into immutable resolved values that the constructs only
// render. A construct built by another construct receives the resolved values (private/resolved.ts).

// ---------------------------------------------------------------------------------------------
// Props, as users write them.

/** Where Docker's apt repository is fetched from. */
export interface DockerAptOptions {
  /** Base URL of the repository (a mirror must serve Docker's signed files); the distribution is appended. @default 'https://download.docker.com/linux' */
  readonly repositoryBaseUrl?: string;
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
// The guest.

/** Input of resolveSetup: the setup options plus what the caller knows of release and distribution. */
export interface SetupInput extends RunnerSetupOptions {
  readonly release?: RunnerRelease;
  readonly distribution?: Distribution;
}

/** Input of resolveGuest. */
export interface GuestInput extends SetupInput, RunnerRegistrationOptions {}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
// Accounts that Ubuntu and Debian cloud images (or packages the runner installs) already have.
const RESERVED_USERS = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy',
  'www-data', 'backup', 'list', 'irc', 'gnats', 'nobody', 'messagebus', 'syslog', 'sshd', 'polkitd', 'lxd',
  'ubuntu', 'debian', 'admin', 'docker', 'tss', 'uuidd', 'tcpdump', 'landscape', 'pollinate', 'fwupd-refresh', 'dnsmasq', 'usbmux']);
// Folders the runner keeps beside its work directory.
const RESERVED_WORK_DIRS = new Set(['.', 'bin', 'externals', '_diag']);
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;
// Not starting with '-': config.sh would take the value for an option.
const WORK_DIR = /^[A-Za-z0-9._][A-Za-z0-9._/-]*$/;
// Kubernetes' rule for Secret keys (IsConfigMapKey); '.', '..' and '..*' would clash with the volume's own symlinks.
const SECRET_KEY = /^(?!\.\.)(?!\.$)[-._a-zA-Z0-9]{1,253}$/;
// The comment is free text, but only printable: PyYAML (cloud-init) rejects tabs in plain scalars
// and control characters, and reads U+0085, U+2028 and U+2029 as line breaks.
const SSH_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\p{Cc}\u2028\u2029]*)?$/u;

/** Validates how the guest is set up. */
export function resolveSetup(props: SetupInput, naming: Naming): ResolvedSetup {
  const release = props.release ?? RunnerRelease.latestKnown();
  if (!RunnerRelease.isRunnerRelease(release)) {
    throw new Error(`${propLabel(naming, 'release')} must be a RunnerRelease (RunnerRelease.of('2.334.0')), got ${JSON.stringify(props.release)}`);
  }
  const installPackages = validateBoolean(naming, 'installPackages', props.installPackages, true);
  if (!installPackages && (props.extraPackages?.length || props.upgradePackages || props.dockerApt)) {
    throw new Error(`${propLabel(naming, 'installPackages')} is false, so 'extraPackages', 'upgradePackages' and 'dockerApt' would be ignored: remove them`);
  }
  return Object.freeze({
    release,
    distribution: validateEnum(...at(naming, 'distribution'), Distribution, props.distribution ?? Distribution.UBUNTU),
    user: validateUser(naming, props.user ?? 'actions-runner'),
    passwordlessSudo: validateBoolean(naming, 'passwordlessSudo', props.passwordlessSudo, true),
    docker: validateBoolean(naming, 'docker', props.docker, true),
    installPackages,
    dockerAptBaseUrl: validateUrl(...at(naming, 'dockerApt.repositoryBaseUrl'), props.dockerApt?.repositoryBaseUrl ?? DEFAULT_DOCKER_APT_BASE_URL,
      { protocols: ['https:', 'http:'], base: true }).text,
    extraPackages: validateEach(naming, 'extraPackages', props.extraPackages, PACKAGE, 'a Debian package name (optionally =version)'),
    upgradePackages: validateBoolean(naming, 'upgradePackages', props.upgradePackages, false),
    sshAuthorizedKeys: validateEach(naming, 'sshAuthorizedKeys', props.sshAuthorizedKeys, SSH_KEY,
      "one OpenSSH public key line ('ssh-ed25519 AAAA... comment')"),
  });
}

/** Validates what a long-lived runner registers as; `release` has been resolved already. */
export function resolveRegistration(props: RunnerRegistrationOptions, naming: Naming, release: RunnerRelease): ResolvedRegistration {
  const scope = GitHubScope.fromUrl(props.url, ...at(naming, 'url'));
  if (scope.isGitHubDotCom && release.isOlderThan(MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM)) {
    throw new Error(`${propLabel(naming, 'release')} is runner ${release.version}, but github.com refuses to register runners older `
      + `than ${MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM}`);
  }
  const labels = validateLabels(...at(naming, 'labels'), props.labels ?? []);
  const noDefaultLabels = validateBoolean(naming, 'noDefaultLabels', props.noDefaultLabels, false);
  if (noDefaultLabels && labels.length === 0) {
    throw new Error(`${propLabel(naming, 'noDefaultLabels')} needs at least one entry in 'labels': a runner without labels cannot be targeted`);
  }
  return Object.freeze({
    scope,
    labels: Object.freeze(labels),
    runnerGroup: resolveRunnerGroup(props.runnerGroup, scope, naming),
    noDefaultLabels,
    ephemeral: validateBoolean(naming, 'ephemeral', props.ephemeral, false),
    disableUpdate: validateBoolean(naming, 'disableUpdate', props.disableUpdate, false),
    workDir: validateWorkDir(naming, props.workDir ?? '_work'),
    tokenKey: validateSecretKey(naming, props.tokenSecretKey ?? DEFAULT_TOKEN_KEY),
  });
}

/** Validates a long-lived runner's guest: its setup, then its registration. */
export function resolveGuest(props: GuestInput, naming: Naming): ResolvedGuest {
  const setup = resolveSetup(props, naming);
  return Object.freeze({ ...setup, ...resolveRegistration(props, naming, setup.release) });
}

function resolveRunnerGroup(group: string | undefined, scope: GitHubScope, naming: Naming): string | undefined {
  if (group === undefined) return undefined;
  validateRunnerGroup(...at(naming, 'runnerGroup'), group);
  // The runner only asks for a group where there are groups: organizations and enterprises.
  if (scope.kind === GitHubScopeKind.REPOSITORY) {
    throw new Error(`${propLabel(naming, 'runnerGroup')} ${JSON.stringify(group)} needs an organization or enterprise URL; `
      + `repository runners have no groups (url ${scope.url})`);
  }
  return group;
}

function validateUser(naming: Naming, user: string): string {
  if (typeof user !== 'string' || !USER.test(user) || user.startsWith('systemd-') || user.startsWith('_') || RESERVED_USERS.has(user)) {
    throw new Error(`${propLabel(naming, 'user')} must be a new Linux user name ([a-z_][a-z0-9_-]*, at most 32, not an account `
      + `the image already has such as root, nobody or ubuntu), got ${JSON.stringify(user)}`);
  }
  return user;
}

function validateWorkDir(naming: Naming, workDir: string): string {
  if (typeof workDir !== 'string' || !WORK_DIR.test(workDir) || workDir.split('/').includes('..') || RESERVED_WORK_DIRS.has(workDir.split('/')[0])) {
    throw new Error(`${propLabel(naming, 'workDir')} must be a relative path of [A-Za-z0-9._/-] inside the runner's folder, not starting with '-', without '..' `
      + `and not '.', 'bin', 'externals' or '_diag', got ${JSON.stringify(workDir)}`);
  }
  return workDir;
}

function validateSecretKey(naming: Naming, key: string): string {
  if (typeof key !== 'string' || !SECRET_KEY.test(key)) {
    throw new Error(`${propLabel(naming, 'tokenSecretKey')} must be a Secret key ([-._a-zA-Z0-9]+, not '.', '..' or starting with '..'), got ${JSON.stringify(key)}`);
  }
  return key;
}

function validateEach(naming: Naming, prop: string, values: readonly string[] | undefined, pattern: RegExp, what: string): readonly string[] {
  if (values !== undefined && !Array.isArray(values)) {
    throw new Error(`${propLabel(naming, prop)} must be an array, got ${JSON.stringify(values)}`);
  }
  for (const value of values ?? []) {
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`${propLabel(naming, prop)} entry must be ${what}, got ${JSON.stringify(value)}`);
    }
  }
  return Object.freeze([...(values ?? [])]);
}

function validateBoolean(naming: Naming, prop: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${propLabel(naming, prop)} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Sizing, storage and the boot image.

const INSTANCETYPE_KIND = { [ResourceScope.CLUSTER]: 'VirtualMachineClusterInstancetype', [ResourceScope.NAMESPACED]: 'VirtualMachineInstancetype' };
const PREFERENCE_KIND = { [ResourceScope.CLUSTER]: 'VirtualMachineClusterPreference', [ResourceScope.NAMESPACED]: 'VirtualMachinePreference' };

/** Validates the VM's size and run policy. */
export function resolveSizing(props: RunnerVmSizeOptions, naming: Naming): ResolvedSizing {
  const reference = (prop: string, value: ResourceReference, kinds: Record<ResourceScope, string>) => {
    validateDnsSubdomain(...at(naming, `${prop}.name`), value?.name);
    const scope = validateEnum(...at(naming, `${prop}.scope`), ResourceScope, value.scope ?? ResourceScope.CLUSTER);
    return Object.freeze({ name: value.name, kind: kinds[scope] });
  };
  // With an instancetype, KubeVirt rejects a VM that also sets CPU or memory itself.
  if (props.instancetype && (props.cpu !== undefined || props.memory !== undefined)) {
    throw new Error(`${propLabel(naming, 'instancetype')} ${JSON.stringify(props.instancetype.name)} sizes the VM: do not set 'cpu' or 'memory' with it`);
  }
  return Object.freeze({
    ...(props.instancetype ? { instancetype: reference('instancetype', props.instancetype, INSTANCETYPE_KIND) } : {
      cpu: validateCpu(...at(naming, 'cpu'), props.cpu ?? 4),
      memory: validateByteQuantity(...at(naming, 'memory'), props.memory ?? '16Gi', MINIMUM_RUNNER_MEMORY),
    }),
    ...(props.preference ? { preference: reference('preference', props.preference, PREFERENCE_KIND) } : {}),
    runStrategy: validateEnum(...at(naming, 'runStrategy'), RunStrategy, props.runStrategy ?? RunStrategy.ALWAYS),
    evictionStrategy: validateEnum(...at(naming, 'evictionStrategy'), EvictionStrategy, props.evictionStrategy ?? EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE),
  });
}

/** Validates a volume's storage; `prop` is where it sits in the caller's props ('rootDisk'), '' at the top. */
export function resolveStorage(storage: DiskStorageOptions, naming: Naming, prop: string, minimumSize?: string): ResolvedStorage {
  const where = (field: string) => at(naming, prop ? `${prop}.${field}` : field);
  if (typeof storage !== 'object' || storage === null) {
    throw new Error(`${propLabel(naming, prop || 'size')} must be an object with a 'size', got ${JSON.stringify(storage)}`);
  }
  const modes = storage.accessModes ?? [AccessMode.READ_WRITE_ONCE];
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => !Object.values(AccessMode).includes(m))) {
    const [owner, name] = where('accessModes');
    throw new Error(`${owner} '${name}' must be a non-empty list of ${Object.values(AccessMode).join(', ')}, got ${JSON.stringify(storage.accessModes)}`);
  }
  return Object.freeze({
    size: validateByteQuantity(...where('size'), storage.size, minimumSize),
    ...(storage.storageClassName !== undefined ? { storageClassName: validateDnsSubdomain(...where('storageClassName'), storage.storageClassName) } : {}),
    accessModes: Object.freeze([...modes]),
    ...(storage.volumeMode !== undefined ? { volumeMode: validateEnum(...where('volumeMode'), VolumeMode, storage.volumeMode) } : {}),
  });
}

/** Checks that a value is an OsImage. */
export function validateImage(naming: Naming, prop: string, image: OsImage): OsImage {
  if (!OsImage.isOsImage(image)) {
    throw new Error(`${propLabel(naming, prop)} must be an OsImage (OsImage.ubuntu2404(), OsImage.http(...), ...), got ${JSON.stringify(image)}`);
  }
  return image;
}

/** Checks that an image can boot a runner for `release`: it holds an operating system of the release's architecture. */
export function validateBootImage(naming: Naming, prop: string, image: OsImage, release: RunnerRelease, distribution?: Distribution): OsImage {
  validateImage(naming, prop, image);
  if (image.distribution === undefined) {
    throw new Error(`${propLabel(naming, prop)} must hold an operating system; a blank disk cannot boot a runner`);
  }
  if (distribution !== undefined && image.distribution !== distribution) {
    throw new Error(`${propLabel(naming, prop)} is ${image.distribution} but the cloud-init was rendered for `
      + `${distribution}: Docker's repository would not match the guest`);
  }
  if (image.arch !== release.arch) {
    throw new Error(`${propLabel(naming, prop)} is ${image.arch} but the runner release is ${release.arch}`);
  }
  return image;
}

/** Validates a resource name (a DNS-1123 label, like VM and namespace names). */
export function validateName(naming: Naming, prop: string, value: string, maxLength = DNS_LABEL_MAX_LENGTH): string {
  return validateDnsLabel(...at(naming, prop), value, maxLength);
}

/** Validates a Secret name. */
export function validateSecretName(naming: Naming, prop: string, value: string): string {
  return validateDnsSubdomain(...at(naming, prop), value);
}

/** Validates extra Kubernetes labels. */
export function validateKubernetesLabels(naming: Naming, prop: string, labels: Record<string, string> | undefined): Readonly<Record<string, string>> {
  return Object.freeze({ ...validateLabelMap(...at(naming, prop), labels ?? {}) });
}

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

// Five fields of a standard cron schedule, or a macro; no seconds field, nothing a shell would read.
const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|([0-9*,/-]+) ([0-9*,/-]+) ([0-9*,/-]+|\?) ([0-9*,/-]+|[A-Za-z]{3}) ([0-9*,/-]+|[A-Za-z]{3}|\?))$/;

/** Validates a token refresher's options; `prop` is where they sit in the caller's props. */
export function resolveTokenRefresher(options: TokenRefresherOptions, naming: Naming, prop: string, tokenSecretName: string): ResolvedTokenRefresher {
  const where = (field: string) => (prop ? `${prop}.${field}` : field);
  const githubCredentialsSecret = validateSecretName(naming, where('githubCredentialsSecret'), options?.githubCredentialsSecret);
  if (githubCredentialsSecret === tokenSecretName) {
    throw new Error(`${propLabel(naming, where('githubCredentialsSecret'))} must not be the token Secret ${show(tokenSecretName)}: `
      + 'the App key or PAT must never reach a VM');
  }
  const schedule = options.schedule ?? '*/30 * * * *';
  if (typeof schedule !== 'string' || !CRON.test(schedule)) {
    throw new Error(`${propLabel(naming, where('schedule'))} must be a cron schedule of five fields such as '*/30 * * * *', got ${show(schedule)}`);
  }
  return Object.freeze({
    githubCredentialsSecret,
    schedule,
    image: validateImageReference(naming, where('image'), options.image ?? DEFAULT_NODE_IMAGE),
    deleteOfflineRunners: validateBoolean(naming, where('deleteOfflineRunners'), options.deleteOfflineRunners, false),
  });
}

// ---------------------------------------------------------------------------------------------
// A pool.

/** Defaults that depend on where the pool sits in the construct tree. */
export interface PoolDefaults {
  /** A name derived from the construct path, at most `maxLength` long. */
  readonly name: (maxLength: number) => string;
  /** The enclosing chart's namespace. */
  readonly namespace: string;
}

/** The longest pool name that leaves room for its token refresher's CronJob name, `<pool>-refresher` (52). */
export const MAX_REFRESHED_POOL_NAME_LENGTH = 52 - '-refresher'.length;

/** More runners than this in one pool is a typo, not a fleet (and would exhaust memory before failing). */
export const MAX_REPLICAS = 10_000;

/** Validates a whole pool: every runner prop once, and the parts against each other. */
export function resolvePool(props: RunnerPoolProps, naming: Naming, defaults: PoolDefaults): ResolvedPool {
  const replicas = props.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new Error(`${propLabel(naming, 'replicas')} must be an integer from 1 to ${MAX_REPLICAS}, got ${show(replicas)}`);
  }
  // The longest derived name, `<pool>-<N-1>-root`, must still be a DNS label.
  const maxName = DNS_LABEL_MAX_LENGTH - `-${replicas - 1}-root`.length;
  const name = validateName(naming, 'name', props.name ?? defaults.name(maxName), maxName);
  const namespace = validateName(naming, 'namespace', props.namespace ?? defaults.namespace);
  const release = props.release ?? RunnerRelease.latestKnown();
  if (!RunnerRelease.isRunnerRelease(release)) {
    throw new Error(`${propLabel(naming, 'release')} must be a RunnerRelease (RunnerRelease.of('2.334.0')), got ${JSON.stringify(props.release)}`);
  }
  const image = validateBootImage(naming, 'image', props.image ?? OsImage.ubuntu2404({ arch: release.arch }), release);
  const guest = resolveGuest({ ...props, release, distribution: image.distribution }, naming);
  const rootDisk = resolveStorage(props.rootDisk ?? { size: DEFAULT_ROOT_DISK_SIZE }, naming, 'rootDisk', MINIMUM_BOOT_DISK_SIZE);
  const goldenImage = image.isImport
    ? resolveStorage({ ...rootDisk, accessModes: [...rootDisk.accessModes], ...(props.goldenImage ?? {}) }, naming, 'goldenImage', MINIMUM_BOOT_DISK_SIZE)
    : undefined;
  if (goldenImage && parseQuantity(goldenImage.size)! > parseQuantity(rootDisk.size)!) {
    throw new Error(`${propLabel(naming, 'goldenImage.size')} ${goldenImage.size} is larger than '${at(naming, 'rootDisk.size')[1]}' ${rootDisk.size}: `
      + 'CDI cannot clone a volume into a smaller one');
  }
  const tokenSecretName = validateSecretName(naming, 'tokenSecretName', props.tokenSecretName);
  if (props.tokenRefresher !== undefined && name.length > MAX_REFRESHED_POOL_NAME_LENGTH) {
    throw new Error(`${propLabel(naming, 'name')} must be at most ${MAX_REFRESHED_POOL_NAME_LENGTH} characters with a 'tokenRefresher' `
      + `(its CronJob is '<name>-refresher', and Kubernetes allows CronJob names of 52), got ${show(name)}`);
  }
  return Object.freeze({
    name,
    namespace,
    replicas,
    guest,
    image,
    rootDisk,
    goldenImage,
    sizing: resolveSizing(props, naming),
    tokenSecretName,
    vmLabels: validateKubernetesLabels(naming, 'vmLabels', props.vmLabels),
    ...(props.tokenRefresher !== undefined ? { tokenRefresher: resolveTokenRefresher(props.tokenRefresher, naming, 'tokenRefresher', tokenSecretName) } : {}),
  });
}
