import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Bake, freshOverlay, SERVER } from './baked-image';
import { CLOCKS_SH, REPORT } from './guest-shell';
import { boot, BootResult } from './guest-vm';
import { GuestImage } from './image-cache';
import { ReportServer } from './report-server';
import { renderJobCloudConfig } from '../../lib/render/cloud-config';

// Where a boot's time goes, from the guest's own clocks (CLOCK_MONOTONIC: seconds since the kernel
// started, which keep their proportions under software emulation when wall-clock times do not),
// and the same baked image's bare boot to compare with: our units masked on the kernel command
// line, nothing else changed. qemu boots the kernel directly (-kernel): there is no firmware and no
// boot loader in these figures; on KubeVirt, the VM's firmware comes before all of them.

/** The units of ours that the bare boot masks (systemd-debug-generator's systemd.mask=). */
export const OUR_UNITS = ['actions-runner-jit.service', 'register-actions-runner.service', 'runner-docker-data.service'];

/** A boot's clocks in seconds: the manager's (initrd, userspace, finish) and each unit's, by name. */
export interface BootClocks {
  readonly manager: Readonly<Record<string, number>>;
  readonly units: ReadonlyMap<string, Readonly<Record<string, number>>>;
}

export function parseClocks(report: string | undefined): BootClocks | undefined {
  if (!report) return undefined;
  const blocks = report.trim().split(/\n\s*\n/).map((block) => Object.fromEntries(block.split('\n').map((line) => {
    const [key, value] = [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)];
    return [key, key === 'Id' ? value : Number(value) / 1e6];
  })));
  const [manager, ...units] = blocks;
  return { manager: manager as Record<string, number>, units: new Map(units.map((unit) => [String(unit.Id), unit as Record<string, number>])) };
}

/** When the kernel ran the initrd's /init, from its own timestamps on the console (printk time). */
function initrdStart(console: string): number | undefined {
  const match = /\[\s*([0-9]+\.[0-9]+)\] Run \/init as init process/.exec(console);
  return match ? Number(match[1]) : undefined;
}

const s = (seconds: number | undefined) => (seconds === undefined || seconds === 0 || Number.isNaN(seconds) ? '-' : seconds.toFixed(1));

/** multi-user.target reached, in the guest's clock. */
export const multiUserReached = (clocks: BootClocks | undefined) => clocks?.units.get('multi-user.target')?.ActiveEnterTimestampMonotonic;

/**
 * Lines of a boot's breakdown: kernel, initrd, systemd, cloud-init's stages, the targets, the units
 * given, and the runner's start (`runner`: its name and guest uptime), as a ratio of the bare boot
 * to multi-user.target when there is one.
 */
export function breakdown(name: string, clocks: BootClocks | undefined, console: string, ours: readonly string[],
  runner?: { label: string; uptime: number | undefined }, bareMultiUser?: number): string[] {
  if (!clocks) return [`  ${name}: no clocks reported`];
  const unit = (id: string) => clocks.units.get(id) ?? {};
  const span = (id: string, label = id.replace(/\.service$/, '')) => `${label} ${s(unit(id).InactiveExitTimestampMonotonic)}–${s(unit(id).ActiveEnterTimestampMonotonic)}`;
  const lines = [
    `  ${name} (guest clock, s since the kernel started; direct kernel boot: no firmware, no boot loader)`,
    `    kernel to the initrd's /init ${s(initrdStart(console))}, to systemd (userspace) ${s(clocks.manager.UserspaceTimestampMonotonic)}`
      + ` · boot finished ${s(clocks.manager.FinishTimestampMonotonic)}`,
    `    cloud-init stages: ${['cloud-init-local.service', 'cloud-init.service', 'cloud-config.service', 'cloud-final.service'].map((id) => span(id)).join(', ')}`,
    `    network-online.target ${s(unit('network-online.target').ActiveEnterTimestampMonotonic)}, multi-user.target ${s(multiUserReached(clocks))}, ${span('ssh.service', 'sshd')}`,
  ];
  if (ours.length > 0) lines.push(`    ours: ${ours.map((id) => `${id.replace(/\.service$/, '')} started ${s(unit(id).ExecMainStartTimestampMonotonic)}`).join(', ')}`);
  if (runner) {
    const ratio = runner.uptime !== undefined && bareMultiUser ? ` = ${(runner.uptime / bareMultiUser).toFixed(2)} x the bare boot to multi-user.target (${s(bareMultiUser)})` : '';
    lines.push(`    ${runner.label} ${s(runner.uptime)}${ratio}`);
  }
  return lines;
}

/** The top of `cloud-init analyze blame` (the slowest modules), one line each. */
export const blameLines = (blame: string | undefined, top = 5) => (blame ?? '').split('\n').filter((l) => /^\s+[0-9.]+s \(/.test(l)).slice(0, top).map((l) => `      ${l.trim()}`);

// What the bare boot runs once multi-user.target is reached (as root, from the kernel command line):
// waits for cloud-init's last stage (so its clocks are complete), reports them, and ends: the
// generated unit then powers the VM off.
const BARE_SH = `#!/bin/bash
${REPORT}
${CLOCKS_SH}
cloud-init status --wait >/dev/null 2>&1
clocks | report bare-clocks
cloud-init analyze blame 2>&1 | head -n 20 | report bare-blame
`;

export interface BareBoot {
  readonly result: BootResult;
  readonly clocks: BootClocks | undefined;
  readonly blame: string | undefined;
}

/**
 * Boots the baked image bare: a fresh overlay and the per-job user-data as a per-job VM gets them
 * (the image's cloud-init makes it a new machine, as it would any VM of a cloud image), our units
 * masked (systemd.mask=), and systemd-run-generator's systemd.run= waiting for multi-user.target
 * (`systemctl start` waits for the boot's own start job), then fetching and running BARE_SH from the
 * test's server and powering off. Done once per baked disk in a run, like the bake.
 */
export async function bareBoot(image: GuestImage, bake: Bake): Promise<BareBoot & { shared: boolean }> {
  const dir = join(dirname(bake.disk), 'bare');
  const recordFile = join(dirname(bake.disk), 'bare.json');
  if (existsSync(recordFile)) {
    const { result, clocksReport, blame } = JSON.parse(readFileSync(recordFile, 'utf8'));
    return { result, clocks: parseClocks(clocksReport), blame, shared: true };
  }
  mkdirSync(dir, { recursive: true });
  const server = new ReportServer({ '/bare.sh': Buffer.from(BARE_SH) });
  const port = await server.listen();
  try {
    const result = await boot({
      dir, image, rootDisk: freshOverlay(bake.disk, dir), userData: renderJobCloudConfig(), hostname: 'bare', serverPort: port, timeoutSeconds: 300,
      extraCmdline: [
        ...OUR_UNITS.map((unit) => `systemd.mask=${unit}`),
        'systemd.wants=multi-user.target',
        `systemd.run="/bin/sh -c 'systemctl start multi-user.target && curl -fsS --retry 10 --retry-connrefused --retry-delay 1 ${SERVER}/bare.sh | bash'"`,
        'systemd.run_success_action=poweroff', 'systemd.run_failure_action=poweroff',
      ],
    });
    const record = { result, clocksReport: server.report('bare-clocks'), blame: server.report('bare-blame') };
    writeFileSync(recordFile, JSON.stringify(record));
    return { result, clocks: parseClocks(record.clocksReport), blame: record.blame, shared: false };
  } finally {
    await server.close();
  }
}
