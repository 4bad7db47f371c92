import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import {
  Bake, bakeImage, consoleLines, fields, freshOverlay, mirroredRunner, runnerPackageOf, secretUserData, sha256, testRunnerImage,
} from './baked-image';
import { BareBoot, bareBoot, blameLines, breakdown, multiUserReached, parseClocks } from './boot-clocks';
import { Phases } from './phases';
import { fakeRunnerTarball } from './fake-runner';
import { boot, BootResult, bootPrerequisites } from './guest-vm';
import { GuestImage, guestImage } from './image-cache';
import { ReportServer } from './report-server';
import { parseRunnerExit } from '../../lib/cluster/launcher/runner-exit';
import { swapRunnerPackage } from '../../lib/cluster/refresh/runner-package';
import { renderJobCloudConfig } from '../../lib/render/cloud-config';
import { ARC_JIT_SECRET_KEY, JIT_DISK_SERIAL } from '../../lib/private/token-disk';

// The per-job VM's life, under qemu: a RunnerImage's bake cloud-config, unmodified, bakes the image
// (the bake VM powers itself off: the image's readiness signal); then the baked disk boots twice,
// each time on a fresh copy-on-write layer as KubeVirt's ephemeral volume gives it, with the per-job
// user-data of a RunnerScaleSet's VMI and ARC's JIT Secret as a disk with its serial. Each boot must
// run the (fake) runner's run.sh once, as the runner user, with the JIT config in its environment,
// and power off by itself; the second job sees nothing of the first. The runner's exit status
// leaves the VM on its serial console, where the launcher's own parser (parseRunnerExit) reads it:
// job-2's runner is deprecated and exits 7. Then the image refresher's bake: runner B, a newer
// release in the test's mirror, swapped into the same bake user data (swapRunnerPackage) and baked
// from the base image, checksum-verified; a per-job VM of that image runs B. KubeVirt and ARC are
// not run: qemu plays the VMs, the test the rest; the guest reaches nothing but the test's server.
const missing = bootPrerequisites();
const phases = new Phases();
const timed = <T>(phase: string, work: () => T | Promise<T>) => phases.timed(phase, work);

// Two releases in the test's mirror: the image's, and the newer one a refresh bakes.
const runnerA = mirroredRunner('2.334.0', fakeRunnerTarball({ baked: true }));
const runnerB = mirroredRunner('2.335.0', fakeRunnerTarball({ baked: true, version: '2.335.0' }));
/** A fake JIT config per job, opaque and base64 like ARC's (with '+', '/' and '=' in it). */
const jitConfig = () => Buffer.concat([Buffer.from(`{"fake":"${randomBytes(24).toString('hex')}"}`), Buffer.from([0xfb, 0xef, 0xff, 0x41])]).toString('base64');

interface Job {
  readonly name: string;
  readonly jit: string;
  readonly server: ReportServer;
  readonly result: BootResult;
}

