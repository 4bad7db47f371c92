import { Chart, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage, RunnerKedaScaleSet, RunnerPool, RunnerScaleSet, RunnerWarmPool } from '../../lib';
import { ManifestObject, objectLabel, summarizeFleet, validateObjects } from '../../lib/validate';

// Hand-edited YAML whose list fields have the wrong type (`disks: {}`) must give findings, not a
// TypeError: every object of every kind the library emits, each of its list fields replaced by an
// object, a string and a number in turn, is validated (and summarized, as the synth does for
// FLEET.md) without an exception, and a finding names the field.

function everything(): ManifestObject[] {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
  const url = 'https://github.com/acme';
  const image = new RunnerImage(chart, 'image', { name: 'runners' });
  const cloned = new RunnerImage(chart, 'cloned', { name: 'cloned', sharing: ImageSharing.CLONE_PER_JOB });
  new RunnerPool(chart, 'pool', { url, tokenSecretName: 'token', replicas: 2, name: 'pool', tokenRefresher: { githubCredentialsSecret: 'github-app' } });
  new RunnerWarmPool(chart, 'warm', {
    url, runnerImage: image, replicas: 1, tokenSecretName: 'warm-token', name: 'warm', tokenRefresher: { githubCredentialsSecret: 'github-app' },
    activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5' },
  });
  new RunnerScaleSet(chart, 'arc', { url, githubCredentialsSecret: 'github-app', runnerImage: image, name: 'arc' });
  new RunnerKedaScaleSet(chart, 'keda', { url, githubCredentialsSecret: 'github-app', runnerImage: cloned, name: 'keda', runnerLabels: ['vm'] });
  return Testing.synth(chart).map((object) => ({ file: 'fleet.yaml', object }));
}

/** The JSON pointer of every array in `value`. */
function arrayPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [path, ...value.flatMap((v, i) => arrayPaths(v, `${path}/${i}`))];
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => arrayPaths(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  return [];
}

function replaced(object: any, path: string, value: unknown): any {
  const copy = structuredClone(object);
  const keys = path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let parent = copy;
  for (const key of keys.slice(0, -1)) parent = parent[key];
  parent[keys[keys.length - 1]] = value;
  return copy;
}

describe('list fields of the wrong type', () => {
  const fleet = everything();

  test('the fleet holds every kind the library emits, and its list fields', () => {
    expect(validateObjects(fleet)).toEqual([]);
    expect([...new Set(fleet.map((i) => i.object.kind))].sort()).toEqual(expect.arrayContaining([
      'AutoscalingRunnerSet', 'ConfigMap', 'CronJob', 'DataVolume', 'Job', 'NetworkPolicy', 'Role', 'RoleBinding', 'ScaledJob',
      'Secret', 'ServiceAccount', 'TriggerAuthentication', 'VirtualMachine', 'VirtualMachinePool',
    ]));
  });

  for (const [name, wrong] of [['an object', {}], ['a string', 'x'], ['a number', 1]] as const) {
    test(`each list field replaced by ${name}: no exception, a finding at its path`, () => {
      const problems: string[] = [];
      fleet.forEach((item, index) => {
        for (const path of arrayPaths(item.object)) {
          const object = replaced(item.object, path, wrong);
          const items = fleet.map((other, i) => (i === index ? { file: other.file, object } : other));
          const label = `${objectLabel(object)}${path}`;
          try {
            const findings = validateObjects(items);
            if (!findings.some((f) => f.object === objectLabel(object) && f.path === path)) {
              problems.push(`${label}: no finding at the path, only ${findings.map((f) => `${f.path}: ${f.message}`).join('; ') || 'none'}`);
            }
            summarizeFleet(items);
          } catch (e) {
            problems.push(`${label}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' ')}`);
          }
        }
      });
      expect(problems).toEqual([]);
    }, 300_000);
  }
});
