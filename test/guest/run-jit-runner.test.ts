import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNNER_EXIT_LINE } from '../../lib/cluster/contract';
import { parseRunnerExit } from '../../lib/cluster/launcher/runner-exit';
import { testIf } from '../util';
import { FakeGuest } from './harness';

// The per-job script that systemd runs at the boot of every per-job VM (the baked image on a fresh
// copy-on-write layer), run for real under bash with stub commands (see harness.ts), in a fake
// guest baked by the library's own bake script. It must run the runner's run.sh once, as the runner
// user, with ARC's JIT config from the disk in its environment, and pass on the runner's status.
describe('run-jit-runner.sh', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
    guest.installImage();
    expect(guest.bake().status).toBe(0);
  });
  afterEach(() => guest.dispose());

  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  /** What the fake run.sh recorded, one record per run. */
  const runs = () => guest.log('run.log')?.trim().split(/\n(?=user=)/).map((record) => Object.fromEntries(record.split('\n').map((l) => l.split(/=(.*)/s, 2))));

  test('runs run.sh once, as the runner user in its folder, with exactly the disk\'s JIT config in its environment', () => {
    const run = guest.runJob();
    expect(run.stderr).not.toContain('error:');
    expect(run.status).toBe(0);
    expect(runs()).toEqual([{ user: 'actions-runner', pwd: guest.runnerDir, args: '0', jit_sha256: sha256(guest.jitConfig), deprecated_exit_code: '1' }]);
    expect(guest.log('runuser.args')?.split('\0').slice(0, -1)).toEqual(['-u', 'actions-runner', '--', './run.sh']);
    expect(run.stderr.trim().split('\n')).toEqual([
      'actions-runner-jit: starting the just-in-time runner as actions-runner',
      'actions-runner-jit: the runner exited with status 0; powering off',
    ]);
    // The disk is mounted read-only, and unmounted before the runner starts.
    expect(guest.logLines('mount.log')).toEqual([expect.stringMatching(new RegExp(`^-o ro ${guest.jitDisk} ${guest.root}/tmp/tmp\\.[^ /]+$`))]);
    expect(guest.logLines('umount.log')).toHaveLength(1);
  });

  test('the JIT config is in no argument, no output and no file', () => {
    const run = guest.runJob();
    expect(run.status).toBe(0);
    expect(guest.log('runuser.args')).not.toContain(guest.jitConfig);
    expect(run.stdout + run.stderr).not.toContain(guest.jitConfig);
    expect(guest.filesContaining(guest.jitConfig, [join(guest.jitDisk, 'jitToken')])).toEqual([]);
    expect(readdirSync(join(guest.root, 'tmp'))).toEqual([]);
  });

  test('a JIT config with surrounding whitespace or a trailing newline reaches the runner without it', () => {
    writeFileSync(join(guest.jitDisk, 'jitToken'), ` ${guest.jitConfig}\r\n`);
    expect(guest.runJob().status).toBe(0);
    expect(runs()?.[0].jit_sha256).toBe(sha256(guest.jitConfig));
  });

  const serialConsole = () => (existsSync(guest.serialConsole) ? readFileSync(guest.serialConsole, 'utf8') : undefined);

  test.each([[0], [1], [3], [130]])('the runner\'s exit status %d is the script\'s (the unit powers off either way), and on the serial console', (status) => {
    const run = guest.runJob({ FAKE_RUN_STATUS: String(status) });
    expect(run.status).toBe(status);
    expect(run.stderr).toContain(`actions-runner-jit: the runner exited with status ${status}; powering off`);
    expect(runs()).toHaveLength(1);
    expect(serialConsole()).toBe(`\n${RUNNER_EXIT_LINE}${status}\n`);
    expect(parseRunnerExit(serialConsole()!)).toBe(status);
  });

  test('a runner whose version is deprecated exits 7, which the launcher reads on the serial console', () => {
    const run = guest.runJob({ FAKE_RUN_STATUS: 'deprecated' });
    expect(run.status).toBe(7);
    expect(runs()?.[0].deprecated_exit_code).toBe('1');
    expect(parseRunnerExit(serialConsole()!)).toBe(7);
  });

  test('a serial console it cannot write is one log line, and the runner\'s status stays the script\'s', () => {
    const run = guest.runJob({ FAKE_RUN_STATUS: '3', RUNNER_SERIAL_CONSOLE: join(guest.root, 'no-such-dir', 'ttyS0') });
    expect(run.status).toBe(3);
    expect(run.stderr).toContain(`actions-runner-jit: cannot write the runner's exit status on the serial console ${join(guest.root, 'no-such-dir', 'ttyS0')}`);
  });

  test('a missing JIT disk is a clear error after waiting for it, and nothing runs', () => {
    rmSync(guest.jitDisk, { recursive: true });
    const run = guest.runJob({ TOKEN_DISK_TIMEOUT: '3' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`actions-runner-jit: error: JIT config disk ${guest.jitDisk} not found after 3s: is the runner's Secret attached with serial RUNNERJIT?`);
    expect(guest.logLines('sleep.log')).toEqual(['1', '1', '1']);
    expect(runs()).toBeUndefined();
    // No runner ran: no exit line, which the launcher reports as an unknown status, not as a runner's.
    expect(serialConsole()).toBeUndefined();
  });

  test.each([
    ['empty', () => writeFileSync(join(guest.jitDisk, 'jitToken'), '')],
    ['blank', () => writeFileSync(join(guest.jitDisk, 'jitToken'), ' \n\t\n')],
    ['missing', () => rmSync(join(guest.jitDisk, 'jitToken'))],
  ])('a JIT disk whose key is %s is a clear error, and nothing runs', (_what, change) => {
    change();
    const run = guest.runJob();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("actions-runner-jit: error: the JIT config disk has no non-empty key 'jitToken'");
    expect(runs()).toBeUndefined();
    expect(guest.logLines('umount.log')).toHaveLength(1);
    expect(readdirSync(join(guest.root, 'tmp'))).toEqual([]);
  });

  test.each([
    ['the settings file', () => guest.settingsFile],
    ['the settings folder', () => join(guest.settingsFile, '..')],
  ])('%s writable by others is refused before anything runs', (_what, path) => {
    chmodSync(path(), 0o777);
    const run = guest.runJob();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`actions-runner-jit: error: ${path()} must belong to root and be writable by root only; not reading settings from it`);
    expect(guest.log('mount.log')).toBeUndefined();
    expect(runs()).toBeUndefined();
  });

  test('on an image that was not baked completely (no run.sh) it refuses before reading the JIT config', () => {
    rmSync(join(guest.runnerDir, 'run.sh'));
    const run = guest.runJob();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`actions-runner-jit: error: ${guest.runnerDir}/run.sh is missing: the image was not baked completely`);
    expect(guest.log('mount.log')).toBeUndefined();
  });

  test('a missing settings file is a clear error', () => {
    const run = guest.runJob({ RUNNER_SETTINGS_FILE: join(guest.root, 'nope.env') });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`actions-runner-jit: error: settings file ${join(guest.root, 'nope.env')} is missing (was this image baked by RunnerImage?)`);
  });
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
testIf(shellcheck, 'shellcheck (apt-get install shellcheck)')('run-jit-runner.sh is shellcheck-clean', () => {
  const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', join(__dirname, '..', '..', 'lib', 'guest', 'run-jit-runner.sh')], { encoding: 'utf8' });
  expect(result.stdout).toBe('');
  expect(result.status).toBe(0);
});
