import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Document, isSeq, parse, Scalar, visit } from 'yaml';
import { deepFreeze } from '../private/freeze';
import { ARC_JIT_SECRET_KEY, JIT_DISK_SERIAL, TOKEN_DISK_SERIAL } from '../private/token-disk';
import { DockerSource } from '../spec/options';
import { ResolvedGuest, ResolvedRegistration, ResolvedSetup } from '../spec/resolved';
import { aptConfig, dockerPackages, networkFiles, removeDefaultAptSources, SYSTEM_CA_BUNDLE } from './guest-network';
import { GuestSettings, renderGuestSettings, RUNNER_SETTINGS_PATH } from './guest-settings';

// The cloud-config every runner VM boots with: what it writes, installs and runs, and where.

/** Where the runner is installed in the guest. */
export const RUNNER_INSTALL_DIR = '/opt/actions-runner/runner';
/** Where the registration script and its systemd unit are written in the guest. */
export const REGISTER_SCRIPT_PATH = '/usr/local/sbin/register-actions-runner';
export const REGISTER_UNIT_NAME = 'register-actions-runner.service';
export const REGISTER_UNIT_PATH = `/etc/systemd/system/${REGISTER_UNIT_NAME}`;
/** Where root's copy of the runner's unit template is written (lib/guest/actions.runner.service.template). */
export const RUNNER_UNIT_TEMPLATE_PATH = '/etc/actions-runner/actions.runner.service.template';
/** Where a baked image keeps its bake script, and the per-job script and unit. */
export const BAKE_SCRIPT_PATH = '/usr/local/sbin/bake-runner-image';
export const JIT_SCRIPT_PATH = '/usr/local/sbin/run-actions-runner-jit';
export const JIT_UNIT_PATH = '/etc/systemd/system/actions-runner-jit.service';
/** A warm pool's: reports how the runner ended, holds a deprecated runner's VM, powers off (lib/guest/report-runner-exit.sh, .service). */
export const REPORT_EXIT_SCRIPT_PATH = '/usr/local/sbin/report-runner-exit';
export const REPORT_EXIT_UNIT_PATH = '/etc/systemd/system/report-runner-exit.service';
/**
 * Written by a warm pool's cloud-config: the per-job unit does not run where it exists, the baked
 * registration unit only there.
 */
export const WARM_POOL_MARKER_PATH = '/etc/actions-runner/warm-pool';
/**
 * The SSH host keys a one-job VM (per-job or warm pool) makes at boot: Ed25519 only, which every
 * OpenSSH since 6.5 speaks and which takes milliseconds to make (RSA 3072 takes seconds).
 */
export const ONE_JOB_SSH_HOST_KEYS: readonly string[] = deepFreeze(['ed25519']);
/** The baked registration unit's drop-in: in an image, it runs only in a warm pool's VM. */
export const REGISTER_WARM_POOL_DROP_IN_PATH = `/etc/systemd/system/${REGISTER_UNIT_NAME}.d/warm-pool-only.conf`;

/** What a cloud-config sets the guest up for. */
export type GuestRole =
  /** A long-lived runner: registers at first boot and runs job after job. */
  | { readonly kind: 'static'; readonly guest: ResolvedGuest }
  /** The bake VM of a RunnerImage: installs everything, forgets its identity, powers off. */
  | { readonly kind: 'bake'; readonly guest: ResolvedSetup }
  /**
   * A warm pool's one-job VM booting a baked image: everything is installed; it registers an
   * ephemeral runner at every boot and powers off after the job.
   */
  | { readonly kind: 'warm'; readonly guest: ResolvedSetup & ResolvedRegistration };

/** Fingerprint of Docker's apt signing key ("Docker Release (CE deb)"), as docs.docker.com publishes it. */
export const DOCKER_APT_KEY_FINGERPRINT = '9DC858229FC7DD38854AE2D88D81803C0EBFCD88';
/** Where the guest keeps Docker's key (lib/guest/docker-apt-key.asc, checked against the fingerprint by a test). */
export const DOCKER_APT_KEY_PATH = '/etc/apt/keyrings/docker.asc';
/** Packages of Docker Engine from Docker's repository, as docs.docker.com installs them. */
export const DOCKER_PACKAGES: readonly string[] = deepFreeze(['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-buildx-plugin', 'docker-compose-plugin']);
/** Packages every runner gets. */
export const BASE_PACKAGES: readonly string[] = deepFreeze(['ca-certificates', 'curl', 'git', 'qemu-guest-agent']);

