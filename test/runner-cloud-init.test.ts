import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { openPgpFingerprints } from '../lib/private/openpgp';
import { parse } from 'yaml';
import { cloudConfigOf, hasPyYaml, pyYamlLoad, sourceEnvFile, synth, testIf, writtenFile } from './util';
import { DOCKER_APT_KEY_FINGERPRINT, Distribution, DockerSource, RunnerCloudInit, RunnerCloudInitProps, RunnerRelease } from '../lib';
import { DOCKER_APT_KEY_PATH, REGISTER_SCRIPT_PATH, REGISTER_UNIT_PATH, RUNNER_UNIT_TEMPLATE_PATH } from '../lib/render/cloud-config';
import { RUNNER_SETTINGS_PATH } from '../lib/render/guest-settings';
import { CloudConfigSchema, cloudInitCliProblem, hasCloudInitCli } from '../lib/validate';
import { PRIVATE_KEY_WORDS, TEST_APT_KEY, TEST_APT_KEY_FINGERPRINT, TEST_CA_PEM, unreadableCertificate } from './network-fixtures';

const BASE: RunnerCloudInitProps = { url: 'https://github.com/acme', runnerLabels: ['kubevirt', 'docker'] };

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

  test('creates the runner user with bash, a home, the docker and kvm groups and passwordless sudo', () => {
    const { config } = render();
    expect(config.groups).toEqual(['docker', 'kvm']);
    expect(config.users).toEqual([{
      name: 'actions-runner', gecos: 'GitHub Actions runner', shell: '/bin/bash', lock_passwd: true,
      groups: ['docker', 'kvm'], sudo: 'ALL=(ALL) NOPASSWD:ALL',
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
      'ca-certificates', 'curl', 'git', 'qemu-guest-agent', 'unattended-upgrades',
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
    expect(config.groups).toEqual(['docker', 'kvm']);
    expect(config.runcmd).toContainEqual(['systemctl', 'enable', '--now', 'docker']);
    expect(sourceEnvFile(writtenFile(config, RUNNER_SETTINGS_PATH)).RUNNER_REQUIRED_COMMANDS).toBe('git docker');
    expect(() => render({ installPackages: false, extraPackages: ['jq'] })).toThrow(
      "RunnerCloudInit 'installPackages' is false, so 'extraPackages' would be ignored: remove them");
    expect(() => render({ installPackages: false, aptMirror: { url: 'http://mirror.corp/ubuntu' }, dockerSource: DockerSource.DISTRIBUTION })).toThrow(
      "RunnerCloudInit 'installPackages' is false, so 'aptMirror', 'dockerSource' would be ignored: remove them");
  });

  test('requires git, and docker when Docker is on, before registering', () => {
    expect(sourceEnvFile(writtenFile(render().config, RUNNER_SETTINGS_PATH)).RUNNER_REQUIRED_COMMANDS).toBe('git docker');
    expect(sourceEnvFile(writtenFile(render({ docker: false }).config, RUNNER_SETTINGS_PATH)).RUNNER_REQUIRED_COMMANDS).toBe('git');
  });

  test('without Docker: no repository, group or Docker packages; still /dev/kvm', () => {
    const { config } = render({ docker: false });
    expect(config.apt).toBeUndefined();
    expect(config.groups).toEqual(['kvm']);
    expect(config.users[0].groups).toEqual(['kvm']);
    expect(config.packages).not.toContain('docker-ce');
    expect(config.write_files.map((f: any) => f.path)).not.toContain(DOCKER_APT_KEY_PATH);
    expect(config.runcmd).toEqual([
      ['systemctl', 'enable', '--now', 'qemu-guest-agent'], ['systemctl', 'enable', '--now', 'reboot-when-idle.timer'],
      ['systemctl', 'enable', '--now', 'register-actions-runner.service'],
    ]);
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
      runnerLabels: ['gpu', 'ubuntu-24.04', 'größe'],
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
      RUNNER_HTTP_PROXY: '',
      RUNNER_HTTPS_PROXY: '',
      RUNNER_NO_PROXY: '',
      RUNNER_NODE_EXTRA_CA_CERTS: '',
    });
    expect(config.write_files.find((f: any) => f.path === RUNNER_SETTINGS_PATH).permissions).toBe('0600');
  });

  test('defaults: no group, default labels kept, updates on, work dir _work, the pinned 2.338.0', () => {
    const settings = sourceEnvFile(writtenFile(render().config, RUNNER_SETTINGS_PATH));
    expect(settings.RUNNER_GROUP).toBe('');
    expect(settings.RUNNER_NO_DEFAULT_LABELS).toBe('false');
    expect(settings.RUNNER_EPHEMERAL).toBe('false');
    expect(settings.RUNNER_DISABLE_UPDATE).toBe('false');
    expect(settings.RUNNER_WORK_DIR).toBe('_work');
    expect(settings.RUNNER_SHA256).toBe('af4b794c1bc41d73d40535e3fe092a39f9679cd8d965954c2aca25a05ca41d32');
  });

  test('github.com refuses runners older than 2.329.0; GHES decides for itself', () => {
    const old = RunnerRelease.of('2.320.0', { sha256: 'd'.repeat(64) });
    expect(() => render({ release: old })).toThrow("RunnerCloudInit 'release' is runner 2.320.0, but github.com refuses to register runners older than 2.329.0");
    expect(() => render({ release: old, url: 'https://ghes.example.com/acme' })).not.toThrow();
  });

  test.each([
    [{ url: 'http://github.com/acme' }, "RunnerCloudInit 'url' must be a URL (https); the scheme \"http:\" is not accepted"],
    [{ runnerLabels: ['a b'] }, "RunnerCloudInit 'runnerLabels' label \"a b\" may only contain"],
    [{ runnerLabels: [] as string[], noDefaultLabels: true }, "RunnerCloudInit 'noDefaultLabels' needs at least one entry in 'runnerLabels'"],
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
      extraPackages: AMBIGUOUS, runnerLabels: ['größe', 'on', 'x.y_z'], runnerGroup: 'linux builders',
      sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ9 user@host: "quoted" #not-a-comment'],
    });
    expect(pyYamlLoad(secret.stringData.userdata)).toEqual(parse(secret.stringData.userdata));
  });

  const NOT_ONE_LINE = "RunnerCloudInit 'sshAuthorizedKeys' entry must be one OpenSSH public key line";
  test.each([
    ['a tab', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\tthere', NOT_ONE_LINE],
    ['a line separator', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\u2028there', NOT_ONE_LINE],
    ['a next-line character', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\u0085there', NOT_ONE_LINE],
    ['a control character', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me\u0007there', "RunnerCloudInit 'sshAuthorizedKeys[0]' holds the character U+0007 at index 35"],
  ])('an SSH key comment with %s is refused (PyYAML would reject or split it)', (_, key, message) => {
    expect(() => render({ sshAuthorizedKeys: [key] })).toThrow(message);
  });
});

describe('corporate networks: proxy, CAs, mirrors', () => {
  const PROXY = { http: 'http://proxy.corp.example:3128', https: 'http://proxy.corp.example:3128', noProxy: ['.corp.example', 'mirror.corp.example', '10.0.0.0/8', 'fd00::/8'] };
  const MIRROR_KEY = { armored: TEST_APT_KEY, fingerprint: TEST_APT_KEY_FINGERPRINT };
  const FULL: Partial<RunnerCloudInitProps> = {
    proxy: PROXY,
    caCertificates: [TEST_CA_PEM],
    aptMirror: { url: 'https://mirror.corp.example/debian', signingKey: MIRROR_KEY, securityUrl: 'https://mirror.corp.example/debian-security' },
    distribution: Distribution.DEBIAN,
    dockerApt: { repositoryBaseUrl: 'https://mirror.corp.example/docker', signingKey: MIRROR_KEY },
  };

  test('an apt mirror replaces the image\'s sources: its own list, signed by its key, and the defaults removed before apt runs', () => {
    const { config } = render(FULL);
    expect(config.apt.preserve_sources_list).toBe(true);
    expect(config.apt.sources['runner-mirror.list']).toEqual({
      source: 'deb [signed-by=/etc/apt/keyrings/runner-mirror.asc] https://mirror.corp.example/debian $RELEASE main\n'
        + 'deb [signed-by=/etc/apt/keyrings/runner-mirror.asc] https://mirror.corp.example/debian $RELEASE-updates main\n'
        + 'deb [signed-by=/etc/apt/keyrings/runner-mirror.asc] https://mirror.corp.example/debian-security $RELEASE-security main\n',
    });
    expect(writtenFile(config, '/etc/apt/keyrings/runner-mirror.asc')).toBe(TEST_APT_KEY);
    // bootcmd runs first, in cloud-init's init stage; apt-configure in the config stage.
    expect(config.bootcmd).toEqual([['sh', '-c', "rm -f /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/ubuntu.sources && echo '# Replaced by the apt mirror in sources.list.d/runner-mirror.list (aptMirror)' > /etc/apt/sources.list"]]);
    // Docker's repository from the same mirror, with the mirror's key instead of Docker's.
    expect(config.apt.sources['docker.list'].source).toBe('deb [signed-by=/etc/apt/keyrings/docker.asc] https://mirror.corp.example/docker/debian $RELEASE stable');
    expect(writtenFile(config, DOCKER_APT_KEY_PATH)).toBe(TEST_APT_KEY);
  });

  test('a plain mirror keeps the distribution\'s signatures; Ubuntu gets its components and security pocket', () => {
    const { config } = render({ aptMirror: { url: 'http://mirror.corp.example/ubuntu/' } });
    expect(config.apt.sources['runner-mirror.list'].source.split('\n')).toEqual([
      'deb [signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg] http://mirror.corp.example/ubuntu $RELEASE main restricted universe multiverse',
      'deb [signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg] http://mirror.corp.example/ubuntu $RELEASE-updates main restricted universe multiverse',
      'deb [signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg] http://mirror.corp.example/ubuntu $RELEASE-security main restricted universe multiverse',
      '',
    ]);
    const { config: local } = render({ distribution: Distribution.DEBIAN, aptMirror: { url: 'http://10.0.2.2:8080/debian', suites: ['$RELEASE'], components: ['main'] } });
    expect(local.apt.sources['runner-mirror.list'].source).toBe('deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://10.0.2.2:8080/debian $RELEASE main\n');
  });

  test('Docker from the distribution: docker.io (and on Ubuntu buildx and Compose v2), no Docker repository or key', () => {
    const ubuntu = render({ dockerSource: DockerSource.DISTRIBUTION }).config;
    expect(ubuntu.packages).toEqual(['ca-certificates', 'curl', 'git', 'qemu-guest-agent', 'unattended-upgrades', 'docker.io', 'docker-buildx', 'docker-compose-v2']);
    expect(ubuntu.apt).toBeUndefined();
    expect(ubuntu.write_files.map((f: any) => f.path)).not.toContain(DOCKER_APT_KEY_PATH);
    expect(ubuntu.users[0].groups).toEqual(['docker', 'kvm']);
    expect(ubuntu.runcmd).toContainEqual(['systemctl', 'enable', '--now', 'docker']);
    const debian = render({ dockerSource: DockerSource.DISTRIBUTION, distribution: Distribution.DEBIAN }).config;
    expect(debian.packages).toEqual(['ca-certificates', 'curl', 'git', 'qemu-guest-agent', 'unattended-upgrades', 'docker.io']);
  });

  test('the proxy reaches apt (with the exact hosts of noProxy DIRECT), the Docker daemon and login shells', () => {
    const { config } = render({ proxy: PROXY });
    expect(config.apt.http_proxy).toBe('http://proxy.corp.example:3128');
    expect(config.apt.https_proxy).toBe('http://proxy.corp.example:3128');
    expect(config.apt.conf.split('\n')).toEqual(expect.arrayContaining([
      'Acquire::http::Proxy::mirror.corp.example "DIRECT";', 'Acquire::https::Proxy::mirror.corp.example "DIRECT";',
      'Acquire::http::Proxy::localhost "DIRECT";',
    ]));
    expect(config.apt.conf).not.toMatch(/Proxy::(10\.|\.corp|fd00|::1)/);
    const noProxy = 'localhost,127.0.0.1,::1,.corp.example,mirror.corp.example,10.0.0.0/8,fd00::/8';
    expect(writtenFile(config, '/etc/systemd/system/docker.service.d/http-proxy.conf')).toBe(
      '# The proxy for the Docker daemon\'s pulls and pushes (RunnerSetupOptions.proxy).\n[Service]\n'
      + 'Environment="http_proxy=http://proxy.corp.example:3128" "HTTP_PROXY=http://proxy.corp.example:3128" '
      + '"https_proxy=http://proxy.corp.example:3128" "HTTPS_PROXY=http://proxy.corp.example:3128" '
      + `"no_proxy=${noProxy}" "NO_PROXY=${noProxy}"\n`);
    const environment = config.write_files.find((f: any) => f.path === '/etc/environment');
    expect(environment.append).toBe(true);
    expect(environment.content).toContain(`no_proxy="${noProxy}"\nNO_PROXY="${noProxy}"\n`);
    const profile = writtenFile(config, '/etc/profile.d/runner-proxy.sh');
    expect(execFileSync('sh', ['-c', `${profile}\nprintf '%s|%s|%s' "$https_proxy" "$HTTPS_PROXY" "$no_proxy"`]).toString())
      .toBe(`http://proxy.corp.example:3128|http://proxy.corp.example:3128|${noProxy}`);
    // The runner's .env is written by the registration script from the settings.
    expect(sourceEnvFile(writtenFile(config, RUNNER_SETTINGS_PATH))).toMatchObject({
      RUNNER_HTTP_PROXY: 'http://proxy.corp.example:3128', RUNNER_HTTPS_PROXY: 'http://proxy.corp.example:3128', RUNNER_NO_PROXY: noProxy,
    });
  });

  test('without Docker, no Docker drop-in; a proxy needs no package installation', () => {
    const { config } = render({ proxy: { https: 'http://proxy:8080' }, docker: false, installPackages: false });
    expect(config.write_files.map((f: any) => f.path)).not.toContain('/etc/systemd/system/docker.service.d/http-proxy.conf');
    expect(config.apt).toEqual({ https_proxy: 'http://proxy:8080', conf: 'Acquire::https::Proxy::localhost "DIRECT";\nAcquire::https::Proxy::127.0.0.1 "DIRECT";\n' });
  });

  test('CA certificates go into the trust store in the init stage, and to the runner\'s node', () => {
    const { config } = render({ caCertificates: [TEST_CA_PEM.replace(/\n/g, '\r\n').trim()] });
    expect(config.ca_certs).toEqual({ trusted: [TEST_CA_PEM] });
    expect(sourceEnvFile(writtenFile(config, RUNNER_SETTINGS_PATH)).RUNNER_NODE_EXTRA_CA_CERTS).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(sourceEnvFile(writtenFile(render().config, RUNNER_SETTINGS_PATH)).RUNNER_NODE_EXTRA_CA_CERTS).toBe('');
  });

  test('everything at once is a valid cloud-config for cloud-init\'s schema, and reads the same in YAML 1.1', () => {
    const { secret } = render(FULL);
    expect(new CloudConfigSchema().validate(secret.stringData.userdata)).toEqual([]);
  });

  testIf(hasCloudInitCli(), 'the cloud-init command (apt-get install cloud-init)')('cloud-init schema accepts everything at once', () => {
    expect(cloudInitCliProblem(render(FULL).secret.stringData.userdata)).toBeUndefined();
  });

  const key = (change: Partial<typeof MIRROR_KEY>) => ({ ...MIRROR_KEY, ...change });
  test.each([
    [{ proxy: { http: 'http://user:pass@proxy:3128' } }, "RunnerCloudInit 'proxy.http' must not contain credentials: a proxy user and password would be written in clear text into the synthesized YAML"],
    [{ proxy: { http: 'http://user:pass@proxy:3128' } }, '//***@proxy'],
    [{ proxy: { https: 'socks5://proxy:1080' } }, "RunnerCloudInit 'proxy.https' must be a URL (http, https); the scheme \"socks5:\" is not accepted"],
    [{ proxy: { https: 'http://proxy:3128/path' } }, "RunnerCloudInit 'proxy.https' must be a proxy URL without a path"],
    [{ proxy: {} }, "RunnerCloudInit 'proxy' needs 'http' or 'https'"],
    [{ proxy: { http: 'http://proxy:3128', noProxy: ['*.corp'] } }, "RunnerCloudInit 'proxy.noProxy' entry must be a host name, a .domain suffix, an IP address or a CIDR"],
    [{ proxy: { http: 'http://proxy:3128', noProxy: ['a,b'] } }, "RunnerCloudInit 'proxy.noProxy' entry must be"],
    [{ proxy: { http: 'http://proxy:3128', noProxy: ['10.0.0.0/33'] } }, "RunnerCloudInit 'proxy.noProxy' entry must be"],
    [{ proxy: { http: 'http://proxy:3128', noProxy: ['host:8080'] } }, "RunnerCloudInit 'proxy.noProxy' entry must be"],
    [{ caCertificates: ['not a certificate'] }, "RunnerCloudInit 'caCertificates' entry 0 must be one PEM certificate"],
    [{ caCertificates: [TEST_CA_PEM + TEST_CA_PEM] }, "RunnerCloudInit 'caCertificates' entry 0 must be one PEM certificate"],
    [{ caCertificates: [unreadableCertificate(TEST_CA_PEM)] }, "RunnerCloudInit 'caCertificates' entry 0 is not a readable X.509 certificate"],
    [{ caCertificates: '-----BEGIN CERTIFICATE-----' as unknown as string[] }, "RunnerCloudInit 'caCertificates' must be an array of PEM certificates"],
    [{ aptMirror: { url: 'http://mirror/$(id)' } }, "RunnerCloudInit 'aptMirror.url' must be a URL (https, http)"],
    [{ aptMirror: { url: 'http://mirror', suites: ['bookworm main'] } }, "RunnerCloudInit 'aptMirror.suites' entry must be a suite name"],
    [{ aptMirror: { url: 'http://mirror', suites: [] } }, "RunnerCloudInit 'aptMirror.suites' must not be empty"],
    [{ aptMirror: { url: 'http://mirror', components: ['main;x'] } }, "RunnerCloudInit 'aptMirror.components' entry must be a component name"],
    [{ aptMirror: { url: 'http://mirror', securityUrl: 'file:///srv' } }, "RunnerCloudInit 'aptMirror.securityUrl' must be a URL"],
    [{ aptMirror: { url: 'http://mirror', signingKey: key({ fingerprint: 'A'.repeat(40) }) } }, `RunnerCloudInit 'aptMirror.signingKey.armored' is the key ${TEST_APT_KEY_FINGERPRINT}, not the fingerprint ${'A'.repeat(40)}`],
    [{ aptMirror: { url: 'http://mirror', signingKey: key({ fingerprint: 'xyz' }) } }, "RunnerCloudInit 'aptMirror.signingKey.fingerprint' must be 40 hexadecimal digits"],
    [{ aptMirror: { url: 'http://mirror', signingKey: key({ armored: 'hello' }) } }, "RunnerCloudInit 'aptMirror.signingKey.armored' must be one ASCII-armored public key block"],
    [{ aptMirror: { url: 'http://mirror', signingKey: key({ armored: TEST_APT_KEY.replace('PUBLIC KEY', PRIVATE_KEY_WORDS) }) } }, "RunnerCloudInit 'aptMirror.signingKey.armored' is a private key"],
    [{ dockerApt: { signingKey: key({ fingerprint: 'B'.repeat(40) }) } }, "RunnerCloudInit 'dockerApt.signingKey.armored' is the key"],
    [{ dockerSource: 'snap' as DockerSource }, "RunnerCloudInit 'dockerSource' must be one of docker-repository, distribution, got \"snap\""],
    [{ dockerSource: DockerSource.DISTRIBUTION, dockerApt: { repositoryBaseUrl: 'https://m' } }, "RunnerCloudInit 'dockerApt' configures Docker's repository, but 'dockerSource' is distribution"],
    [{ docker: false, dockerSource: DockerSource.DISTRIBUTION }, "RunnerCloudInit 'docker' is false, so 'dockerSource' would be ignored"],
  ])('rejects %j', (override, message) => {
    expect(() => render(override as Partial<RunnerCloudInitProps>)).toThrow(message);
  });

  test('a damaged key is caught by its armor checksum, before the fingerprint', () => {
    const damaged = TEST_APT_KEY.replace(/\n([A-Za-z0-9+/]{10})/, (_, s: string) => `\n${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`);
    expect(damaged).not.toBe(TEST_APT_KEY);
    expect(() => render({ aptMirror: { url: 'http://mirror', signingKey: key({ armored: damaged }) } })).toThrow(/'aptMirror\.signingKey\.armored' cannot be read: OpenPGP armor checksum mismatch/);
  });
});

describe('the Docker daemon', () => {
  test('registry mirrors and insecure registries go into daemon.json, written before Docker is installed', () => {
    const { config } = render({ dockerDaemon: { registryMirrors: ['https://mirror.gcr.io/', 'http://registry-cache.corp:5000'], insecureRegistries: ['registry.corp:5000', '10.0.0.0/8', '192.168.1.10'] } });
    const entry = config.write_files.find((f: any) => f.path === '/etc/docker/daemon.json');
    expect(entry.permissions).toBe('0644');
    expect(JSON.parse(entry.content)).toEqual({
      'registry-mirrors': ['https://mirror.gcr.io', 'http://registry-cache.corp:5000'],
      'insecure-registries': ['registry.corp:5000', '10.0.0.0/8', '192.168.1.10'],
    });
    expect(render({ dockerDaemon: { registryMirrors: ['https://mirror.gcr.io'] } }).config.write_files.find((f: any) => f.path === '/etc/docker/daemon.json').content)
      .toBe('{\n  "registry-mirrors": [\n    "https://mirror.gcr.io"\n  ]\n}\n');
  });

  test('no settings, no daemon.json', () => {
    expect(render({ dockerDaemon: {} }).config.write_files.map((f: any) => f.path)).not.toContain('/etc/docker/daemon.json');
  });

  test.each([
    [{ dockerDaemon: { registryMirrors: ['mirror.gcr.io'] } }, "RunnerCloudInit 'dockerDaemon.registryMirrors' must be a URL (https, http)"],
    [{ dockerDaemon: { registryMirrors: ['https://user:pw@mirror.corp'] } }, "RunnerCloudInit 'dockerDaemon.registryMirrors' must be a URL (https, http); it must not contain credentials"],
    [{ dockerDaemon: { registryMirrors: 'https://mirror.gcr.io' as unknown as string[] } }, "RunnerCloudInit 'dockerDaemon.registryMirrors' must be an array"],
    [{ dockerDaemon: { insecureRegistries: ['http://registry.corp'] } }, "RunnerCloudInit 'dockerDaemon.insecureRegistries' entry must be a registry as host[:port]"],
    [{ dockerDaemon: { insecureRegistries: ['registry.corp:99999'] } }, "RunnerCloudInit 'dockerDaemon.insecureRegistries' entry must be"],
    [{ dockerDaemon: { insecureRegistries: ['10.0.0.0/40'] } }, "RunnerCloudInit 'dockerDaemon.insecureRegistries' entry must be"],
    [{ docker: false, dockerDaemon: { registryMirrors: ['https://mirror.gcr.io'] } }, "RunnerCloudInit 'docker' is false, so 'dockerDaemon' would be ignored"],
  ])('rejects %j', (override, message) => {
    expect(() => render(override as Partial<RunnerCloudInitProps>)).toThrow(message);
  });
});

describe('the Docker data disk', () => {
  test('with Docker, every cloud-config writes the mount script, its unit and the drop-ins that make containerd and Docker require it', () => {
    const { config } = render();
    expect(writtenFile(config, '/usr/local/sbin/mount-docker-data')).toBe(readFileSync(join(__dirname, '..', 'lib', 'guest', 'mount-docker-data.sh'), 'utf8'));
    expect(config.write_files.find((f: any) => f.path === '/usr/local/sbin/mount-docker-data').permissions).toBe('0755');
    expect(writtenFile(config, '/etc/systemd/system/runner-docker-data.service')).toContain('Before=containerd.service docker.service');
    for (const unit of ['docker', 'containerd']) {
      expect(writtenFile(config, `/etc/systemd/system/${unit}.service.d/runner-docker-data.conf`)).toMatch(/\[Unit\]\nRequires=runner-docker-data\.service\nAfter=runner-docker-data\.service\n$/);
    }
    // write_files runs in cloud-init's init stage, the packages (and Docker's first start) in the final stage.
    expect(config.packages).toContain('docker-ce');
  });

  test('without Docker, none of it', () => {
    expect(render({ docker: false }).config.write_files.map((f: any) => f.path)).not.toContain('/usr/local/sbin/mount-docker-data');
  });
});
