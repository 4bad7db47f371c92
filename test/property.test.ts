import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { formatFinding, validateObjects } from '../lib/validate';
import { cloudConfigOf, synth, writtenFile } from './util';
import { CpuVendor, DiskStorageOptions, NestedCpuModel, OsImage, ProxyOptions, RunnerChart, RunnerChartProps, RunnerToleration, TaintEffect, TolerationOperator } from '../lib';
import { RUNNER_SETTINGS_PATH } from '../lib/render/guest-settings';

// Random fleets: every generated props object must either be refused with an Error that names a
// prop, or synthesize output that passes every validation and whose config.sh arguments, as the real
// guest script builds them from the real settings file under bash, are exactly the inputs.
const SEED = 20261127;
const RUNS = 1000;

const GOOD_CHARS = [...'abcxyzABZ019._-', 'ä', 'ß', '日', 'é'];
const BAD_CHARS = [' ', ',', ';', '$', '`', "'", '"', '\\', '\n', '(', ')', '|', '&', '*', '<', '>', '#', '!', '{', '}'];
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 24 }, { arbitrary: bad, weight: 1 });

// The VM options: a bad value (or dedicated CPUs, which refuse a fractional 'cpu') is rarer still, so that enough fleets synthesize.
const rarely = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 200 }, { arbitrary: bad, weight: 1 });

const goodLabel = fc.string({ unit: fc.constantFrom(...GOOD_CHARS), minLength: 1, maxLength: 16 });
const badLabel = fc.oneof(
  fc.string({ unit: fc.constantFrom(...GOOD_CHARS, ...BAD_CHARS), minLength: 0, maxLength: 16 }),
  fc.constant('x'.repeat(257)),
);
const labels = mostly(
  fc.uniqueArray(goodLabel, { maxLength: 6, selector: (l) => l.toLowerCase() }),
  fc.array(badLabel, { minLength: 1, maxLength: 3 }),
);
const owner = fc.stringMatching(/^[a-z0-9]{1,6}(-[a-z0-9]{1,6})?$/);
const host = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,8})?$/), fc.constantFrom('.example.com', '.corp.internal:8443', ''))
  .map(([label, rest]) => `${label}${rest}`);
const url = mostly(
  fc.oneof(
    owner.map((o) => `https://github.com/${o}`),
    fc.tuple(owner, fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,15}$/)).filter(([, r]) => !r.endsWith('.git') && r !== '.' && r !== '..')
      .map(([o, r]) => `https://github.com/${o}/${r}`),
    owner.map((o) => `https://github.com/enterprises/${o}`),
    fc.tuple(host, owner).map(([h, o]) => `https://${h}/${o}`),
  ),
  fc.oneof(fc.constantFrom('http://github.com/acme', 'https://github.com', 'https://github.com/a/b/c', 'https://github.com/ac;me', "https://github.com/a'b",
    'https://a$(id)b.com/acme', "https://a'b.com/acme", 'https://x&y.com/acme', 'https://-x.com/acme'),
  fc.string({ maxLength: 30 })),
);
const runnerGroup = fc.option(mostly(
  fc.string({ unit: fc.constantFrom(...GOOD_CHARS), minLength: 1, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...GOOD_CHARS, ...BAD_CHARS), minLength: 0, maxLength: 12 }),
), { nil: undefined });
const workDir = fc.option(mostly(
  fc.constantFrom('_work', 'work', 'jobs/work', 'a/b.c_d-e'),
  fc.constantFrom('../etc', 'a b', '$(id)', "x'y", '', '/', '/var/work', '.', 'bin'),
), { nil: undefined });

// CIDRs with their host bits cleared, of both families, and what is none.
const masked = (bits: number, parts: number[], width: number, prefix: number) => {
  const value = parts.reduce((n, p) => (n << BigInt(width)) | BigInt(p), 0n) & ~((1n << BigInt(bits - prefix)) - 1n);
  return Array.from({ length: parts.length }, (_, i) => Number((value >> BigInt(width * (parts.length - 1 - i))) & ((1n << BigInt(width)) - 1n)));
};
const cidr = fc.oneof(
  fc.tuple(fc.array(fc.nat(255), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 32 })).map(([p, prefix]) => `${masked(32, p, 8, prefix).join('.')}/${prefix}`),
  fc.tuple(fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }), fc.integer({ min: 1, max: 128 }))
    .map(([p, prefix]) => `${masked(128, p, 16, prefix).map((g) => g.toString(16)).join(':')}/${prefix}`),
);
const badCidr = fc.oneof(fc.constantFrom('10.1.2.3/24', '10.1.2.3', '1.2.3.4/33', '01.2.3.4/32', 'fd00::1/64', '::ffff:1.2.3.4/128', 'fe80::%1/128', '0.0.0.0/0'),
  fc.string({ maxLength: 20 }));
