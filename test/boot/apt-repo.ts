import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GuestImage, cacheRoot } from './image-cache';

// The boot test's own apt repository: Debian 12's packages, downloaded on the host (a Debian 12
// machine, like the guest) with a private apt configuration, cached like the guest image, indexed
// and signed with a key made for this run, and served by the test's server. The guest reaches
// nothing else, so it installs from here or not at all.

const SUITE = 'bookworm';
const MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** Downloaded .deb files, from the cache or not. */
export interface DownloadedPackages {
  /** The packages to install and their dependency closure relative to the guest image (Recommends included, as the guest's apt installs them). */
  readonly debs: string[];
  /** Extra .deb files that are not for the repository (their files are used on the host). */
  readonly extras: Record<string, string>;
  /** True when this run downloaded them, false when they came from the cache. */
  readonly downloaded: boolean;
}

function run(command: string, args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(command, args, { stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', ...options });
}

/**
 * Downloads `packages` with everything they need that `image` lacks (resolved by apt on the host
 * against the image's dpkg status and Debian 12's archive: what the guest's apt will ask for), and
 * `extras` by name alone. Cached by the image, the package lists and this file.
 */
export function debianPackages(image: GuestImage, packages: string[], extras: string[]): DownloadedPackages {
  const key = createHash('sha256').update(readFileSync(__filename)).update(image.key).update(JSON.stringify([MIRROR, packages, extras]))
    .digest('hex').slice(0, 16);
  const dir = join(cacheRoot(), `apt-${key}`);
  const result = (downloaded: boolean): DownloadedPackages => ({
    debs: readdirSync(join(dir, 'debs')).filter((f) => f.endsWith('.deb')).sort().map((f) => join(dir, 'debs', f)),
    extras: Object.fromEntries(extras.map((name) => [name, join(dir, 'extras', readdirSync(join(dir, 'extras')).find((f) => f.startsWith(`${name}_`))!)])),
    downloaded,
  });
  if (existsSync(join(dir, 'complete'))) return result(false);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const apt = join(partial, 'apt');
  for (const sub of ['lists/partial', 'cache/archives/partial', 'state', 'etc/apt.conf.d', 'etc/preferences.d', 'etc/sources.list.d']) {
    mkdirSync(join(apt, sub), { recursive: true });
  }
  mkdirSync(join(partial, 'debs'));
  mkdirSync(join(partial, 'extras'));
  writeFileSync(join(apt, 'etc', 'sources.list'), `deb [signed-by=${DEBIAN_KEYRING}] ${MIRROR} ${SUITE} main\n`);
  // Nothing of the host's apt configuration (APT_CONFIG is read before /etc/apt/apt.conf.d, and
  // points that elsewhere): its sources, preferences, installed packages and settings (a
  // container's "no recommends", say) would make a different closure than the guest's.
  const settings: Record<string, string> = {
    'Dir::Etc': join(apt, 'etc'), 'Dir::Etc::Parts': join(apt, 'etc', 'apt.conf.d'), 'Dir::Etc::Main': '/dev/null',
    'Dir::State': join(apt, 'state'), 'Dir::State::Lists': join(apt, 'lists'), 'Dir::State::status': image.dpkgStatus,
    'Dir::Cache': join(apt, 'cache'), 'Debug::NoLocking': 'true', 'APT::Install-Recommends': 'true', 'APT::Architecture': 'amd64',
    'Acquire::Languages': 'none', 'APT::Sandbox::User': 'root',
  };
  writeFileSync(join(apt, 'apt.conf'), Object.entries(settings).map(([k, v]) => `${k} "${v}";\n`).join(''));
  const env = { ...process.env, APT_CONFIG: join(apt, 'apt.conf') };
  run('apt-get', ['-qq', 'update'], { env });
  run('apt-get', ['-qq', '-y', '--download-only', 'install', ...packages], { env });
  const archives = join(apt, 'cache', 'archives');
  for (const deb of readdirSync(archives).filter((f) => f.endsWith('.deb'))) renameSync(join(archives, deb), join(partial, 'debs', deb));
  run('apt-get', ['-qq', 'download', ...extras], { cwd: join(partial, 'extras'), env });
  rmSync(apt, { recursive: true, force: true });
  writeFileSync(join(partial, 'complete'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return result(true);
}

/** The repository's signing key: ASCII-armored public key and its primary fingerprint. */
export interface RepoKey {
  readonly armored: string;
  readonly fingerprint: string;
}

/** A signed apt repository as the paths the server serves (under `prefix`) and their content. */
export interface AptRepo {
  readonly files: Record<string, Buffer>;
  readonly key: RepoKey;
  /** Package name -> pool path, as the guest requests it. */
  readonly pool: Record<string, string>;
}

/**
 * Indexes the .deb files as suite `bookworm`, component `main` (Packages from each package's own
 * control data with its size and hashes, a Release with the indexes' hashes) and signs the Release
 * (InRelease and Release.gpg) with the signer's key.
 */
export function buildAptRepo(debs: string[], prefix: string, signer: Signer): AptRepo {
  const files: Record<string, Buffer> = {};
  const pool: Record<string, string> = {};
  const stanzas: string[] = [];
  for (const deb of debs) {
    const content = readFileSync(deb);
    const control = run('dpkg-deb', ['--field', deb]).trimEnd();
    const field = (f: string) => new RegExp(`^${f}: (.+)$`, 'm').exec(control)![1];
    const name = field('Package');
    // As Debian names them: no epoch (apt-get writes it as %3a, which a URL would escape again).
    const filename = `pool/main/${name}/${name}_${field('Version').replace(/^\d+:/, '')}_${field('Architecture')}.deb`;
    files[`${prefix}/${filename}`] = content;
    pool[name] = `${prefix}/${filename}`;
    stanzas.push([
      control,
      `Filename: ${filename}`,
      `Size: ${statSync(deb).size}`,
      `MD5sum: ${createHash('md5').update(content).digest('hex')}`,
      `SHA256: ${createHash('sha256').update(content).digest('hex')}`,
    ].join('\n'));
  }
  const packages = Buffer.from(`${stanzas.join('\n\n')}\n`);
  // cloud-init's sources.list for Debian names the suite's -updates, -security and -backports and
  // source indexes too: they exist here, empty, so apt-get update succeeds whichever the guest lists.
  for (const suite of [SUITE, `${SUITE}-updates`, `${SUITE}-security`, `${SUITE}-backports`]) {
    const binary = suite === SUITE ? packages : Buffer.alloc(0);
    const indexes: Record<string, Buffer> = {
      'main/binary-amd64/Packages': binary,
      'main/binary-amd64/Packages.gz': gzipSync(binary),
      'main/source/Sources': Buffer.alloc(0),
      'main/source/Sources.gz': gzipSync(Buffer.alloc(0)),
    };
    const release = Buffer.from([
      'Origin: boot-test',
      'Label: boot-test',
      `Suite: ${suite}`,
      `Codename: ${suite}`,
      `Date: ${new Date().toUTCString()}`,
      'Architectures: amd64',
      'Components: main',
      'Description: Debian 12 packages for the boot test',
      'SHA256:',
      ...Object.entries(indexes).map(([path, body]) => ` ${createHash('sha256').update(body).digest('hex')} ${String(body.length).padStart(10)} ${path}`),
      '',
    ].join('\n'));
    const dists = `${prefix}/dists/${suite}`;
    for (const [path, body] of Object.entries(indexes)) files[`${dists}/${path}`] = body;
    files[`${dists}/Release`] = release;
    files[`${dists}/InRelease`] = signer.clearsign(release);
    files[`${dists}/Release.gpg`] = signer.detachSign(release);
  }
  return { files, key: signer.key, pool };
}

/** An Ed25519 signing key made for this run in a throw-away GNUPGHOME, no passphrase; close() removes both. */
export class Signer {
  public readonly key: RepoKey;
  private readonly home = mkdtempSync(join(tmpdir(), 'boot-gnupg-'));

  constructor() {
    this.gpg('--quick-gen-key', 'boot test apt repository <boot-test@example.invalid>', 'ed25519', 'sign', 'never');
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(this.gpg('--with-colons', '--list-keys'))![1];
    this.key = { armored: this.gpg('--armor', '--export', fingerprint), fingerprint };
  }

  public clearsign(release: Buffer): Buffer {
    return this.signed(release, '--clearsign');
  }

  public detachSign(release: Buffer): Buffer {
    return this.signed(release, '--armor', '--detach-sign');
  }

  public close(): void {
    // The agent this GNUPGHOME started ends with it.
    execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: this.home }, stdio: 'ignore' });
    rmSync(this.home, { recursive: true, force: true });
  }

  private signed(release: Buffer, ...how: string[]): Buffer {
    writeFileSync(join(this.home, 'in'), release);
    rmSync(join(this.home, 'out'), { force: true });
    this.gpg('--local-user', this.key?.fingerprint ?? '', '--output', join(this.home, 'out'), ...how, join(this.home, 'in'));
    return readFileSync(join(this.home, 'out'));
  }

  private gpg(...args: string[]): string {
    return run('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: this.home } });
  }
}
