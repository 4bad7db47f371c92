import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNNER_EXIT_LINE } from '../../lib/cluster/contract';
import { parseRunnerExit } from '../../lib/cluster/launcher/runner-exit';
import { GUEST_HOLD_MINUTES } from '../../lib/cluster/pool/outdated-runners';
import { REPORT_EXIT_SCRIPT_PATH } from '../../lib/render/cloud-config';
import { testIf } from '../util';

// How a warm pool VM's runner ended (lib/guest/report-runner-exit.sh), run for real under bash with
// stub journalctl and sleep on PATH: the journal of the runner's unit holds what actions/runner's
// RunnerService.js logged; the serial console is the script's stdout, a pipe, on which, as on a
// serial port and unlike on a file, each write goes after the last (node's own pipes are sockets,
// which /dev/stdout cannot open: hence `| cat`). A 7 holds the VM (sleeps, the line written
// again after each) before the script ends and its unit powers off; anything else ends at once.

const GUEST = join(__dirname, '..', '..', 'lib', 'guest');
const SCRIPT = join(GUEST, 'report-runner-exit.sh');
const UNIT = 'actions.runner.acme.warm-0.service';
const JOURNAL_ARGS = `--boot --unit=${UNIT} --output=cat --no-pager --quiet`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'report-runner-exit-'));
  mkdirSync(join(dir, 'bin'));
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, 'bin', name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(dir, 'bin', name), 0o755);
  };
  // The unit's journal of this boot is $STUB/journal; anything else asked of journalctl is refused.
  stub('journalctl', `echo "$*" >> "$STUB/journalctl.log"
case "$*" in
  --sync) ;;
  "${JOURNAL_ARGS}") cat "$STUB/journal" 2>/dev/null ;;
  *) echo "journalctl: unexpected $*" >&2; exit 2 ;;
esac`);
  // No waiting; journald stores what it had late ($STUB/journal.late) during the first wait.
  stub('sleep', `echo "$1" >> "$STUB/sleep.log"
if [ -e "$STUB/journal.late" ]; then mv "$STUB/journal.late" "$STUB/journal"; fi`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What RunnerService.js logs around its listener's runs, each ending with `statuses` in turn. */
function journal(...statuses: (number | string)[]): string {
  return [
    'Starting Runner listener with startup type: service',
    'Started listener process, pid: 1234',
    'Started running service',
    '√ Connected to GitHub',
    ...statuses.flatMap((s) => [`Runner listener exited with error code ${s}`,
      s === 0 ? 'Runner listener exit with 0 return code, stop the service, no retry needed.'
        : 'Runner listener exit with undefined return code, exiting service after 1 consecutive failures']),
    '',
  ].join('\n');
}

function run(env: Record<string, string> = {}) {
  const result = spawnSync('/bin/bash', ['-c', 'bash "$0" | cat; exit "${PIPESTATUS[0]}"', SCRIPT], {
    env: {
      PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, STUB: dir, RUNNER_UNIT: UNIT, RUNNER_SERIAL_CONSOLE: '/dev/stdout',
      RUNNER_OUTDATED_HOLD_SECONDS: '700', RUNNER_OUTDATED_REPEAT_SECONDS: '300', ...env,
    },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim().split('\n') : []);
  return {
    status: result.status,
    stderr: result.stderr,
    console: result.stdout || undefined,
    sleeps: lines('sleep.log'),
    journalctl: lines('journalctl.log'),
  };
}

describe('report-runner-exit.sh', () => {
  test('a deprecated runner (exit 7): the line on the console, then the VM holds, the line again every 5 minutes, before it ends', () => {
    writeFileSync(join(dir, 'journal'), journal(7));
    const result = run();
    expect(result.status).toBe(0);
    expect(result.console).toBe(`\n${RUNNER_EXIT_LINE}7\n`.repeat(4));
    expect(parseRunnerExit(result.console!)).toBe(7);
    // The whole hold, in steps of at most REPEAT_SECONDS.
    expect(result.sleeps).toEqual(['300', '300', '100']);
    expect(result.journalctl).toEqual(['--sync', JOURNAL_ARGS]);
    expect(result.stderr).toBe('report-runner-exit: the runner exited 7: its version is deprecated and GitHub gives it no jobs. Holding this VM for 700s '
      + 'so that the pool\'s token refresher reads it here and records a RunnerOutdated Event; then powering off\n'
      + 'report-runner-exit: the runner exited 7; powering off\n');
  });

  test('the default hold is 40 minutes (longer than the refresher\'s 30-minute schedule and its 5-minute deadline), the line every 5', () => {
    // What the refresher's Event tells the admin.
    expect(GUEST_HOLD_MINUTES).toBe(40);
    writeFileSync(join(dir, 'journal'), journal(7));
    const result = run({ RUNNER_OUTDATED_HOLD_SECONDS: '', RUNNER_OUTDATED_REPEAT_SECONDS: '' });
    expect(result.sleeps).toEqual(Array(8).fill('300'));
    expect(result.console).toBe(`\n${RUNNER_EXIT_LINE}7\n`.repeat(9));
  });

  test.each([0, 1, 3])('a runner that exited %i: the line once, and the VM powers off at once', (status) => {
    writeFileSync(join(dir, 'journal'), journal(status));
    const result = run();
    expect(result).toMatchObject({ status: 0, console: `\n${RUNNER_EXIT_LINE}${status}\n`, sleeps: [] });
    expect(result.stderr).toBe(`report-runner-exit: the runner exited ${status}; powering off\n`);
  });

  test('the last exit counts: a 7 a job wrote before the listener\'s own 0 holds nothing; restarts before a 7 do not hide it', () => {
    writeFileSync(join(dir, 'journal'), journal(7, 0));
    expect(run()).toMatchObject({ status: 0, console: `\n${RUNNER_EXIT_LINE}0\n`, sleeps: [] });
    writeFileSync(join(dir, 'journal'), journal(2, 3, 7));
    expect(parseRunnerExit(run().console!)).toBe(7);
  });

  test('only RunnerService.js\'s whole line counts: a code of null (a killed listener), more digits or more text is no status', () => {
    writeFileSync(join(dir, 'journal'), journal('null', '1234', '7 and more'));
    const result = run();
    expect(result.console).toBeUndefined();
    expect(result.status).toBe(0);
  });

  test('journald stores the last lines late: read again after a second', () => {
    writeFileSync(join(dir, 'journal.late'), journal(7));
    const result = run({ RUNNER_OUTDATED_HOLD_SECONDS: '0' });
    expect(result.sleeps).toEqual(['1']);
    expect(result.journalctl).toEqual(['--sync', JOURNAL_ARGS, '--sync', JOURNAL_ARGS]);
    expect(result.console).toBe(`\n${RUNNER_EXIT_LINE}7\n`);
  });

  test('no exit line at all (a runner that never started): five reads, no console line, the VM powers off', () => {
    writeFileSync(join(dir, 'journal'), 'Starting Runner listener with startup type: service\n');
    const result = run();
    expect(result).toMatchObject({ status: 0, console: undefined, sleeps: ['1', '1', '1', '1'] });
    expect(result.journalctl.filter((a) => a === JOURNAL_ARGS)).toHaveLength(5);
    expect(result.stderr).toBe(`report-runner-exit: the journal of ${UNIT} has no line 'Runner listener exited with error code <status>': `
      + 'no runner exit to report; powering off\n');
  });

  test('a console it cannot write on: a warning, and the hold all the same', () => {
    writeFileSync(join(dir, 'journal'), journal(7));
    const result = run({ RUNNER_SERIAL_CONSOLE: join(dir, 'no-such-dir', 'ttyS0'), RUNNER_OUTDATED_HOLD_SECONDS: '300' });
    expect(result.status).toBe(0);
    expect(result.sleeps).toEqual(['300']);
    expect(result.stderr).toContain(`report-runner-exit: cannot write the runner's exit status on the serial console ${join(dir, 'no-such-dir', 'ttyS0')}\n`);
  });

  test.each([['unset', ''], ['not a unit', 'x;reboot'], ['a path', '/etc/passwd']])('RUNNER_UNIT %s: an error (the unit fails, the VM powers off)', (_, unit) => {
    writeFileSync(join(dir, 'journal'), journal(7));
    const result = run({ RUNNER_UNIT: unit });
    expect(result).toMatchObject({ status: 1, console: undefined, journalctl: [] });
    expect(result.stderr).toContain('report-runner-exit: error: RUNNER_UNIT');
  });
});

describe('what report-runner-exit.sh shares with run-jit-runner.sh', () => {
  const text = (file: string) => readFileSync(join(GUEST, file), 'utf8');
  const body = (file: string, fn: string) => new RegExp(`^${fn}\\(\\) \\{\\n[^]*?^\\}$`, 'm').exec(text(file))?.[0];

  test('the exit line (RUNNER_EXIT_LINE), the serial console and how the line is written are the per-job VM\'s', () => {
    expect(text('report-runner-exit.sh')).toContain(`readonly EXIT_LINE='${RUNNER_EXIT_LINE}'`);
    expect(text('run-jit-runner.sh')).toContain(`readonly EXIT_LINE='${RUNNER_EXIT_LINE}'`);
    for (const fn of ['serial_console', 'report_exit']) {
      expect(body('report-runner-exit.sh', fn)).toBeDefined();
      expect(body('report-runner-exit.sh', fn)).toBe(body('run-jit-runner.sh', fn));
    }
  });

  test('its unit runs it as root and powers the VM off when it ends, whatever the result', () => {
    const unit = text('report-runner-exit.service');
    expect(unit).toMatch(/^SuccessAction=poweroff$/m);
    expect(unit).toMatch(/^FailureAction=poweroff$/m);
    expect(unit).toMatch(new RegExp(`^ExecStart=${REPORT_EXIT_SCRIPT_PATH}$`, 'm'));
    expect(unit).not.toMatch(/^User=/m);
  });

  testIf(spawnSync('shellcheck', ['--version']).status === 0, 'shellcheck (apt-get install shellcheck)')('shellcheck-clean', () => {
    const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', SCRIPT], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