// Rarer than `mostly`'s 1 in 25: a fleet draws up to five of these, and enough fleets must get through.
const seldom = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 80 }, { arbitrary: bad, weight: 1 });
const port = seldom(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, 65536, 1.5, -1));
const destination = seldom(
  fc.oneof(
    fc.record({ cidr, ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }) }),
    fc.record({ namespace: fc.constantFrom('registry', 'kube-system'), podLabels: fc.constant({ app: 'mirror' }) }),
  ),
  fc.record({ cidr: badCidr, ports: fc.array(port, { maxLength: 2 }) }),
);
const networkPolicy = fc.option(fc.record({
  allowEgressTo: fc.array(destination, { maxLength: 3 }),
  internetExcept: fc.array(seldom(cidr, badCidr), { maxLength: 2 }),
  portForward: fc.option(fc.constant({}), { nil: undefined }),
}), { nil: undefined, freq: 2 });
const proxyUrl = fc.tuple(fc.constantFrom('http', 'https'), host).map(([scheme, h]) => `${scheme}://${h}`);
// Half without a proxy; a bad one rarely (every bad prop lowers the share of fleets that synthesize).
const proxy = fc.oneof({ arbitrary: fc.constant(undefined), weight: 24 }, { arbitrary: mostly<ProxyOptions>(
  fc.record({
    http: fc.option(proxyUrl, { nil: undefined }),
    https: proxyUrl,
    noProxy: fc.option(fc.uniqueArray(fc.constantFrom('.corp.example', '10.0.0.0/8', 'fd00::/8', 'mirror-1', '192.168.1.1', '.a.b-c'), { maxLength: 4 }),
      { nil: undefined }),
  }),
  fc.constantFrom({ http: 'http://user:pw@proxy:3128' }, { https: 'http://proxy/$(id)' }, { https: 'ftp://proxy' }, {},
    { https: 'http://proxy:3128', noProxy: ['a b'] }, { https: 'http://proxy:3128', noProxy: ['*'] }, { https: 'http://proxy:3128', noProxy: ['a,b'] }),
), weight: 24 });

