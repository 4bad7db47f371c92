import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { OsImage } from '../lib/os-image';
import { RUNNER_SETTINGS_PATH } from '../lib/cloud-config';
import { RunnerChart, RunnerChartProps } from '../lib/runner-chart';
import { formatFinding, validateObjects } from '../lib/validate';
import { cloudConfigOf, hasSchemas, SCHEMA_DIR, synth, testIf, writtenFile } from './util';

// Random fleets: every generated props object must either be refused with an Error that names a
// prop, or synthesize output that passes every validation and whose config.sh arguments, as the real
// guest script builds them from the real settings file under bash, are exactly the inputs.
const SEED = 20261127;
const RUNS = 1000;

const GOOD_CHARS = [...'abcxyzABZ019._-', 'ä', 'ß', '日', 'é'];
const BAD_CHARS = [' ', ',', ';', '$', '`', "'", '"', '\\', '\n', '(', ')', '|', '&', '*', '<', '>', '#', '!', '{', '}'];
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 24 }, { arbitrary: bad, weight: 1 });

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
const url = mostly(
  fc.oneof(
    owner.map((o) => `https://github.com/${o}`),
    fc.tuple(owner, fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,15}$/)).filter(([, r]) => !r.endsWith('.git') && r !== '.' && r !== '..')
      .map(([o, r]) => `https://github.com/${o}/${r}`),
    owner.map((o) => `https://github.com/enterprises/${o}`),
    owner.map((o) => `https://ghes.example.com/${o}`),
  ),
  fc.oneof(fc.constantFrom('http://github.com/acme', 'https://github.com', 'https://github.com/a/b/c', 'https://github.com/ac;me', "https://github.com/a'b"),
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

const props: fc.Arbitrary<RunnerChartProps & { labels: string[] }> = fc.record({
  url,
  labels,
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
});

interface Registered {
  readonly settings: string;
  readonly expectedArgs: string[];
}

function expectedArgs(p: RunnerChartProps & { labels: string[] }, scopeUrl: string): string[] {
  return [
    '--unattended', '--url', scopeUrl, '--name', 'runner-0', '--work', p.workDir ?? '_work', '--replace',
    ...(p.labels.length > 0 ? ['--labels', p.labels.join(',')] : []),
    ...(p.runnerGroup !== undefined ? ['--runnergroup', p.runnerGroup] : []),
    ...(p.noDefaultLabels ? ['--no-default-labels'] : []),
    ...(p.ephemeral ? ['--ephemeral'] : []),
    ...(p.disableUpdate ? ['--disableupdate'] : []),
  ];
}

/** config.sh's arguments as the real guest script builds them from each settings file, under bash. */
function argsFromGuestScript(cases: readonly Registered[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'runner-property-'));
  try {
    const files = cases.map((c, i) => {
      const file = join(dir, `settings-${i}.env`);
      writeFileSync(file, c.settings);
      return file;
    });
    const script = `source "$1"; shift
for settings in "$@"; do
  ( load_settings "$settings"; build_config_args runner-0; printf '%s\\0' "\${CONFIG_ARGS[@]}" )
  printf '\\1\\0'
done`;
    const out = execFileSync('bash', ['-c', script, 'bash', join(__dirname, '..', 'lib', 'guest', 'register-runner.sh'), ...files],
      { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
    const runs: string[][] = [];
    let current: string[] = [];
    for (const field of out.split('\0').slice(0, -1)) {
      if (field === '\u0001') {
        runs.push(current);
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

const PROP_ERROR = /^(RunnerChart|RunnerPool|RunnerCloudInit|RunnerVm|RunnerDisk|RunnerRelease|OsImage(\.\w+)?)( \w+)? '[A-Za-z.]+' /;

describe('random fleets (fast-check)', () => {
  testIf(hasSchemas, `the schemas in ${SCHEMA_DIR}`)(`${RUNS} random props: a named error, or valid output whose config.sh arguments equal the inputs`, () => {
    const registered: Registered[] = [];
    let rejected = 0;
    fc.assert(fc.property(props, (p) => {
      let chart: RunnerChart;
      try {
        chart = new RunnerChart(Testing.app(), 'fleet', p);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(PROP_ERROR);
        rejected++;
        return;
      }
      const objects = synth(chart);
      const findings = validateObjects(objects.map((object) => ({ file: 'random.yaml', object })), { schemaDir: SCHEMA_DIR });
      expect(findings.map(formatFinding)).toEqual([]);
      expect(objects.filter((o) => o.kind === 'VirtualMachine')).toHaveLength(p.replicas!);
      const secret = objects.find((o) => o.kind === 'Secret')!;
      registered.push({
        settings: writtenFile(cloudConfigOf(secret), RUNNER_SETTINGS_PATH),
        expectedArgs: expectedArgs(p, chart.pool.cloudInit.scope.url),
      });
      expect(chart.pool.cloudInit.scope.url).toBe(p.url.replace(/\/$/, ''));
    }), { seed: SEED, numRuns: RUNS });

    if (process.env.PROPERTY_STATS) console.log(`property: ${registered.length} synthesized and validated, ${rejected} rejected`);
    // Both paths must really be exercised, or the property says little.
    expect(registered.length).toBeGreaterThan(RUNS / 4);
    expect(rejected).toBeGreaterThan(RUNS / 10);
    const actual = argsFromGuestScript(registered);
    expect(actual).toHaveLength(registered.length);
    registered.forEach((c, i) => expect(actual[i]).toEqual(c.expectedArgs));
  });
});
