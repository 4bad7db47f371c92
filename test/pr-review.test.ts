import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { copyProject } from './util';

// The README's pull-request recipe (examples/pr-review): in a repository like this one, a change to
// the fleet shows up as a diff of the rendered manifests (and of FLEET.md, its size) against the base branch.
const ROOT = join(__dirname, '..');
const COPY = ['package.json', 'tsconfig.json', 'cdk8s.yaml', 'main.ts', '.gitignore', 'lib', 'imports', 'examples'];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('examples/pr-review', () => {
  let repo: string;
  beforeEach(() => {
    repo = copyProject('pr-review-', COPY);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'fleet');
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  const renderDiff = () => spawnSync('bash', ['lib/bin/render-diff.sh', 'main'], {
    cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', INSTALL_COMMAND: `test -e node_modules || ln -s ${join(ROOT, 'node_modules')} node_modules` },
  });

  test('a third runner shows as an added VirtualMachine in the diff against main', () => {
    const main = join(repo, 'main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('replicas: 2,', 'replicas: 3,'));
    const result = renderDiff();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--- base/actions-runners.k8s.yaml');
    expect(result.stdout).toContain('+++ head/actions-runners.k8s.yaml');
    expect(result.stderr).not.toContain('does not synthesize');
    expect(result.stdout).toContain('+  name: actions-runner-2\n');
    // Only the new VM is added: the Secret, the golden image and the first two VMs are unchanged.
    const [fleet, manifests] = result.stdout.split(/^diff -ruN base\/actions-runners\.k8s\.yaml .*$/m);
    expect(manifests.match(/^\+kind: .*$/gm)).toEqual(['+kind: VirtualMachine']);
    expect(manifests).not.toMatch(/^-[^-]/m);
    // FLEET.md shows the change in capacity: 2 runners (16 vCPU, 32Gi, 100Gi of disk) became 3.
    expect(fleet).toContain('--- base/FLEET.md');
    expect(fleet).toContain('-| `default/actions-runner` | VirtualMachine | 2 | 8 | 16Gi | 50Gi | 16 | 32Gi | 100Gi |\n');
    expect(fleet).toContain('+| `default/actions-runner` | VirtualMachine | 3 | 8 | 16Gi | 50Gi | 24 | 48Gi | 150Gi |\n');
    expect(git(repo, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
  }, 60_000);

  test('no change says so', () => {
    const result = renderDiff();
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('no change to the rendered manifests');
  }, 60_000);

  test('the example workflow runs the recipe on every pull request', () => {
    const workflow = parse(readFileSync(join(ROOT, 'examples', 'pr-review', 'workflow.yml'), 'utf8'));
    const commands = workflow.jobs.review.steps.map((s: any) => s.run).filter(Boolean).join('\n');
    for (const command of ['npm ci', 'npm test', 'npm run synth', 'npx kubevirt-runners-validate dist', 'npx kubevirt-runners-render-diff']) {
      expect(commands).toContain(command);
    }
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
  });
});
