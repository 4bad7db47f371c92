import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { RunnerChart } from '../../lib';
import { SHIPPED_SCHEMA_DIR } from '../../lib/validate';
import { synth } from '../util';

// The plugin cdk8s.yaml lists, driven the way `cdk8s synth` drives it (a context with manifests and a report).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { KubevirtRunnersValidation } = require('../../lib/validate/plugin.cjs');

function fakeContext(manifests: string[]) {
  const violations: any[] = [];
  const logs: string[] = [];
  const submitted: Array<{ status: string; metadata?: Record<string, string> }> = [];
  return {
    context: {
      manifests,
      report: {
        addViolation: (v: any) => violations.push(v),
        submit: (status: string, metadata?: Record<string, string>) => submitted.push({ status, metadata }),
      },
      logger: { log: (message: string) => logs.push(message) },
    },
    violations, logs, submitted,
  };
}

describe('cdk8s validation plugin (lib/validate/plugin.cjs)', () => {
  let dir: string;
  let manifest: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plugin-'));
    manifest = join(dir, 'fleet.k8s.yaml');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writeFleet = (mutate: (objects: any[]) => void = () => undefined) => {
    const objects = synth(new RunnerChart(Testing.app(), 'fleet', { url: 'https://github.com/acme', tokenSecretName: 't', replicas: 1 }));
    mutate(objects);
    writeFileSync(manifest, objects.map((o) => stringify(o)).join('---\n'));
  };

  test('with no configuration, passes valid output and fails invalid output with one violation per problem', async () => {
    writeFleet();
    const ok = fakeContext([manifest]);
    await new KubevirtRunnersValidation({}).validate(ok.context);
    expect(ok.submitted).toEqual([{ status: 'success', metadata: { objects: '4', schemas: SHIPPED_SCHEMA_DIR } }]);
    expect(ok.violations).toEqual([]);

    writeFleet((objects) => { objects.find((o) => o.kind === 'VirtualMachine').spec.runStrategy = 'Sometimes'; });
    const bad = fakeContext([manifest]);
    await new KubevirtRunnersValidation({}).validate(bad.context);
    expect(bad.submitted[0].status).toBe('failure');
    expect(bad.violations).toEqual([expect.objectContaining({
      ruleName: 'runStrategy "Sometimes" is not one of Always, RerunOnFailure, Manual, Halted, Once',
      violatingResources: [{ resourceName: 'VirtualMachine/actions-runner-0', manifestPath: manifest, locations: ['/spec/runStrategy'] }],
    })]);
  });

  test('a schemas property that is not a schemas folder fails the validation and names it', async () => {
    writeFleet();
    const run = fakeContext([manifest]);
    await new KubevirtRunnersValidation({ schemas: join(dir, 'no-schemas') }).validate(run.context);
    expect(run.submitted).toEqual([{ status: 'failure', metadata: { schemas: join(dir, 'no-schemas') } }]);
    expect(run.violations).toEqual([expect.objectContaining({
      ruleName: `the plugin's 'schemas' property ${join(dir, 'no-schemas')}: not a schemas folder (no kinds.json in it)`,
      recommendation: 'nothing was validated',
    })]);
  });
});
