import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { openPgpFingerprints } from './openpgp';
import { parse } from 'yaml';
import { cloudConfigOf, hasPyYaml, pyYamlLoad, sourceEnvFile, synth, testIf, writtenFile } from './util';
import { DOCKER_APT_KEY_FINGERPRINT, Distribution, RunnerCloudInit, RunnerCloudInitProps, RunnerRelease } from '../lib';
import { DOCKER_APT_KEY_PATH, REGISTER_SCRIPT_PATH, REGISTER_UNIT_PATH, RUNNER_UNIT_TEMPLATE_PATH } from '../lib/private/cloud-config';
import { RUNNER_SETTINGS_PATH } from '../lib/private/guest-settings';

const BASE: RunnerCloudInitProps = { url: 'https://github.com/acme', labels: ['kubevirt', 'docker'] };

function render(props: Partial<RunnerCloudInitProps> = {}) {
  const chart = Testing.chart();
  const cloudInit = new RunnerCloudInit(chart, 'ci', { ...BASE, name: 'runners-cloud-init', namespace: 'ci', ...props });
  const [secret] = synth(chart);
  return { cloudInit, secret, config: cloudConfigOf(secret) };
}

describe('RunnerCloudInit', () => {
  test('a Secret with the cloud-config under the key userdata', () => {
    const { cloudInit, secret } = render();
    expect(secret.apiVersion).toBe('v1');
    expect(secret.kind).toBe('Secret');
    expect(secret.metadata).toEqual({ name: 'runners-cloud-init', namespace: 'ci' });
    expect(Object.keys(secret.stringData)).toEqual(['userdata']);
    expect(secret.stringData.userdata).toBe(cloudInit.userData);
    expect(cloudInit.secretName).toBe('runners-cloud-init');
    expect(secret).toMatchSnapshot();
  });

  test('creates the runner user with bash, a home, the docker group and passwordless sudo', () => {
    const { config } = render();
    expect(config.groups).toEqual(['docker']);
    expect(config.users).toEqual([{
      name: 'actions-runner', gecos: 'GitHub Actions runner', shell: '/bin/bash', lock_passwd: true,
      groups: ['docker'], sudo: 'ALL=(ALL) NOPASSWD:ALL',
    }]);
    expect(config.ssh_pwauth).toBe(false);
    expect(config.manage_etc_hosts).toBe(true);
  });

  test('sudo can be switched off, the user renamed and SSH keys added', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0000000000000000000000000000000000000000000 ops@example';
    const { config } = render({ passwordlessSudo: false, user: 'ci', sshAuthorizedKeys: [key] });
    expect(config.users[0].sudo).toBeUndefined();
    expect(config.users[0].name).toBe('ci');
    expect(config.users[0].ssh_authorized_keys).toEqual([key]);
  });

  test.each([
    [Distribution.UBUNTU, 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu $RELEASE stable'],
    [Distribution.DEBIAN, 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian $RELEASE stable'],
  ])('adds Docker\'s %s repository through the apt module, signed by the pinned key', (distribution, source) => {
    const { config } = render({ distribution });
    expect(config.apt.sources['docker.list']).toEqual({ source });
    expect(config.runcmd).toContainEqual(['systemctl', 'enable', '--now', 'docker']);
  });

  test('the shipped Docker key is the one with Docker\'s published fingerprint', () => {
    const { config } = render();
    const key = writtenFile(config, DOCKER_APT_KEY_PATH);
    expect(key).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n/);
    const [primary, ...subkeys] = openPgpFingerprints(key);
    expect(primary).toBe(DOCKER_APT_KEY_FINGERPRINT);
    expect(DOCKER_APT_KEY_FINGERPRINT).toBe('9DC858229FC7DD38854AE2D88D81803C0EBFCD88');
    // The signing subkey apt checks Docker's Release files with.
    expect(subkeys).toEqual(['D3306A018370199E527AE7997EA0A9C3F273FCD8']);
    expect(config.write_files.find((f: any) => f.path === DOCKER_APT_KEY_PATH).permissions).toBe('0644');
  });

  test('a Docker mirror', () => {
    const { config } = render({ dockerApt: { repositoryBaseUrl: 'http://apt.internal/docker/' } });
    expect(config.apt.sources['docker.list'].source).toBe('deb [signed-by=/etc/apt/keyrings/docker.asc] http://apt.internal/docker/ubuntu $RELEASE stable');
  });

  test('installs the seed packages, Docker Engine, the guest agent and extra packages', () => {
    const { config } = render({ extraPackages: ['build-essential', 'jq=1.7.1-3'] });
    expect(config.package_update).toBe(true);
    expect(config.package_upgrade).toBe(false);
    expect(config.packages).toEqual([
      'ca-certificates', 'curl', 'git', 'qemu-guest-agent',
      'docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-buildx-plugin', 'docker-compose-plugin',
      'build-essential', 'jq=1.7.1-3',
    ]);
    expect(config.runcmd[0]).toEqual(['systemctl', 'enable', '--now', 'qemu-guest-agent']);
  });

  test('installPackages: false leaves apt alone for pre-baked images', () => {
    const { config } = render({ installPackages: false });
    expect(config.apt).toBeUndefined();
    expect(config.package_update).toBeUndefined();
    expect(config.packages).toBeUndefined();
    expect(config.write_files.map((f: any) => f.path)).not.toContain(DOCKER_APT_KEY_PATH);
    // Docker is still expected (pre-installed): its group, its service, and the registration check.
    expect(config.groups).toEqual(['docker']);
    expect(config.runcmd).toContainEqual(['systemctl', 'enable', '--now', 'docker']);
    expect(sourceEnvFile(writtenFile(config, RUNNER_SETTINGS_PATH)).RUNNER_REQUIRED_COMMANDS).toBe('git docker');
    expect(() => render({ installPackages: false, extraPackages: ['jq'] })).toThrow(
      "RunnerCloudInit 'installPackages' is false, so 'extraPackages', 'upgradePackages' and 'dockerApt' would be ignored: remove them");
  });

  test('requires git, and docker when Docker is on, before registering', () => {
    expect(sourceEnvFile(writtenFile(render().config, RUNNER_SETTINGS_PATH)).RUNNER_REQUIRED_COMMANDS).toBe('git docker');
    expect(sourceEnvFile(writtenFile(render({ docker: false }).config, RUNNER_SETTINGS_PATH)).RUNNER_REQUIRED_COMMANDS).toBe('git');
  });

  test('without Docker: no repository, group or Docker packages', () => {
    const { config } = render({ docker: false });
    expect(config.apt).toBeUndefined();
    expect(config.groups).toBeUndefined();
    expect(config.users[0].groups).toBeUndefined();
    expect(config.packages).not.toContain('docker-ce');
    expect(config.write_files.map((f: any) => f.path)).not.toContain(DOCKER_APT_KEY_PATH);
    expect(config.runcmd).toEqual([['systemctl', 'enable', '--now', 'qemu-guest-agent'], ['systemctl', 'enable', '--now', 'register-actions-runner.service']]);
  });

  test('writes the registration script and its systemd unit from lib/guest unchanged, and starts the unit last', () => {
    const { config } = render();
    const guestFile = (name: string) => readFileSync(join(__dirname, '..', 'lib', 'guest', name), 'utf8');
    expect(writtenFile(config, REGISTER_SCRIPT_PATH)).toBe(guestFile('register-runner.sh'));
    expect(config.write_files.find((f: any) => f.path === REGISTER_SCRIPT_PATH).permissions).toBe('0755');
    const unit = writtenFile(config, REGISTER_UNIT_PATH);
    expect(unit).toBe(guestFile('register-actions-runner.service'));
    expect(unit).toContain(`ExecStart=${REGISTER_SCRIPT_PATH}\n`);
    expect(unit).toContain('Restart=on-failure\n');
    expect(unit).toContain('WantedBy=multi-user.target\n');
    expect(config.runcmd[config.runcmd.length - 1]).toEqual(['systemctl', 'enable', '--now', 'register-actions-runner.service']);
  });

  test('writes the runner\'s unit template, root\'s, where the registration script reads it', () => {
    const { config } = render();
    expect(writtenFile(config, RUNNER_UNIT_TEMPLATE_PATH)).toBe(readFileSync(join(__dirname, '..', 'lib', 'guest', 'actions.runner.service.template'), 'utf8'));
    expect(config.write_files.find((f: any) => f.path === RUNNER_UNIT_TEMPLATE_PATH)).toMatchObject({ owner: 'root:root', permissions: '0644' });
    expect(readFileSync(join(__dirname, '..', 'lib', 'guest', 'register-runner.sh'), 'utf8'))
      .toContain(`UNIT_TEMPLATE="\${RUNNER_UNIT_TEMPLATE:-${RUNNER_UNIT_TEMPLATE_PATH}}"`);
  });

  test('the settings file gives the script exactly the configured values', () => {
    const sha256 = 'c'.repeat(64);
    const { config } = render({
      url: 'https://github.example.com/enterprises/corp/',
      labels: ['gpu', 'ubuntu-24.04', 'größe'],
      runnerGroup: 'linux runners',
      noDefaultLabels: true,
      ephemeral: true,
      disableUpdate: true,
      workDir: 'jobs/work',
      tokenSecretKey: 'registration-token',
      release: RunnerRelease.of('2.330.0', { sha256, downloadBaseUrl: 'http://mirror.internal/runner' }),
    });
    const settings = sourceEnvFile(writtenFile(config, RUNNER_SETTINGS_PATH));
    expect(settings).toEqual({
      RUNNER_URL: 'https://github.example.com/enterprises/corp',
      RUNNER_LABELS: 'gpu,ubuntu-24.04,größe',
      RUNNER_GROUP: 'linux runners',
      RUNNER_NO_DEFAULT_LABELS: 'true',
      RUNNER_EPHEMERAL: 'true',
      RUNNER_DISABLE_UPDATE: 'true',
      RUNNER_USER: 'actions-runner',
      RUNNER_DIR: '/opt/actions-runner/runner',
      RUNNER_WORK_DIR: 'jobs/work',
      RUNNER_DOWNLOAD_URL: 'http://mirror.internal/runner/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz',
      RUNNER_SHA256: sha256,
      TOKEN_DISK_SERIAL: 'RUNNERTOKEN',
      TOKEN_FILE_NAME: 'registration-token',
      RUNNER_POWER_OFF_AFTER_JOB: 'false',
      RUNNER_REQUIRED_COMMANDS: 'git docker',
    });
    expect(config.write_files.find((f: any) => f.path === RUNNER_SETTINGS_PATH).permissions).toBe('0600');
  });

  test('defaults: no group, default labels kept, updates on, work dir _work, the pinned 2.334.0', () => {
    const settings = sourceEnvFile(writtenFile(render().config, RUNNER_SETTINGS_PATH));
    expect(settings.RUNNER_GROUP).toBe('');
    expect(settings.RUNNER_NO_DEFAULT_LABELS).toBe('false');
    expect(settings.RUNNER_EPHEMERAL).toBe('false');
    expect(settings.RUNNER_DISABLE_UPDATE).toBe('false');
    expect(settings.RUNNER_WORK_DIR).toBe('_work');
    expect(settings.RUNNER_SHA256).toBe('048024cd2c848eb6f14d5646d56c13a4def2ae7ee3ad12122bee960c56f3d271');
  });

  test('github.com refuses runners older than 2.329.0; GHES decides for itself', () => {
    const old = RunnerRelease.of('2.320.0', { sha256: 'd'.repeat(64) });
    expect(() => render({ release: old })).toThrow("RunnerCloudInit 'release' is runner 2.320.0, but github.com refuses to register runners older than 2.329.0");
    expect(() => render({ release: old, url: 'https://ghes.example.com/acme' })).not.toThrow();
  });

  test.each([
    [{ url: 'http://github.com/acme' }, "RunnerCloudInit 'url' must be a URL (https); the scheme \"http:\" is not accepted"],
    [{ labels: ['a b'] }, "RunnerCloudInit 'labels' label \"a b\" may only contain"],
    [{ labels: [] as string[], noDefaultLabels: true }, "RunnerCloudInit 'noDefaultLabels' needs at least one entry in 'labels'"],
    [{ runnerGroup: 'a;b' }, "RunnerCloudInit 'runnerGroup' must be"],
    [{ url: 'https://github.com/acme/app', runnerGroup: 'linux' }, "RunnerCloudInit 'runnerGroup' \"linux\" needs an organization or enterprise URL"],
    [{ user: 'root' }, "RunnerCloudInit 'user' must be a new Linux user name"],
    [{ user: 'nobody' }, "RunnerCloudInit 'user' must be a new Linux user name"],
    [{ user: 'docker' }, "RunnerCloudInit 'user' must be a new Linux user name"],
    [{ user: 'ubuntu' }, "RunnerCloudInit 'user' must be a new Linux user name"],
    [{ user: 'systemd-network' }, "RunnerCloudInit 'user' must be a new Linux user name"],
    [{ user: 'Actions Runner' }, "RunnerCloudInit 'user' must be a new Linux user name"],
    [{ extraPackages: ['jq; reboot'] }, "RunnerCloudInit 'extraPackages' entry must be a Debian package name (optionally =version), got \"jq; reboot\""],
    [{ sshAuthorizedKeys: ['not a key'] }, "RunnerCloudInit 'sshAuthorizedKeys' entry must be one OpenSSH public key line"],
    [{ sshAuthorizedKeys: ['ssh-ed25519 AAAA\nruncmd: [reboot]'] }, "'sshAuthorizedKeys' entry must be one OpenSSH public key line"],
    [{ workDir: '../etc' }, "RunnerCloudInit 'workDir' must be a relative path of [A-Za-z0-9._/-] inside the runner's folder"],
    [{ workDir: '$HOME/work' }, "RunnerCloudInit 'workDir' must be a relative path"],
    [{ workDir: '/' }, "RunnerCloudInit 'workDir' must be a relative path"],
    [{ workDir: '/var/work' }, "RunnerCloudInit 'workDir' must be a relative path"],
    [{ workDir: '.' }, "RunnerCloudInit 'workDir' must be a relative path"],
    [{ workDir: 'bin' }, "RunnerCloudInit 'workDir' must be a relative path"],
    [{ workDir: '_diag/x' }, "RunnerCloudInit 'workDir' must be a relative path"],
    [{ tokenSecretKey: 'a/b' }, "RunnerCloudInit 'tokenSecretKey' must be a Secret key"],
    [{ name: 'Cloud_Init' }, "RunnerCloudInit 'name' must be a DNS-1123 label"],
    [{ distribution: 'arch' as Distribution }, "RunnerCloudInit 'distribution' must be one of ubuntu, debian, got \"arch\""],
    [{ dockerApt: { repositoryBaseUrl: 'https://x/$(id)' } }, "RunnerCloudInit 'dockerApt.repositoryBaseUrl' must be a URL (https, http); it may only hold letters"],
    [{ release: '2.334.0' as unknown as RunnerRelease }, "RunnerCloudInit 'release' must be a RunnerRelease"],
  ])('rejects %j', (override, message) => {
    expect(() => render(override as Partial<RunnerCloudInitProps>)).toThrow(message);
  });
});

