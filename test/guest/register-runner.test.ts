import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testIf } from '../util';
import { FakeGuest } from './harness';
import { RunnerRelease } from '../../lib';
import { TEST_CA_PEM } from '../network-fixtures';

// The registration script that cloud-init runs in every runner VM, run for real under bash with
// stub commands (see harness.ts) and the settings the library renders.
describe('register-runner.sh', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.dispose());

  test('registers with exactly the configured URL, name, labels, group, work dir and flags', () => {
    guest.install({
      url: 'https://github.com/acme',
      runnerLabels: ['gpu', 'ubuntu-24.04', 'x64_large', 'größe'],
      runnerGroup: 'linux runners',
      noDefaultLabels: true,
      ephemeral: true,
      disableUpdate: true,
      workDir: 'jobs/work',
    });
    const run = guest.run();
    expect(run.stderr).toContain('runner registered and started');
    expect(run.status).toBe(0);
    expect(guest.configArgs()).toEqual([
      '--unattended', '--url', 'https://github.com/acme', '--name', 'runners-0', '--work', 'jobs/work', '--replace',
      '--labels', 'gpu,ubuntu-24.04,x64_large,größe', '--runnergroup', 'linux runners',
      '--no-default-labels', '--ephemeral', '--disableupdate',
    ]);
  });

  test('by default: no group, no optional flags, runs as actions-runner, installs and starts the service', () => {
    guest.install({ runnerLabels: ['kubevirt'] });
    expect(guest.run().status).toBe(0);
    expect(guest.configArgs()).toEqual([
      '--unattended', '--url', 'https://github.com/acme', '--name', 'runners-0', '--work', '_work', '--replace', '--labels', 'kubevirt',
    ]);
    expect(guest.logLines('runuser.log')).toEqual(['actions-runner', 'actions-runner', 'actions-runner', 'actions-runner']);
    expect(guest.logLines('config.runs')).toEqual(['actions-runner']);
    expect(guest.state()).toEqual({
      localConfig: ['.credentials', '.credentials_rsaparams', '.runner'], githubRunners: ['runners-0'], keyMatches: true,
      unitFiles: ['actions.runner.acme.runners-0.service'], enabled: ['actions.runner.acme.runners-0.service'],
      lastStarted: 'actions.runner.acme.runners-0.service',
    });
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
    expect(guest.logLines('curl.log')).toEqual([
      'https://github.com/actions/runner/releases/download/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz']);
    expect(guest.logLines('mount.log')).toEqual([expect.stringMatching(new RegExp(`^-o ro ${guest.tokenDisk} ${guest.root}/tmp/[^ ]+/token$`))]);
    expect(guest.logLines('umount.log')).toEqual([expect.stringMatching(/\/token$/)]);
    // Extracted and set up in a folder only root can reach, then given to the runner user.
    expect(guest.logLines('chown.log')).toEqual([`-R actions-runner: ${join(guest.runnerDir, '..', '.installing', 'runner')}`]);
  });

  test('hands the token to config.sh in its environment only, and never prints or leaves it', () => {
    guest.install();
    const run = guest.run();
    expect(run.status).toBe(0);
    // The fake GitHub registers a runner only with the right token, which config.sh found in its environment.
    expect(guest.githubRunner('runners-0')).toBeDefined();
    expect(guest.configArgs()!.join(' ')).not.toContain(guest.token);
    expect(run.stdout + run.stderr).not.toContain(guest.token);
    expect(guest.filesContaining(guest.token, [join(guest.tokenDisk, 'token')])).toEqual([]);
    expect(readdirSync(join(guest.root, 'tmp'))).toEqual([]);
  });

  test('a second run (after a reboot) does not register again, it only rewrites and starts the runner unit', () => {
    guest.install();
    expect(guest.run().status).toBe(0);
    const second = guest.run();
    expect(second.status).toBe(0);
    expect(second.stderr).toContain('runner already configured');
    expect(second.stderr).toContain('runner started');
    expect(guest.logLines('config.runs')).toEqual(['actions-runner']);
    expect(guest.logLines('curl.log')).toHaveLength(1);
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
    const unit = 'actions.runner.acme.runners-0.service';
    // The first run wrote a unit systemd never loaded: no reload; the second replaces a loaded one.
    expect(guest.logLines('systemctl.log')).toEqual([`enable --no-reload ${unit}`, `start ${unit}`, 'daemon-reload', `enable --no-reload ${unit}`, `start ${unit}`]);
    // The token disk is not even read.
    expect(guest.logLines('mount.log')).toHaveLength(1);
  });

  test('a tampered .service changes nothing: the script starts the unit it names itself, and rewrites .service', () => {
    guest.install();
    expect(guest.run().status).toBe(0);
    writeFileSync(join(guest.runnerDir, '.service'), 'reboot.target\n');
    const run = guest.run();
    expect(run.status).toBe(0);
    expect(guest.logLines('systemctl.log')).not.toContain('start reboot.target');
    expect(guest.state().lastStarted).toBe('actions.runner.acme.runners-0.service');
    expect(readFileSync(join(guest.runnerDir, '.service'), 'utf8')).toBe('actions.runner.acme.runners-0.service\n');
  });

  test.each([['docker', {}], ['git', { docker: false }]])('without %s installed it does not register', (command, props) => {
    guest.install(props);
    guest.uninstall(command);
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${command} is not installed (did the package installation fail?`);
    expect(guest.log('curl.log')).toBeUndefined();
    expect(guest.configArgs()).toBeUndefined();
  });

  test('without Docker configured, docker is not required', () => {
    guest.install({ docker: false });
    guest.uninstall('docker');
    expect(guest.run().status).toBe(0);
  });

  test('a checksum mismatch stops before anything is extracted or configured', () => {
    guest.install({ release: RunnerRelease.of('2.334.0', { sha256: '0'.repeat(64) }) });
    const run = guest.run();
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`checksum mismatch for https://github.com/actions/runner/releases/download/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz: expected sha256 ${'0'.repeat(64)}, got ${guest.tarballSha256}; not installing it`);
    expect(existsSync(join(guest.runnerDir, 'config.sh'))).toBe(false);
    expect(guest.configArgs()).toBeUndefined();
    expect(guest.log('installdependencies.log')).toBeUndefined();
    expect(guest.log('svc.log')).toBeUndefined();
  });

  test('a failing download is retried with backoff', () => {
    guest.install();
    writeFileSync(join(guest.logDir, 'curl-failures'), '2');
    const run = guest.run();
    expect(run.status).toBe(0);
    expect(guest.logLines('curl.log')).toHaveLength(3);
    expect(guest.logLines('sleep.log')).toEqual(['5', '10']);
    expect(run.stderr).toContain('download failed (attempt 1 of 5), retrying in 5s');
  });

  test('a download that keeps failing ends with a clear error, nothing configured', () => {
    guest.install();
    writeFileSync(join(guest.logDir, 'curl-failures'), '99');
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(guest.logLines('curl.log')).toHaveLength(5);
    expect(guest.logLines('sleep.log')).toEqual(['5', '10', '20', '40']);
    expect(run.stderr).toContain('error: download of https://github.com/actions/runner/releases/download/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz failed 5 times');
    expect(guest.configArgs()).toBeUndefined();
  });

  test('a missing token disk is a clear error after waiting for it', () => {
    guest.install();
    rmSync(guest.tokenDisk, { recursive: true });
    const run = guest.run({ TOKEN_DISK_TIMEOUT: '3' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`token disk ${guest.tokenDisk} not found after 3s: is the token Secret attached with serial RUNNERTOKEN?`);
    expect(guest.logLines('sleep.log')).toEqual(['1', '1', '1']);
    expect(guest.configArgs()).toBeUndefined();
    // Nothing is downloaded without a token to register with.
    expect(guest.log('curl.log')).toBeUndefined();
  });

  test('a token disk without the token key is a clear error', () => {
    guest.install({ tokenSecretKey: 'registration-token' });
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("the token disk has no non-empty key 'registration-token'");
    expect(guest.configArgs()).toBeUndefined();
  });

  test('a missing settings file is a clear error', () => {
    guest.install();
    const run = guest.run({ RUNNER_SETTINGS_FILE: join(guest.root, 'nope.env') });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`settings file ${join(guest.root, 'nope.env')} is missing`);
  });
});

