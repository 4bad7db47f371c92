import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The image's name in the guest's Docker. */
export const CONTAINER_IMAGE = 'boot-test/busybox:1';

function tar(args: string[]): void {
  execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A `docker load`-able image (the docker-archive format: manifest.json, the config, one layer) made
 * on the host without a Docker engine: one layer with Debian's static busybox as /bin/busybox and
 * /bin/sh, taken from the busybox-static package. Tagged CONTAINER_IMAGE. Byte-identical across runs.
 */
export function busyboxImage(busyboxStaticDeb: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'boot-image-'));
  try {
    const unpacked = join(dir, 'deb');
    execFileSync('dpkg-deb', ['--extract', busyboxStaticDeb, unpacked]);
    const rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    writeFileSync(join(rootfs, 'bin', 'busybox'), readFileSync(join(unpacked, 'bin', 'busybox')), { mode: 0o755 });
    symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
    const archive = join(dir, 'archive');
    mkdirSync(archive);
    tar(['-cf', join(dir, 'layer.tar'), '-C', rootfs, '.']);
    const layer = readFileSync(join(dir, 'layer.tar'));
    const layerId = createHash('sha256').update(layer).digest('hex');
    mkdirSync(join(archive, layerId));
    writeFileSync(join(archive, layerId, 'layer.tar'), layer);
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerId}`] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'cdk8s-kubevirt-runners boot test: busybox-static' }],
    }));
    const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
    writeFileSync(join(archive, configName), config);
    writeFileSync(join(archive, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [CONTAINER_IMAGE], Layers: [`${layerId}/layer.tar`] }]));
    tar(['-cf', join(dir, 'image.tar'), '-C', archive, '.']);
    return readFileSync(join(dir, 'image.tar'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