(missing.length === 0 ? describe : describe.skip)('a baked image runs one job per boot', () => {
  let work: string;
  let image: GuestImage;
  let bakeServer: Bake['server'];
  let baked: string;
  let bake: BootResult;
  let refresh: Bake | undefined;
  let refreshUserData: string;
  let refreshRendered: string;
  let refreshedJob: Job | undefined;
  let bare: BareBoot | undefined;
  const jobs: Job[] = [];
  const load = [`at the start ${readFileSync('/proc/loadavg', 'utf8').trim()}`];
  const startTimes: string[] = [];

  /** Boots the baked disk once as a per-job VM: a fresh overlay, the per-job user-data, the JIT Secret's disk. */
  async function runJob(name: string, disk = baked): Promise<Job> {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    // What KubeVirt's ephemeral volume does: a copy-on-write layer over the baked volume, dropped with the VM.
    const overlay = freshOverlay(disk, dir);
    const server = new ReportServer({});
    const port = await server.listen();
    const jit = jitConfig();
    try {
      const result = await timed(`${name}: boot, run.sh, power off`, () => boot({
        dir, image, rootDisk: overlay, userData: renderJobCloudConfig(), hostname: name,
        tokenFiles: { [ARC_JIT_SECRET_KEY]: jit }, tokenSerial: JIT_DISK_SERIAL, serverPort: port, timeoutSeconds: 300,
        stopWhenConsoleMatches: /actions-runner-jit: error: /,
      }));
      const started = server.reportTimes.get('jit-start')?.[0];
      startTimes.push(`  ${name}: VM start to run.sh start ${started ? `${((started - result.startedAt) / 1000).toFixed(1)} s` : 'never'}`
        + ` (guest uptime ${fields(server.report('jit-start')).uptime ?? '?'} s), whole boot to power-off ${result.seconds.toFixed(1)} s`);
      return { name, jit, server, result };
    } finally {
      await server.close();
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'jit-boot-test-'));
    image = await timed('guest image (build or cache)', () => guestImage());
    const chart = Testing.chart();
    const runnerImage = testRunnerImage(chart, runnerA);
    const userData = secretUserData(chart, runnerImage.readyVmiName);
    const baking: Bake = await timed('bake (runner A)', () => bakeImage({
      guest: image, userData, hostname: runnerImage.readyVmiName, files: { [runnerA.path]: runnerA.tarball },
    }));
    if (baking.shared) phases.part('(baked earlier in this run: shared)', 0);
    ({ disk: baked, result: bake, server: bakeServer } = baking);
    // The refresher's bake: the synthesized bake user data with runner B's package swapped in.
    refreshUserData = swapRunnerPackage(userData, runnerPackageOf(runnerA), runnerPackageOf(runnerB));
    const chartB = Testing.chart();
    refreshRendered = secretUserData(chartB, testRunnerImage(chartB, runnerB).readyVmiName);
    if (!bake.poweredOff) return;
    const bared = await timed('bare boot (our units masked)', () => bareBoot(image, baking));
    if (bared.shared) phases.part('(booted earlier in this run: shared)', 0);
    bare = bared;
    jobs.push(await runJob('job-1'));
    jobs.push(await runJob('job-2'));
    refresh = await timed('refresh bake (runner B)', () => bakeImage({
      guest: image, userData: refreshUserData, hostname: `${runnerImage.volumeName}-refresh-bake`, files: { [runnerB.path]: runnerB.tarball },
    }));
    if (refresh.result.poweredOff) refreshedJob = await runJob('refreshed-1', refresh.disk);
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    console.log([
      `per-job boot test phases (qemu TCG, image ${image?.built ? 'built' : 'from cache'}):`,
      ...phases.lines(),
      ...startTimes,
      'the boot path, from the guest\'s clocks:',
      ...breakdown('bare boot (our units masked)', bare?.clocks, bare?.result.console ?? '', []),
      ...blameLines(bare?.blame),
      ...jobs.flatMap((job) => [
        ...breakdown(job.name, parseClocks(job.server.report('clocks')), job.result.console, ['actions-runner-jit.service'],
          { label: 'run.sh started', uptime: Number(fields(job.server.report('jit-start')).uptime) }, multiUserReached(bare?.clocks)),
        ...blameLines(job.server.report('blame')),
      ]),
      `  load (/proc/loadavg) ${[...load, `at the end ${readFileSync('/proc/loadavg', 'utf8').trim()}`].join(', ')}`,
    ].join('\n'));
  });

  describe('the bake', () => {
    test('installed the checksum-verified runner from the mirror and powered the VM off by itself', () => {
      expect(consoleLines(bake.console, 'bake-runner-image').filter((l) => l.includes('error'))).toEqual([]);
      expect({ timedOut: bake.timedOut, poweredOff: bake.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
      expect(bakeServer.requests).toContain(`GET ${runnerA.path}`);
      expect(bakeServer.report('installdependencies')).toBe('ok\n');
      expect(bake.console).toContain(`sha256 verified: ${runnerA.sha256}`);
    });

    test('sealed the image only once cloud-init had finished, then powered off', () => {
      expect(consoleLines(bake.console, 'bake-runner-image').slice(-3)).toEqual([
        'bake-runner-image: runner installed',
        'bake-runner-image: sealing the image once cloud-init has finished',
        'bake-runner-image: image baked; powering off',
      ]);
      const finished = bake.console.search(/Cloud-init v\. [0-9.]+ finished at/);
      expect(finished).toBeGreaterThan(0);
      expect(bake.console.indexOf('bake-runner-image: image baked; powering off')).toBeGreaterThan(finished);
      expect(bake.console).not.toContain('received SIGTERM');
    });

    test('ran no runner and registered nothing', () => {
      expect(bakeServer.report('jit-start')).toBeUndefined();
      expect(bakeServer.report('config-args')).toBeUndefined();
    });
  });

  test('the bare boot reached multi-user.target with our units masked, reported its clocks and powered off', () => {
    if (!bare) throw new Error('the bare boot did not run: the bake failed');
    expect(multiUserReached(bare.clocks)).toBeGreaterThan(0);
    expect(bare.clocks?.units.get('actions-runner-jit.service')?.ExecMainStartTimestampMonotonic).toBe(0);
    expect(consoleLines(bare.result.console, 'actions-runner-jit')).toEqual([]);
    expect({ timedOut: bare.result.timedOut, poweredOff: bare.result.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
  });

  describe.each([['job-1', 0], ['job-2', 1]])('%s', (name, index) => {
    const job = () => {
      if (!jobs[index]) throw new Error(`${name} did not boot: the bake failed`);
      return jobs[index];
    };
    const run = () => fields(job().server.report('jit-run'));

    test('run.sh ran once, as the runner user in its folder, with exactly the JIT config in its environment and no arguments', () => {
      expect(job().server.reportTimes.get('jit-start')).toHaveLength(1);
      expect(run()).toMatchObject({
        user: 'actions-runner', home: '/home/actions-runner', pwd: '/opt/actions-runner/runner', host: name, args: '0', jit_sha256: sha256(job().jit),
        version: '2.334.0', deprecated_exit_code: '1',
      });
    });

    test('the VM powered itself off when the runner exited, whatever its status, and the launcher reads the status on its serial console', () => {
      // job-2's runner is deprecated: 7, passed on by run.sh because the guest set ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1.
      const status = name === 'job-2' ? 7 : 0;
      expect(consoleLines(job().result.console, 'actions-runner-jit')).toEqual([
        'actions-runner-jit: starting the just-in-time runner as actions-runner',
        `actions-runner-jit: the runner exited with status ${status}; powering off`,
      ]);
      expect({ timedOut: job().result.timedOut, poweredOff: job().result.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
      expect(parseRunnerExit(job().result.console)).toBe(status);
      // Before the power-off: what KubeVirt's guest-console-log container has when the VMI succeeds.
      expect(job().result.console.indexOf(`kubevirt-runners: runner exited ${status}`)).toBeLessThan(job().result.console.indexOf('reboot: Power down'));
    });

    test('the VM is a new machine to cloud-init and systemd, with nothing of the bake VM\'s', () => {
      expect(run().cloud_init).toMatch(/^status: done/);
      expect(run().cloud_instances.trim()).toBe(`${name}.boot-test`);
      expect(run().machine_id).toMatch(/^[0-9a-f]{32}$/);
      expect(run().machine_id).not.toBe(index === 1 ? fields(jobs[0]?.server.report('jit-run')).machine_id : '');
      expect(run().journals.trim()).toBe(run().machine_id);
      // One SSH host key of its own, made at this boot (the bake's were forgotten), and sshd runs with it.
      expect({ keys: run().ssh_host_keys.trim(), sshd: run().sshd }).toEqual({ keys: 'ssh_host_ed25519_key.pub', sshd: 'active' });
    });

    test('the boot completes while the job runs, and creates no user (the runner user is baked in)', () => {
      expect(run().system).toBe('running');
      expect(run().users.trim()).toBe('actions-runner');
    });

    test('systemd found no ordering cycle (it would drop a job to break it)', () => {
      expect(job().result.console).not.toMatch(/ordering cycle/i);
    });

    test('the JIT config is in no file, not on the console and in nothing the guest sent', () => {
      expect(job().server.report('jit-files')).toBe('');
      expect(job().result.console.includes(job().jit)).toBe(false);
      expect(job().server.everything().includes(job().jit)).toBe(false);
    });

    test('the job sees nothing an earlier job left', () => {
      expect(run().previous_job).toBe('none');
    });
  });

  describe('a refresh bake with a newer runner, and a per-job VM that runs it', () => {
    test('the refresh user data is the bake user data with only the runner package swapped: what the library renders for runner B', () => {
      expect(refreshUserData).toBe(refreshRendered);
      expect(refreshUserData).toContain(runnerB.sha256);
      expect(refreshUserData).not.toContain(runnerA.sha256);
    });

    test('the refresh bake downloaded runner B from the mirror, verified its checksum, sealed the image and powered off', () => {
      if (!refresh) throw new Error('the refresh bake did not run: the first bake failed');
      expect(consoleLines(refresh.result.console, 'bake-runner-image').filter((l) => l.includes('error'))).toEqual([]);
      expect(refresh.server.requests.filter((r) => r.startsWith('GET '))).toEqual([`GET ${runnerB.path}`]);
      expect(refresh.result.console).toContain(`sha256 verified: ${runnerB.sha256}`);
      expect(consoleLines(refresh.result.console, 'bake-runner-image').at(-1)).toBe('bake-runner-image: image baked; powering off');
      expect({ timedOut: refresh.result.timedOut, poweredOff: refresh.result.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
    });

    test('a per-job VM of the refreshed image runs runner B, once, and reports its exit on the serial console', () => {
      if (!refreshedJob) throw new Error('the refreshed image did not boot: a bake failed');
      expect(refreshedJob.server.reportTimes.get('jit-start')).toHaveLength(1);
      expect(fields(refreshedJob.server.report('jit-run'))).toMatchObject({ version: '2.335.0', host: 'refreshed-1', jit_sha256: sha256(refreshedJob.jit) });
      expect(parseRunnerExit(refreshedJob.result.console)).toBe(0);
      expect(refreshedJob.result.poweredOff).toBe(true);
    });
  });
});

if (missing.length > 0) {
  test(`boot test prerequisites (${missing.join(', ')})`, () => {
    if (process.env.CI) throw new Error(`the boot test cannot run: missing ${missing.join(', ')}`);
    console.warn(`boot test skipped: missing ${missing.join(', ')} (run as root with apt-get install qemu-system-x86 qemu-utils mmdebstrap eatmydata genisoimage)`);
  });
}
