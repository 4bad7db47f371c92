import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyProject } from '../util';

// `npm run synth` as a user runs it: the cdk8s CLI, the app through tsx, and the validation plugin
// from cdk8s.yaml, in a copy of this project with no ../shared beside it and no configuration, like a
// fresh clone: the plugin validates against the schemas the project ships. Valid output lands in
// dist/ (and nothing else does), invalid output fails the synth and leaves no dist/, and the plugin
// caches validators that load.
const COPY = ['package.json', 'tsconfig.json', 'cdk8s.yaml', 'main.ts', 'lib', 'imports'];

describe('npm run synth with the validation plugin', () => {
  let project: string;
  let cache: string;
  beforeEach(() => {
    project = copyProject('synth-plugin-', COPY);
    cache = join(project, 'validator-cache');
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  const synth = () => {
    expect(existsSync(join(project, '..', 'shared'))).toBe(false);
    const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', KUBEVIRT_RUNNERS_CACHE_DIR: cache };
    delete env.KUBEVIRT_RUNNERS_NO_CACHE;
    return spawnSync('npm', ['run', 'synth'], { cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  test('valid output: the plugin validated it against the shipped schemas, dist/ holds only the manifests, and the plugin cached loadable validators', () => {
    const result = synth();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Status\s*│ success/);
    expect(result.stdout).toMatch(/objects\s*│ 4\s/);
    expect(result.stdout).toContain(`│ ${join(project, 'lib', 'validate', 'schemas')} `);
    expect(readdirSync(join(project, 'dist'))).toEqual(['actions-runners.k8s.yaml']);
    const cached = readdirSync(cache).filter((f) => f.endsWith('.js'));
    // VirtualMachine, DataVolume, Secret and the cloud-config: all four compiled, written, loadable.
    expect(cached).toHaveLength(4);
    for (const file of cached) expect(typeof require(join(cache, file))).toBe('function');
  }, 60_000);

  test('invalid output fails the synth, names the problem and leaves no dist/', () => {
    const main = join(project, 'main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('app.synth();', `import { ApiObject, JsonPatch } from 'cdk8s';
for (const c of app.node.findAll()) if (c instanceof ApiObject && c.kind === 'VirtualMachine') c.addJsonPatch(JsonPatch.add('/spec/runStrategy', 'Sometimes'));
app.synth();`));
    const result = synth();
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('runStrategy "Sometimes" is not one of Always, RerunOnFailure, Manual, Halted, Once');
    expect(existsSync(join(project, 'dist'))).toBe(false);
  }, 60_000);
});
