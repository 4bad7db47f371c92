import { Finding, formatFinding, validateObjects } from '../../lib/validate';
import { FleetName, fleet } from './defect-fleets';
import { DEFECTS } from './defects';

// Issue 18: the validator must catch what the API server, KubeVirt, ARC, KEDA or the in-cluster
// scripts reject in the fleets the library emits. Each defect below is one mutation of a synthesized
// fleet (test/validate/defects.ts says which component rejects it); the validator must report it on
// the right object at the right path, and report nothing on the fleets as synthesized.

const FLEETS: readonly FleetName[] = ['arc', 'arc-clone', 'warm', 'keda'];

describe('the defect set', () => {
  test.each(FLEETS)('the %s fleet as synthesized is clean', (name) => {
    expect(validateObjects(fleet(name)).map(formatFinding)).toEqual([]);
  });

  test('it has at least 40 defects over all four fleets', () => {
    expect(DEFECTS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(DEFECTS.map((d) => d.fleet))).toEqual(new Set(FLEETS));
    expect(new Set(DEFECTS.map((d) => d.name)).size).toBe(DEFECTS.length);
  });

  test.each(DEFECTS.map((d) => [d.fleet, d.name, d] as const))('%s: %s', (_fleet, _name, defect) => {
    const items = fleet(defect.fleet);
    defect.mutate(items);
    const findings: Finding[] = validateObjects(items);
    const at = (f: Finding) => `${f.object} ${f.path}`;
    expect(findings.map(at)).toContain(`${defect.object} ${defect.path}`);
    expect(findings.every((f) => f.file === `${defect.fleet}.yaml`)).toBe(true);
  });
});
