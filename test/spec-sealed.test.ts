import { Testing } from 'cdk8s';
import { RunnerNetworkPolicy } from '../lib';
import { fleetNetworkPolicySpec, NetworkPolicySpec, resolveNetworkRules } from '../lib/spec/network-policy';
import { isSealed, seal } from '../lib/spec/sealed';

// A construct built by another construct takes the spec its parent's resolver sealed; anything else
// it is given is props, and is validated as such.
describe('sealed specs', () => {
  test('a sealed spec is frozen and known by its kind only', () => {
    const spec = seal('disk', { name: 'a' });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(isSealed(spec, 'disk')).toBe(true);
    expect(isSealed(spec, 'vm')).toBe(false);
    expect(isSealed({ ...spec }, 'disk')).toBe(false);
    expect(isSealed(undefined, 'disk')).toBe(false);
  });

  test('a construct renders a sealed spec as it is', () => {
    const chart = Testing.chart();
    const rules = resolveNetworkRules({}, { owner: 'RunnerPool' }, 'networkPolicy');
    const policy = new RunnerNetworkPolicy(chart, 'policy', fleetNetworkPolicySpec('fleet', 'ci', { 'app.kubernetes.io/instance': 'fleet' }, rules));
    expect([policy.name, policy.namespace]).toEqual(['fleet', 'ci']);
  });

  test('an object shaped like a spec but not sealed is props, and validated', () => {
    const forged = { name: 'Not A Name', namespace: 'ci', vmLabels: { app: 'x' }, rules: { allowInternet: true, internetExcept: [], allowEgressTo: [] } };
    expect(() => new RunnerNetworkPolicy(Testing.chart(), 'policy', forged as unknown as NetworkPolicySpec))
      .toThrow("RunnerNetworkPolicy 'name' must be a DNS-1123 label");
  });
});
