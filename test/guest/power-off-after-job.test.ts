import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeGuest } from './harness';

// A warm pool's one-job VM (RUNNER_POWER_OFF_AFTER_JOB=true in its settings) powers off when its
// ephemeral runner's service stops after the job: the registration script adds a drop-in to the
// runner's unit that starts report-runner-exit.service when it stops (which says how the runner
// ended, holds a deprecated runner's VM, and powers off: report-runner-exit.test.ts) and gives the
// runner the variables that make a deprecated one exit 7 and stop; and one to the report unit, which
// names the runner's unit. Every other runner's unit has none.
describe('register-runner.sh: power off after the job', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.dispose());

  const dropIn = () => join(guest.unitDir, 'actions.runner.acme.runners-0.service.d', 'power-off-after-job.conf');
  const reportDropIn = () => join(guest.unitDir, 'report-runner-exit.service.d', 'runner-unit.conf');

  test('a warm pool runner: the report unit starts when the runner unit stops, successfully or not, and knows which unit it was', () => {
    guest.install({ runnerLabels: ['warm'], ephemeral: true }, { RUNNER_POWER_OFF_AFTER_JOB: 'true' });
    const run = guest.run();
    expect(run.status).toBe(0);
    expect(guest.configArgs()).toContain('--ephemeral');
    expect(readFileSync(dropIn(), 'utf8')).toBe([
      '[Unit]',
      'OnSuccess=report-runner-exit.service',
      'OnFailure=report-runner-exit.service',
      '',
      '[Service]',
      // The listener reads both from its own environment: RunnerService.js passes the unit's on.
      'Environment=ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1',
      'Environment=GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES=1',
      '',
    ].join('\n'));
    // The power-off is the report unit's now: the runner's unit must not power off before the report.
    expect(readFileSync(dropIn(), 'utf8')).not.toMatch(/Action=/);
    expect(readFileSync(reportDropIn(), 'utf8')).toBe('[Service]\nEnvironment=RUNNER_UNIT=actions.runner.acme.runners-0.service\n');
  });

  test('a long-lived runner: no drop-in, and those left from before are removed', () => {
    guest.install({ runnerLabels: ['static'] }, { RUNNER_POWER_OFF_AFTER_JOB: 'true' });
    expect(guest.run().status).toBe(0);
    expect([existsSync(dropIn()), existsSync(reportDropIn())]).toEqual([true, true]);
    guest.install({ runnerLabels: ['static'] });
    expect(guest.run().status).toBe(0);
    expect([existsSync(dropIn()), existsSync(reportDropIn())]).toEqual([false, false]);
  });
});