// The baked registration unit (enabled by the bake) registers only where a warm pool's cloud-config wrote its marker.
const WARM_POOL_ONLY_DROP_IN = '# Baked into a RunnerImage: registers a runner only in a warm pool\'s VM (RunnerWarmPool),\n'
  + '# whose cloud-config writes this file; a per-job VM of the image runs actions-runner-jit.service.\n'
  + `[Unit]\nConditionPathExists=${WARM_POOL_MARKER_PATH}\n`;

/** Where the Docker data disk's script and unit are written (lib/guest/mount-docker-data.sh, runner-docker-data.service). */
export const DOCKER_DATA_SCRIPT_PATH = '/usr/local/sbin/mount-docker-data';
export const DOCKER_DATA_UNIT_NAME = 'runner-docker-data.service';

/**
 * The Docker data disk (serial DOCKERDATA), on every kind: the script, its unit, and drop-ins that make
 * containerd and Docker require it, so it runs before their first start (packages installed at first
 * boot) and at every boot of a baked image. Nothing happens where no such disk is attached.
 */
function dockerDataFiles() {
  const dropIn = `# Docker's data on its own disk, when the VM has one (${DOCKER_DATA_UNIT_NAME}).\n[Unit]\nRequires=${DOCKER_DATA_UNIT_NAME}\nAfter=${DOCKER_DATA_UNIT_NAME}\n`;
  return [
    { path: DOCKER_DATA_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('mount-docker-data.sh') },
    { path: `/etc/systemd/system/${DOCKER_DATA_UNIT_NAME}`, owner: 'root:root', permissions: '0644', content: readGuestFile(DOCKER_DATA_UNIT_NAME) },
    ...['containerd', 'docker'].map((unit) => ({
      path: `/etc/systemd/system/${unit}.service.d/runner-docker-data.conf`, owner: 'root:root', permissions: '0644', content: dropIn,
    })),
  ];
}

/** Where a long-lived runner's security-update settings go (read after the packages' 20auto-upgrades and 50unattended-upgrades). */
export const SECURITY_UPDATES_APT_CONF_PATH = '/etc/apt/apt.conf.d/52kubevirt-runners-security-updates';
/** needrestart (Ubuntu) restarts services after library updates: never the runner's or Docker's, whose jobs would die. */
export const NEEDRESTART_CONF_PATH = '/etc/needrestart/conf.d/kubevirt-runners.conf';
export const REBOOT_WHEN_IDLE_SCRIPT_PATH = '/usr/local/sbin/reboot-when-idle';
export const REBOOT_WHEN_IDLE_TIMER = 'reboot-when-idle.timer';

/**
 * A long-lived runner's security updates: unattended-upgrades daily, never rebooting by itself
 * (Automatic-Reboot off); the reboot an update asks for (/var/run/reboot-required) waits until the
 * runner is idle (lib/guest/reboot-when-idle.sh, on a timer). Fixed text: no value of the user's.
 */
function securityUpdateFiles() {
  const aptConf = [
    '// cdk8s-kubevirt-runners: the security updates every day, and never a reboot in the middle of a job',
    '// (reboot-when-idle.timer reboots when the runner is idle).',
    'APT::Periodic::Update-Package-Lists "1";',
    'APT::Periodic::Unattended-Upgrade "1";',
    'Unattended-Upgrade::Automatic-Reboot "false";',
    '',
  ].join('\n');
  const needrestart = [
    '# cdk8s-kubevirt-runners: a restart would end the job that runs; the next idle reboot picks the update up.',
    '$nrconf{override_rc}{qr(^actions\\.runner\\.)} = 0;',
    '$nrconf{override_rc}{qr(^docker)} = 0;',
    '$nrconf{override_rc}{qr(^containerd)} = 0;',
    '',
  ].join('\n');
  return [
    { path: SECURITY_UPDATES_APT_CONF_PATH, owner: 'root:root', permissions: '0644', content: aptConf },
    { path: NEEDRESTART_CONF_PATH, owner: 'root:root', permissions: '0644', content: needrestart },
    { path: REBOOT_WHEN_IDLE_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('reboot-when-idle.sh') },
    { path: '/etc/systemd/system/reboot-when-idle.service', owner: 'root:root', permissions: '0644', content: readGuestFile('reboot-when-idle.service') },
    { path: `/etc/systemd/system/${REBOOT_WHEN_IDLE_TIMER}`, owner: 'root:root', permissions: '0644', content: readGuestFile(REBOOT_WHEN_IDLE_TIMER) },
  ];
}

