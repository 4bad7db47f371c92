// npm run bench: whole commands timed as processes, against baselines run in the same command, in
// paired rounds (ours and the baseline one after the other in each round, so a machine that slows
// down slows both), reported as medians with the range of the per-round ratios. It only reports;
// it never fails on a target.
// 1. `npm run synth` (what the README tells users to run) vs `cdk8s synth` in a stock `cdk8s init
//    typescript-app` project, installed on its own from test/bench/stock-app, whose main.ts writes
//    the same objects as raw ApiObjects; also ours without validation.
// 2. 10,000 runners: synth with validation vs without; `npm run validate` of the output vs the synth.
// 3. Construct overhead: 10, 100, 1,000 runners with the constructs vs raw ApiObjects, precompiled.
const { createHash } = require('node:crypto');
const { execFileSync, spawnSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { CORE_SCHEMA, loadAll } = require('js-yaml');

const ROOT = join(__dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const BIG = 10_000;
const STOCK_SOURCE = join(__dirname, 'stock-app');
const STOCK_FILES = ['package.json', 'package-lock.json', 'cdk8s.yaml', 'tsconfig.json'];
const STOCK = join(ROOT, 'node_modules', '.cache', 'cdk8s-kubevirt-runners-bench', 'stock-app');
const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
delete env.KUBEVIRT_RUNNERS_NO_CACHE;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const times = (r) => `${r.toFixed(2)}x`;
/** `median ratio [min–max]` of the per-round ratios a[i] / b[i]. */
const ratio = (a, b) => {
  const rs = a.map((x, i) => x / b[i]);
  return `${times(median(rs))} [${times(Math.min(...rs))}–${times(Math.max(...rs))}]`;
};

/** Runs a command to the end: its wall time in ms and what it printed; throws with its output if it fails. */
function timed(command, args, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}${result.stderr}`);
  return { ms, output: `${result.stdout}${result.stderr}` };
}

/** Warms each command up with one run that must print `expected`, then runs them in turn, RUNS rounds; the times per command. */
function rounds(commands) {
  for (const { run, expected } of commands) {
    const { output } = run();
    if (!expected.test(output)) throw new Error(`expected ${expected} in the output of a warm-up run:\n${output}`);
  }
  const results = commands.map(() => []);
  for (let i = 0; i < RUNS; i++) commands.forEach(({ run }, c) => results[c].push(run().ms));
  return results;
}
const VALIDATED = /synth: \d+ objects in \d+ files, valid against /;

const readObjects = (file) => loadAll(readFileSync(file, 'utf8'), undefined, { schema: CORE_SCHEMA }).filter((o) => o != null);

/**
 * The stock app in its own folder, installed with `npm ci` from its committed lockfile the first
 * time and again only when package.json or the lockfile changes; its main.ts writes `objects`.
 */
function stockApp(objects) {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(STOCK_SOURCE, file)));
  const digest = hash.digest('hex');
  const stamp = join(STOCK, '.installed-from');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
    console.log(`installing the stock cdk8s app into ${STOCK} (npm ci; once per lockfile) ...`);
    rmSync(STOCK, { recursive: true, force: true });
    mkdirSync(STOCK, { recursive: true });
    for (const file of STOCK_FILES) copyFileSync(join(STOCK_SOURCE, file), join(STOCK, file));
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: STOCK, env, stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(stamp, digest);
  }
  for (const file of STOCK_FILES) copyFileSync(join(STOCK_SOURCE, file), join(STOCK, file));
  // What `cdk8s init typescript-app` writes, with the chart's objects as raw ApiObjects.
  writeFileSync(join(STOCK, 'main.ts'), `import { Construct } from 'constructs';
import { ApiObject, App, Chart, ChartProps } from 'cdk8s';

export class MyChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = { }) {
    super(scope, id, props);
${objects.map((o, i) => `    new ApiObject(this, 'o${i}', ${JSON.stringify(o)});`).join('\n')}
  }
}

const app = new App();
new MyChart(app, 'actions-runners');
app.synth();
`);
  return STOCK;
}

function benchDefaultApp(work) {
  const out = join(work, 'dist');
  const ours = () => timed('npm', ['run', 'synth', '--', '--output', out], ROOT);
  const oursNoValidation = () => timed('npm', ['run', 'synth', '--', '--output', out, '--no-validate'], ROOT);
  ours();
  const file = readdirSync(out).find((f) => f.endsWith('.yaml'));
  const stock = stockApp(readObjects(join(out, file)));
  const theirs = () => timed(join(STOCK, 'node_modules', '.bin', 'cdk8s'), ['synth'], stock);
  theirs();
  const same = readFileSync(join(out, file), 'utf8') === readFileSync(join(stock, 'dist', file), 'utf8');
  if (!same) throw new Error(`the stock app's dist/${file} differs from ours: the baseline does not write the same objects`);

  const [o, s, n] = rounds([
    { run: ours, expected: VALIDATED }, { run: theirs, expected: /dist\/actions-runners\.k8s\.yaml/ }, { run: oursNoValidation, expected: /not validated/ },
  ]);
  console.log(`synth of the default app (${RUNS} paired rounds after a warm-up; medians, per-round ratio to the stock app: median [range])`);
  console.log(`  stock cdk8s app: cdk8s synth (ts-node, raw ApiObjects)  ${seconds(median(s))}`);
  console.log(`  ours: npm run synth (validation on)                     ${seconds(median(o))}  ${ratio(o, s)}  (target <= 0.40x)`);
  console.log(`  ours: npm run synth -- --no-validate                    ${seconds(median(n))}  ${ratio(n, s)}`);
  console.log(`  both write the same ${file}, byte for byte`);
}

