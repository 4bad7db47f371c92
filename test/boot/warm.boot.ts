import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { Bake, bakeImage, consoleLines, fields, freshOverlay, mirroredRunner, secretUserData, sha256, testRunnerImage } from './baked-image';
import { BareBoot, bareBoot, blameLines, breakdown, multiUserReached, parseClocks } from './boot-clocks';
import { Phases } from './phases';
import { fakeRunnerTarball } from './fake-runner';
import { boot, BootResult, bootPrerequisites } from './guest-vm';
import { GuestImage, guestImage } from './image-cache';
import { ReportServer } from './report-server';
import { RunnerWarmPool, TOKEN_DISK_SERIAL } from '../../lib';
import { RUNNER_EXIT_LINE } from '../../lib/cluster/contract';
import { parseRunnerExit } from '../../lib/cluster/launcher/runner-exit';

// A warm pool's VM, under qemu: a RunnerImage's bake cloud-config, unmodified, bakes the image;
// then the baked disk boots twice as the pool's VM warm-0, each time on a fresh copy-on-write layer
// (a new VMI of the pool's VM, runStrategy Always), with the RunnerWarmPool's cloud-init Secret,
// unmodified, as the NoCloud seed and the token Secret as a disk with its serial. Each boot must
// register an ephemeral runner (config.sh, baked in, with --ephemeral and the token from that
// boot's disk), run one (fake) job in the runner's unit and power off by itself when the unit
// stops; the per-job unit baked into the image must not run, and the second job sees nothing of
// the first. A third boot, as VM warm-1, whose fake runner's version is deprecated: its listener
// exits 7 (only with the variable from the unit's drop-in), the fake service stops after it (only
// with the other one), and the VM must say so on its console and hold instead of powering off (the
// boot ends once the console shows the hold). KubeVirt is not run: qemu plays the VMs, the test the
// rest; the guest reaches nothing but the test's server.
const missing = bootPrerequisites();
const phases = new Phases();
const timed = <T>(phase: string, work: () => T | Promise<T>) => phases.timed(phase, work);

// The same package, hence the same image, as jit.boot.ts: a run bakes it once for both.
const runner = mirroredRunner('2.334.0', fakeRunnerTarball({ baked: true }));
const URL = 'https://github.com/acme-corp';
const LABELS = ['kubevirt', 'warm', 'debian-12'];
const VM_NAME = 'warm-0';
const RUNNER_UNIT = `actions.runner.acme-corp.${VM_NAME}.service`;
// The serial port turns the guest's \n into \r\n (the tty's onlcr).
const onItsOwnLine = (line: string) => new RegExp(`\\r?\\n${line}\\r?\\n`);
// A fresh fake registration token per boot, shaped like GitHub's (the refresher renews the Secret).
const newToken = () => `A${randomBytes(32).toString('hex').toUpperCase().slice(0, 28)}`;

interface WarmBoot {
  readonly token: string;
  readonly server: ReportServer;
  readonly result: BootResult;
}