const props: fc.Arbitrary<RunnerChartProps & { runnerLabels: string[] }> = fc.record({
  url,
  runnerLabels: labels,
  runnerGroup,
  workDir,
  noDefaultLabels: fc.boolean(),
  ephemeral: fc.boolean(),
  disableUpdate: fc.boolean(),
  tokenSecretName: mostly(fc.constantFrom('ci-runner-token', 'token.v2'), fc.constantFrom('Token', 'a_b', '')),
  namespace: mostly(fc.constantFrom('default', 'ci', 'runners-1'), fc.constantFrom('CI', 'a.b', '-x')),
  name: mostly(fc.constantFrom('actions-runner', 'ci', 'r'), fc.constantFrom('CI', 'x'.repeat(60), 'a_b')),
  replicas: mostly(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, -1, 1.5)),
  cpu: mostly(fc.constantFrom<number | string>(1, 2, 8, '500m', '4'), fc.constantFrom<number | string>(0, -1, '16Gi', 'two')),
  memory: mostly(fc.constantFrom('4Gi', '16Gi', '512Mi', '8G'), fc.constantFrom('16GB', '0', '-1', '16m')),
  diskSize: mostly(fc.constantFrom('50Gi', '20Gi', '100G'), fc.constantFrom('50GB', '1Gi', '-5Gi')),
  user: mostly(fc.constantFrom('actions-runner', 'ci', 'runner_1'), fc.constantFrom('root', 'Bad User', "x'y")),
  image: fc.constantFrom(OsImage.ubuntu2404(), OsImage.ubuntu2204(), OsImage.debian12()),
  runnerDownloadBaseUrl: fc.option(mostly(
    fc.tuple(fc.constantFrom('http', 'https'), host, fc.constantFrom('', '/runner', '/a/b-c_d.e/', '/%7Euser')).map(([scheme, h, path]) => `${scheme}://${h}${path}`),
    fc.constantFrom('ftp://mirror/x', "https://m/'x'", 'https://m/$(id)', 'https://m/a b', 'https://u:p@m/x', 'https://m/?q=1'),
  ), { nil: undefined }),
  tokenSecretKey: fc.option(mostly(fc.constantFrom('token', 'registration-token', 'gh.token_1'), fc.constantFrom('a/b', '', "t'k", 'a b')), { nil: undefined }),
  docker: fc.boolean(),
  installPackages: fc.boolean(),
  nodeSelector: fc.option(rarely(fc.constantFrom<Record<string, string>>({}, { 'node-role.kubernetes.io/ci': '' }, { zone: 'a' }), fc.constantFrom<Record<string, string>>({ 'bad key': 'x' }, { zone: 'a b' })), { nil: undefined }),
  tolerations: fc.option(rarely<RunnerToleration[]>(
    fc.constantFrom([{ key: 'dedicated', operator: TolerationOperator.EQUAL, value: 'ci', effect: TaintEffect.NO_SCHEDULE }], [{ operator: TolerationOperator.EXISTS }]),
    fc.constantFrom([{ key: 'dedicated', operator: TolerationOperator.EXISTS, value: 'ci' }], [{ key: 'k', tolerationSeconds: 5 }]),
  ), { nil: undefined }),
  priorityClassName: fc.option(rarely(fc.constantFrom('ci-runners'), fc.constantFrom('High', 'a_b')), { nil: undefined }),
  spreadAcrossNodes: fc.boolean(),
  dedicatedCpus: rarely(fc.constant(false), fc.constant(true)),
  nestedVirtualization: fc.constantFrom<RunnerChartProps['nestedVirtualization']>(undefined, false, true, { cpuModel: NestedCpuModel.HOST_MODEL, cpuVendor: CpuVendor.AMD }),
  dockerDataDisk: fc.option(rarely<DiskStorageOptions>(fc.constantFrom({ size: '20Gi' }, { size: '100Gi', storageClassName: 'fast' }), fc.constantFrom({ size: '1Gi' }, { size: '20GB' })), { nil: undefined }),
  guestAgentReadinessProbe: fc.boolean(),
  sshPublicKeysSecret: fc.option(rarely(fc.constantFrom('ci-ssh-keys'), fc.constantFrom('SSH keys')), { nil: undefined }),
  networkPolicy,
  proxy,
}).map((p) => (p.docker ? p : { ...p, dockerDataDisk: undefined })); // a Docker disk without Docker is refused (test/runner-chart.test.ts)

interface Registered {
  readonly settings: string;
  readonly expectedArgs: string[];
  readonly expectedSettings: Record<string, string>;
}

/** Every variable of the settings file, as the inputs say it must be. */
function expectedSettings(p: RunnerChartProps & { runnerLabels: string[] }, scopeUrl: string, sha256: string): Record<string, string> {
  const base = (p.runnerDownloadBaseUrl ?? 'https://github.com/actions/runner/releases/download').replace(/\/+$/, '');
  return {
    RUNNER_URL: scopeUrl,
    RUNNER_LABELS: p.runnerLabels.join(','),
    RUNNER_GROUP: p.runnerGroup ?? '',
    RUNNER_NO_DEFAULT_LABELS: String(p.noDefaultLabels),
    RUNNER_EPHEMERAL: String(p.ephemeral),
    RUNNER_DISABLE_UPDATE: String(p.disableUpdate),
    RUNNER_USER: p.user ?? 'actions-runner',
    RUNNER_DIR: '/opt/actions-runner/runner',
    RUNNER_WORK_DIR: p.workDir ?? '_work',
    RUNNER_DOWNLOAD_URL: `${base}/v2.338.0/actions-runner-linux-x64-2.338.0.tar.gz`,
    RUNNER_SHA256: sha256,
    TOKEN_DISK_SERIAL: 'RUNNERTOKEN',
    TOKEN_FILE_NAME: p.tokenSecretKey ?? 'token',
    RUNNER_REQUIRED_COMMANDS: p.docker ? 'git docker' : 'git',
    RUNNER_HTTP_PROXY: p.proxy?.http ?? '',
    RUNNER_HTTPS_PROXY: p.proxy?.https ?? '',
    RUNNER_NO_PROXY: p.proxy ? ['localhost', '127.0.0.1', '::1', ...p.proxy.noProxy ?? []].join(',') : '',
  };
}
const SETTINGS = Object.keys(expectedSettings({ url: '', tokenSecretName: '', runnerLabels: [] }, '', ''));

