import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestImage } from './image-cache';

/** What a boot is given: the root disk, the cloud-init seed, the token disk, and where the test's server listens. */
export interface BootSpec {
  readonly dir: string;
  readonly image: GuestImage;
  readonly userData: string;
  /**
   * A qcow2 disk to boot as it is: what the guest writes stays in it (a bake). Default: a throw-away
   * overlay over the image's root filesystem.
   */
  readonly rootDisk?: string;
  /** NoCloud meta-data as KubeVirt writes it: instance-id and local-hostname (the VM name). */
  readonly hostname: string;
  /** Files of the token Secret, as KubeVirt's secret disk holds them. Default: no token disk (a bake VM has none). */
  readonly tokenFiles?: Record<string, string>;
  /** Serial of the token disk (KubeVirt's `serial`). */
  readonly tokenSerial?: string;
  /** Blank disks by serial and size in GiB (KubeVirt's emptyDisk or a blank DataVolume). Default: none. */
  readonly blankDisks?: Record<string, number>;
  readonly serverPort: number;
  /** Where 10.0.2.100:3128 leads (a proxy the test plays), on 127.0.0.1. Default: nowhere. */
  readonly proxyPort?: number;
  /** Hard limit for the whole boot. */
  readonly timeoutSeconds: number;
  /** Stop early when the console shows this (a boot that is expected not to finish). */
  readonly stopWhenConsoleMatches?: RegExp;
  /** Kernel command line parameters after the test's own (systemd.mask=, systemd.run=). Default: none. */
  readonly extraCmdline?: readonly string[];
}

export interface BootResult {
  readonly console: string;
  readonly seconds: number;
  /** When qemu was started (Date.now()). */
  readonly startedAt: number;
  /** The kernel said "reboot: Power down": the guest shut itself down. */
  readonly poweredOff: boolean;
  readonly timedOut: boolean;
  readonly stoppedOnMatch: boolean;
}

/** An ISO9660 disk with the given files: KubeVirt's cloud-init and Secret disks are such ISOs. */
function iso(path: string, volumeId: string, files: Record<string, string>): void {
  const dir = `${path}.d`;
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  execFileSync('genisoimage', ['-quiet', '-output', path, '-volid', volumeId, '-joliet', '-rock', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Boots the image once under qemu, on a throw-away overlay (or the given root disk): the root disk,
 * the NoCloud seed and the token disk as virtio disks in that order (the token disk with its
 * serial), the guest agent channel, and user networking that reaches nothing but the test's server.
 */
export async function boot(spec: BootSpec): Promise<BootResult> {
  mkdirSync(spec.dir, { recursive: true });
  const root = spec.rootDisk ?? join(spec.dir, 'root.qcow2');
  const seed = join(spec.dir, 'seed.iso');
  const token = join(spec.dir, 'token.iso');
  const consoleLog = join(spec.dir, 'console.log');
  if (!spec.rootDisk) execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', spec.image.rootfs, root]);
  iso(seed, 'cidata', { 'user-data': spec.userData, 'meta-data': `instance-id: ${spec.hostname}.boot-test\nlocal-hostname: ${spec.hostname}\n` });
  if (spec.tokenFiles) iso(token, 'cfgdata', spec.tokenFiles);
  const blank = Object.entries(spec.blankDisks ?? {}).map(([serial, gib]) => {
    const path = join(spec.dir, `${serial.toLowerCase()}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', path, `${gib}G`]);
    return ['-drive', `if=none,id=${serial.toLowerCase()},file=${path},format=qcow2`, '-device', `virtio-blk-pci,drive=${serial.toLowerCase()},serial=${serial}`];
  }).flat();
  writeFileSync(consoleLog, '');
  const relay = `${process.execPath} ${join(__dirname, 'relay.cjs')} ${spec.serverPort}`;
  const args = [
    // Software emulation: these machines have no usable KVM (a /dev/kvm that exists here fails
    // qemu's MSR setup), and -smp 2 with multi-threaded TCG boots far faster than -smp 1.
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', '1024',
    '-kernel', spec.image.kernel, '-initrd', spec.image.initrd,
    '-append', ['root=LABEL=rootfs rw console=ttyS0 panic=-1', ...spec.extraCmdline ?? []].join(' '),
    '-no-reboot', '-display', 'none', '-monitor', 'none', '-serial', `file:${consoleLog}`,
    '-drive', `if=none,id=root,file=${root},format=qcow2`, '-device', 'virtio-blk-pci,drive=root',
    '-drive', `if=none,id=seed,file=${seed},format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=seed',
    ...(spec.tokenFiles ? [
      '-drive', `if=none,id=token,file=${token},format=raw,readonly=on`, '-device', `virtio-blk-pci,drive=token,serial=${spec.tokenSerial}`,
    ] : []),
    ...blank,
    '-netdev', [
      `user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:8080-cmd:${relay}`,
      ...(spec.proxyPort ? [`guestfwd=tcp:10.0.2.100:3128-cmd:${process.execPath} ${join(__dirname, 'relay.cjs')} ${spec.proxyPort}`] : []),
    ].join(','), '-device', 'virtio-net-pci,netdev=net0',
    '-device', 'virtio-rng-pci',
    '-device', 'virtio-serial-pci', '-chardev', `socket,id=qga0,path=${join(spec.dir, 'qga.sock')},server=on,wait=off`,
    '-device', 'virtserialport,chardev=qga0,name=org.qemu.guest_agent.0',
  ];
  const start = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  qemu.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  let timedOut = false;
  let stoppedOnMatch = false;
  const exited = new Promise<number | null>((resolve) => qemu.on('exit', resolve));
  const watch = setInterval(() => {
    if (Date.now() - start > spec.timeoutSeconds * 1000) {
      timedOut = true;
      qemu.kill('SIGKILL');
    } else if (spec.stopWhenConsoleMatches && spec.stopWhenConsoleMatches.test(readFileSync(consoleLog, 'utf8'))) {
      stoppedOnMatch = true;
      qemu.kill('SIGKILL');
    }
  }, 1000);
  await exited;
  clearInterval(watch);
  const console = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
  if (!console && stderr) throw new Error(`qemu failed: ${stderr}`);
  return {
    console, seconds: (Date.now() - start) / 1000, startedAt: start, timedOut, stoppedOnMatch,
    // qemu exits 0 even when killed: only the kernel's own words mean the guest shut down.
    poweredOff: /reboot: Power down/.test(console),
  };
}

/** Whether this machine can run the boot test, and what is missing if not. */
export function bootPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (mmdebstrap --mode=root and mkfs need it)');
  for (const tool of ['qemu-system-x86_64', 'qemu-img', 'mmdebstrap', 'eatmydata', 'genisoimage', 'mkfs.ext4']) {
    try {
      execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      missing.push(tool);
    }
  }
  return missing;
}
