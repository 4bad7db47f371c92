import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Testing } from 'cdk8s';
import { RunnerCloudInit } from '../../lib';
import { readGuestFile } from '../../lib/render/cloud-config';
import { PRIVATE_KEY_WORDS, TEST_CA_PEM, unreadableCertificate } from '../network-fixtures';
import { testIf } from '../util';

// The guest scripts of the set-up's disks, run for real under bash with stub commands: the Docker
// data disk (serial DOCKERDATA) and the extra CA disk (serial RUNNERCA).
class DiskGuest {
  public readonly root = mkdtempSync(join(tmpdir(), 'runner-disks-'));
  public readonly byId = join(this.root, 'dev', 'disk', 'by-id');
  public readonly log = join(this.root, 'log');
  public readonly caDir = join(this.root, 'usr', 'local', 'share', 'ca-certificates');
  private readonly bin = join(this.root, 'bin');

  constructor(stubs: Record<string, string>) {
    for (const dir of [this.byId, this.log, this.bin, join(this.root, 'tmp')]) mkdirSync(dir, { recursive: true });
    for (const tool of ['bash', 'mkdir', 'rm', 'chmod', 'mktemp', 'cat', 'printf', 'grep']) {
      symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`]).toString().trim(), join(this.bin, tool));
    }
    for (const [name, body] of Object.entries(stubs)) {
      writeFileSync(join(this.bin, name), `#!/bin/bash\necho "$*" >> "$STUB_LOG/${name}.log"\n${body}\n`);
      chmodSync(join(this.bin, name), 0o755);
    }
  }

  public run(script: string, args: string[] = [], env: Record<string, string> = {}, viaBashC = false) {
    const text = readGuestFile(script);
    const command = viaBashC ? ['-c', text, script.replace(/\.sh$/, ''), ...args] : [join(this.root, script), ...args];
    if (!viaBashC) writeFileSync(join(this.root, script), text);
    return spawnSync(join(this.bin, 'bash'), command, {
      env: {
        PATH: this.bin, STUB_LOG: this.log, TMPDIR: join(this.root, 'tmp'), RUNNER_DISK_BY_ID_DIR: this.byId,
        RUNNER_SYSTEM_ROOT: this.root, RUNNER_CA_DIR: this.caDir, ...env,
      },
      encoding: 'utf8',
    });
  }

