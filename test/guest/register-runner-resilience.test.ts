import { appendFileSync, chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { testIf } from '../util';
import { FAKE_RUNNER_FILES, RUNNER_CRASH_POINTS } from './fake-runner';
import { FakeGuest } from './harness';
import { RunnerRelease } from '../../lib';

// register-runner.sh (continued from register-runner.test.ts): boots cut short, the runner package
// downloaded once, and root never running a file a job could have written.

describe('a boot cut short anywhere is completed by the next one', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.dispose());

  const UNIT = 'actions.runner.acme.runners-0.service';
  const RUNNING = {
    localConfig: ['.credentials', '.credentials_rsaparams', '.runner'], githubRunners: ['runners-0'], keyMatches: true,
    unitFiles: [UNIT], enabled: [UNIT], lastStarted: UNIT,
  };
  // [point, reached]: svc.sh's points are never reached, as root no longer runs svc.sh.
  test.each([
    ['curl', true], // half the package downloaded
    ['mv *.tar.gz', true], // the verified package kept, nothing extracted
    [RUNNER_CRASH_POINTS.installDependencies, true],
    ['chown', true], // extracted and set up, not yet the runner's
    ['mv runner', true], // the runner's folder in place, the staging folder not yet removed
    ['runuser rm', true], // installed, not registered
    ['runuser ./config.sh', true],
    [RUNNER_CRASH_POINTS.configKeySaved, true],
    [RUNNER_CRASH_POINTS.configRegistered, true], // GitHub has the runner, the VM has no credentials
    [RUNNER_CRASH_POINTS.configCredentialsSaved, true],
    [RUNNER_CRASH_POINTS.configSettingsSaved, true], // .runner saved, svc.sh not generated
    [RUNNER_CRASH_POINTS.svcUnitWritten, false],
    [RUNNER_CRASH_POINTS.svcEnabled, false],
    ['runuser cp', true],
    ['runuser tee', true],
    [`mv ${UNIT}`, true], // the unit file written
    // A first run writes a unit systemd never loaded: it reloads nothing (a rerun does).
    ['systemctl daemon-reload', false],
    ['systemctl enable', true],
    ['systemctl start', true],
  ] as const)('%s', (point, reached) => {
    guest.install();
    const first = guest.run({ FAKE_CRASH: point });
    expect({ signal: first.signal, crashes: guest.logLines('crash.log') }).toEqual(reached ? { signal: 'SIGKILL', crashes: [point] } : { signal: null, crashes: undefined });
    const second = guest.run();
    expect(second.stderr).not.toContain('error:');
    expect(second.status).toBe(0);
    expect(guest.state()).toEqual(RUNNING);
    expect(guest.logLines('installdependencies.log')?.length).toBeLessThanOrEqual(2);
    // Nothing half-done is left behind, and the token is still nowhere but on its disk.
    expect(readdirSync(join(guest.runnerDir, '..'))).toEqual(['runner']);
    expect(guest.filesContaining(guest.token, [join(guest.tokenDisk, 'token')])).toEqual([]);
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(guest.token);
    expect(readdirSync(guest.cacheDir)).toEqual([]);
    expect(guest.logLines('curl.log')?.length).toBeLessThanOrEqual(2);
  });

  test('a registration that failed (an expired token) is retried with the installed runner, then succeeds', () => {
    guest.install();
    guest.setGitHubToken('a newer token');
    const first = guest.run();
    expect(first.status).toBe(1);
    expect(first.stderr).toContain("Http response code: NotFound from 'POST https://api.github.com/actions/runner-registration'");
    expect(guest.state().githubRunners).toEqual([]);
    guest.setGitHubToken(guest.token);
    expect(guest.run().status).toBe(0);
    expect(guest.state()).toEqual(RUNNING);
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
  });

  test('an ephemeral runner after its job (the runner removed its configuration) registers again', () => {
    guest.install({ ephemeral: true });
    expect(guest.run().status).toBe(0);
    for (const file of ['.runner', '.credentials', '.credentials_rsaparams']) rmSync(join(guest.runnerDir, file));
    const second = guest.run();
    expect(second.status).toBe(0);
    expect(guest.state()).toEqual(RUNNING);
    expect(guest.logLines('config.runs')).toEqual(['actions-runner', 'actions-runner']);
  });
});

