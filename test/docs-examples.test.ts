import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { formatFinding, ManifestObject, validateObjects } from '../lib/validate';
import { CodeBlock, DOC_FILES, ROOT, tsBlocks } from './markdown';

// Every ```ts block of README.md and docs/*.md is a program a reader can paste into a stock
// `cdk8s init typescript-app` project: it is type-checked with that project's tsconfig
// (test/bench/stock-app: strict, noUnusedLocals, lib es2016) with the package name mapped to lib/,
// then run, and it must synthesize. A block that is deliberately a piece of a program is written
// ```ts fragment and only counted.
const blocks = DOC_FILES.flatMap(tsBlocks);
const fragments = blocks.filter((b) => b.tags.includes('fragment'));
const examples = blocks.filter((b) => !b.tags.includes('fragment'));
const where = (b: CodeBlock) => `${b.file}:${b.line}`;
const virtualPath = (b: CodeBlock) => join(ROOT, '.docs-examples', `${b.file.replace(/[^\w]/g, '_')}_${b.line}.ts`);

function stockCompilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'test', 'bench', 'stock-app', 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
  return {
    ...options,
    noEmit: true,
    // A reader's main.ts is a module of its own; the blocks share one program here.
    moduleDetection: ts.ModuleDetectionKind.Force,
    baseUrl: ROOT,
    paths: { 'cdk8s-kubevirt-runners': ['lib/index.ts'] },
  };
}

