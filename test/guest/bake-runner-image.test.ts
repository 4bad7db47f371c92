import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testIf } from '../util';
import { FakeGuest } from './harness';
import { RunnerRelease } from '../../lib';
import { readGuestFile } from '../../lib/render/cloud-config';
import { TEST_CA_PEM } from '../network-fixtures';

// The bake script that a RunnerImage's bake VM runs once from cloud-init, run for real under bash
// with stub commands (see harness.ts) and the settings the library renders for the image. It runs
// twice: from cloud-init, where it installs the runner and asks systemd to seal the image once
// cloud-init has finished; then as that unit, where it forgets the machine and powers off. The
// power-off is the image's readiness signal: it must happen once, at the end of a bake that
// succeeded, and never after a failure.
describe('bake-runner-image.sh', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.dispose());

  const PACKAGE_URL = 'https://github.com/actions/runner/releases/download/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz';
  const JIT_UNIT = 'actions-runner-jit.service';
  const poweroffs = () => (guest.logLines('systemctl.log') ?? []).filter((line) => line === 'poweroff');
  const sealUnit = () => [
    '--unit=bake-runner-image-seal', '--no-block', '--property=After=cloud-final.service',
    '--property=StandardOutput=journal+console', '--property=StandardError=journal+console', '--', guest.bakeScriptFile, 'seal',
  ];
  /** The machine as the bake VM booted it: nothing forgotten, not marked, still up. */
  function expectIdentityKept(): void {
    expect(guest.log('cloud-init.log')).toBeUndefined();
    expect(readFileSync(guest.identityFiles.machineId, 'utf8')).toBe('machine-id of the bake VM\n');
    expect(existsSync(guest.identityFiles.sshHostKeys[0])).toBe(true);
    expect(existsSync(guest.identityFiles.journal)).toBe(true);
    expect(existsSync(guest.bakedMarker)).toBe(false);
    expect(poweroffs()).toEqual([]);
  }
  /** What must not have happened after a failed bake: the image must not look ready, and the machine is as it was. */
  function expectNotBaked(): void {
    expectIdentityKept();
    expect(guest.transientUnits()).toEqual([]);
    expect(guest.state().enabled).toEqual([]);
  }

  test('from cloud-init: installs the checksum-verified runner, enables the per-job and registration units, and has systemd seal the image after cloud-init', () => {
    guest.installImage();
    const run = guest.bake();
    expect(run.stderr).not.toContain('error:');
    expect(run.status).toBe(0);
    // The runner, from the verified package, given to the runner user.
    expect(guest.logLines('curl.log')).toEqual([PACKAGE_URL]);
    expect(run.stderr).toContain(`bake-runner-image: sha256 verified: ${guest.tarballSha256}`);
    expect(existsSync(join(guest.runnerDir, 'run.sh'))).toBe(true);
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
    expect(guest.logLines('chown.log')).toEqual([`-R actions-runner: ${join(guest.runnerDir, '..', '.installing', 'runner')}`]);
    expect(readdirSync(join(guest.runnerDir, '..'))).toEqual(['runner']);
    expect(readdirSync(guest.cacheDir)).toEqual([]);
    // The per-job and registration units are enabled (not started: they run at the boots of
    // per-job VMs and warm pool VMs, each skipped by its condition in the other's).
    expect(guest.state().enabled).toEqual([JIT_UNIT, 'register-actions-runner.service']);
    expect(guest.log('started.log')).toBeUndefined();
    // cloud-init is still running: the seal waits for it, and nothing is forgotten yet.
    expect(guest.transientUnits()).toEqual([sealUnit()]);
    expect(run.stderr.trim().split('\n').slice(-2)).toEqual([
      'bake-runner-image: runner installed', 'bake-runner-image: sealing the image once cloud-init has finished',
    ]);
    expectIdentityKept();
    // An image registers nothing and reads no token.
    expect(guest.configArgs()).toBeUndefined();
    expect(guest.log('mount.log')).toBeUndefined();
    expect(guest.log('runuser.log')).toBeUndefined();
  });

  test('behind a proxy: the download uses it, and the image\'s runner gets it and NODE_EXTRA_CA_CERTS in its .env, written as the runner user', () => {
    const proxy = 'http://proxy.corp.example:3128';
    guest.installImage({ proxy: { https: proxy }, caCertificates: [TEST_CA_PEM] });
    expect(guest.bake().status).toBe(0);
    expect(guest.logLines('curl-proxy.log')).toEqual([`${proxy} ${proxy} localhost,127.0.0.1,::1`]);
    expect(readFileSync(join(guest.runnerDir, '.env'), 'utf8')).toBe(`https_proxy=${proxy}\nHTTPS_PROXY=${proxy}\n`
      + 'no_proxy=localhost,127.0.0.1,::1\nNO_PROXY=localhost,127.0.0.1,::1\nNODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\n');
    expect(guest.logLines('runuser.log')).toEqual(['actions-runner']);
  });

  test('the seal forgets the machine, marks the image baked and powers off, once and last', () => {
    guest.installImage();
    expect(guest.bake().status).toBe(0);
    const seal = guest.bake({}, 'seal');
    expect(seal.stderr).not.toContain('error:');
    expect(seal.status).toBe(0);
    expect(guest.logLines('cloud-init.log')).toEqual(['clean --logs --seed']);
    expect(readFileSync(guest.identityFiles.machineId, 'utf8')).toBe('');
    expect(existsSync(guest.identityFiles.dbusMachineId)).toBe(false);
    for (const key of guest.identityFiles.sshHostKeys) expect(existsSync(key)).toBe(false);
    expect(existsSync(guest.identityFiles.sshConfig)).toBe(true);
    expect(guest.logLines('apt-get.log')).toEqual(['clean']);
    expect(guest.logLines('journalctl.log')).toEqual(['--relinquish-var']);
    expect(readdirSync(join(guest.identityFiles.journal, '..', '..'))).toEqual([]);
    expect(readFileSync(guest.bakedMarker, 'utf8')).toBe(`runner ${PACKAGE_URL}\n`);
    expect(guest.logLines('sync.log')).toEqual(['sync']);
    expect(seal.stderr.trim().split('\n')).toEqual(['bake-runner-image: image baked; powering off']);
    expect(poweroffs()).toEqual(['poweroff']);
    expect(guest.logLines('systemctl.log')?.pop()).toBe('poweroff');
    // The runner is as the bake installed it.
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
    expect(guest.logLines('curl.log')).toHaveLength(1);
  });

  test('the marker is what the per-job unit needs to run at all', () => {
    expect(readGuestFile('actions-runner-jit.service')).toContain('\nConditionPathExists=/etc/actions-runner/image-baked\n');
    expect(readGuestFile('bake-runner-image.sh')).toContain('"${RUNNER_BAKED_MARKER:-/etc/actions-runner/image-baked}"');
  });

  test('a checksum mismatch stops before anything is extracted, and the VM stays up', () => {
    guest.installImage({ release: RunnerRelease.of('2.334.0', { sha256: '0'.repeat(64) }) });
    const run = guest.bake();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`bake-runner-image: error: checksum mismatch for ${PACKAGE_URL}: expected sha256 ${'0'.repeat(64)}, got ${guest.tarballSha256}; not installing it`);
    expect(existsSync(guest.runnerDir)).toBe(false);
    expect(guest.log('installdependencies.log')).toBeUndefined();
    expectNotBaked();
  });

  test.each([['docker', {}], ['git', { docker: false }]])('without %s installed nothing is baked, and the VM stays up', (command, props) => {
    guest.installImage(props);
    guest.uninstall(command);
    const run = guest.bake();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`bake-runner-image: error: ${command} is not installed (did the package installation fail?`);
    expect(guest.log('curl.log')).toBeUndefined();
    expectNotBaked();
  });

  test('a download that keeps failing ends with a clear error, and the VM stays up', () => {
    guest.installImage();
    writeFileSync(join(guest.logDir, 'curl-failures'), '99');
    const run = guest.bake();
    expect(run.status).toBe(1);
    expect(guest.logLines('curl.log')).toHaveLength(5);
    expect(run.stderr).toContain(`bake-runner-image: error: download of ${PACKAGE_URL} failed 5 times`);
    expect(existsSync(guest.runnerDir)).toBe(false);
    expectNotBaked();
  });

  test('a failure after the runner is installed (enabling the unit) does not seal either', () => {
    guest.installImage();
    rmSync(join(guest.unitDir, JIT_UNIT));
    const run = guest.bake();
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`Failed to enable unit: Unit file ${JIT_UNIT} does not exist.`);
    expect(existsSync(join(guest.runnerDir, 'run.sh'))).toBe(true);
    expectNotBaked();
  });

  test('a seal that fails (cloud-init clean) does not mark the image or power off', () => {
    guest.installImage();
    expect(guest.bake().status).toBe(0);
    const seal = guest.bake({ FAKE_CLOUD_INIT_STATUS: '1' }, 'seal');
    expect(seal.status).toBe(1);
    expect(existsSync(guest.bakedMarker)).toBe(false);
    expect(poweroffs()).toEqual([]);
  });

  test('the seal refuses an image without the runner', () => {
    guest.installImage();
    const seal = guest.bake({}, 'seal');
    expect(seal.status).toBe(1);
    expect(seal.stderr).toContain(`bake-runner-image: error: ${guest.runnerDir}/run.sh is missing: not sealing an image without the runner`);
    expectIdentityKept();
  });

  test('on an image baked already it installs nothing again, and seals and powers off again', () => {
    guest.installImage();
    expect(guest.bake().status).toBe(0);
    expect(guest.bake({}, 'seal').status).toBe(0);
    const again = guest.bake();
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`bake-runner-image: this image is baked already (runner ${PACKAGE_URL}); not installing again`);
    expect(guest.logLines('curl.log')).toHaveLength(1);
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
    expect(guest.transientUnits()).toEqual([sealUnit(), sealUnit()]);
    expect(guest.bake({}, 'seal').status).toBe(0);
    expect(poweroffs()).toEqual(['poweroff', 'poweroff']);
  });

  test.each([['mv runner'], ['systemctl enable'], ['systemd-run']])('a bake cut short at %s (a reboot) is finished by the next run, without installing again', (point) => {
    guest.installImage();
    const first = guest.bake({ FAKE_CRASH: point });
    expect({ signal: first.signal, crashes: guest.logLines('crash.log') }).toEqual({ signal: 'SIGKILL', crashes: [point] });
    const second = guest.bake();
    expect(second.stderr).not.toContain('error:');
    expect(second.status).toBe(0);
    expect(guest.bake({}, 'seal').status).toBe(0);
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
    expect(readdirSync(join(guest.runnerDir, '..'))).toEqual(['runner']);
    expect(readdirSync(guest.cacheDir)).toEqual([]);
    expect(guest.state().enabled).toEqual([JIT_UNIT, 'register-actions-runner.service']);
    expect(existsSync(guest.bakedMarker)).toBe(true);
    expect(poweroffs()).toEqual(['poweroff']);
  });

  test.each([
    ['the settings file', 'install', () => guest.settingsFile],
    ['the settings folder', 'install', () => join(guest.settingsFile, '..')],
    ['the settings file', 'seal', () => guest.settingsFile],
  ])('%s writable by others is refused before anything runs (%s)', (_what, step, path) => {
    guest.installImage();
    chmodSync(path(), 0o777);
    const run = guest.bake({}, ...(step === 'seal' ? ['seal'] : []));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`bake-runner-image: error: ${path()} must belong to root and be writable by root only; not reading settings from it`);
    expect(guest.log('curl.log')).toBeUndefined();
    expectNotBaked();
  });

  test('a missing settings file is a clear error', () => {
    guest.installImage();
    const run = guest.bake({ RUNNER_SETTINGS_FILE: join(guest.root, 'nope.env') });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`settings file ${join(guest.root, 'nope.env')} is missing`);
    expectNotBaked();
  });

  test('a runner folder that systemd or a shell could misread is refused', () => {
    guest.installImage({}, { RUNNER_DIR: join(guest.root, 'opt', 'my runner') });
    const run = guest.bake();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('must be an absolute path of letters, digits');
    expectNotBaked();
  });

  test('an unknown command is refused', () => {
    guest.installImage();
    const run = guest.bake({}, 'bake');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("bake-runner-image: error: unknown command 'bake' (usage: bake-runner-image [seal])");
    expectNotBaked();
  });
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
testIf(shellcheck, 'shellcheck (apt-get install shellcheck)')('bake-runner-image.sh is shellcheck-clean, with the registration script it sources', () => {
  const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '--external-sources', join(__dirname, '..', '..', 'lib', 'guest', 'bake-runner-image.sh')], { encoding: 'utf8' });
  expect(result.stdout).toBe('');
  expect(result.status).toBe(0);
});