/** Reads a file that the library installs in the guest (lib/guest). */
export function readGuestFile(name: string): string {
  return readFileSync(join(__dirname, '..', 'guest', name), 'utf8');
}

/** What the guest's scripts read: the settings file's content for this guest. */
export function guestSettingsOf(role: GuestRole): GuestSettings {
  const setup = {
    user: role.guest.user,
    runnerDir: RUNNER_INSTALL_DIR,
    downloadUrl: role.guest.release.downloadUrl,
    sha256: role.guest.release.sha256,
    requiredCommands: role.guest.docker ? ['git', 'docker'] : ['git'],
    powerOffAfterJob: role.kind === 'warm',
    httpProxy: role.guest.proxy?.http ?? '',
    httpsProxy: role.guest.proxy?.https ?? '',
    noProxy: role.guest.proxy?.noProxy ?? [],
    // The runner's node actions do not read the system's trust store; its .NET does.
    nodeExtraCaCerts: role.guest.caCertificates.length > 0 || role.guest.caCertificatesFrom ? SYSTEM_CA_BUNDLE : '',
  };
  if (role.kind === 'bake') {
    // A baked image registers nothing: its per-job VMs read ARC's JIT config, which says it all.
    return {
      ...setup, url: '', labels: [], runnerGroup: '', noDefaultLabels: false, ephemeral: true, disableUpdate: false, workDir: '_work',
      tokenDiskSerial: JIT_DISK_SERIAL, tokenFileName: ARC_JIT_SECRET_KEY, powerOffAfterJob: false,
    };
  }
  const guest = role.guest;
  return {
    ...setup,
    url: guest.scope.url,
    labels: guest.runnerLabels,
    runnerGroup: guest.runnerGroup ?? '',
    noDefaultLabels: guest.noDefaultLabels,
    // A warm pool's runner takes one job: the VM comes back clean for the next.
    ephemeral: role.kind === 'warm' || guest.ephemeral,
    disableUpdate: guest.disableUpdate,
    workDir: guest.workDir,
    tokenDiskSerial: TOKEN_DISK_SERIAL,
    tokenFileName: guest.tokenKey,
  };
}

/**
 * Renders the runner's cloud-config. Module order matters: write_files runs in the init stage, apt
 * and packages in the config and final stages, runcmd last in the final stage, after packages are
 * installed.
 */
