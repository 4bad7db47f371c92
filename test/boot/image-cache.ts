import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const BUILD_SCRIPT = join(__dirname, 'build-image.sh');

/** The cached guest image: kernel, initrd and the ext4 root filesystem labelled rootfs. */
export interface GuestImage {
  readonly kernel: string;
  readonly initrd: string;
  readonly rootfs: string;
  /** The image's /var/lib/dpkg/status: what is installed in it. */
  readonly dpkgStatus: string;
  /** The cache key: a hash of the build script and the variant. */
  readonly key: string;
  /** True when this run built it, false when it came from the cache. */
  readonly built: boolean;
}

/** Where built images are kept: $KUBEVIRT_RUNNERS_BOOT_CACHE, else ~/.cache/cdk8s-kubevirt-runners/boot. */
export function cacheRoot(): string {
  return process.env.KUBEVIRT_RUNNERS_BOOT_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cdk8s-kubevirt-runners', 'boot');
}

/**
 * The Debian 12 guest image, built by build-image.sh unless a build of the same script is cached.
 * `bare`: without git, curl and the guest agent (the test that installs them from its apt repository).
 */
export function guestImage(variant: 'full' | 'bare' = 'full'): GuestImage {
  const key = createHash('sha256').update(readFileSync(BUILD_SCRIPT)).update(variant).digest('hex').slice(0, 16);
  const dir = join(cacheRoot(), `debian12-${variant === 'bare' ? 'bare-' : ''}${key}`);
  const image = {
    kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), rootfs: join(dir, 'rootfs.raw'), dpkgStatus: join(dir, 'dpkg-status'), key,
  };
  if (existsSync(join(dir, 'complete'))) return { ...image, built: false };
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  execFileSync('bash', [BUILD_SCRIPT, partial, variant], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  execFileSync('touch', [join(partial, 'complete')]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return { ...image, built: true };
}
