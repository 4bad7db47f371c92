import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isSeq } from 'yaml';
import { Distribution } from './os-image';

// The cloud-config every runner VM boots with: what it writes, installs and runs, and where.

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

/** Reads a file that the library installs in the guest (lib/guest). */
export function readGuestFile(name: string): string {
  return readFileSync(join(__dirname, 'guest', name), 'utf8');
}

/** The apt source of Docker's repository. */
export interface DockerAptSource {
  /** The `deb [signed-by=...] URL $RELEASE stable` line. */
  readonly source: string;
}

// Docker's key is shipped with the library and written as a file, so apt checks the repository
// with it directly: no keyserver to reach and no gpg in the image (Debian 12's cloud image has none,
// and its cloud-init 22.4 does not install it). cloud-init puts the codename (noble, bookworm) for $RELEASE.
export function dockerAptSource(distribution: Distribution, options: DockerAptOptions): DockerAptSource {
  const base = (options.repositoryBaseUrl ?? 'https://download.docker.com/linux').replace(/\/+$/, '');
  if (!/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~%/-]*)?$/.test(base)) {
    throw new Error(`RunnerCloudInit 'dockerApt.repositoryBaseUrl' must be an http(s) URL, got ${JSON.stringify(options.repositoryBaseUrl)}`);
  }
  return { source: `deb [signed-by=${DOCKER_APT_KEY_PATH}] ${base}/${distribution} $RELEASE stable` };
}

/** What the cloud-config is made of, every value already validated. */
export interface CloudConfigInput {
  /** The runner user to create. */
  readonly user: string;
  /** Give the user passwordless sudo. */
  readonly passwordlessSudo: boolean;
  /** The user joins the docker group and Docker is enabled. */
  readonly docker: boolean;
  /** Docker's apt source to add. @default - none (no Docker packages from apt) */
  readonly dockerApt?: DockerAptSource;
  /** Packages to install. @default - leave apt alone */
  readonly packages?: readonly string[];
  /** Upgrade installed packages too. */
  readonly upgradePackages: boolean;
  /** SSH public keys of the user. */
  readonly sshAuthorizedKeys: readonly string[];
  /** Content of the registration script's settings file (renderEnvFile). */
  readonly settings: string;
}

/**
 * Renders the runner's cloud-config. Module order matters: write_files runs in the init stage, apt
 * and packages in the config and final stages, runcmd last in the final stage, after packages are
 * installed.
 */
export function renderCloudConfig(input: CloudConfigInput): string {
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