/** Type-checks every example in one program; returns the diagnostics per block as `file:line: message`. */
function typeCheck(): Map<CodeBlock, string[]> {
  const options = stockCompilerOptions();
  const sources = new Map(examples.map((b) => [virtualPath(b), b]));
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (file) => sources.get(file)?.code ?? readFile(file);
  host.fileExists = (file) => sources.has(file) || fileExists(file);
  host.getCurrentDirectory = () => ROOT;
  const program = ts.createProgram([...sources.keys()], options, host);
  const result = new Map<CodeBlock, string[]>();
  const global = program.getOptionsDiagnostics().concat(program.getGlobalDiagnostics());
  for (const [path, block] of sources) {
    const file = program.getSourceFile(path)!;
    const diagnostics = [...global, ...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    result.set(block, diagnostics.map((d) => {
      const line = d.file && d.start !== undefined ? block.line + 1 + d.file.getLineAndCharacterOfPosition(d.start).line : block.line;
      return `${block.file}:${line}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    }));
  }
  return result;
}

interface Run {
  /** What the block's app.synth() wrote, file by file in name order. */
  readonly objects: any[];
  /** The same objects with the file each is in. */
  readonly manifests: ManifestObject[];
  /** How many jest-style test(...) bodies the block ran (a snapshot-test example). */
  readonly tests: number;
  /** The values the block's tests passed to toMatchSnapshot(). */
  readonly snapshots: unknown[];
}

// A snapshot-test example runs inside this test, whose own snapshots it must not write: its
// toMatchSnapshot() records the value instead, and the test runs the block twice and requires the
// same values (what a stored snapshot asserts on the next run).
function recordingExpect(snapshots: unknown[]) {
  return (value: unknown) => {
    const matchers = expect(value);
    return new Proxy(matchers, { get: (target, key) => (key === 'toMatchSnapshot' ? () => snapshots.push(value) : Reflect.get(target, key)) });
  };
}

function runExample(block: CodeBlock): Run {
  const outdir = mkdtempSync(join(tmpdir(), 'runners-docs-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  let tests = 0;
  const snapshots: unknown[] = [];
  try {
    const js = ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2017 } }).outputText;
    const load = (name: string) => require(name === 'cdk8s-kubevirt-runners' ? '../lib' : name);
    const runTest = (_name: string, body: () => void) => { tests++; body(); };
    new Function('require', 'exports', 'test', 'expect', js)(load, {}, runTest, recordingExpect(snapshots));
    const manifests = readdirSync(outdir).sort().flatMap((file) => parseAllDocuments(readFileSync(join(outdir, file), 'utf8')).map((d) => ({ file, object: d.toJS() })));
    return { objects: manifests.map((m) => m.object), manifests, tests, snapshots };
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
    rmSync(outdir, { recursive: true, force: true });
  }
}

function example(file: string, marker: string): CodeBlock {
  const found = examples.filter((b) => b.file === file && b.code.includes(marker));
  if (found.length === 0) throw new Error(`no TypeScript example with ${marker} in ${file}`);
  return found[0];
}

describe('TypeScript examples in README.md and docs/', () => {
  let diagnostics: Map<CodeBlock, string[]>;
  beforeAll(() => { diagnostics = typeCheck(); }, 180_000);

  test(`there are examples to check (${examples.length} checked, ${fragments.length} fragments skipped)`, () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(DOC_FILES).toContain('docs/README.md');
  });

  test.each(examples.map((b) => [where(b), b] as const))('%s compiles under the stock cdk8s tsconfig and synthesizes', (_where, block) => {
    expect(diagnostics.get(block)).toEqual([]);
    const run = runExample(block);
    if (run.tests === 0) {
      expect(run.objects.length).toBeGreaterThan(0);
    } else {
      expect(run.snapshots.length).toBeGreaterThan(0);
      expect(runExample(block).snapshots).toEqual(run.snapshots);
    }
  });
});

describe('what the examples synthesize', () => {
  test('README: the whole-fleet example is under 15 lines and synthesizes 4 runners and their NetworkPolicy', () => {
    const fleet = example('README.md', 'new RunnerChart');
    expect(fleet.code.trim().split('\n').filter((line) => line.trim() !== '').length).toBeLessThan(15);
    expect(runExample(fleet).objects.map((o) => o.kind)).toEqual(['Secret', 'DataVolume', 'NetworkPolicy', 'VirtualMachine', 'VirtualMachine', 'VirtualMachine', 'VirtualMachine']);
  });

  test('long-lived runners: the composition example synthesizes a Secret, a golden DataVolume and a VM cloning it', () => {
    const objects = runExample(example('docs/02-long-lived-runners.md', 'new RunnerVm')).objects;
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}`)).toEqual(['Secret/ci', 'DataVolume/ci', 'VirtualMachine/ci']);
    const vm = objects[2];
    expect(vm.spec.dataVolumeTemplates[0].spec.source.pvc).toEqual({ namespace: 'ci', name: objects[1].metadata.name });
    expect(vm.spec.template.spec.domain.resources.requests).toEqual({ cpu: '16', memory: '64Gi' });
  });

  test('operations: the VM options example renders its options into every VM', () => {
    const vms = runExample(example('docs/08-operations.md', 'nestedVirtualization')).objects.filter((o) => o.kind === 'VirtualMachine');
    expect(vms).toHaveLength(4);
    const vmi = vms[0].spec.template.spec;
    expect(vmi.domain.cpu).toEqual({ cores: 8, dedicatedCpuPlacement: true, model: 'host-passthrough', features: [{ name: 'vmx', policy: 'require' }] });
    expect(vmi.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' }]);
    expect(vms[0].spec.dataVolumeTemplates.map((t: any) => t.metadata.name)).toEqual(['actions-runner-0-root', 'actions-runner-0-docker']);
  });

  test.each(['README.md', 'docs/05-warm-pools.md'])('%s: the warm-pool example scales down weekday evenings in Berlin', (file) => {
    const objects = runExample(example(file, 'activeHours')).objects;
    const cron = (name: string) => objects.find((o) => o.kind === 'CronJob' && o.metadata.name === name);
    expect(cron('warm-scale-up').spec).toMatchObject({ schedule: '0 7 * * 1-5', timeZone: 'Europe/Berlin' });
    expect(cron('warm-scale-down').spec).toMatchObject({ schedule: '0 19 * * 1-5', timeZone: 'Europe/Berlin' });
    // Each CronJob runs the scaler with its own config file (`node <mount>/pool-scaler.js <mount>/<suffix>.json`) from the scaler's ConfigMap.
    const replicasOf = (name: string) => {
      const pod = cron(name).spec.jobTemplate.spec.template.spec;
      const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === pod.volumes[0].configMap.name);
      return JSON.parse(configMap.data[pod.containers[0].command[2].split('/').pop()]).replicas;
    };
    expect([replicasOf('warm-scale-up'), replicasOf('warm-scale-down')]).toEqual([8, 1]);
  });

  test.each([
    ['docs/01-getting-started.md', 'ci', '0001-runners.k8s.yaml'],
    ['docs/03-deploying.md', 'warm-runners', '0001-fleet.k8s.yaml'],
  ])('%s: the namespace comes first, in a file of its own that kubectl applies first, and the output validates', (file, namespace, fleetFile) => {
    const { manifests } = runExample(example(file, "kind: 'Namespace'"));
    expect([...new Set(manifests.map((m) => m.file))]).toEqual(['0000-namespaces.k8s.yaml', fleetFile]);
    // Cluster-scoped: no metadata.namespace of its own.
    expect(manifests[0]).toEqual({ file: '0000-namespaces.k8s.yaml', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    const fleet = manifests.slice(1);
    expect(fleet.length).toBeGreaterThan(3);
    expect(fleet.filter((m) => m.object.metadata.namespace !== namespace)).toEqual([]);
    expect(validateObjects(manifests, {}).map(formatFinding)).toEqual([]);
  });

  test('corporate networks: the example synthesizes runners with the CA disk, behind the proxy, on the mirror', () => {
    const objects = runExample(example('docs/09-corporate-networks.md', 'caCertificatesFrom')).objects;
    const vms = objects.filter((o) => o.kind === 'VirtualMachine');
    expect(vms).toHaveLength(2);
    for (const vm of vms) expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'runnerca', configMap: { name: 'corp-root-ca' } });
    const userData: string = objects.find((o) => o.kind === 'Secret').stringData.userdata;
    expect(userData).toContain('https_proxy: http://proxy.corp.example:3128');
    expect(userData).toContain('runner-mirror.list');
    expect(userData).toContain('docker.io');
  });
});
