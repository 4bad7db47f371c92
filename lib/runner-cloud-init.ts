import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Document, isSeq } from 'yaml';
import { GitHubScope, GitHubScopeKind, validateLabels, validateRunnerGroup } from './github';
import { defaultDnsLabel, validateDnsLabel } from './names';
import { Distribution } from './os-image';
import { MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM, RunnerRelease } from './runner-release';
import { renderEnvFile } from './shell';
import { DEFAULT_TOKEN_KEY, TOKEN_DISK_SERIAL } from './token-disk';

/** Where the runner is installed in the guest. */
export const RUNNER_INSTALL_DIR = '/opt/actions-runner/runner';
/** Where the registration script, its settings and its systemd unit are written in the guest. */
export const REGISTER_SCRIPT_PATH = '/usr/local/sbin/register-actions-runner';
export const RUNNER_SETTINGS_PATH = '/etc/actions-runner/runner.env';
export const REGISTER_UNIT_NAME = 'register-actions-runner.service';
export const REGISTER_UNIT_PATH = `/etc/systemd/system/${REGISTER_UNIT_NAME}`;

/** Fingerprint of Docker's apt signing key ("Docker Release (CE deb)"), as docs.docker.com publishes it. */
export const DOCKER_APT_KEY_FINGERPRINT = '9DC858229FC7DD38854AE2D88D81803C0EBFCD88';
/** Where the guest keeps Docker's key (lib/guest/docker-apt-key.asc, checked against the fingerprint by a test). */
export const DOCKER_APT_KEY_PATH = '/etc/apt/keyrings/docker.asc';
/** Packages of Docker Engine from Docker's repository, as docs.docker.com installs them. */
export const DOCKER_PACKAGES = ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-buildx-plugin', 'docker-compose-plugin'];
/** Packages every runner gets. */
export const BASE_PACKAGES = ['ca-certificates', 'curl', 'git', 'qemu-guest-agent'];

/** Where Docker's apt repository is fetched from. */
export interface DockerAptOptions {
  /** Base URL of the repository (a mirror must serve Docker's signed files); the distribution is appended. @default 'https://download.docker.com/linux' */
  readonly repositoryBaseUrl?: string;
}

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
    this.distribution = props.distribution ?? Distribution.UBUNTU;
    if (!Object.values(Distribution).includes(this.distribution)) {
      throw new Error(`${owner} 'distribution' must be one of ${Object.values(Distribution).join(', ')}, got ${JSON.stringify(props.distribution)}`);
    }
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
    this.user = props.user ?? 'actions-runner';
    if (!USER.test(this.user) || this.user.startsWith('systemd-') || this.user.startsWith('_') || RESERVED_USERS.has(this.user)) {
      throw new Error(`${owner} 'user' must be a new Linux user name ([a-z_][a-z0-9_-]*, at most 32, not an account `
        + `the image already has such as root, nobody or ubuntu), got ${JSON.stringify(props.user)}`);
    }
    this.tokenSecretKey = props.tokenSecretKey ?? DEFAULT_TOKEN_KEY;
    if (!SECRET_KEY.test(this.tokenSecretKey)) {
      throw new Error(`${owner} 'tokenSecretKey' must be a Secret key ([-._a-zA-Z0-9]+), got ${JSON.stringify(props.tokenSecretKey)}`);
    }
    const docker = props.docker ?? true;
    const installPackages = props.installPackages ?? true;
    if (!installPackages && (props.extraPackages?.length || props.upgradePackages || props.dockerApt)) {
      throw new Error(`${owner} 'installPackages' is false, so 'extraPackages', 'upgradePackages' and 'dockerApt' would be ignored: remove them`);
    }
    const workDir = props.workDir ?? '_work';
    if (!WORK_DIR.test(workDir) || workDir.split('/').includes('..') || RESERVED_WORK_DIRS.has(workDir.split('/')[0])) {
      throw new Error(`${owner} 'workDir' must be a relative path of [A-Za-z0-9._/-] inside the runner's folder, without '..' `
        + `and not '.', 'bin', 'externals' or '_diag', got ${JSON.stringify(props.workDir)}`);
    }
    for (const pkg of props.extraPackages ?? []) {
      if (typeof pkg !== 'string' || !PACKAGE.test(pkg)) {
        throw new Error(`${owner} 'extraPackages' entry must be a Debian package name (optionally =version), got ${JSON.stringify(pkg)}`);
      }
    }
    for (const key of props.sshAuthorizedKeys ?? []) {
      if (typeof key !== 'string' || !SSH_KEY.test(key)) {
        throw new Error(`${owner} 'sshAuthorizedKeys' entry must be one OpenSSH public key line ('ssh-ed25519 AAAA... comment'), got ${JSON.stringify(key)}`);
      }
    }

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
    this.userData = renderUserData({
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

/** Reads a file that the library installs in the guest (lib/guest). */
export function readGuestFile(name: string): string {
  return readFileSync(join(__dirname, 'guest', name), 'utf8');
}

interface DockerAptSource {
  readonly source: string;
}

// Docker's key is shipped with the library and written as a file, so apt checks the repository
// with it directly: no keyserver to reach and no gpg in the image (Debian 12's cloud image has none,
// and its cloud-init 22.4 does not install it). cloud-init puts the codename (noble, bookworm) for $RELEASE.
function dockerAptSource(distribution: Distribution, options: DockerAptOptions): DockerAptSource {
  const base = (options.repositoryBaseUrl ?? 'https://download.docker.com/linux').replace(/\/+$/, '');
  if (!/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~%/-]*)?$/.test(base)) {
    throw new Error(`RunnerCloudInit 'dockerApt.repositoryBaseUrl' must be an http(s) URL, got ${JSON.stringify(options.repositoryBaseUrl)}`);
  }
  return { source: `deb [signed-by=${DOCKER_APT_KEY_PATH}] ${base}/${distribution} $RELEASE stable` };
}

