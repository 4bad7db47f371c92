import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { markOutput, OUTPUT_MARKER } from '../../lib/validate/output-folder';

// The in-process synth (lib/validate/synth.ts, the kubevirt-runners-synth binary and `npm run synth`)
// run as a process on small apps in a throw-away project: valid output lands in the output folder
// and nothing else does (but FLEET.md, the fleet at a glance, and the marker listing what it wrote);
// a failing app or invalid output exits non-zero, says why, and leaves an earlier output as it was.
// Which folders it may replace: test/validate/synth-output-folder.test.ts.
const ROOT = join(__dirname, '..', '..');

const fleetApp = (extra = '') => `import { App } from 'cdk8s';
import { RunnerChart } from '${ROOT}/lib';

const app = new App();
new RunnerChart(app, 'fleet', { url: 'https://github.com/example-org', tokenSecretName: 'ci-runner-token', replicas: 2 });
${extra}
app.synth();
`;

describe('kubevirt-runners-synth (lib/validate/synth.ts)', () => {
  let project: string;
  let cacheRoot: string;
  let cache: string;
  // One cache for the whole file (the first synth fills it), in a folder whose node_modules the
  // cached validators load ajv from.
  beforeAll(() => {
    cacheRoot = mkdtempSync(join(tmpdir(), 'synth-cache-'));
    symlinkSync(join(ROOT, 'node_modules'), join(cacheRoot, 'node_modules'));
    cache = join(cacheRoot, 'cache');
  });
  afterAll(() => rmSync(cacheRoot, { recursive: true, force: true }));
  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'synth-driver-'));
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  const synth = (app: string, ...args: string[]) => {
    writeFileSync(join(project, 'main.ts'), app);
    const env: NodeJS.ProcessEnv = { ...process.env, KUBEVIRT_RUNNERS_CACHE_DIR: cache };
    delete env.KUBEVIRT_RUNNERS_NO_CACHE;
    return spawnSync(process.execPath, ['--require', join(ROOT, 'lib/validate/typescript-hook.cjs'), join(ROOT, 'lib/validate/synth.ts'), ...args], {
      cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
  };
  // What the synth left in the project: its output folder, and temporary folders it failed to remove.
  const entries = () => readdirSync(project).filter((f) => f !== 'node_modules' && f !== 'main.ts').sort();
  // An earlier synth's output (marked as the synth marks it).
  const staleDist = () => {
    mkdirSync(join(project, 'dist'));
    writeFileSync(join(project, 'dist', 'old.k8s.yaml'), 'kind: Stale\n');
    markOutput(join(project, 'dist'));
  };
  const stale = () => readdirSync(join(project, 'dist')).map((f) => `${f}: ${readFileSync(join(project, 'dist', f), 'utf8')}`);

  test('a valid app: exit 0, dist/ holds its objects and nothing else, nothing is left beside it', () => {
    staleDist();
    // What a killed synth leaves behind (no process has that id) is cleared away.
    mkdirSync(join(project, '.dist.synth-999999999'));
    const result = synth(fleetApp());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('  - dist/fleet.k8s.yaml\n');
    expect(result.stdout).toMatch(/synth: 5 objects in 1 files, valid against /);
    expect(entries()).toEqual(['dist']);
    expect(readdirSync(join(project, 'dist'))).toEqual([OUTPUT_MARKER, 'FLEET.md', 'fleet.k8s.yaml']);
    const objects = parseAllDocuments(readFileSync(join(project, 'dist', 'fleet.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/actions-runner-cloud-init', 'DataVolume/actions-runner-image', 'NetworkPolicy/actions-runner', 'VirtualMachine/actions-runner-0', 'VirtualMachine/actions-runner-1',
    ]);
  }, 60_000);

  test('dist/FLEET.md: the fleet at a glance, written beside the manifests and printed', () => {
    const result = synth(fleetApp().replace("replicas: 2 }", "replicas: 3, cpu: 2, memory: '8Gi', diskSize: '40Gi' }"));
    expect(result.status).toBe(0);
    const fleet = readFileSync(join(project, 'dist', 'FLEET.md'), 'utf8');
    expect(fleet).toMatch(/^# The fleet at a glance\n/);
    expect(fleet).toContain('| `default/actions-runner` | VirtualMachine | 3 | 2 | 8Gi | 40Gi | 6 | 24Gi | 120Gi |\n');
    expect(fleet).toContain('| `default/actions-runner` | `<vm>-root` | boot disk, DataVolume template, clone of default/actions-runner-image '
      + '| PVC (ReadWriteOnce, default class) | 40Gi | 3 | 120Gi |\n');
    expect(fleet).toContain('| **total** |  |  | PVC |  |  | 160Gi |\n');
    // Printed whole, then the files, the summary line last.
    expect(result.stdout).toContain(fleet);
    expect(result.stdout).toMatch(/ {2}- dist\/fleet\.k8s\.yaml\n {2}- dist\/FLEET\.md\nsynth: \d+ objects in 1 files, valid against .*\n$/);
    // Written with --no-validate too: it is read from the objects, not from validation.
    expect(synth(fleetApp(), '--no-validate').status).toBe(0);
    expect(readFileSync(join(project, 'dist', 'FLEET.md'), 'utf8')).toContain('| `default/actions-runner` | VirtualMachine | 2 | 4 | 16Gi | 50Gi | 8 | 32Gi | 100Gi |\n');
  }, 60_000);

  test('invalid output: exit 1, the findings, and an earlier dist/ left as it was', () => {
    staleDist();
    const before = stale();
    const result = synth(fleetApp(`import { ApiObject, JsonPatch } from 'cdk8s';
for (const c of app.node.findAll()) if (c instanceof ApiObject && c.kind === 'VirtualMachine') c.addJsonPatch(JsonPatch.add('/spec/runStrategy', 'Sometimes'));`));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('dist/fleet.k8s.yaml: VirtualMachine/actions-runner-0: /spec/runStrategy: runStrategy "Sometimes" is not one of Always, RerunOnFailure, Manual, Halted, Once\n');
    expect(result.stderr).toMatch(/^synth: 2 problems in 5 objects in 1 files against .*; nothing was written\n$/);
    expect(entries()).toEqual(['dist']);
    expect(stale()).toEqual(before);
  }, 60_000);

  test('an app that throws: exit 1, its message, and an earlier dist/ left as it was', () => {
    staleDist();
    const before = stale();
    const result = synth(fleetApp().replace('replicas: 2', 'replicas: 0'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^synth: main.ts failed: Error: .*'replicas' must be an integer from 1 to 10000, got 0\n/);
    expect(entries()).toEqual(['dist']);
    expect(stale()).toEqual(before);
  }, 60_000);

  test('an app that fails after loading (a rejected promise): non-zero, its message, and an earlier dist/ left as it was', () => {
    staleDist();
    const before = stale();
    const result = synth(fleetApp().replace('app.synth();', "setTimeout(() => { throw new Error('late failure'); }, 10);"));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('late failure');
    expect(entries()).toEqual(['dist']);
    expect(stale()).toEqual(before);
  }, 60_000);

  test('an app that synthesizes asynchronously is validated once it is done', () => {
    const result = synth(fleetApp().replace('app.synth();', 'setTimeout(() => app.synth(), 10);'));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/synth: 5 objects in 1 files, valid against /);
  }, 60_000);

  test('files the app writes itself are read back and validated, YAML syntax errors included', () => {
    const result = synth(fleetApp(`import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
writeFileSync(join(process.env.CDK8S_OUTDIR!, 'extra.yaml'), 'apiVersion: v1\\nkind: Secret\\nmetadata: {name: extra\\n');`));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^dist\/extra\.yaml: -: \/: not valid YAML: /m);
    expect(entries()).toEqual([]);
  }, 60_000);

  test('--no-validate writes what the app synthesized, and --output chooses the folder', () => {
    const result = synth(fleetApp(), '--no-validate', '--output', 'out/manifests');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('  - out/manifests/fleet.k8s.yaml\n');
    expect(readdirSync(join(project, 'out', 'manifests'))).toEqual([OUTPUT_MARKER, 'FLEET.md', 'fleet.k8s.yaml']);
    expect(readdirSync(join(project, 'out'))).toEqual(['manifests']);
  }, 60_000);

  test('an app that synthesizes nothing fails', () => {
    const result = synth(fleetApp().replace('app.synth();', ''));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('wrote no manifests (does it call app.synth()?)');
    expect(entries()).toEqual([]);
  }, 60_000);

  test('a missing app or an unknown option: exit 2 and the usage', () => {
    const missing = synth(fleetApp(), 'nowhere.ts');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('synth: nowhere.ts not found');
    const unknown = synth(fleetApp(), '--frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown option --frobnicate\nusage: kubevirt-runners-synth');
    expect(existsSync(join(project, 'dist'))).toBe(false);
  }, 60_000);

  test('two synths write byte-identical output', () => {
    const read = () => readFileSync(join(project, 'dist', 'fleet.k8s.yaml'), 'utf8') + readFileSync(join(project, 'dist', 'FLEET.md'), 'utf8');
    expect(synth(fleetApp()).status).toBe(0);
    const first = read();
    expect(synth(fleetApp()).status).toBe(0);
    expect(read()).toBe(first);
  }, 60_000);
});