export function renderCloudConfig(role: GuestRole): string {
  const guest = role.guest;
  // A warm pool boots a baked image: everything is installed there already.
  const installs = role.kind !== 'warm' && guest.installPackages;
  const securityUpdates = role.kind === 'static' && role.guest.automaticSecurityUpdates;
  const registers = role.kind !== 'bake';
  // Docker's key is shipped with the library and written as a file, so apt checks the repository
  // with it directly: no keyserver to reach and no gpg in the image (Debian 12's cloud image has none,
  // and its cloud-init 22.4 does not install it). cloud-init puts the codename (noble, bookworm) for $RELEASE,
  // and ends the line itself (cc_apt_configure add_apt_sources writes "%s\n" % source): no newline here.
  const dockerApt = guest.docker && installs && guest.dockerSource === DockerSource.DOCKER_REPOSITORY
    ? { source: `deb [signed-by=${DOCKER_APT_KEY_PATH}] ${guest.dockerAptBaseUrl}/${guest.distribution} $RELEASE stable` }
    : undefined;
  // What the image already has when a warm pool boots it: the bake set it up.
  const setsUp = role.kind !== 'warm';
  const apt = setsUp ? aptConfig(guest, installs) : undefined;
  const aptModule = apt || dockerApt ? { ...apt, ...(dockerApt ? { sources: { ...(apt?.sources as object), 'docker.list': dockerApt } } : {}) } : undefined;
  // A warm pool's VM boots a baked image with everything of its own in it (the runner user, the
  // registration unit, enabled): its cloud-config only writes the pool's settings and its marker.
  const warm = role.kind === 'warm';
  // The runner user may use /dev/kvm: nested virtualization then only needs the VM side.
  const groups = guest.docker ? ['docker', 'kvm'] : ['kvm'];
  const user = {
    name: guest.user,
    gecos: 'GitHub Actions runner',
    shell: '/bin/bash',
    lock_passwd: true,
    groups: [...groups],
    ...(guest.passwordlessSudo ? { sudo: 'ALL=(ALL) NOPASSWD:ALL' } : {}),
    ...(guest.sshAuthorizedKeys.length > 0 ? { ssh_authorized_keys: [...guest.sshAuthorizedKeys] } : {}),
  };
  const packages = installs
    ? [...BASE_PACKAGES, ...(securityUpdates ? ['unattended-upgrades'] : []), ...(guest.docker ? dockerPackages(guest, DOCKER_PACKAGES) : []), ...guest.extraPackages]
    : undefined;
  const bootcmd = [
    // The script's own text: bootcmd runs before write_files.
    ...(setsUp && guest.caCertificatesFrom ? [['bash', '-c', readGuestFile('install-runner-ca.sh'), 'install-runner-ca', guest.caCertificatesFrom.key]] : []),
    ...(setsUp && installs && guest.aptMirror ? [removeDefaultAptSources()] : []),
  ];
  const config = {
    // The groups exist before the user joins them; Docker's packages keep an existing docker group
    // (and kvm exists already where systemd does).
    ...(warm ? {} : { groups: [...groups] }),
    // No `default` entry: the image's default user (ubuntu, debian) is not created. A warm pool's
    // image has the runner user, made by its bake from the same setup: `users: []` creates none.
    users: warm ? [] : [user],
    ssh_pwauth: false,
    // A warm pool's one-job VM makes one SSH host key at boot, as a per-job VM does (renderJobCloudConfig).
    ...(warm ? { ssh_genkeytypes: [...ONE_JOB_SSH_HOST_KEYS] } : {}),
    // The hostname must resolve, or every sudo in a job warns "unable to resolve host" (found by
    // the boot test: Debian's cloud-init leaves /etc/hosts alone by default).
    manage_etc_hosts: true,
    // Before anything else, at every boot (cloud-init's first module).
    ...(bootcmd.length > 0 ? { bootcmd } : {}),
    // The init stage, before apt: the extra CAs are trusted when apt first reaches a mirror over https.
    ...(setsUp && guest.caCertificates.length > 0 ? { ca_certs: { trusted: [...guest.caCertificates] } } : {}),
    ...(aptModule ? { apt: aptModule } : {}),
    ...(packages ? { package_update: true, package_upgrade: guest.upgradePackages, packages } : {}),
    write_files: [
      { path: RUNNER_SETTINGS_PATH, owner: 'root:root', permissions: '0600', content: renderGuestSettings(guestSettingsOf(role)) },
      { path: REGISTER_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('register-runner.sh') },
      // Written into the image by its bake: a warm pool's VM finds the registration unit enabled
      // (systemd starts it with the boot's first transaction, right after the network; written
      // at boot, it would take cloud-init's last stage and a daemon-reload to start).
      ...(warm ? [] : [
        { path: REGISTER_UNIT_PATH, owner: 'root:root', permissions: '0644', content: readGuestFile('register-actions-runner.service') },
        { path: RUNNER_UNIT_TEMPLATE_PATH, owner: 'root:root', permissions: '0644', content: readGuestFile('actions.runner.service.template') },
      ]),
      ...(registers ? [] : [
        { path: REGISTER_WARM_POOL_DROP_IN_PATH, owner: 'root:root', permissions: '0644', content: WARM_POOL_ONLY_DROP_IN },
        { path: BAKE_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('bake-runner-image.sh') },
        { path: JIT_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('run-jit-runner.sh') },
        { path: JIT_UNIT_PATH, owner: 'root:root', permissions: '0644', content: readGuestFile('actions-runner-jit.service') },
      ]),
      // The baked image's per-job unit would look for a JIT config disk that a warm pool's VM does not
      // have: its condition skips it where this file exists (written before it could start).
      ...(role.kind === 'warm' ? [
        { path: WARM_POOL_MARKER_PATH, owner: 'root:root', permissions: '0644', content: 'RunnerWarmPool\n' },
        // The runner's unit starts it when it stops (the drop-in register-actions-runner writes with RUNNER_POWER_OFF_AFTER_JOB).
        { path: REPORT_EXIT_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('report-runner-exit.sh') },
        { path: REPORT_EXIT_UNIT_PATH, owner: 'root:root', permissions: '0644', content: readGuestFile('report-runner-exit.service') },
      ] : []),
      ...(dockerApt ? [{
        path: DOCKER_APT_KEY_PATH, owner: 'root:root', permissions: '0644', content: guest.dockerAptSigningKey?.armored ?? readGuestFile('docker-apt-key.asc'),
      }] : []),
      ...(setsUp ? networkFiles(guest, installs) : []),
      ...(setsUp && guest.docker ? dockerDataFiles() : []),
      ...(securityUpdates ? securityUpdateFiles() : []),
    ],
    // A warm pool's image has the guest agent and Docker enabled by its bake, and its registration unit.
    ...(warm ? {} : {
      runcmd: [
        ['systemctl', 'enable', '--now', 'qemu-guest-agent'],
        ...(guest.docker ? [['systemctl', 'enable', '--now', 'docker']] : []),
        ...(securityUpdates ? [['systemctl', 'enable', '--now', REBOOT_WHEN_IDLE_TIMER]] : []),
        // A runner: the registration unit runs now and at every boot, and retries until the runner is
        // up. A bake: the bake script runs once and powers the VM off when the image is done.
        registers ? ['systemctl', 'enable', '--now', REGISTER_UNIT_NAME] : [BAKE_SCRIPT_PATH],
      ],
    }),
  };
  const doc = new Document(config);
  // Commands read best on one line each: `- [systemctl, enable, --now, docker]`.
  const runcmd = doc.get('runcmd');
  if (isSeq(runcmd)) {
    for (const command of runcmd.items) {
      if (isSeq(command)) command.flow = true;
    }
  }
  quoteWhatYaml11ReadsDifferently(doc);
  const text = `#cloud-config\n${doc.toString({ lineWidth: 0 })}`;
  // cloud-init reads user-data with PyYAML (YAML 1.1); this library writes YAML 1.2. They must mean the same.
  if (!isDeepStrictEqual(parse(text, { version: '1.1' }), parse(text))) {
    throw new Error('internal error: the rendered cloud-config reads differently as YAML 1.1 (cloud-init) and YAML 1.2');
  }
  return text;
}

