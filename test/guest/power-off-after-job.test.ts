import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeGuest } from './harness';

// A warm pool's one-job VM (RUNNER_POWER_OFF_AFTER_JOB=true in its settings) powers off when its
// ephemeral runner's service stops after the job: the registration script adds a drop-in to the
// runner's unit. Every other runner's unit has none.
describe('register-runner.sh: power off after the job', () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.dispose());

  const dropIn = () => join(guest.unitDir, 'actions.runner.acme.runners-0.service.d', 'power-off-after-job.conf');

  test('a warm pool runner: the runner unit powers the VM off when it stops, successfully or not', () => {
    guest.install({ runnerLabels: ['warm'], ephemeral: true }, { RUNNER_POWER_OFF_AFTER_JOB: 'true' });
    const run = guest.run();
    expect(run.status).toBe(0);
    expect(guest.configArgs()).toContain('--ephemeral');
    expect(readFileSync(dropIn(), 'utf8')).toBe('[Unit]\nSuccessAction=poweroff\nFailureAction=poweroff\n');
  });

  test('a long-lived runner: no drop-in, and one left from before is removed', () => {
    guest.install({ runnerLabels: ['static'] }, { RUNNER_POWER_OFF_AFTER_JOB: 'true' });
    expect(guest.run().status).toBe(0);
    expect(existsSync(dropIn())).toBe(true);
    guest.install({ runnerLabels: ['static'] });
    expect(guest.run().status).toBe(0);
    expect(existsSync(dropIn())).toBe(false);
  });
});