function benchBigFleet(work) {
  // A TypeScript app like main.ts, for 10,000 runners, run the way npm run synth runs main.ts.
  const project = join(work, 'big');
  mkdirSync(project);
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  writeFileSync(join(project, 'main.ts'), `import { App } from 'cdk8s';
import { RunnerChart } from ${JSON.stringify(join(ROOT, 'lib'))};

const app = new App();
new RunnerChart(app, 'fleet', {
  url: 'https://github.com/example-org', tokenSecretName: 'ci-runner-token', labels: ['kubevirt', 'docker'],
  replicas: ${BIG}, cpu: 8, memory: '16Gi', diskSize: '50Gi',
});
app.synth();
`);
  const driver = ['--require', join(ROOT, 'lib/validate/typescript-hook.cjs'), join(ROOT, 'lib/validate/synth.ts'), 'main.ts'];
  const out = join(project, 'dist');
  const synth = () => timed(process.execPath, [...driver, '--output', out], project);
  const synthNoValidation = () => timed(process.execPath, [...driver, '--output', out, '--no-validate'], project);
  synthNoValidation();
  const file = join(out, 'fleet.k8s.yaml');
  const validate = () => timed('npm', ['run', 'validate', '--', file], ROOT);
  const mb = (readFileSync(file).length / 1e6).toFixed(0);

  const [n, v, r] = rounds([
    { run: synthNoValidation, expected: /not validated/ }, { run: synth, expected: VALIDATED }, { run: validate, expected: /all valid/ },
  ]);
  console.log(`${BIG.toLocaleString('en')} runners, ${(BIG + 2).toLocaleString('en')} objects, ${mb} MB of YAML (${RUNS} paired rounds; medians, per-round ratio: median [range])`);
  console.log(`  synth, --no-validate                        ${seconds(median(n))}`);
  console.log(`  synth with validation                       ${seconds(median(v))}  ${ratio(v, n)} of the synth without  (target <= 1.3x)`);
  console.log(`  npm run validate of the synthesized file    ${seconds(median(r))}  ${ratio(r, n)} of the synth without  (target <= 0.5x)`);
}

function child(script, args) {
  const out = execFileSync(process.execPath, [join(__dirname, script), ...args], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

/** The objects our fleet synthesizes, as JSON (for the raw baselines). */
function fleetObjects(replicas) {
  const { App } = require('cdk8s');
  const { RunnerChart } = require(join(ROOT, 'build', 'lib'));
  const app = new App({ outdir: '/dev/null' });
  const chart = new RunnerChart(app, 'fleet', {
    url: 'https://github.com/example-org', tokenSecretName: 'ci-runner-token', labels: ['kubevirt', 'docker'],
    replicas, cpu: 8, memory: '16Gi', diskSize: '50Gi',
  });
  return chart.toJson();
}

function benchConstructs(work) {
  console.log(`construct overhead, precompiled, in-process build+synth time (${RUNS} paired rounds; medians)`);
  console.log('  runners   constructs      raw ApiObjects  ratio [per-round range]    peak RSS ours / raw');
  const results = {};
  for (const replicas of [10, 100, 1000]) {
    const fixture = join(work, `objects-${replicas}.json`);
    writeFileSync(fixture, JSON.stringify(fleetObjects(replicas)));
    const ours = [];
    const raw = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(child('synth-constructs.cjs', [String(replicas)]));
      raw.push(child('synth-raw.cjs', [fixture]));
    }
    if (ours[0].bytes !== raw[0].bytes) throw new Error(`constructs and raw ApiObjects wrote different output at ${replicas} runners`);
    const [o, r] = [median(ours.map((x) => x.ms)), median(raw.map((x) => x.ms))];
    const [oRss, rRss] = [median(ours.map((x) => x.maxRssKb)), median(raw.map((x) => x.maxRssKb))];
    results[replicas] = { o, r };
    console.log(`  ${String(replicas).padStart(7)}   ${`${o.toFixed(1)} ms`.padEnd(14)}  ${`${r.toFixed(1)} ms`.padEnd(14)}  `
      + `${ratio(ours.map((x) => x.ms), raw.map((x) => x.ms)).padEnd(24)}  ${Math.round(oRss / 1024)} MB / ${Math.round(rRss / 1024)} MB`);
  }
  console.log(`  growth 100 -> 1,000 runners: ours ${(results[1000].o / results[100].o).toFixed(1)}x, raw ${(results[1000].r / results[100].r).toFixed(1)}x `
    + '(linear would be 10x; target: ours <= 1.5x raw at 1,000 runners and growth no worse than linear)');
}

const work = mkdtempSync(join(tmpdir(), 'runners-bench-'));
try {
  benchDefaultApp(work);
  benchBigFleet(work);
  benchConstructs(work);
} finally {
  rmSync(work, { recursive: true, force: true });
}