// config.sh, like the runner's own parser, reads a word that starts with '--' as an option even
// where a value is expected: `--labels --ephemeral` registers an ephemeral runner without labels.
// The library refuses such values at synth time; the script refuses them on its own too.
describe('a value that starts with \'-\' never reaches config.sh', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.dispose());

  test.each([
    ['label', '--ephemeral', { RUNNER_LABELS: '--ephemeral' }, {}],
    ['label', '-gpu', { RUNNER_LABELS: 'x64,-gpu' }, {}],
    ['runner group', '--disableupdate', { RUNNER_GROUP: '--disableupdate' }, {}],
    ['work folder', '--ephemeral', { RUNNER_WORK_DIR: '--ephemeral' }, {}],
    ['runner name (the hostname)', '--replace', {}, { STUB_HOSTNAME: '--replace' }],
    ['runner user', '-x', { RUNNER_USER: '-x' }, {}],
  ])('a %s %j is refused before anything runs', (what, value, settings, env) => {
    guest.install({ runnerLabels: ['x64'] }, settings);
    const run = guest.run(env);
    expect(run.stderr).toContain(`error: the ${what} '${value}' starts with '-', which config.sh would read as an option; not registering`);
    expect(run.status).toBe(1);
    expect(guest.configArgs()).toBeUndefined();
    expect(guest.log('curl.log')).toBeUndefined();
    expect(guest.log('mount.log')).toBeUndefined();
    expect(guest.state().githubRunners).toEqual([]);
  });

  test('a \'-\' inside a value is fine', () => {
    guest.install({ runnerLabels: ['x64', 'ubuntu-24.04'], runnerGroup: 'linux-runners', workDir: 'jobs/-work' });
    expect(guest.run({ STUB_HOSTNAME: 'runners-0' }).status).toBe(0);
    expect(guest.githubRunner('runners-0')).toMatchObject({ labels: 'x64,ubuntu-24.04', group: 'linux-runners', ephemeral: 'false' });
  });
});

