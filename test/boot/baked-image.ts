import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { boot, BootResult } from './guest-vm';
import { cacheRoot, GuestImage } from './image-cache';
import { ReportServer } from './report-server';
import { OsImage, RunnerImage, RunnerRelease } from '../../lib';

// What the boot tests of baked images share (jit.boot.ts, warm.boot.ts): the fake runner releases
// in the test's mirror, the RunnerImage they bake, the bake itself under qemu (done once per run for
// the same inputs), the fresh copy-on-write layers its VMs boot on, and how they read what the
// guest said.

/** The test's server as the guest reaches it. */
export const SERVER = 'http://10.0.2.100:8080';

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
/** The lines a script of ours wrote on the serial console (its unit logs to journal+console; cloud-init's output goes there too). */
export const consoleLines = (console: string, prefix: string) => console.split('\n').map((l) => new RegExp(`${prefix}: .*`).exec(l)?.[0]).filter(Boolean) as string[];
/** `key=value` lines of a report. */
export const fields = (report: string | undefined) => Object.fromEntries((report ?? '').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

/** A fake runner release in the test's mirror: its package, where the guest downloads it, its checksum. */
export interface MirroredRunner {
  readonly version: string;
  readonly tarball: Buffer;
  /** The path on the test's server, as RunnerRelease's downloadBaseUrl makes it. */
  readonly path: string;
  readonly sha256: string;
}

export function mirroredRunner(version: string, tarball: Buffer): MirroredRunner {
  return { version, tarball, path: `/runner/v${version}/actions-runner-linux-x64-${version}.tar.gz`, sha256: sha256(tarball) };
}

/** The package as the refresher swaps it (contract RunnerPackage). */
export const runnerPackageOf = (runner: MirroredRunner) => ({ version: runner.version, sha256: runner.sha256, downloadUrl: `${SERVER}${runner.path}` });

/**
 * The RunnerImage the tests bake: the guest reaches nothing but the test's server, so nothing is
 * installed from Debian or Docker, and the runner comes from a mirror (the test's server).
 */
export function testRunnerImage(chart: Chart, runner: MirroredRunner, id = 'image'): RunnerImage {
  return new RunnerImage(chart, id, {
    baseOsImage: OsImage.debian12(),
    installPackages: false,
    docker: false,
    release: RunnerRelease.of(runner.version, { sha256: runner.sha256, downloadBaseUrl: `${SERVER}/runner` }),
  });
}

/** The userdata of a cloud-init Secret of the chart, by the Secret's name. */
export function secretUserData(chart: Chart, name: string): string {
  const secret = Testing.synth(chart).find((o: any) => o.kind === 'Secret' && o.metadata.name === name);
  if (!secret) throw new Error(`no Secret ${name} in the chart`);
  return secret.stringData.userdata;
}

/** What the test's server saw during a bake. */
export interface BakeServerRecord {
  readonly requests: readonly string[];
  readonly reports: Readonly<Record<string, string>>;
}

export interface Bake {
  /** The baked disk (qcow2); its VMs boot on overlays of it. */
  readonly disk: string;
  readonly result: BootResult;
  /** What the test's server saw during the bake (it served the package). */
  readonly server: BakeServerRecord & { report(name: string): string | undefined };
  /** Baked by an earlier suite of this run (the same inputs), not by this one. */
  readonly shared: boolean;
}

// Baked disks are shared by the suites of one `npm run test:boot` (jest runs them one after the
// other in one process, jest.boot.config.js): a bake of the same user data, packages and guest image
// is done once. Kept under the cache root by this process's id; a folder of a process that is gone
// is deleted.
function sharedBakesDir(): string {
  const root = join(cacheRoot(), 'bakes');
  mkdirSync(root, { recursive: true });
  for (const entry of readdirSync(root)) {
    const pid = Number(entry);
    if (pid !== process.pid && !alive(pid)) rmSync(join(root, entry), { recursive: true, force: true });
  }
  return join(root, String(process.pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Bakes the image under qemu with its bake cloud-config (`userData`, unmodified), on a
 * copy-on-write copy of the guest image (the cached image stays as it is), the test's server
 * serving `files`; the bake VM powers itself off when done. A bake of the same inputs made earlier
 * in this run is reused.
 */
export async function bakeImage(options: { guest: GuestImage; userData: string; hostname: string; files: Record<string, Buffer> }): Promise<Bake> {
  const key = sha256([options.guest.key, options.userData, ...Object.entries(options.files).sort().map(([path, data]) => `${path}=${sha256(data)}`)].join('\n')).slice(0, 16);
  const dir = join(sharedBakesDir(), key);
  const recordFile = join(dir, 'bake.json');
  const disk = join(dir, 'baked.qcow2');
  const withReport = (record: BakeServerRecord) => ({ ...record, report: (name: string) => record.reports[name] });
  if (existsSync(recordFile)) {
    const { result, server } = JSON.parse(readFileSync(recordFile, 'utf8'));
    return { disk, result, server: withReport(server), shared: true };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = new ReportServer(options.files);
  const port = await server.listen();
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', options.guest.rootfs, '-F', 'raw', disk]);
  try {
    const result = await boot({
      dir: join(dir, 'boot'), image: options.guest, rootDisk: disk, userData: options.userData, hostname: options.hostname,
      serverPort: port, timeoutSeconds: 420,
      // A failed bake stays up on purpose (it must never look ready): its first error is all the test needs.
      stopWhenConsoleMatches: /(bake-runner-image|register-actions-runner): error: /,
    });
    const record: BakeServerRecord = {
      requests: [...server.requests],
      reports: Object.fromEntries([...server.reports.keys()].map((name) => [name, server.report(name)!])),
    };
    writeFileSync(recordFile, JSON.stringify({ result, server: record }));
    return { disk, result, server: withReport(record), shared: false };
  } finally {
    await server.close();
  }
}

/** What KubeVirt's ephemeral volume does: a fresh copy-on-write layer over the baked volume, dropped with the VM. */
export function freshOverlay(baked: string, dir: string): string {
  const overlay = join(dir, 'overlay.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', baked, '-F', 'qcow2', overlay]);
  return overlay;
}
