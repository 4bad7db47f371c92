import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testIf } from '../util';

// The idle reboot of a long-lived runner (lib/guest/reboot-when-idle.sh), run for real under bash
// with stub pgrep and systemctl on PATH: it reboots only when an update asks for it and no job runs,
// stops the runner first so that no job starts, and gives the runner back when a job started anyway.

const SCRIPT = join(__dirname, '..', '..', 'lib', 'guest', 'reboot-when-idle.sh');
const UNIT = 'actions.runner.acme.runners-0.service';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reboot-when-idle-'));
  mkdirSync(join(dir, 'bin'));
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, 'bin', name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(dir, 'bin', name), 0o755);
  };
  // Runner.Worker runs while $STUB/worker exists; FAKE_WORKER_AFTER_STOP makes one appear as the runner stops.
  stub('pgrep', `[ "$*" = "-x Runner.Worker" ] || { echo "pgrep: unexpected $*" >&2; exit 2; }
[ -e "$STUB/worker" ] && echo 4242`);
  stub('systemctl', `echo "$*" >> "$STUB/systemctl.log"
case "$1" in
  list-units) [ "$*" = "list-units --type=service --state=active --plain --no-legend actions.runner.*.service" ] || exit 2
    [ -e "$STUB/no-runner" ] || echo "${UNIT} loaded active running GitHub Actions Runner (acme.runners-0)";;
  stop) [ -n "\${FAKE_WORKER_AFTER_STOP:-}" ] && touch "$STUB/worker";;
esac
exit 0`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(env: Record<string, string> = {}) {
  const result = spawnSync('/bin/bash', [SCRIPT], {
    env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, STUB: dir, RUNNER_REBOOT_REQUIRED_FILE: join(dir, 'reboot-required'), ...env },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = existsSync(join(dir, 'systemctl.log')) ? readFileSync(join(dir, 'systemctl.log'), 'utf8').trim().split('\n') : [];
  return { status: result.status, stderr: result.stderr, systemctl: log };
}
const rebootRequired = () => writeFileSync(join(dir, 'reboot-required'), '*** System restart required ***\n');

describe('reboot-when-idle.sh', () => {
  test('no update asks for a reboot: nothing happens', () => {
    expect(run()).toEqual({ status: 0, stderr: '', systemctl: [] });
  });

  test('a reboot is required and the runner is idle: the runner is stopped, then the VM reboots', () => {
    rebootRequired();
    const result = run();
    expect(result.status).toBe(0);
    expect(result.systemctl).toEqual([
      'list-units --type=service --state=active --plain --no-legend actions.runner.*.service', `stop ${UNIT}`, 'reboot',
    ]);
    expect(result.stderr).toBe(`reboot-when-idle: the runner is idle: rebooting for updates (${join(dir, 'reboot-required')})\n`);
  });

  test('a job is running: no stop, no reboot; it tries again at the next run of its timer', () => {
    rebootRequired();
    writeFileSync(join(dir, 'worker'), '');
    const result = run();
    expect(result.systemctl).toEqual([]);
    expect(result.stderr).toBe('reboot-when-idle: a reboot is required for updates, but a job is running: trying again later\n');
  });

  test('a job that started while the runner was stopping keeps its runner: started again, no reboot', () => {
    rebootRequired();
    const result = run({ FAKE_WORKER_AFTER_STOP: '1' });
    expect(result.systemctl).toEqual([
      'list-units --type=service --state=active --plain --no-legend actions.runner.*.service', `stop ${UNIT}`, `start ${UNIT}`,
    ]);
    expect(result.stderr).toContain('a job started while the runner was stopping: starting the runner again, rebooting later');
  });

  test('no runner service active (not registered yet): the reboot goes ahead', () => {
    rebootRequired();
    writeFileSync(join(dir, 'no-runner'), '');
    expect(run().systemctl).toEqual(['list-units --type=service --state=active --plain --no-legend actions.runner.*.service', 'reboot']);
  });
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
testIf(shellcheck, 'shellcheck (apt-get install shellcheck)')('reboot-when-idle.sh is shellcheck-clean', () => {
  const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', SCRIPT], { encoding: 'utf8' });
  expect(result.stdout).toBe('');
  expect(result.status).toBe(0);
});