function expectedArgs(p: RunnerChartProps & { runnerLabels: string[] }, scopeUrl: string): string[] {
  return [
    '--unattended', '--url', scopeUrl, '--name', 'runner-0', '--work', p.workDir ?? '_work', '--replace',
    ...(p.runnerLabels.length > 0 ? ['--labels', p.runnerLabels.join(',')] : []),
    ...(p.runnerGroup !== undefined ? ['--runnergroup', p.runnerGroup] : []),
    ...(p.noDefaultLabels ? ['--no-default-labels'] : []),
    ...(p.ephemeral ? ['--ephemeral'] : []),
    ...(p.disableUpdate ? ['--disableupdate'] : []),
  ];
}

/**
 * For each settings file, under bash with the real guest script: config.sh's arguments as the
 * script builds them, then the value of every settings variable after the script loaded the file.
 */
function fromGuestScript(cases: readonly Registered[]): Array<{ args: string[]; settings: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'runner-property-'));
  try {
    const files = cases.map((c, i) => {
      const file = join(dir, `settings-${i}.env`);
      writeFileSync(file, c.settings);
      return file;
    });
    const script = `source "$1"; shift
for settings in "$@"; do
  ( load_settings "$settings"; build_config_args runner-0; printf '%s\\0' "\${CONFIG_ARGS[@]}"; printf '\\2\\0'
    for name in ${SETTINGS.join(' ')}; do printf '%s\\0' "\${!name}"; done )
  printf '\\1\\0'
done`;
    const out = execFileSync('bash', ['-c', script, 'bash', join(__dirname, '..', 'lib', 'guest', 'register-runner.sh'), ...files],
      { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
    const runs: Array<{ args: string[]; settings: Record<string, string> }> = [];
    let current: string[] = [];
    for (const field of out.split('\0').slice(0, -1)) {
      if (field === '\u0001') {
        const split = current.indexOf('\u0002');
        runs.push({ args: current.slice(0, split), settings: Object.fromEntries(SETTINGS.map((name, i) => [name, current[split + 1 + i]])) });
        current = [];
      } else {
        current.push(field);
      }
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Every error a RunnerChart user can trigger names RunnerChart and one of the props they wrote.
const PROP_ERROR = /^RunnerChart '([A-Za-z]+)(\.[A-Za-z]+|\[[0-9]+\])*' /;

describe('random fleets (fast-check)', () => {
  test(`${RUNS} random props: a named error, or valid output whose settings and config.sh arguments, read back by bash, equal the inputs`, () => {
    const registered: Registered[] = [];
    let rejected = 0;
    fc.assert(fc.property(props, (p) => {
      let chart: RunnerChart;
      try {
        chart = new RunnerChart(Testing.app(), 'fleet', p);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(PROP_ERROR);
        expect(Object.keys(p)).toContain(PROP_ERROR.exec((e as Error).message)![1]);
        rejected++;
        return;
      }
      const objects = synth(chart);
      const findings = validateObjects(objects.map((object) => ({ file: 'random.yaml', object })));
      expect(findings.map(formatFinding)).toEqual([]);
      expect(objects.filter((o) => o.kind === 'VirtualMachine')).toHaveLength(p.replicas!);
      const secret = objects.find((o) => o.kind === 'Secret')!;
      registered.push({
        settings: writtenFile(cloudConfigOf(secret), RUNNER_SETTINGS_PATH),
        expectedArgs: expectedArgs(p, chart.pool.cloudInit.scope.url),
        expectedSettings: expectedSettings(p, chart.pool.cloudInit.scope.url, chart.pool.cloudInit.release.sha256),
      });
      expect(chart.pool.cloudInit.scope.url).toBe(p.url.replace(/\/$/, ''));
    }), { seed: SEED, numRuns: RUNS });

    if (process.env.PROPERTY_STATS) console.log(`property: ${registered.length} synthesized and validated, ${rejected} rejected`);
    // Both paths must really be exercised, or the property says little.
    expect(registered.length).toBeGreaterThan(RUNS / 4);
    expect(rejected).toBeGreaterThan(RUNS / 10);
    const actual = fromGuestScript(registered);
    expect(actual).toHaveLength(registered.length);
    registered.forEach((c, i) => {
      expect(actual[i].args).toEqual(c.expectedArgs);
      expect(actual[i].settings).toEqual(c.expectedSettings);
    });
  });
});
