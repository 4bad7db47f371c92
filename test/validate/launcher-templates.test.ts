import { ARC_VERSION } from '../../lib';
import { selectorMatches } from '../../lib/private/network-policy';
import { KNOWN_ARC_MINORS } from '../../lib/validate/fleet-checks/arc-scale-sets';
import { formatFinding, launcherTemplatesOf, validateObjects } from '../../lib/validate';
import { fleet } from './defect-fleets';

const launcherConfigMap = () => {
  const items = fleet('arc-clone');
  return { items, configMap: items.find((i) => i.object.kind === 'ConfigMap' && i.object.metadata.name === 'kubevirt-vm-launcher')!.object };
};

describe('launcherTemplatesOf', () => {
  test('an image refresher\'s ConfigMap holds no launcher templates (its bake templates are checkImageRefreshers\')', () => {
    const refresher = fleet('arc-clone').find((i) => i.object.kind === 'ConfigMap' && i.object.metadata.name === 'ci-image-refresh')!.object;
    expect(Object.keys(refresher.data)).toContain('datavolume.json');
    expect(launcherTemplatesOf(refresher)).toEqual([]);
  });

  test('reads the template files of a launcher ConfigMap', () => {
    const { configMap } = launcherConfigMap();
    expect(launcherTemplatesOf(configMap).map((t) => [t.kind, t.at, t.object?.kind])).toEqual([
      ['VirtualMachineInstance', '/data/vmi.json#', 'VirtualMachineInstance'],
      ['DataVolume', '/data/datavolume.json#', 'DataVolume'],
    ]);
  });

  test('reads the same templates inside a config.json, and the validator checks them there', () => {
    const { items, configMap } = launcherConfigMap();
    const vmi = JSON.parse(configMap.data['vmi.json']);
    const dataVolume = JSON.parse(configMap.data['datavolume.json']);
    delete configMap.data['vmi.json'];
    delete configMap.data['datavolume.json'];
    vmi.spec.hostname = 'Runner_1';
    configMap.data['config.json'] = JSON.stringify({ vmiTemplate: vmi, dataVolumeTemplate: dataVolume });
    expect(launcherTemplatesOf(configMap).map((t) => [t.kind, t.at])).toEqual([
      ['VirtualMachineInstance', '/data/config.json#/vmiTemplate'], ['DataVolume', '/data/config.json#/dataVolumeTemplate'],
    ]);
    // (The launcher's env still names the files: that is reported on the AutoscalingRunnerSet.)
    expect(validateObjects(items).map(formatFinding).filter((line) => line.includes('ConfigMap/'))).toEqual([
      'arc-clone.yaml: ConfigMap/kubevirt-vm-launcher: /data/config.json#/vmiTemplate/spec/hostname: hostname "Runner_1" is not a DNS-1123 label (lower-case letters, digits and \'-\', at most 63 characters)',
    ]);
  });

  test('a config.json of another entry point holds no templates', () => {
    expect(launcherTemplatesOf({ data: { 'config.json': '{"pool":"warm","replicas":3}' } })).toEqual([]);
    expect(launcherTemplatesOf({ data: { 'config.json': 'not json' } })).toEqual([]);
  });
});

test("the ARC minors the validator accepts include the library's ARC_VERSION's, and are 0.14 and 0.15", () => {
  expect(KNOWN_ARC_MINORS).toContain(ARC_VERSION.split('.').slice(0, 2).join('.'));
  expect(KNOWN_ARC_MINORS).toEqual(['0.14', '0.15']);
});

test.each([
  [{ matchLabels: { a: '1' } }, { a: '1', b: '2' }, true],
  [{ matchLabels: { a: '1' } }, { a: '2' }, false],
  [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }, true],
  [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }, false],
  [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
  [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}, true],
  [{ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['1'] }] }, { a: '1' }, false],
])('selector %j matches labels %j: %s', (selector, labels, matches) => {
  expect(selectorMatches(selector, labels)).toBe(matches);
});