interface UserDataInput {
  readonly user: string;
  readonly passwordlessSudo: boolean;
  readonly docker: boolean;
  readonly dockerApt?: DockerAptSource;
  /** Packages to install, or undefined to leave apt alone. */
  readonly packages?: readonly string[];
  readonly upgradePackages: boolean;
  readonly sshAuthorizedKeys: readonly string[];
  readonly settings: string;
}

// Module order matters: write_files runs in the init stage, apt and packages in the config and
// final stages, runcmd last in the final stage, after packages are installed.
function renderUserData(input: UserDataInput): string {
  const user = {
    name: input.user,
    gecos: 'GitHub Actions runner',
    shell: '/bin/bash',
    lock_passwd: true,
    ...(input.docker ? { groups: ['docker'] } : {}),
    ...(input.passwordlessSudo ? { sudo: 'ALL=(ALL) NOPASSWD:ALL' } : {}),
    ...(input.sshAuthorizedKeys.length > 0 ? { ssh_authorized_keys: [...input.sshAuthorizedKeys] } : {}),
  };
  const config = {
    // The docker group exists before the user joins it; docker-ce's postinst keeps an existing group.
    ...(input.docker ? { groups: ['docker'] } : {}),
    // No `default` entry: the image's default user (ubuntu, debian) is not created.
    users: [user],
    ssh_pwauth: false,
    // The hostname must resolve, or every sudo in a job warns "unable to resolve host" (found by
    // the boot test: Debian's cloud-init leaves /etc/hosts alone by default).
    manage_etc_hosts: true,
    ...(input.dockerApt ? { apt: { sources: { 'docker.list': input.dockerApt } } } : {}),
    ...(input.packages ? { package_update: true, package_upgrade: input.upgradePackages, packages: [...input.packages] } : {}),
    write_files: [
      { path: RUNNER_SETTINGS_PATH, owner: 'root:root', permissions: '0600', content: input.settings },
      { path: REGISTER_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('register-runner.sh') },
      { path: REGISTER_UNIT_PATH, owner: 'root:root', permissions: '0644', content: readGuestFile('register-actions-runner.service') },
      ...(input.dockerApt ? [{ path: DOCKER_APT_KEY_PATH, owner: 'root:root', permissions: '0644', content: readGuestFile('docker-apt-key.asc') }] : []),
    ],
    // The registration unit runs now and at every boot, and retries until the runner is up.
    runcmd: [
      ['systemctl', 'enable', '--now', 'qemu-guest-agent'],
      ...(input.docker ? [['systemctl', 'enable', '--now', 'docker']] : []),
      ['systemctl', 'enable', '--now', REGISTER_UNIT_NAME],
    ],
  };
  const doc = new Document(config);
  // Commands read best on one line each: `- [systemctl, enable, --now, docker]`.
  const runcmd = doc.get('runcmd');
  if (isSeq(runcmd)) {
    for (const command of runcmd.items) {
      if (isSeq(command)) command.flow = true;
    }
  }
  return `#cloud-config\n${doc.toString({ lineWidth: 0 })}`;
}
