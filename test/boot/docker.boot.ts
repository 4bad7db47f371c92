import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { AptRepo, buildAptRepo, debianPackages, DownloadedPackages, Signer } from './apt-repo';
import { busyboxImage, CONTAINER_IMAGE } from './container-image';
import { fakeRunnerTarball } from './fake-runner';
import { boot, BootResult, bootPrerequisites } from './guest-vm';
import { GuestImage, guestImage } from './image-cache';
import { Phases } from './phases';
import { ReportServer } from './report-server';
import { DockerSource, OsImage, RunnerChart, TOKEN_DISK_SERIAL } from '../../lib';
import { DOCKER_DATA_DISK_SERIAL } from '../../lib/private/token-disk';

// The default path, proven in a boot: a Debian 12 VM without git, curl, the guest agent or Docker
// boots the user-data the library synthesizes (unmodified) with packages and Docker on, Docker
// from the distribution, an apt mirror with its own signing key, a proxy and an extra CA. The guest
// reaches nothing but the test's servers (the network rule of every boot test), so it installs from
// the test's apt repository or not at all: Debian 12's own packages, downloaded on the host at test
// time (cached like the guest image), indexed and signed with a key generated for this run. Then
// the runner user loads an image the test built (busybox, from Debian's busybox-static) and runs a
// container from it. Nothing is pulled from a registry.
const missing = [...bootPrerequisites(), ...['gpg', 'gpgconf', 'openssl', 'dpkg-deb', 'apt-get'].filter((tool) => {
  try {
    execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
})];
const phases = new Phases();
const timed = <T>(phase: string, work: () => T | Promise<T>) => phases.timed(phase, work);

const SERVER = 'http://10.0.2.100:8080';
const MIRROR = `${SERVER}/debian`;
const PROXY = 'http://10.0.2.100:3128';
const NO_PROXY = ['10.0.2.100', 'localhost', '127.0.0.1'];
const LABELS = ['kubevirt', 'debian-12', 'docker'];
const tarball = fakeRunnerTarball({ docker: true });
const tarballSha256 = createHash('sha256').update(tarball).digest('hex');
const token = `A${randomBytes(32).toString('hex').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 28)}`;

/** A CA certificate made for this run (its key is thrown away: nothing is signed with it). */
function testCa(): string {
  const dir = mkdtempSync(join(tmpdir(), 'boot-ca-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', `/CN=cdk8s-kubevirt-runners boot test CA ${randomBytes(4).toString('hex')}`,
      '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    return readFileSync(join(dir, 'ca.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The PEM body (base64 lines) of a certificate: how it appears in a CA bundle. */
const pemBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

/**
 * The proxy the guest is given, played by the test: it records every request and serves none. The
 * mirror and the test's server are in noProxy: nothing the test asserts goes through it.
 */
class RefusingProxy {
  public readonly requests: string[] = [];
  private readonly server: Server = createServer((request, response) => {
    this.requests.push(`${request.method} ${request.url}`);
    response.statusCode = 403;
    response.end('the boot test\'s proxy serves nothing\n');
  });

  public async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  public close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function userData(signer: Signer, ca: string): string {
  const chart = new RunnerChart(Testing.app(), 'boot', {
    namespace: 'ci',
    name: 'runners',
    url: 'https://github.com/acme-corp',
    tokenSecretName: 'ci-runner-token',
    runnerLabels: LABELS,
    disableUpdate: true,
    osImage: OsImage.debian12(),
    // The default path: packages and Docker installed at first boot (installPackages and docker
    // default to true; said here because this test is about them).
    installPackages: true,
    docker: true,
    dockerSource: DockerSource.DISTRIBUTION,
    aptMirror: { url: MIRROR, signingKey: signer.key },
    proxy: { http: PROXY, https: PROXY, noProxy: NO_PROXY },
    caCertificates: [ca],
    runnerDownloadBaseUrl: `${SERVER}/runner`,
    runnerVersion: '2.334.0',
    runnerSha256: tarballSha256,
  });
  return Testing.synth(chart).find((o: any) => o.kind === 'Secret').stringData.userdata;
}

(missing.length === 0 ? describe : describe.skip)('the default path: packages and Docker from a signed mirror, a container as the runner user', () => {
  let work: string;
  let image: GuestImage;
  let signer: Signer;
  let ca: string;
  let packages: string[];
  let downloaded: DownloadedPackages;
  let repo: AptRepo;
  let containerImage: Buffer;
  let server: ReportServer;
  let proxy: RefusingProxy;
  let result: BootResult;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'boot-test-'));
    image = await timed('guest image, bare (build or cache)', () => guestImage('bare'));
    signer = await timed('signing key + CA', () => {
      ca = testCa();
      return new Signer();
    });
    const data = userData(signer, ca);
    // What the guest will ask its apt for: the cloud-config's own package list.
    packages = parse(data).packages;
    downloaded = await timed('package download (or cache)', () => debianPackages(image, packages, ['busybox-static']));
    repo = await timed('apt repository: index + sign', () => buildAptRepo(downloaded.debs, '/debian', signer));
    containerImage = await timed('container image (busybox)', () => busyboxImage(downloaded.extras['busybox-static']));
    server = new ReportServer({
      ...repo.files,
      '/runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz': tarball,
      '/images/busybox.tar': containerImage,
    });
    proxy = new RefusingProxy();
    const [port, proxyPort] = [await server.listen(), await proxy.listen()];
    result = await timed('boot: install, register, docker run', () => boot({
      dir: join(work, 'boot'), image, userData: data, hostname: 'runners-0',
      tokenFiles: { token: `${token}\n` }, tokenSerial: TOKEN_DISK_SERIAL, serverPort: port, proxyPort, timeoutSeconds: 900,
      // What KubeVirt attaches with `dockerDataDisk`: a blank disk with serial DOCKERDATA.
      blankDisks: { [DOCKER_DATA_DISK_SERIAL]: 4 },
      stopWhenConsoleMatches: /register-actions-runner: error: /,
    }));
    const blame = server.report('cloud-init-blame') ?? '';
    const install = /([\d.]+)s \(modules-final\/config-package[-_]update[-_]upgrade[-_]install\)/.exec(blame);
    if (install) phases.part('in the guest: package install', Number(install[1]));
    const docker = /load=([\d.]+) run=([\d.]+)/.exec(server.report('docker-times') ?? '');
    if (docker) {
      phases.part('in the guest: docker load', Number(docker[1]));
      phases.part('in the guest: docker run', Number(docker[2]));
    }
    const ran = server.reportTimes.get('run')?.[0];
    if (ran) phases.part('in the guest: VM start to runner', (ran - result.startedAt) / 1000);
  });

  afterAll(async () => {
    signer?.close();
    await server?.close();
    await proxy?.close();
    rmSync(work, { recursive: true, force: true });
    console.log([
      `boot test phases (qemu TCG, image ${image?.built ? 'built' : 'from cache'}, packages ${downloaded?.downloaded ? 'downloaded' : 'from cache'}`
        + `${repo ? `: ${downloaded.debs.length} packages, ${(Object.values(repo.files).reduce((n, b) => n + b.length, 0) / 1e6).toFixed(0)} MB` : ''}):`,
      ...phases.lines(40),
    ].join('\n'));
  });

  test('the guest shut itself down after the job (not killed, not timed out)', () => {
    expect({ timedOut: result.timedOut, stoppedOnMatch: result.stoppedOnMatch, poweredOff: result.poweredOff })
      .toEqual({ timedOut: false, stoppedOnMatch: false, poweredOff: true });
  });

  test('git, curl, the guest agent and Docker were installed at first boot from the mirror, checked with its key', () => {
    const report = server.report('packages') ?? '';
    for (const name of ['git', 'curl', 'qemu-guest-agent', 'docker.io']) {
      expect(report).toMatch(new RegExp(`^${name.replace('.', '\\.')} \\S+ ii $`, 'm'));
      // apt fetched the package file from the mirror (the image had none of them); apt escapes + and ~.
      expect(server.requests.map((r) => decodeURIComponent(r))).toContain(`GET ${repo.pool[name]}`);
    }
    // apt-cache policy: the installed versions come from the mirror.
    expect(report).toMatch(/\*\*\* \S+ 500\n\s+500 http:\/\/10\.0\.2\.100:8080\/debian bookworm\/main amd64 Packages/);
    expect(server.requests).toContain('GET /debian/dists/bookworm/InRelease');
    expect(packages).toEqual(expect.arrayContaining(['git', 'curl', 'docker.io']));
    expect(packages).not.toContain('docker-ce');
  });

  test('the mirror is in noProxy: nothing went through the proxy', () => {
    expect(proxy.requests).toEqual([]);
  });

  test('the runner user ran a container from the image the test built: loaded, not pulled', () => {
    expect(server.report('docker-load')).toContain(`Loaded image: ${CONTAINER_IMAGE}`);
    expect(server.report('docker-run')).toBe('hello from a container: uid 0, Linux x86_64, pid 1\n');
    expect(server.report('packages')).toMatch(/^groups=.*\bdocker\b/m);
    expect(server.report('packages')).toMatch(/^docker=active$/m);
    expect(server.report('run')).toBe('user=actions-runner host=runners-0 unit=actions.runner.acme-corp.runners-0.service\n');
  });

  test('Docker keeps its data on the blank DOCKERDATA disk, formatted at first boot', () => {
    expect(server.report('packages')).toMatch(/^docker_root=\/var\/lib\/docker$/m);
    expect(server.report('packages')).toMatch(/^docker_data=\S*\[\/docker\] ext4 dockerdata $/m);
    expect(result.console).toMatch(/runner-docker-data: formatting the blank disk \/dev\/disk\/by-id\/virtio-DOCKERDATA \(ext4\)/);
  });

  test('the proxy variables reach the runner\'s .env', () => {
    const env = server.report('runner-env') ?? '';
    for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) {
      expect(env).toMatch(new RegExp(`^${name}=${PROXY.replace(/[.]/g, '\\.')}/?$`, 'm'));
    }
    for (const name of ['no_proxy', 'NO_PROXY']) {
      expect(env).toMatch(new RegExp(`^${name}=.*10\\.0\\.2\\.100`, 'm'));
    }
  });

  test('the extra CA is in the guest\'s trust store', () => {
    expect(pemBody(server.report('ca-bundle') ?? '')).toContain(pemBody(ca));
  });

  test('registration and cloud-init as on the pre-baked path: exact arguments, done, no errors', () => {
    expect(server.report('config-args')?.split('\0').slice(0, -1)).toEqual([
      '--unattended', '--url', 'https://github.com/acme-corp', '--name', 'runners-0', '--work', '_work', '--replace',
      '--labels', LABELS.join(','), '--disableupdate',
    ]);
    expect(server.report('cloud-init-status')).toMatch(/^status: done$/m);
    expect(JSON.parse(server.report('cloud-init-result') ?? '').v1.errors).toEqual([]);
    expect(result.console).not.toMatch(/Invalid cloud-config|schema (errors|warnings)|deprecat/i);
  });

  test('the token never appears on the console or in anything the guest sent', () => {
    expect(result.console.includes(token)).toBe(false);
    expect(server.everything().includes(token)).toBe(false);
  });
});

if (missing.length > 0) {
  test(`docker boot test prerequisites (${missing.join(', ')})`, () => {
    if (process.env.CI) throw new Error(`the boot test cannot run: missing ${missing.join(', ')}`);
    console.warn(`docker boot test skipped: missing ${missing.join(', ')} (run as root with apt-get install qemu-system-x86 qemu-utils mmdebstrap eatmydata genisoimage gnupg openssl)`);
  });
}
