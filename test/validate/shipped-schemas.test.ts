import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { RunnerChart } from '../../lib/runner-chart';
import { copyProject, synth } from '../util';

// A fresh clone, or a project that installed the library, has no ../shared: `npm run validate`
// must still check, with no --schemas and no $KUBEVIRT_RUNNERS_SCHEMAS, against the schemas the
// library ships. Run the CLI the way npm run validate does, in a copy of the project in a temporary folder.
describe('validate with no ../shared and no configuration', () => {
  let project: string;
  beforeAll(() => {
    project = copyProject('shipped-schemas-', ['package.json', 'tsconfig.json', 'lib']);
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const validate = (mutate: (objects: any[]) => void) => {
    const objects = synth(new RunnerChart(Testing.app(), 'fleet', { url: 'https://github.com/acme', tokenSecretName: 't', replicas: 1 }));
    mutate(objects);
    writeFileSync(join(project, 'fleet.k8s.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    return spawnSync(join(project, 'node_modules', '.bin', 'tsx'), [join('lib', 'validate', 'cli.ts'), 'fleet.k8s.yaml'],
      { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  test('there is no ../shared beside the copy', () => {
    expect(existsSync(join(project, '..', 'shared'))).toBe(false);
  });

  test('a valid fleet: exit 0, checked against the schemas in the copy', () => {
    const result = validate(() => undefined);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`validate: 4 objects in 1 files against ${join(project, 'lib', 'validate', 'schemas')}: all valid\n`);
    expect(result.status).toBe(0);
  }, 30_000);

  test('a misspelt field: exit 1 and the finding', () => {
    const result = validate((objects) => { objects.find((o) => o.kind === 'DataVolume').spec.storagee = {}; });
    expect(result.stdout).toContain("fleet.k8s.yaml: DataVolume/actions-runner-image: /spec: unknown field 'storagee'");
    expect(result.status).toBe(1);
  }, 30_000);
});
