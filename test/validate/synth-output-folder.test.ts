import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT_MARKER } from '../../lib/validate/output-folder';

// Which folder kubevirt-runners-synth may replace (lib/validate/output-folder.ts): one that does not
// exist, is empty, or holds exactly what its marker lists. Every other folder is refused before the
// app runs, with exit 2, a message naming it and why, and every sentinel file as it was, whether the
// app would have synthesized or failed.
const ROOT = join(__dirname, '..', '..');

const VALID_APP = `import { App } from 'cdk8s';
import { RunnerChart } from '${ROOT}/lib';

const app = new App();
new RunnerChart(app, 'fleet', { url: 'https://github.com/example-org', tokenSecretName: 'ci-runner-token' });
app.synth();
`;
const FAILING_APP = VALID_APP.replace("tokenSecretName: 'ci-runner-token'", "tokenSecretName: 'ci-runner-token', replicas: 0");

/** Every file and symlink under `dir` (node_modules aside) with its content or target. */
function tree(dir: string, prefix = ''): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) result[`${prefix}${name}`] = `-> ${readlinkSync(path)}`;
    else if (stat.isDirectory()) Object.assign(result, tree(path, `${prefix}${name}/`), { [`${prefix}${name}/`]: '' });
    else result[`${prefix}${name}`] = readFileSync(path, 'utf8');
  }
  return result;
}

