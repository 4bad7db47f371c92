import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTPUT_MARKER } from '../../lib/validate/output-folder';
import { copyProject } from '../util';

// The stock flow, `cdk8s synth` as a user of the cdk8s CLI runs it: the app through tsx (cdk8s.yaml's
// `app`), then the validation plugin cdk8s.yaml lists, in a copy of this project with no ../shared
// beside it and no configuration, like a fresh clone: the plugin validates against the schemas the
// project ships. Valid output passes (dist/ holds the manifests and the synth's marker: the plugin
// removes the construct metadata cdk8s records for plugins), invalid output fails the synth with the
// finding, and the plugin caches validators that load. (`npm run synth` runs the in-process synth
// instead: test/validate/synth.test.ts.)
const COPY = ['package.json', 'tsconfig.json', 'cdk8s.yaml', 'main.ts', 'lib', 'imports'];
const HAS_KUBECTL = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!HAS_KUBECTL) console.warn('kubectl test skipped: kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)');

/**
 * What `kubectl apply -f DIR` would make of a folder, without a cluster: kubectl decodes every
 * *.yaml, *.yml and *.json file in it before it asks the API server about the kinds, so a file that
 * is not an object fails as "unable to decode", and every object of the others as "unable to recognize".
 */
function kubectlReading(dir: string): { decoded: string[]; undecodable: string[] } {
  const result = spawnSync('kubectl', ['create', '--dry-run=client', '--validate=false', '-o', 'name', '-f', dir], {
    encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/dev/null' }, timeout: 30_000,
  });
  const files = (what: string) => [...new Set([...result.stderr.matchAll(new RegExp(`${what} "([^"]+)"`, 'g'))].map((m) => m[1]))].sort();
  return { decoded: files('unable to recognize'), undecodable: files('unable to decode') };
}

describe('cdk8s synth with the validation plugin', () => {
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
    return spawnSync(join(project, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade'], { cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  test('valid output: the plugin validated it against the shipped schemas, and cached loadable validators', () => {
    const result = synth();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Status\s*│ success/);
    expect(result.stdout).toMatch(/objects\s*│ 5\s/);
    expect(result.stdout).toContain(`│ ${join(project, 'lib', 'validate', 'schemas')} `);
    expect(readdirSync(join(project, 'dist'))).toEqual([OUTPUT_MARKER, 'actions-runners.k8s.yaml']);
    const cached = readdirSync(cache).filter((f) => f.endsWith('.js'));
    // VirtualMachine, DataVolume, Secret, NetworkPolicy and the cloud-config: all five compiled, written, loadable.
    expect(cached).toHaveLength(5);
    for (const file of cached) expect(typeof require(join(cache, file))).toBe('function');
  }, 60_000);

  (HAS_KUBECTL ? test : test.skip)('dist/ holds only objects kubectl reads, after cdk8s synth and after the in-process synth that replaces it', () => {
    const dist = join(project, 'dist');
    expect(synth().status).toBe(0);
    expect(kubectlReading(dist)).toEqual({ decoded: [join(dist, 'actions-runners.k8s.yaml')], undecodable: [] });
    // `npm run synth` may replace what cdk8s synth wrote: the plugin marked it.
    const inProcess = spawnSync(process.execPath, ['--require', './lib/validate/typescript-hook.cjs', 'lib/validate/synth.ts', 'main.ts'], {
      cwd: project, encoding: 'utf8', env: { ...process.env, KUBEVIRT_RUNNERS_CACHE_DIR: cache },
    });
    expect(inProcess.stderr).toBe('');
    expect(inProcess.status).toBe(0);
    expect(readdirSync(dist)).toEqual([OUTPUT_MARKER, 'FLEET.md', 'actions-runners.k8s.yaml']);
    expect(kubectlReading(dist)).toEqual({ decoded: [join(dist, 'actions-runners.k8s.yaml')], undecodable: [] });
    // What cdk8s would leave without the plugin's clean-up is what kubectl cannot decode.
    writeFileSync(join(dist, 'construct-metadata.json'), '{"version":"1.0.0","resources":{}}');
    expect(kubectlReading(dist).undecodable).toEqual([join(dist, 'construct-metadata.json')]);
  }, 120_000);

  test('invalid output fails the synth and names the problem', () => {
    const main = join(project, 'main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('app.synth();', `import { ApiObject, JsonPatch } from 'cdk8s';
for (const c of app.node.findAll()) if (c instanceof ApiObject && c.kind === 'VirtualMachine') c.addJsonPatch(JsonPatch.add('/spec/runStrategy', 'Sometimes'));
app.synth();`));
    const result = synth();
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('runStrategy "Sometimes" is not one of Always, RerunOnFailure, Manual, Halted, Once');
  }, 60_000);
});
