import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { fakeRunnerTarball } from './fake-runner';
import { boot, BootResult, bootPrerequisites } from './guest-vm';
import { GuestImage, guestImage } from './image-cache';
import { Phases } from './phases';
import { ReportServer } from './report-server';
import { OsImage, RunnerChart, RunnerChartProps, TOKEN_DISK_SERIAL } from '../../lib';

// The boot test: a Debian 12 VM boots under qemu with the user-data the library synthesizes for
// the Debian 12 preset, unmodified, and the token Secret as a disk with KubeVirt's serial; it must
// register a (fake) runner with exactly the configured arguments, start it as a service, and end
// with cloud-init done and error-free. KubeVirt itself is not run: qemu plays its part (disks,
// serial, NoCloud seed, pod network reduced to one address, 10.0.2.100:8080, the test's server).
const missing = bootPrerequisites();
const phases = new Phases();
const timed = <T>(phase: string, work: () => T | Promise<T>) => phases.timed(phase, work);

const SERVER = 'http://10.0.2.100:8080';
// The registration script's own lines on the serial console (its unit logs to journal+console).
const registrationLog = (console: string) => console.split('\n').map((l) => /register-actions-runner: .*/.exec(l)?.[0]).filter(Boolean);
const LABELS = ['kubevirt', 'debian-12', 'x64_large', 'größe'];
const tarball = fakeRunnerTarball();
const tarballSha256 = createHash('sha256').update(tarball).digest('hex');
// A fresh fake registration token each run, shaped like GitHub's.
const token = `A${randomBytes(32).toString('hex').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 28)}`;

function userData(props: Partial<RunnerChartProps>): string {
  const chart = new RunnerChart(Testing.app(), 'boot', {
    namespace: 'ci',
    name: 'runners',
    url: 'https://github.com/acme-corp',
    tokenSecretName: 'ci-runner-token',
    runnerLabels: LABELS,
    runnerGroup: 'linux runners',
    disableUpdate: true,
    osImage: OsImage.debian12(),
    // What a user of a pre-baked image behind a mirror would set: nothing to install, the runner
    // from a local mirror. Docker is off: the guest cannot reach Docker's repository.
    installPackages: false,
    docker: false,
    runnerDownloadBaseUrl: `${SERVER}/runner`,
    runnerVersion: '2.334.0',
    runnerSha256: tarballSha256,
    ...props,
  });
  return Testing.synth(chart).find((o: any) => o.kind === 'Secret').stringData.userdata;
}

(missing.length === 0 ? describe : describe.skip)('a runner VM boots from the synthesized cloud-config', () => {
  let work: string;
  let image: GuestImage;
  let server: ReportServer;
  let port: number;
  let first: BootResult;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'boot-test-'));
    image = await timed('guest image (build or cache)', () => guestImage());
    server = new ReportServer({ '/runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz': tarball });
    port = await server.listen();
    first = await timed('boot 1: register', () => boot({
      dir: join(work, 'boot1'), image, userData: userData({}), hostname: 'runners-0',
      tokenFiles: { token: `${token}\n` }, tokenSerial: TOKEN_DISK_SERIAL, serverPort: port, timeoutSeconds: 480,
      // A failed registration is retried forever; its first error is all the test needs to show.
      stopWhenConsoleMatches: /register-actions-runner: error: /,
    }));
  });

  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
    console.log([
      `boot test phases (qemu TCG, image ${image?.built ? 'built' : 'from cache'}):`,
      ...phases.lines(),
    ].join('\n'));
  });

  test('the registration script registered and started the runner (its console lines say what failed if not)', () => {
    expect(registrationLog(first.console)).toEqual(expect.arrayContaining(['register-actions-runner: runner registered and started']));
    expect(registrationLog(first.console).filter((l) => l!.includes('error:'))).toEqual([]);
  });

  test('the guest shut itself down after cloud-init finished (not killed, not timed out)', () => {
    expect({ timedOut: first.timedOut, poweredOff: first.poweredOff }).toEqual({ timedOut: false, poweredOff: true });
  });

  test('the runner package came from the mirror and was checksum-verified', () => {
    expect(server.requests).toContain('GET /runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz');
    expect(server.report('installdependencies')).toBe('ok\n');
  });

  test('config.sh got exactly the configured URL, name (= hostname = VM name), labels, group and flags', () => {
    expect(server.report('config-args')?.split('\0').slice(0, -1)).toEqual([
      '--unattended', '--url', 'https://github.com/acme-corp', '--name', 'runners-0', '--work', '_work', '--replace',
      '--labels', LABELS.join(','), '--runnergroup', 'linux runners', '--disableupdate',
    ]);
  });

  test('the token came from the disk found by its serial, into config.sh\'s environment, as the runner user', () => {
    const env = server.report('config-env') ?? '';
    expect(env).toContain(`token_sha256=${createHash('sha256').update(token).digest('hex')}\n`);
    expect(env).toContain('user=actions-runner\n');
    expect(env).toContain('pwd=/opt/actions-runner/runner\n');
  });

  test('the runner\'s unit was written and started by the registration script (not svc.sh), and runs as the runner user under the VM\'s name', () => {
    expect(server.report('svc')).toBeUndefined();
    expect(server.report('run')).toBe('user=actions-runner host=runners-0 unit=actions.runner.acme-corp.runners-0.service\n');
  });

  test('cloud-init reports done with no errors and no schema warnings', () => {
    expect(server.report('cloud-init-status')).toMatch(/^status: done$/m);
    // Read with sudo as the runner user: this also proves passwordless sudo works without warnings.
    const result = JSON.parse(server.report('cloud-init-result') ?? '');
    expect(result.v1.errors).toEqual([]);
    expect(first.console).not.toMatch(/Invalid cloud-config|schema (errors|warnings)|deprecat/i);
  });

  test('the token never appears on the console or in anything the guest sent', () => {
    expect(first.console.includes(token)).toBe(false);
    expect(server.everything().includes(token)).toBe(false);
  });

  test('with a wrong sha256 the runner is refused before anything is configured', async () => {
    const refused = new ReportServer({ '/runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz': tarball });
    const refusedPort = await refused.listen();
    try {
      const second = await timed('boot 2: wrong sha256 refused', () => boot({
        dir: join(work, 'boot2'), image, userData: userData({ runnerSha256: '0'.repeat(64) }), hostname: 'runners-0',
        tokenFiles: { token: `${token}\n` }, tokenSerial: TOKEN_DISK_SERIAL, serverPort: refusedPort,
        timeoutSeconds: 480, stopWhenConsoleMatches: /checksum mismatch/,
      }));
      expect(second.stoppedOnMatch).toBe(true);
      expect(second.console).toContain(`checksum mismatch for ${SERVER}/runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz: `
        + `expected sha256 ${'0'.repeat(64)}, got ${tarballSha256}; not installing it`);
      expect(refused.requests).toContain('GET /runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz');
      expect(refused.report('config-args')).toBeUndefined();
      expect(refused.report('installdependencies')).toBeUndefined();
      expect(second.console.includes(token)).toBe(false);
    } finally {
      await refused.close();
    }
  });
});

if (missing.length > 0) {
  test(`boot test prerequisites (${missing.join(', ')})`, () => {
    if (process.env.CI) throw new Error(`the boot test cannot run: missing ${missing.join(', ')}`);
    console.warn(`boot test skipped: missing ${missing.join(', ')} (run as root with apt-get install qemu-system-x86 qemu-utils mmdebstrap eatmydata genisoimage)`);
  });
}