describe('kubevirt-runners-synth output folders', () => {
  let work: string;
  let project: string;
  // One validator cache for the file (the first synth fills it), where the cached validators find ajv.
  let cacheRoot: string;
  beforeAll(() => {
    cacheRoot = mkdtempSync(join(tmpdir(), 'synth-output-cache-'));
    symlinkSync(join(ROOT, 'node_modules'), join(cacheRoot, 'node_modules'));
  });
  afterAll(() => rmSync(cacheRoot, { recursive: true, force: true }));
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'synth-output-'));
    project = join(work, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
    // The sentinels: what a user's project holds.
    writeFileSync(join(project, 'package.json'), '{"name": "fleet"}\n');
    writeFileSync(join(project, 'tsconfig.json'), '{}\n');
    writeFileSync(join(project, 'src', 'notes.ts'), '// mine\n');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const synth = (app: string, args: string[], options: { cwd?: string; appFile?: string; home?: string } = {}) => {
    const appFile = options.appFile ?? join(project, 'main.ts');
    writeFileSync(appFile, app);
    return spawnSync(process.execPath, ['--require', join(ROOT, 'lib/validate/typescript-hook.cjs'), join(ROOT, 'lib/validate/synth.ts'), appFile, ...args], {
      cwd: options.cwd ?? project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: options.home ?? process.env.HOME, KUBEVIRT_RUNNERS_CACHE_DIR: join(cacheRoot, 'cache') },
    });
  };

  /** Both apps are refused with `message`, and nothing under `dirs` changes. */
  const expectRefused = (args: string[], message: RegExp, options: Parameters<typeof synth>[2] = {}, dirs = [work]) => {
    for (const app of [VALID_APP, FAILING_APP]) {
      writeFileSync(options.appFile ?? join(project, 'main.ts'), app);
      const before = dirs.map((d) => tree(d));
      const result = synth(app, args, options);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/; choose another --output \(dist is the default\); nothing was touched\n$/);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(dirs.map((d) => tree(d))).toEqual(before);
    }
  };

  test('the working folder (--output .) and the folders above it are refused', () => {
    expectRefused(['--output', '.'], /^synth: refusing to replace \.: it is the working folder;/);
    expectRefused(['--output', project], /refusing to replace .*: it is the working folder;/);
    expectRefused(['--output', 'dist/..'], /refusing to replace dist\/\.\.: it is the working folder;/);
    expectRefused(['--output', '..'], new RegExp(`refusing to replace \\.\\.: it holds the working folder ${project};`));
  }, 120_000);

  test("the app's project folder is refused when the synth runs from elsewhere", () => {
    const app = join(project, 'app.ts');
    const elsewhere = mkdtempSync(join(tmpdir(), 'synth-elsewhere-'));
    try {
      expectRefused(['--output', project], /refusing to replace .*: it is the app's project folder;/, { cwd: elsewhere, appFile: app });
      expectRefused(['--output', work], new RegExp(`it holds the app's project folder ${project};`), { cwd: elsewhere, appFile: app });
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 120_000);

  test('the home folder and the filesystem root are refused', () => {
    const home = join(work, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.bashrc'), '# mine\n');
    expectRefused(['--output', home], /refusing to replace .*: it is the home folder;/, { home });
    expectRefused(['--output', '/'], /refusing to replace \/: it is the filesystem root;/);
  }, 120_000);

  test('a folder holding files the synth did not write is refused (issue 18: manifests/namespace.yaml)', () => {
    mkdirSync(join(project, 'manifests'));
    writeFileSync(join(project, 'manifests', 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: ci}\n');
    expectRefused(['--output', 'manifests'], /refusing to replace manifests: it holds files an earlier synth did not write \(namespace\.yaml\), and no \.kubevirt-runners-synth\.sha256; if they are yours to lose, remove them first;/);
    expectRefused(['--output', 'src'], /refusing to replace src: it holds files an earlier synth did not write \(notes\.ts\)/);
    writeFileSync(join(project, 'file'), 'mine\n');
    expectRefused(['--output', 'file'], /refusing to replace file: it is not a folder;/);
    const below = synth(VALID_APP, ['--output', 'file/dist']);
    expect(below.status).toBe(2);
    expect(below.stderr).toMatch(/^synth: cannot read file\/dist: ENOTDIR: .*; nothing was touched\n$/);
  }, 120_000);

  test("an earlier synth's output is replaced; a file added to it or changed since makes it refused", () => {
    expect(synth(VALID_APP, []).status).toBe(0);
    const dist = join(project, 'dist');
    expect(readdirSync(dist)).toEqual([OUTPUT_MARKER, 'FLEET.md', 'fleet.k8s.yaml']);
    // The marker lists every file the synth wrote, as `sha256sum -c` reads it.
    expect(readFileSync(join(dist, OUTPUT_MARKER), 'utf8')).toMatch(/^[0-9a-f]{64} {2}FLEET\.md\n[0-9a-f]{64} {2}fleet\.k8s\.yaml\n$/);
    expect(spawnSync('sha256sum', ['--strict', '-c', OUTPUT_MARKER], { cwd: dist, encoding: 'utf8' }).stdout).toBe('FLEET.md: OK\nfleet.k8s.yaml: OK\n');

    // Replaced by the next synth; a failed synth leaves it as it was.
    const result = synth(VALID_APP.replace("'ci-runner-token'", "'ci-runner-token', replicas: 2"), []);
    expect(result.status).toBe(0);
    const output = tree(dist);
    expect(output['fleet.k8s.yaml']).toContain('name: actions-runner-1\n');
    expect(synth(FAILING_APP, []).status).toBe(1);
    expect(tree(dist)).toEqual(output);

    writeFileSync(join(dist, 'namespace.yaml'), 'kind: Namespace\n');
    expectRefused([], /refusing to replace dist: it holds files the last synth did not write or that changed since \(namespace\.yaml\);/);
    rmSync(join(dist, 'namespace.yaml'));
    writeFileSync(join(dist, 'fleet.k8s.yaml'), `${output['fleet.k8s.yaml']}# edited by hand\n`);
    expectRefused([], /it holds files the last synth did not write or that changed since \(fleet\.k8s\.yaml\);/);
    // A file the marker lists that is gone is no reason to refuse.
    rmSync(join(dist, 'fleet.k8s.yaml'));
    rmSync(join(dist, 'FLEET.md'));
    expect(synth(VALID_APP, []).status).toBe(0);
    expect(readdirSync(dist)).toEqual([OUTPUT_MARKER, 'FLEET.md', 'fleet.k8s.yaml']);
  }, 120_000);

  test('an empty folder is used; a killed synth\'s earlier output moved aside is removed only as far as its marker lists it', () => {
    mkdirSync(join(project, 'dist'));
    expect(synth(VALID_APP, []).status).toBe(0);
    const aside = join(project, '.dist.synth-999999999.old');
    mkdirSync(aside);
    writeFileSync(join(aside, 'fleet.k8s.yaml'), 'kind: Old\n');
    spawnSync('sh', ['-c', `sha256sum fleet.k8s.yaml > ${OUTPUT_MARKER}`], { cwd: aside });
    writeFileSync(join(aside, 'mine.txt'), 'not the synth\'s\n');
    expect(synth(VALID_APP, []).status).toBe(0);
    expect(tree(aside)).toEqual({ 'mine.txt': 'not the synth\'s\n' });
  }, 120_000);

  test('a symlinked output folder: its target is what is checked and replaced', () => {
    const target = join(work, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'notes.txt'), 'mine\n');
    symlinkSync(target, join(project, 'dist'));
    expectRefused([], new RegExp(`refusing to replace dist \\(${target}\\): it holds files an earlier synth did not write \\(notes\\.txt\\)`));
    rmSync(join(target, 'notes.txt'));
    // An owned target is replaced, and the link still points at it.
    expect(synth(VALID_APP, []).status).toBe(0);
    expect(lstatSync(join(project, 'dist')).isSymbolicLink()).toBe(true);
    expect(readdirSync(target)).toEqual([OUTPUT_MARKER, 'FLEET.md', 'fleet.k8s.yaml']);
    expect(synth(FAILING_APP, []).status).toBe(1);
    expect(readdirSync(target)).toEqual([OUTPUT_MARKER, 'FLEET.md', 'fleet.k8s.yaml']);

    rmSync(join(project, 'dist'));
    symlinkSync('.', join(project, 'dist'));
    expectRefused([], new RegExp(`refusing to replace dist \\(${project}\\): it is the working folder;`));
    rmSync(join(project, 'dist'));
    symlinkSync(join(work, 'missing'), join(project, 'dist'));
    const result = synth(VALID_APP, []);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('synth: dist is a symlink to a folder that does not exist; create it, or give its path as --output; nothing was touched\n');
  }, 120_000);
});
