import { ApiObject, Chart, Testing } from 'cdk8s';
import { RunnerChart } from '../../lib';
import { formatFinding, ManifestObject, validateObjects } from '../../lib/validate';
import { synth } from '../util';

// The docs (01, 03) create a fleet's namespace as a Namespace object of the output: the validator
// knows the kind (its schema is made from Kubernetes' definitions by npm run schemas) and checks it
// as the API server does.

const FLEET = synth(new RunnerChart(Testing.app(), 'fleet', { namespace: 'ci', url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token' }));
const namespaceObject = (metadata: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata, ...rest });
const lines = (namespace: unknown) => validateObjects([
  { file: 'namespaces.yaml', object: namespace },
  ...FLEET.map((object): ManifestObject => ({ file: 'fleet.yaml', object })),
]).map(formatFinding);

describe('a Namespace in the output', () => {
  test('as a chart of its own writes it: accepted', () => {
    expect(lines(namespaceObject({ name: 'ci' }))).toEqual([]);
  });

  test('as a namespaced chart writes it (with the chart\'s metadata.namespace, which the API server clears on a cluster-scoped object): accepted', () => {
    const chart = new Chart(Testing.app(), 'fleet', { namespace: 'ci' });
    new ApiObject(chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci', labels: { team: 'ci' } } });
    const [written] = synth(chart);
    expect(written.metadata).toEqual({ name: 'ci', namespace: 'ci', labels: { team: 'ci' } });
    expect(lines(written)).toEqual([]);
  });

  test.each([
    ['a dot (a subdomain, not a label)', 'ci.runners'],
    ['64 characters', 'n'.repeat(64)],
    ['capitals', 'CI'],
  ])('a name with %s: refused as ValidateNamespaceName does', (_what, name) => {
    expect(lines(namespaceObject({ name }))).toEqual([
      `namespaces.yaml: Namespace/${name}: /metadata/name: name ${JSON.stringify(name)} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)`,
    ]);
  });

  test('a misspelt field: refused by its closed schema', () => {
    expect(lines(namespaceObject({ name: 'ci' }, { spec: { finaliser: ['kubernetes'] } }))).toEqual([
      expect.stringMatching(/^namespaces\.yaml: Namespace\/ci: \/spec: .*finaliser/),
    ]);
  });
});
