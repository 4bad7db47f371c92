import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { boot, BootResult } from './guest-vm';
import { GuestImage } from './image-cache';
import { ReportServer } from './report-server';
import { OsImage, RunnerImage, RunnerRelease } from '../../lib';

// What the boot tests of baked images share (jit.boot.ts, warm.boot.ts): the RunnerImage they
// bake, the bake itself under qemu, the fresh copy-on-write layers its VMs boot on, and how they
// read what the guest said.

/** The test's server as the guest reaches it. */
export const SERVER = 'http://10.0.2.100:8080';
/** Where the test's server serves the fake runner package. */
export const PACKAGE_PATH = '/runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz';

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
/** The lines a script of ours wrote on the serial console (its unit logs to journal+console; cloud-init's output goes there too). */
export const consoleLines = (console: string, prefix: string) => console.split('\n').map((l) => new RegExp(`${prefix}: .*`).exec(l)?.[0]).filter(Boolean) as string[];
/** `key=value` lines of a report. */
export const fields = (report: string | undefined) => Object.fromEntries((report ?? '').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

/**
 * The RunnerImage the tests bake: the guest reaches nothing but the test's server, so nothing is
 * installed from Debian or Docker, and the runner comes from a mirror (the test's server).
 */
export function testRunnerImage(chart: Chart, tarball: Buffer): RunnerImage {
  return new RunnerImage(chart, 'image', {
    baseOsImage: OsImage.debian12(),
    installPackages: false,
    docker: false,
    release: RunnerRelease.of('2.334.0', { sha256: sha256(tarball), downloadBaseUrl: `${SERVER}/runner` }),
  });
}

/** The userdata of a cloud-init Secret of the chart, by the Secret's name. */
export function secretUserData(chart: Chart, name: string): string {
  const secret = Testing.synth(chart).find((o: any) => o.kind === 'Secret' && o.metadata.name === name);
  if (!secret) throw new Error(`no Secret ${name} in the chart`);
  return secret.stringData.userdata;
}

export interface Bake {
  /** The baked disk (qcow2); its VMs boot on overlays of it. */
  readonly disk: string;
  readonly result: BootResult;
  /** The test's server during the bake (it served the package). */
  readonly server: ReportServer;
}

/**
 * Bakes the image under qemu with its bake cloud-config, unmodified, on a copy-on-write copy of
 * the guest image (the cached image stays as it is); the bake VM powers itself off when done.
 */
export async function bakeImage(options: { work: string; guest: GuestImage; image: RunnerImage; chart: Chart; tarball: Buffer }): Promise<Bake> {
  const server = new ReportServer({ [PACKAGE_PATH]: options.tarball });
  const port = await server.listen();
  const disk = join(options.work, 'baked.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', options.guest.rootfs, '-F', 'raw', disk]);
  try {
    const result = await boot({
      dir: join(options.work, 'bake'), image: options.guest, rootDisk: disk,
      userData: secretUserData(options.chart, options.image.readyVmiName), hostname: options.image.readyVmiName,
      serverPort: port, timeoutSeconds: 420,
      // A failed bake stays up on purpose (it must never look ready): its first error is all the test needs.
      stopWhenConsoleMatches: /(bake-runner-image|register-actions-runner): error: /,
    });
    return { disk, result, server };
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