/**
 * The user-data of a per-job VM booting a baked image: everything is in the image already (the
 * per-job unit starts by itself); cloud-init only has to make the VM a new machine. Small enough to
 * go inline in the VirtualMachineInstance (KubeVirt accepts at most 2048 bytes there).
 */
export function renderJobCloudConfig(): string {
  // `users: []`: user-data that names no users gets the image's default user (debian, ubuntu, with
  // passwordless sudo) created at every boot (found by the boot test); the runner user is baked in.
  // Debian 12's cloud-init 22.4 logs a schema warning for the empty list, which 23.2 allows again
  // (canonical/cloud-init#2124); it still creates no user (docs/17).
  // One SSH host key, not four: cloud-init's init stage, which every unit of the boot waits for,
  // spent 5–25 s making them under software emulation (the boot test's `cloud-init analyze blame`).
  return `#cloud-config\nusers: []\nssh_pwauth: false\nssh_genkeytypes: [${ONE_JOB_SSH_HOST_KEYS.join(', ')}]\nmanage_etc_hosts: true\n`;
}

// A plain scalar such as `on`, `no`, `2024-01-01` or `0o17` is a string to one YAML version and a
// boolean, date or number to the other: such strings are written quoted, which both read as strings.
function quoteWhatYaml11ReadsDifferently(doc: Document): void {
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && !readsAsItself(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
}

function readsAsItself(value: string): boolean {
  try {
    return parse(value) === value && parse(value, { version: '1.1' }) === value;
  } catch {
    return false;
  }
}