// systemd retries the script 30 s after any failure: a retry must not download the runner
// (~200 MB) again. The verified package is kept where only root can write, verified again before
// each use, and removed once the runner is installed.
describe('the runner package is downloaded once', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
    guest.install();
  });
  afterEach(() => guest.dispose());

  const cached = () => join(guest.cacheDir, `${guest.tarballSha256}.tar.gz`);

  test('a retry after the runner\'s dependencies failed to install uses the kept package', () => {
    const first = guest.run({ FAKE_INSTALLDEPENDENCIES_FAIL: '1' });
    expect(first.status).not.toBe(0);
    expect(readdirSync(guest.cacheDir)).toEqual([`${guest.tarballSha256}.tar.gz`]);
    expect(statSync(guest.cacheDir).mode & 0o777).toBe(0o700);
    const second = guest.run();
    expect(second.status).toBe(0);
    expect(guest.logLines('curl.log')).toHaveLength(1);
    expect(second.stderr).toContain(`using the runner package kept in ${cached()}: sha256 verified: ${guest.tarballSha256}`);
    expect(guest.logLines('installdependencies.log')).toEqual(['ran', 'ran']);
    // Installed: the package is not kept any longer.
    expect(readdirSync(guest.cacheDir)).toEqual([]);
  });

  test('a retry after a registration failure downloads nothing', () => {
    guest.setGitHubToken('a newer token');
    expect(guest.run().status).toBe(1);
    guest.setGitHubToken(guest.token);
    expect(guest.run().status).toBe(0);
    expect(guest.logLines('curl.log')).toHaveLength(1);
  });

  test('a corrupt kept package is detected and downloaded again', () => {
    expect(guest.run({ FAKE_INSTALLDEPENDENCIES_FAIL: '1' }).status).not.toBe(0);
    appendFileSync(cached(), 'corrupt');
    const second = guest.run({ FAKE_INSTALLDEPENDENCIES_FAIL: '1' });
    expect(second.stderr).toContain(`the runner package kept in ${cached()} does not match sha256 ${guest.tarballSha256}; downloading it again`);
    expect(guest.logLines('curl.log')).toHaveLength(2);
    expect(readFileSync(cached())).toEqual(readFileSync(guest.tarball));
    expect(guest.run().status).toBe(0);
    expect(guest.logLines('curl.log')).toHaveLength(2);
  });

  test('a download that fails the checksum is not kept', () => {
    guest.install({ release: RunnerRelease.of('2.334.0', { sha256: '0'.repeat(64) }) });
    expect(guest.run().status).toBe(1);
    expect(readdirSync(guest.cacheDir)).toEqual([]);
  });

  test('install_runner is complete on its own (an image bake sources the script and calls it alone)', () => {
    const run = guest.source('load_settings "$SETTINGS_FILE"; install_runner');
    expect(run.stderr).not.toContain('error:');
    expect(run.status).toBe(0);
    expect(readdirSync(join(guest.runnerDir, '..'))).toEqual(['runner']);
    expect(existsSync(join(guest.runnerDir, 'config.sh'))).toBe(true);
    expect(readdirSync(guest.cacheDir)).toEqual([]);
    expect(guest.logLines('installdependencies.log')).toEqual(['ran']);
    expect(guest.configArgs()).toBeUndefined();
  });

  test('a package folder that others can write is refused', () => {
    mkdirSync(guest.cacheDir, { mode: 0o777 });
    chmodSync(guest.cacheDir, 0o777);
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${guest.cacheDir} must belong to root and be writable by root only; not keeping the runner package in it`);
    expect(guest.log('curl.log')).toBeUndefined();
  });
});

// The runner's folder belongs to the runner user, so every job can rewrite any file in it. The
// registration script runs as root at every boot: it must never run or source one of those files.
describe('root never runs a file a job could have written', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
    guest.install();
    expect(guest.run().status).toBe(0);
  });
  afterEach(() => guest.dispose());

  /** What a job can do: replace every file of the runner with one that records who ran it. */
  function jobRewritesEveryFile(dir = guest.runnerDir): void {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isDirectory()) jobRewritesEveryFile(path);
      else if (!name.startsWith('.')) guest.writeExecutable(path, '#!/bin/bash\necho "$0 as ${STUB_AS_USER:-root}" >> "$STUB_LOG/job-payload.log"\n');
    }
  }
  const ranAsRoot = () => (guest.logLines('job-payload.log') ?? []).filter((line) => line.endsWith(' as root'));

  test('a job that rewrites svc.sh and deletes .service gets nothing run as root at the next boot', () => {
    jobRewritesEveryFile();
    rmSync(join(guest.runnerDir, '.service'));
    const run = guest.run();
    expect(ranAsRoot()).toEqual([]);
    expect(run.status).toBe(0);
    expect(guest.state().lastStarted).toBe('actions.runner.acme.runners-0.service');
  });

  test('a job that also deletes .runner (a new registration) gets nothing run as root either', () => {
    jobRewritesEveryFile();
    for (const file of ['.service', '.runner']) rmSync(join(guest.runnerDir, file));
    const run = guest.run();
    expect(ranAsRoot()).toEqual([]);
    // The job's config.sh ran as the runner user, registered nothing, and the script says so.
    expect(guest.logLines('job-payload.log')).toEqual([`${guest.runnerDir}/config.sh as actions-runner`]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: config.sh did not register the runner: ${guest.runnerDir} has no .runner`);
  });

  test('the runner\'s unit is the one svc.sh install would write, from the template the library ships, and runs as the runner user', () => {
    const unit = readFileSync(join(guest.unitDir, 'actions.runner.acme.runners-0.service'), 'utf8');
    const directives = unit.split('\n').filter((line) => !line.startsWith('#')).join('\n');
    const svcShWouldWrite = FAKE_RUNNER_FILES['bin/actions.runner.service.template']
      .replace('{{Description}}', 'GitHub Actions Runner (acme.runners-0)').replace(/\{\{RunnerRoot\}\}/g, guest.runnerDir).replace('{{User}}', 'actions-runner');
    expect(directives).toBe(svcShWouldWrite);
    expect(unit).toContain(`ExecStart=${guest.runnerDir}/runsvc.sh\nUser=actions-runner\n`);
  });

  test('files in the runner\'s folder are written by the runner user, never by root', () => {
    const args = guest.log('runuser.args')!.split('\0').slice(0, -1).join(' ');
    expect(args).toContain(`-u actions-runner -- cp -- ${guest.runnerDir}/bin/runsvc.sh ${guest.runnerDir}/runsvc.sh`);
    expect(args).toContain(`-u actions-runner -- tee -- ${guest.runnerDir}/.service`);
    expect(guest.log('svc.log')).toBeUndefined();
  });

  test.each([
    ['the settings file', () => guest.settingsFile],
    ['the settings folder', () => join(guest.settingsFile, '..')],
  ])('%s writable by others is refused before anything runs', (_what, path) => {
    const before = guest.logLines('systemctl.log');
    chmodSync(path(), 0o777);
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${path()} must belong to root and be writable by root only; not reading settings from it`);
    // Not one more systemctl call than the runs before this one made.
    expect(guest.logLines('systemctl.log')).toEqual(before);
    expect(before?.length).toBeGreaterThan(0);
  });

  testIf(process.getuid?.() === 0, 'root, to give a file to another user')('a settings file of another user is refused', () => {
    chownSync(guest.settingsFile, 65534, 65534);
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${guest.settingsFile} must belong to root and be writable by root only`);
  });

  test('an install folder whose parent others can write is refused', () => {
    chmodSync(join(guest.runnerDir, '..'), 0o777);
    const run = guest.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${join(guest.runnerDir, '..')} must belong to root and be writable by root only`);
  });

});