describe('cloud-init reads the cloud-config as the library meant it (YAML 1.1, PyYAML)', () => {
  // Plain scalars that YAML 1.1 and 1.2 read differently; all valid package names here.
  const AMBIGUOUS = ['on', 'no', 'yes', 'off', '2024-01-01', '0o17', '1e3', '12-30', 'null'];

  test('strings that one YAML version would misread are quoted', () => {
    const { secret } = render({ extraPackages: AMBIGUOUS });
    const text: string = secret.stringData.userdata;
    for (const value of ['on', 'no', 'yes', 'off', '2024-01-01', '0o17']) expect(text).toContain(`- "${value}"`);
    expect(parse(text, { version: '1.1' })).toEqual(parse(text));
    expect(parse(text).packages).toEqual(expect.arrayContaining(AMBIGUOUS));
  });

  testIf(hasPyYaml, 'python3-yaml (PyYAML)')('PyYAML reads exactly what the library wrote', () => {
    const { secret } = render({
      extraPackages: AMBIGUOUS, labels: ['größe', 'on', 'x.y_z'], runnerGroup: 'linux builders',
      sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ9 user@host: "quoted" #not-a-comment'],
    });
    expect(pyYamlLoad(secret.stringData.userdata)).toEqual(parse(secret.stringData.userdata));
  });

  test.each([
    ['a tab', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\tthere'],
    ['a line separator', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\u2028there'],
    ['a next-line character', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\u0085there'],
    ['a control character', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\u0007there'],
  ])('an SSH key comment with %s is refused (PyYAML would reject or split it)', (_, key) => {
    expect(() => render({ sshAuthorizedKeys: [key] })).toThrow("RunnerCloudInit 'sshAuthorizedKeys' entry must be one OpenSSH public key line");
  });
});