// A VM can be restarted, or lose power, at any moment of its first boot; systemd also retries the
// script after any failure. Each point below kills the whole boot there (no trap runs), like a
// reboot; the next boot must end with a registered, started runner, whatever was left on disk.
const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
describe('guest scripts are shellcheck-clean', () => {
  testIf(shellcheck, 'shellcheck (apt-get install shellcheck)')('lib/guest/register-runner.sh', () => {
    const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', join(__dirname, '..', '..', 'lib', 'guest', 'register-runner.sh')], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('register-runner.sh behind a proxy, with extra CAs', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.dispose());

  const PROXY = 'http://proxy.corp.example:3128';
  const NO_PROXY = 'localhost,127.0.0.1,::1,.corp.example';
  const ENV_LINES = [`http_proxy=${PROXY}`, `HTTP_PROXY=${PROXY}`, `https_proxy=${PROXY}`, `HTTPS_PROXY=${PROXY}`,
    `no_proxy=${NO_PROXY}`, `NO_PROXY=${NO_PROXY}`, 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'];
  const dotEnv = () => readFileSync(join(guest.runnerDir, '.env'), 'utf8');

  test('the download uses the proxy, and the runner gets it and NODE_EXTRA_CA_CERTS in its .env before config.sh runs', () => {
    guest.install({ proxy: { http: PROXY, https: PROXY, noProxy: ['.corp.example'] }, caCertificates: [TEST_CA_PEM] });
    expect(guest.run().status).toBe(0);
    expect(guest.logLines('curl-proxy.log')).toEqual([`${PROXY} ${PROXY} ${NO_PROXY}`]);
    expect(dotEnv()).toBe(`${ENV_LINES.join('\n')}\n`);
    // Written by the runner user: root writes nothing in the runner's folder.
    const args = guest.log('runuser.args')!.split('\0').slice(0, -1).join(' ');
    expect(args).toContain(`-u actions-runner -- tee -- ${guest.runnerDir}/.env`);
    expect(args.indexOf(`tee -- ${guest.runnerDir}/.env`)).toBeLessThan(args.indexOf('./config.sh'));
  });

  test('a later boot keeps what others put in .env, replaces the settings\' variables, and rewrites nothing unchanged', () => {
    guest.install({ proxy: { https: PROXY }, caCertificates: [TEST_CA_PEM] });
    expect(guest.run().status).toBe(0);
    appendFileSync(join(guest.runnerDir, '.env'), 'LANG=C.UTF-8\nhttps_proxy=http://job.example:1\n');
    expect(guest.run().status).toBe(0);
    expect(dotEnv()).toBe(`LANG=C.UTF-8\nhttps_proxy=${PROXY}\nHTTPS_PROXY=${PROXY}\nno_proxy=localhost,127.0.0.1,::1\nNO_PROXY=localhost,127.0.0.1,::1\n`
      + 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\n');
    const writes = () => guest.log('runuser.args')!.split('\0').filter((a) => a === `${guest.runnerDir}/.env`).length;
    const before = writes();
    expect(guest.run().status).toBe(0);
    expect(writes()).toBe(before + 1); // read (cat), not written
  });

  test('without a proxy or CAs, .env is left alone', () => {
    guest.install();
    expect(guest.run().status).toBe(0);
    expect(guest.log('curl-proxy.log')!.trim()).toBe('');
    expect(dotEnv()).toBe('');
    expect(guest.log('runuser.args')).not.toContain('.env');
  });

  test('a settings value with a line break is refused, not written', () => {
    guest.install({ proxy: { https: PROXY } }, { RUNNER_HTTPS_PROXY: `${PROXY}\nLD_PRELOAD=/tmp/x.so` });
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('the https_proxy setting holds a line break; not using it');
    expect(guest.log('curl.log')).toBeUndefined();
  });
});
