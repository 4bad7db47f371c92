import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  BASE_PACKAGES, DOCKER_PACKAGES, DockerAptOptions, dockerAptSource, renderCloudConfig, RUNNER_INSTALL_DIR,
} from './cloud-config';
import { validateEnum } from './enum-value';
import { GitHubScope, GitHubScopeKind, validateLabels, validateRunnerGroup } from './github';
import { defaultDnsLabel, validateDnsLabel } from './names';
import { Distribution } from './os-image';
import { MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM, RunnerRelease } from './runner-release';
import { renderEnvFile } from './shell';
import { DEFAULT_TOKEN_KEY, TOKEN_DISK_SERIAL } from './token-disk';

/** Props of RunnerCloudInit. */
export interface RunnerCloudInitProps {
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
  /** The runner package, pinned by version and checksum. @default RunnerRelease.latestKnown() (2.334.0, x64) */
  readonly release?: RunnerRelease;
  /** Distribution of the guest, which decides the Docker repository. @default Distribution.UBUNTU */
  readonly distribution?: Distribution;
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
  /** Runner work directory, relative to the runner's install directory. @default '_work' */
  readonly workDir?: string;
  /** Key of the token Secret that holds the registration token. @default 'token' */
  readonly tokenSecretKey?: string;
  /** `metadata.name` of the Secret. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the Secret. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
// Accounts that already exist in Debian and Ubuntu cloud images (or that the cloud-config creates as
// a group): cloud-init would skip creating them and hand an existing account sudo and the runner.
const RESERVED_USERS = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp',
  'proxy', 'www-data', 'backup', 'list', 'irc', 'gnats', 'nobody', 'messagebus', 'syslog', 'sshd', 'polkitd', 'lxd',
  'ubuntu', 'debian', 'admin', 'docker', 'tss', 'uuidd', 'tcpdump', 'landscape', 'pollinate', 'fwupd-refresh', 'dnsmasq', 'usbmux']);
// Folders the runner keeps beside its work directory.
const RESERVED_WORK_DIRS = new Set(['.', 'bin', 'externals', '_diag']);
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;
const WORK_DIR = /^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const SSH_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n\r]*)?$/;

/**
 * The runner's cloud-config, in a Secret (key `userdata`) for a VM's `cloudInitNoCloud.secretRef`.
 * It creates the runner user, installs Docker from Docker's pinned apt repository, the
 * qemu guest agent and the registration script, and runs it. One RunnerCloudInit serves any number
 * of VMs: each registers under its own hostname. It holds no credential.
 */
export class RunnerCloudInit extends Construct {
  /** `metadata.name` of the Secret. */
  public readonly secretName: string;
  /** Namespace of the Secret. */
  public readonly namespace: string;
  /** The registration scope parsed from `url`. */
  public readonly scope: GitHubScope;
  /** The runner package. */
  public readonly release: RunnerRelease;
  /** Distribution of the guest. */
  public readonly distribution: Distribution;
  /** Runner labels. */
  public readonly labels: readonly string[];
  /** Guest user the runner runs as. */
  public readonly user: string;
  /** Key of the token Secret that holds the registration token. */
  public readonly tokenSecretKey: string;
  /** The rendered user-data: `#cloud-config` followed by YAML. */
  public readonly userData: string;
  /** The Secret, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerCloudInitProps) {
    super(scope, id);
    const owner = 'RunnerCloudInit';
    this.secretName = validateDnsLabel(owner, 'name', props.name ?? defaultDnsLabel(this));
    this.namespace = validateDnsLabel(owner, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    this.scope = GitHubScope.fromUrl(props.url, owner, 'url');
    this.release = props.release ?? RunnerRelease.latestKnown();
    if (!(this.release instanceof RunnerRelease)) {
      throw new Error(`${owner} 'release' must be a RunnerRelease (RunnerRelease.of('2.334.0')), got ${JSON.stringify(props.release)}`);
    }
    if (this.scope.isGitHubDotCom && this.release.isOlderThan(MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM)) {
      throw new Error(`${owner} 'release' is runner ${this.release.version}, but github.com refuses to register runners older `
        + `than ${MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM}`);
    }
    this.distribution = validateEnum(owner, 'distribution', Distribution, props.distribution ?? Distribution.UBUNTU);
    this.labels = validateLabels(owner, 'labels', props.labels ?? []);
    if (props.noDefaultLabels && this.labels.length === 0) {
      throw new Error(`${owner} 'noDefaultLabels' needs at least one entry in 'labels': a runner without labels cannot be targeted`);
    }
    if (props.runnerGroup !== undefined) {
      validateRunnerGroup(owner, 'runnerGroup', props.runnerGroup);
      // The runner only asks for a group where there are groups: organizations and enterprises.
      if (this.scope.kind === GitHubScopeKind.REPOSITORY) {
        throw new Error(`${owner} 'runnerGroup' ${JSON.stringify(props.runnerGroup)} needs an organization or enterprise URL; `
          + `repository runners have no groups (url ${this.scope.url})`);
      }
    }
    this.user = validateUser(props.user ?? 'actions-runner');
    this.tokenSecretKey = props.tokenSecretKey ?? DEFAULT_TOKEN_KEY;
    if (!SECRET_KEY.test(this.tokenSecretKey)) {
      throw new Error(`${owner} 'tokenSecretKey' must be a Secret key ([-._a-zA-Z0-9]+), got ${JSON.stringify(props.tokenSecretKey)}`);
    }
    const docker = props.docker ?? true;
    const installPackages = props.installPackages ?? true;
    if (!installPackages && (props.extraPackages?.length || props.upgradePackages || props.dockerApt)) {
      throw new Error(`${owner} 'installPackages' is false, so 'extraPackages', 'upgradePackages' and 'dockerApt' would be ignored: remove them`);
    }
    const workDir = validateWorkDir(props.workDir ?? '_work');
    validateEach('extraPackages', props.extraPackages, PACKAGE, 'a Debian package name (optionally =version)');
    validateEach('sshAuthorizedKeys', props.sshAuthorizedKeys, SSH_KEY, "one OpenSSH public key line ('ssh-ed25519 AAAA... comment')");

    const settings = renderEnvFile([
      ['RUNNER_URL', this.scope.url],
      ['RUNNER_LABELS', this.labels.join(',')],
      ['RUNNER_GROUP', props.runnerGroup ?? ''],
      ['RUNNER_NO_DEFAULT_LABELS', String(props.noDefaultLabels ?? false)],
      ['RUNNER_EPHEMERAL', String(props.ephemeral ?? false)],
      ['RUNNER_DISABLE_UPDATE', String(props.disableUpdate ?? false)],
      ['RUNNER_USER', this.user],
      ['RUNNER_DIR', RUNNER_INSTALL_DIR],
      ['RUNNER_WORK_DIR', workDir],
      ['RUNNER_DOWNLOAD_URL', this.release.downloadUrl],
      ['RUNNER_SHA256', this.release.sha256],
      ['TOKEN_DISK_SERIAL', TOKEN_DISK_SERIAL],
      ['TOKEN_FILE_NAME', this.tokenSecretKey],
      ['RUNNER_REQUIRED_COMMANDS', docker ? 'git docker' : 'git'],
    ]);
    this.userData = renderCloudConfig({
      user: this.user,
      passwordlessSudo: props.passwordlessSudo ?? true,
      docker,
      dockerApt: docker && installPackages ? dockerAptSource(this.distribution, props.dockerApt ?? {}) : undefined,
      packages: installPackages ? [...BASE_PACKAGES, ...(docker ? DOCKER_PACKAGES : []), ...(props.extraPackages ?? [])] : undefined,
      upgradePackages: props.upgradePackages ?? false,
      sshAuthorizedKeys: props.sshAuthorizedKeys ?? [],
      settings,
    });

    this.apiObject = ApiObject.of(new kplus.Secret(this, 'Resource', {
      metadata: { name: this.secretName, namespace: this.namespace },
      stringData: { userdata: this.userData },
    }));
  }
}

function validateUser(user: string): string {
  if (!USER.test(user) || user.startsWith('systemd-') || user.startsWith('_') || RESERVED_USERS.has(user)) {
    throw new Error(`RunnerCloudInit 'user' must be a new Linux user name ([a-z_][a-z0-9_-]*, at most 32, not an account `
      + `the image already has such as root, nobody or ubuntu), got ${JSON.stringify(user)}`);
  }
  return user;
}

function validateWorkDir(workDir: string): string {
  if (!WORK_DIR.test(workDir) || workDir.split('/').includes('..') || RESERVED_WORK_DIRS.has(workDir.split('/')[0])) {
    throw new Error(`RunnerCloudInit 'workDir' must be a relative path of [A-Za-z0-9._/-] inside the runner's folder, without '..' `
      + `and not '.', 'bin', 'externals' or '_diag', got ${JSON.stringify(workDir)}`);
  }
  return workDir;
}

function validateEach(prop: string, values: readonly string[] | undefined, pattern: RegExp, what: string): void {
  for (const value of values ?? []) {
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`RunnerCloudInit '${prop}' entry must be ${what}, got ${JSON.stringify(value)}`);
    }
  }
}