(missing.length === 0 ? describe : describe.skip)('a warm pool VM registers an ephemeral runner, runs one job and powers off, at every boot', () => {
  let work: string;
  let image: GuestImage;
  let bake: Bake;
  let userData: string;
  let bare: BareBoot | undefined;
  const boots: WarmBoot[] = [];
  let outdated: WarmBoot | undefined;
  const startTimes: string[] = [];
  const load = [`at the start ${readFileSync('/proc/loadavg', 'utf8').trim()}`];

  /** Boots the baked disk once as the pool's VM (`vm`): a fresh overlay, the pool's user-data, the token Secret's disk. */
  async function warmBoot(name: string, vm = VM_NAME, stopWhenConsoleMatches = /(register-actions-runner|actions-runner-jit|report-runner-exit): error: /): Promise<WarmBoot> {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    const overlay = freshOverlay(bake.disk, dir);
    const server = new ReportServer({});
    const port = await server.listen();
    const token = newToken();
    try {
      const result = await timed(`${name}: boot, job, power off`, () => boot({
        dir, image, rootDisk: overlay, userData, hostname: vm,
        tokenFiles: { token: `${token}\n` }, tokenSerial: TOKEN_DISK_SERIAL, serverPort: port, timeoutSeconds: 480, stopWhenConsoleMatches,
      }));
      const started = server.reportTimes.get('warm-start')?.[0];
      const done = server.reportTimes.get('warm-done')?.[0];
      startTimes.push(`  ${name}: VM start to the job's start ${started ? `${((started - result.startedAt) / 1000).toFixed(1)} s` : 'never'}`
        + ` (guest uptime ${fields(server.report('warm-start')).uptime ?? '?'} s), job's end to power-off `
        + `${done ? `${((result.startedAt + result.seconds * 1000 - done) / 1000).toFixed(1)} s` : '?'}, whole boot ${result.seconds.toFixed(1)} s`);
      return { token, server, result };
    } finally {
      await server.close();
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'warm-boot-test-'));
    image = await timed('guest image (build or cache)', () => guestImage());
    const chart = Testing.chart();
    const runnerImage = testRunnerImage(chart, runner);
    const pool = new RunnerWarmPool(chart, 'warm', { name: 'warm', url: URL, runnerImage: runnerImage, replicas: 1, tokenSecretName: 'warm-runner-token', runnerLabels: LABELS });
    userData = secretUserData(chart, `${pool.name}-cloud-init`);
    bake = await timed('bake', () => bakeImage({
      guest: image, userData: secretUserData(chart, runnerImage.readyVmiName), hostname: runnerImage.readyVmiName, files: { [runner.path]: runner.tarball },
    }));
    if (bake.shared) phases.part('(baked earlier in this run: shared)', 0);
    if (!bake.result.poweredOff) return;
    const bared = await timed('bare boot (our units masked)', () => bareBoot(image, bake));
    if (bared.shared) phases.part('(booted earlier in this run: shared)', 0);
    bare = bared;
    boots.push(await warmBoot('boot-1'));
    boots.push(await warmBoot('boot-2'));
    outdated = await warmBoot('boot-outdated', 'warm-1', /(register-actions-runner|actions-runner-jit|report-runner-exit): error: |Holding this VM for/);
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    console.log([
      `warm pool boot test phases (qemu TCG, image ${image?.built ? 'built' : 'from cache'}):`,
      ...phases.lines(),
      ...startTimes,
      'the boot path, from the guest\'s clocks:',
      ...breakdown('bare boot (our units masked)', bare?.clocks, bare?.result.console ?? '', []),
      ...blameLines(bare?.blame),
      ...boots.flatMap((warm, index) => [
        ...breakdown(`boot-${index + 1}`, parseClocks(warm.server.report('clocks')), warm.result.console, ['register-actions-runner.service', RUNNER_UNIT],
          { label: 'the runner (runsvc.sh, run.sh) started', uptime: Number(fields(warm.server.report('warm-start')).uptime) }, multiUserReached(bare?.clocks)),
        ...blameLines(warm.server.report('blame')),
      ]),
      `  load (/proc/loadavg) ${[...load, `at the end ${readFileSync('/proc/loadavg', 'utf8').trim()}`].join(', ')}`,
    ].join('\n'));
  });

  test('the bake installed the runner from the mirror and powered the VM off by itself', () => {
    expect(consoleLines(bake.result.console, 'bake-runner-image').filter((l) => l.includes('error'))).toEqual([]);
    expect({ timedOut: bake.result.timedOut, poweredOff: bake.result.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
    expect(bake.server.requests).toContain(`GET ${runner.path}`);
    expect(bake.result.console).toContain(`sha256 verified: ${runner.sha256}`);
  });

  test('the bare boot reached multi-user.target with our units masked, reported its clocks and powered off', () => {
    if (!bare) throw new Error('the bare boot did not run: the bake failed');
    expect(multiUserReached(bare.clocks)).toBeGreaterThan(0);
    expect(bare.clocks?.units.get('register-actions-runner.service')?.ExecMainStartTimestampMonotonic).toBe(0);
    expect({ timedOut: bare.result.timedOut, poweredOff: bare.result.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
  });

  describe.each([['boot-1', 0], ['boot-2', 1]])('%s', (name, index) => {
    const warm = () => {
      if (!boots[index]) throw new Error(`${name} did not happen: the bake failed`);
      return boots[index];
    };
    const run = () => fields(warm().server.report('warm-run'));

    test('the registration script registered the baked runner and started its unit, downloading nothing', () => {
      const lines = consoleLines(warm().result.console, 'register-actions-runner');
      expect(lines.filter((l) => l.includes('error:'))).toEqual([]);
      expect(lines).toEqual([
        `register-actions-runner: registering runner ${VM_NAME} with ${URL}`,
        'register-actions-runner: runner registered and started',
      ]);
      expect(warm().server.requests.filter((r) => r.startsWith('GET'))).toEqual([]);
    });

    test('config.sh got --ephemeral with the URL, the VM\'s name and the labels, and the token from this boot\'s disk, as the runner user', () => {
      expect(warm().server.report('config-args')?.split('\0').slice(0, -1)).toEqual([
        '--unattended', '--url', URL, '--name', VM_NAME, '--work', '_work', '--replace', '--labels', LABELS.join(','), '--ephemeral',
      ]);
      expect(fields(warm().server.report('config-env'))).toEqual({
        user: 'actions-runner', pwd: '/opt/actions-runner/runner', token_sha256: sha256(warm().token),
      });
      expect(warm().server.report('svc')).toBeUndefined();
    });

    test('the runner\'s unit ran the job once, as the runner user, after a complete boot', () => {
      expect(warm().server.reportTimes.get('warm-start')).toHaveLength(1);
      expect(warm().server.reportTimes.get('warm-done')).toHaveLength(1);
      expect(run()).toMatchObject({
        user: 'actions-runner', home: '/home/actions-runner', pwd: '/opt/actions-runner/runner', host: VM_NAME, unit: RUNNER_UNIT, args: '0',
        system: 'running', users: 'actions-runner ',
      });
      expect(run().cloud_init).toMatch(/^status: done/);
      expect(run().cloud_instances.trim()).toBe(`${VM_NAME}.boot-test`);
    });

    test('the runner\'s unit starts the report when it stops (the drop-in), which said 0 on the console and powered the VM off, by itself', () => {
      expect(run().unit_actions).toContain('OnSuccess=report-runner-exit.service');
      expect(run().unit_actions).toContain('OnFailure=report-runner-exit.service');
      expect(run().unit_actions).toContain('SuccessAction=none');
      expect(run().unit_actions).toContain(`DropInPaths=/etc/systemd/system/${RUNNER_UNIT}.d/power-off-after-job.conf`);
      expect(warm().result.console).toMatch(onItsOwnLine(`${RUNNER_EXIT_LINE}0`));
      expect(parseRunnerExit(warm().result.console)).toBe(0);
      expect(consoleLines(warm().result.console, 'report-runner-exit')).toEqual(['report-runner-exit: the runner exited 0; powering off']);
      expect({ timedOut: warm().result.timedOut, poweredOff: warm().result.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
    });

    test('the baked per-job unit did not run (the warm pool\'s marker file skips it)', () => {
      expect(consoleLines(warm().result.console, 'actions-runner-jit')).toEqual([]);
      expect(run().jit_unit).toContain('ConditionResult=no');
      expect(run().jit_unit).toContain('ExecMainStartTimestampMonotonic=0');
      expect(warm().server.report('jit-start')).toBeUndefined();
    });

    test('the job sees nothing an earlier job left, on a new machine', () => {
      expect(run().previous_job).toBe('none');
      expect(run().machine_id).toMatch(/^[0-9a-f]{32}$/);
      if (index === 1) expect(run().machine_id).not.toBe(fields(boots[0]?.server.report('warm-run')).machine_id);
    });

    test('systemd found no ordering cycle (it would drop a job to break it)', () => {
      expect(warm().result.console).not.toMatch(/ordering cycle/i);
    });

    test('the token appears neither on the console nor in anything the guest sent', () => {
      expect(warm().result.console.includes(warm().token)).toBe(false);
      expect(warm().server.everything().includes(warm().token)).toBe(false);
    });
  });

  describe('boot-outdated: a deprecated runner (VM warm-1)', () => {
    const held = () => {
      if (!outdated) throw new Error('boot-outdated did not happen: the bake failed');
      return outdated;
    };

    test('its listener ran once and exited 7 (the drop-in\'s two variables reached it): the line on the console', () => {
      expect(held().server.reportTimes.get('warm-start')).toHaveLength(1);
      expect(fields(held().server.report('warm-run')).unit).toBe('actions.runner.acme-corp.warm-1.service');
      expect(held().result.console).toMatch(onItsOwnLine(`${RUNNER_EXIT_LINE}7`));
      expect(parseRunnerExit(held().result.console)).toBe(7);
    });

    test('the VM holds instead of powering off (the boot was ended once the hold showed)', () => {
      expect(consoleLines(held().result.console, 'report-runner-exit')[0]).toBe('report-runner-exit: the runner exited 7: its version is deprecated and GitHub gives it no jobs. '
        + 'Holding this VM for 2400s so that the pool\'s token refresher reads it here and records a RunnerOutdated Event; then powering off');
      expect(held().result).toMatchObject({ stoppedOnMatch: true, poweredOff: false, timedOut: false });
    });
  });
});

if (missing.length > 0) {
  test(`boot test prerequisites (${missing.join(', ')})`, () => {
    if (process.env.CI) throw new Error(`the boot test cannot run: missing ${missing.join(', ')}`);
    console.warn(`boot test skipped: missing ${missing.join(', ')} (run as root with apt-get install qemu-system-x86 qemu-utils mmdebstrap eatmydata genisoimage)`);
  });
}
