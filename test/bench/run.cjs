// npm run bench: ratios against baselines run in the same command, medians of several runs.
// 1. Synth of the default app (npm run synth: cdk8s synth, tsx, validation plugin) vs a stock
//    `cdk8s init` app (cdk8s synth + `npx ts-node main.ts`) writing the same objects as raw ApiObjects.
// 2. Construct overhead: 10, 100, 1,000 runners with the constructs vs raw ApiObjects, both precompiled.
// It only reports; it never fails on a target.
const { execFileSync, spawnSync } = require('node:child_process');
const { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs, format) => `${format(Math.min(...xs))}–${format(Math.max(...xs))}`;
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

function wallMs(command, args, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function child(script, args) {
  const out = execFileSync(process.execPath, [join(__dirname, script), ...args], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

/** The objects our default fleet synthesizes, as JSON (for the raw baselines). */
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

/** A stock `cdk8s init typescript-app` project whose chart writes `objects` as raw ApiObjects. */
function stockProject(objects) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-stock-'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  copyFileSync(join(ROOT, 'node_modules/cdk8s-cli/templates/typescript-app/tsconfig.json'), join(dir, 'tsconfig.json'));
  writeFileSync(join(dir, 'cdk8s.yaml'), 'language: typescript\napp: npx ts-node main.ts\n');
  writeFileSync(join(dir, 'main.ts'), `import { Construct } from 'constructs';
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
  return dir;
}

function benchSynth() {
  const stock = stockProject(fleetObjects(2));
  const outdir = mkdtempSync(join(tmpdir(), 'bench-ours-'));
  const cdk8s = join(ROOT, 'node_modules/.bin/cdk8s');
  try {
    const ours = [];
    const oursNoValidation = [];
    const baseline = [];
    wallMs(cdk8s, ['synth', '--no-check-upgrade', '-o', outdir], ROOT); // warm caches once for all
    wallMs(cdk8s, ['synth', '--no-check-upgrade'], stock);
    for (let i = 0; i < RUNS; i++) {
      ours.push(wallMs(cdk8s, ['synth', '--no-check-upgrade', '-o', outdir], ROOT));
      oursNoValidation.push(wallMs(cdk8s, ['synth', '--no-check-upgrade', '--no-validate', '-o', outdir], ROOT));
      baseline.push(wallMs(cdk8s, ['synth', '--no-check-upgrade'], stock));
    }
    const [o, n, b] = [median(ours), median(oursNoValidation), median(baseline)];
    const ratios = (xs) => spread(xs.map((x, i) => x / baseline[i]), (r) => `${r.toFixed(2)}x`);
    console.log(`synth of the default app (median of ${RUNS}; range of the per-run ratios in brackets)`);
    console.log(`  stock cdk8s app (ts-node, raw ApiObjects)  ${seconds(b)}`);
    console.log(`  ours, with the validation plugin          ${seconds(o)}  ratio ${(o / b).toFixed(2)}x [${ratios(ours)}]  (target <= 0.6x)`);
    console.log(`  ours, cdk8s synth --no-validate           ${seconds(n)}  ratio ${(n / b).toFixed(2)}x [${ratios(oursNoValidation)}]`);
  } finally {
    rmSync(stock, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  }
}

function benchConstructs() {
  console.log(`construct overhead, precompiled, in-process build+synth time (median of ${RUNS})`);
  console.log('  runners   constructs      raw ApiObjects  ratio [per-run range]      peak RSS ours / raw');
  const results = {};
  for (const replicas of [10, 100, 1000]) {
    const fixture = join(mkdtempSync(join(tmpdir(), 'bench-raw-')), 'objects.json');
    writeFileSync(fixture, JSON.stringify(fleetObjects(replicas)));
    const ours = [];
    const raw = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(child('synth-constructs.cjs', [String(replicas)]));
      raw.push(child('synth-raw.cjs', [fixture]));
    }
    if (ours[0].bytes !== raw[0].bytes) throw new Error(`constructs and raw ApiObjects wrote different output at ${replicas} runners`);
    const [o, r] = [median(ours.map((x) => x.ms)), median(raw.map((x) => x.ms))];
    const perRun = spread(ours.map((x, i) => x.ms / raw[i].ms), (q) => `${q.toFixed(2)}x`);
    const [oRss, rRss] = [median(ours.map((x) => x.maxRssKb)), median(raw.map((x) => x.maxRssKb))];
    results[replicas] = { o, r };
    console.log(`  ${String(replicas).padStart(7)}   ${`${o.toFixed(1)} ms`.padEnd(14)}  ${`${r.toFixed(1)} ms`.padEnd(14)}  ${(o / r).toFixed(2)}x [${perRun}]   ${Math.round(oRss / 1024)} MB / ${Math.round(rRss / 1024)} MB`);
    rmSync(join(fixture, '..'), { recursive: true, force: true });
  }
  console.log(`  growth 100 -> 1,000 runners: ours ${(results[1000].o / results[100].o).toFixed(1)}x, raw ${(results[1000].r / results[100].r).toFixed(1)}x `
    + '(linear would be 10x; target: ours <= 1.5x raw at 1,000 runners and growth no worse than linear)');
}

benchSynth();
benchConstructs();
