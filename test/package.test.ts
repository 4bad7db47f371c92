import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { clusterBundle } from '../lib/render/cluster-bundle';

// A stranger's project: `npm pack` this package, install the tarball next to only cdk8s, constructs
// and TypeScript, compile the README's library example, synthesize it, validate the result with
// the installed package's own validator and schemas, with no configuration (the CLI, and the
// README's cdk8s.yaml plugin entry under cdk8s synth), synthesize it again with the package's in-process synth,
// and run the pull-request recipe's manifest diff. Needs the npm registry and about a minute, so it runs in CI
// (CI=true) or with KUBEVIRT_RUNNERS_PACK_TEST=1, and is skipped with that hint elsewhere.
const ROOT = join(__dirname, '..');
const enabled = Boolean(process.env.CI || process.env.KUBEVIRT_RUNNERS_PACK_TEST);
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
const installedVersion = (name: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

describe('the packed library in a fresh project', () => {
  const title = 'npm pack, install with only cdk8s + constructs + typescript, compile and synthesize the README example, validate with no configuration (CLI and cdk8s plugin)';
  if (!enabled) {
    test.skip(`${title} [skipped: set KUBEVIRT_RUNNERS_PACK_TEST=1; needs the npm registry]`, () => undefined);
    return;
  }

  test(title, () => {
    const work = mkdtempSync(join(tmpdir(), 'runners-pack-'));
    try {
      const tarball = run('npm', ['pack', '--silent', '--pack-destination', work], ROOT).trim().split('\n').pop()!;
      const files = run('tar', ['-tzf', join(work, tarball)], work).split('\n');
      expect(files).toEqual(expect.arrayContaining([
        'package/build/lib/index.js', 'package/build/lib/index.d.ts', 'package/build/lib/guest/register-runner.sh',
        'package/build/lib/guest/docker-apt-key.asc', 'package/build/lib/guest/register-actions-runner.service',
        'package/build/lib/validate/cli.js', 'package/build/lib/validate/plugin.cjs', 'package/build/lib/validate/synth.js',
        'package/build/lib/validate/typescript-hook.cjs', 'package/build/imports/kubevirt.io.js',
        'package/build/lib/cluster/bundles/token-refresher.js', 'package/build/lib/cluster/bundles/pool-scaler.js',
        'package/build/lib/validate/schemas/kinds.json', 'package/build/lib/validate/schemas/kubevirt.io/virtualmachine_v1.json',
        'package/build/lib/validate/schemas/cdi.kubevirt.io/datavolume_v1beta1.json', 'package/build/lib/validate/schemas/kubernetes/secret-v1.json',
        'package/build/lib/validate/schemas/cloud-init/schema-cloud-config-v1.json', 'package/build/lib/validate/schemas/SOURCES.md',
        'package/build/lib/validate/schemas/LICENSES/Apache-2.0.txt', 'package/build/lib/validate/schemas/LICENSES/cloud-init-LICENSE.txt',
        'package/build/lib/bin/render-diff.sh', 'package/build/lib/observability/grafana-dashboard.json', 'package/build/lib/cluster/bundles/arc-launcher.js', 'package/build/lib/cluster/bundles/mint-launcher.js', 'package/examples/pr-review/workflow.yml',
      ]));
      expect(files.filter((f) => /^package\/(lib|test)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts') || f.endsWith('.mjs'))).toEqual([]);

      const project = join(work, 'stranger');
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({
        name: 'stranger', private: true, version: '1.0.0', scripts: { synth: 'tsc -p . && node main.js' },
      }));
      run('npm', ['install', '--no-audit', '--no-fund', join(work, tarball), `cdk8s@${installedVersion('cdk8s')}`,
        `constructs@${installedVersion('constructs')}`, 'typescript@~5.9.3', '@types/node@^20'], project);

      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes('new RunnerChart'))!;
      writeFileSync(join(project, 'main.ts'), example);
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, esModuleInterop: true, skipLibCheck: false, types: ['node'] },
        files: ['main.ts'],
      }));
      run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', '.'], project);
      run('node', ['main.js'], project);

      const dist = join(project, 'dist');
      const objects = readdirSync(dist).flatMap((f) => parseAllDocuments(readFileSync(join(dist, f), 'utf8')).map((d) => d.toJS()));
      expect(objects.map((o) => o.kind)).toEqual(['Secret', 'DataVolume', 'NetworkPolicy', 'VirtualMachine', 'VirtualMachine', 'VirtualMachine', 'VirtualMachine']);
      expect(objects[0].stringData.userdata).toContain('# Registers this VM as a GitHub Actions runner and starts the runner service.');

      // No ../shared, no --schemas, no $KUBEVIRT_RUNNERS_SCHEMAS: the package's own schemas.
      const shipped = join(project, 'node_modules', 'cdk8s-kubevirt-runners', 'build', 'lib', 'validate', 'schemas');
      const validation = run(join(project, 'node_modules', '.bin', 'kubevirt-runners-validate'), [dist], project);
      expect(validation).toBe(`validate: 7 objects in 1 files against ${shipped}: all valid\n`);

      // The in-cluster bundles come prebuilt in the package (no bundler in a user's project), the same
      // bytes as this repository builds from its sources.
      expect(existsSync(join(project, 'node_modules', 'esbuild'))).toBe(false);
      const refresherScript = 'const { Chart, Testing } = require("cdk8s"); const { RunnerTokenRefresher } = require("cdk8s-kubevirt-runners");'
        + ' const chart = new Chart(Testing.app(), "c"); new RunnerTokenRefresher(chart, "r", { url: "https://github.com/acme", githubCredentialsSecret: "app", tokenSecretName: "t" });'
        + ' process.stdout.write(Testing.synth(chart).find((o) => o.kind === "ConfigMap").data["token-refresher.js"]);';
      expect(run('node', ['-e', refresherScript], project)).toBe(clusterBundle('token-refresher'));

      // The README's cdk8s.yaml plugin entry, as written, under cdk8s synth (this repository's CLI).
      const plugin = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((text) => text.includes('KubevirtRunnersValidation'))!;
      expect(plugin).not.toContain('schemas');
      writeFileSync(join(project, 'cdk8s.yaml'), `app: node main.js\n${plugin}`);
      const synthesis = run(join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade'], project);
      expect(synthesis).toMatch(/Status\s*│ success/);
      expect(synthesis).toMatch(/objects\s*│ 7\s/);
      expect(synthesis).toContain(`│ ${shipped} `);

      // The package's in-process synth runs main.ts itself (with the project's TypeScript) and writes
      // the same manifests, validated on the way, and nothing else but FLEET.md and the marker listing
      // what it wrote (no construct-metadata.json: the plugin removes the one cdk8s records for it); it
      // may replace dist/ because the plugin marked what cdk8s synth wrote.
      const written = () => Object.fromEntries(readdirSync(dist).filter((f) => f.endsWith('.yaml')).map((f) => [f, readFileSync(join(dist, f), 'utf8')]));
      const compiled = written();
      const synth = run(join(project, 'node_modules', '.bin', 'kubevirt-runners-synth'), ['main.ts'], project);
      expect(synth).toContain('synth: 7 objects in 1 files, valid against');
      expect(written()).toEqual(compiled);
      expect(readdirSync(dist)).toEqual(['.kubevirt-runners-synth.sha256', 'FLEET.md', 'runners.k8s.yaml']);
      expect(readFileSync(join(dist, 'FLEET.md'), 'utf8')).toContain('| **total** |  | 4 |');

      // The pull-request recipe, as examples/pr-review/workflow.yml runs it in such a project.
      writeFileSync(join(project, '.gitignore'), 'node_modules\ndist\n*.js\n');
      const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], project);
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('commit', '-q', '-m', 'fleet');
      writeFileSync(join(project, 'main.ts'), example.replace('replicas: 4,', 'replicas: 5,'));
      const diff = execFileSync(join(project, 'node_modules', '.bin', 'kubevirt-runners-render-diff'), ['main'], {
        cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, INSTALL_COMMAND: `ln -s ${join(project, 'node_modules')} node_modules` },
      });
      expect(diff).toContain('+  name: actions-runner-4\n');
      expect(diff.match(/^\+kind: .*$/gm)).toEqual(['+kind: VirtualMachine']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