  public calls(name: string): string[] {
    const file = join(this.log, `${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  }

  public dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

describe('mount-docker-data.sh', () => {
  let guest: DiskGuest;
  // blkid answers from FAKE_FS_TYPE (blank: nothing); mountpoint from the mounts recorded so far.
  const stubs = {
    udevadm: '',
    blkid: '[ -n "${FAKE_FS_TYPE:-}" ] && echo "$FAKE_FS_TYPE" || exit 2',
    'mkfs.ext4': '',
    mount: '',
    mountpoint: 'grep -q -- " ${@: -1}$" "$STUB_LOG/mount.log" 2>/dev/null',
  };
  beforeEach(() => {
    guest = new DiskGuest(stubs);
  });
  afterEach(() => guest.dispose());
  const attach = () => writeFileSync(join(guest.byId, 'virtio-DOCKERDATA'), '');

  test('no disk: nothing formatted or mounted, Docker stays on the root disk', () => {
    const run = guest.run('mount-docker-data.sh');
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('no disk with serial DOCKERDATA');
    expect(guest.calls('udevadm')).toEqual(['settle --timeout=10']);
    expect(guest.calls('mount')).toEqual([]);
    expect(guest.calls('mkfs.ext4')).toEqual([]);
  });

  test('a blank disk is formatted, mounted, and its docker and containerd folders bound in place', () => {
    attach();
    const run = guest.run('mount-docker-data.sh');
    expect(run.status).toBe(0);
    const device = join(guest.byId, 'virtio-DOCKERDATA');
    const data = join(guest.root, 'var/lib/runner-docker-data');
    expect(guest.calls('mkfs.ext4')).toEqual([`-q -L dockerdata -- ${device}`]);
    expect(guest.calls('mount')).toEqual([
      `-- ${device} ${data}`,
      `--bind -- ${data}/docker ${join(guest.root, 'var/lib/docker')}`,
      `--bind -- ${data}/containerd ${join(guest.root, 'var/lib/containerd')}`,
    ]);
  });

  test('a disk with Docker\'s data from the last boot is mounted, not formatted; a second run in the same boot changes nothing', () => {
    attach();
    expect(guest.run('mount-docker-data.sh', [], { FAKE_FS_TYPE: 'ext4' }).status).toBe(0);
    expect(guest.calls('mkfs.ext4')).toEqual([]);
    expect(guest.calls('mount')).toHaveLength(3);
    expect(guest.run('mount-docker-data.sh', [], { FAKE_FS_TYPE: 'ext4' }).status).toBe(0);
    expect(guest.calls('mount')).toHaveLength(3);
  });

  test('a blank disk without mkfs.ext4 in the image is a clear error', () => {
    const bare = new DiskGuest(Object.fromEntries(Object.entries(stubs).filter(([name]) => name !== 'mkfs.ext4')));
    try {
      writeFileSync(join(bare.byId, 'virtio-DOCKERDATA'), '');
      const run = bare.run('mount-docker-data.sh');
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('mkfs.ext4 (package e2fsprogs) is not installed');
      expect(bare.calls('mount')).toEqual([]);
    } finally {
      bare.dispose();
    }
  });

  test('a disk with another filesystem is neither formatted nor mounted: the unit fails, and Docker with it', () => {
    attach();
    const run = guest.run('mount-docker-data.sh', [], { FAKE_FS_TYPE: 'xfs' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('holds a xfs filesystem, not ext4: not formatting it, not mounting it');
    expect(guest.calls('mkfs.ext4')).toEqual([]);
    expect(guest.calls('mount')).toEqual([]);
  });
});

describe('install-runner-ca.sh', () => {
  let guest: DiskGuest;
  // The disk's content is the folder $STUB_CA_DISK; mount copies it into the mount point.
  const stubs = {
    udevadm: '',
    mount: '[ "$1" = -o ] && [ "$2" = ro ] || exit 32; cp -R "$STUB_CA_DISK/." "${@: -1}/"',
    umount: '',
    mountpoint: 'exit 1',
    cp: '/bin/cp "$@"',
    'update-ca-certificates': '',
  };
  beforeEach(() => {
    guest = new DiskGuest(stubs);
    mkdirSync(join(guest.root, 'disk'));
  });
  afterEach(() => guest.dispose());
  const attach = (content: string, key = 'ca.crt') => {
    writeFileSync(join(guest.byId, 'virtio-RUNNERCA'), '');
    writeFileSync(join(guest.root, 'disk', key), content);
  };
  const env = () => ({ STUB_CA_DISK: join(guest.root, 'disk') });

  test('no disk: nothing installed', () => {
    const run = guest.run('install-runner-ca.sh', ['ca.crt'], env(), true);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('no disk with serial RUNNERCA');
    expect(guest.calls('update-ca-certificates')).toEqual([]);
  });

  test('as cloud-init runs it (bash -c with the text): each certificate in a file of its own, then the trust store updated', () => {
    const second = unreadableCertificate(TEST_CA_PEM);
    attach(`${TEST_CA_PEM}\r\n${second}`);
    const run = guest.run('install-runner-ca.sh', ['ca.crt'], env(), true);
    expect(run.stderr).toContain('trusted 2 certificate(s) from the CA disk');
    expect(run.status).toBe(0);
    expect(readdirSync(guest.caDir).sort()).toEqual(['runner-ca-from-disk-1.crt', 'runner-ca-from-disk-2.crt']);
    expect(readFileSync(join(guest.caDir, 'runner-ca-from-disk-1.crt'), 'utf8')).toBe(TEST_CA_PEM);
    expect(readFileSync(join(guest.caDir, 'runner-ca-from-disk-2.crt'), 'utf8')).toBe(second);
    expect(guest.calls('update-ca-certificates')).toEqual(['']);
  });

  test('a renewed CA replaces the last boot\'s', () => {
    attach(`${TEST_CA_PEM}${TEST_CA_PEM}`);
    expect(guest.run('install-runner-ca.sh', ['ca.crt'], env(), true).status).toBe(0);
    attach(TEST_CA_PEM);
    expect(guest.run('install-runner-ca.sh', ['ca.crt'], env(), true).status).toBe(0);
    expect(readdirSync(guest.caDir)).toEqual(['runner-ca-from-disk-1.crt']);
  });

  test.each([
    ['a private key', `-----BEGIN ${PRIVATE_KEY_WORDS}-----\nAAAA\n-----END ${PRIVATE_KEY_WORDS}-----\n`, 'holds something other than PEM certificates'],
    ['a certificate cut short', TEST_CA_PEM.split('\n').slice(0, 4).join('\n'), 'is cut short'],
    ['nothing', '\n', 'holds no certificate'],
    ['a shell command inside', TEST_CA_PEM.replace('\n', '\n$(reboot)\n'), 'holds a line that is not base64'],
  ])('%s is refused, and the trust store left alone', (_what, content, message) => {
    attach(content);
    const run = guest.run('install-runner-ca.sh', ['ca.crt'], env(), true);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(message);
    expect(guest.calls('update-ca-certificates')).toEqual([]);
  });

  test('a missing key is a clear error', () => {
    attach(TEST_CA_PEM, 'other.crt');
    const run = guest.run('install-runner-ca.sh', ['ca.crt'], env(), true);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("the CA disk has no key 'ca.crt'");
  });
});

describe('the cloud-config runs them', () => {
  test('bootcmd carries install-runner-ca.sh\'s own text and the key', () => {
    const cloudInit = new RunnerCloudInit(Testing.chart(), 'ci', { url: 'https://github.com/acme', caCertificatesFrom: { configMap: 'corp-ca', key: 'ca.crt' } });
    expect(parse(cloudInit.userData).bootcmd[0]).toEqual(['bash', '-c', readGuestFile('install-runner-ca.sh'), 'install-runner-ca', 'ca.crt']);
  });
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
testIf(shellcheck, 'shellcheck (apt-get install shellcheck)').each(['mount-docker-data.sh', 'install-runner-ca.sh'])('lib/guest/%s is shellcheck-clean', (script) => {
  const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', join(__dirname, '..', '..', 'lib', 'guest', script)], { encoding: 'utf8' });
  expect(result.stdout).toBe('');
  expect(result.status).toBe(0);
});
