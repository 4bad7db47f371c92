import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments, stringify } from 'yaml';
import { main as validateCli } from '../../lib/validate/cli';
import {
  CloudConfigSchema, cloudInitCliProblem, formatFinding, hasCloudInitCli, ManifestObject, readManifests, SHIPPED_SCHEMA_DIR, validateObjects,
} from '../../lib/validate';
import { synth, testIf } from '../util';
import { Distribution, OsImage, RunnerChart, RunnerImage, RunnerWarmPool } from '../../lib';

/** The seed fleet as synthesized objects, deep-copied so each test can break its own. */
function fleet(): ManifestObject[] {
  const chart = new RunnerChart(Testing.app(), 'fleet', {
    url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token', replicas: 2, cpu: 8, memory: '16Gi', runnerLabels: ['kubevirt'],
  });
  return synth(chart).map((object) => ({ file: 'fleet.yaml', object: JSON.parse(JSON.stringify(object)) }));
}

function findingLines(items: ManifestObject[], options: { externalSecrets?: string[] } = {}): string[] {
  return validateObjects(items, options).map(formatFinding);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const vm = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'VirtualMachine')!.object;
const secret = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'Secret')!.object;
const policy = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'NetworkPolicy')!.object;

describe('validateObjects', () => {
  test('the synthesized fleet is valid', () => {
    expect(findingLines(fleet())).toEqual([]);
  });

  test.each([
    ['a misspelt field', (i: ManifestObject[]) => { vm(i).spec.template.spec.domain.devices.diskz = []; },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/domain/devices: unknown field 'diskz'"],
    ['a wrong type', (i: ManifestObject[]) => { vm(i).spec.template.spec.domain.cpu.cores = 'eight'; },
      'fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/domain/cpu/cores: must be integer'],
    ['a bad runStrategy', (i: ManifestObject[]) => { vm(i).spec.runStrategy = 'Sometimes'; },
      'fleet.yaml: VirtualMachine/actions-runner-0: /spec/runStrategy: runStrategy "Sometimes" is not one of Always, RerunOnFailure, Manual, Halted, Once'],
    ['running with runStrategy', (i: ManifestObject[]) => { vm(i).spec.running = true; },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/running: 'running' and 'runStrategy' are mutually exclusive; set only runStrategy"],
    ['a disk without its volume', (i: ManifestObject[]) => { vm(i).spec.template.spec.volumes.pop(); },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/domain/devices/disks/2: disk 'token' has no volume of that name"],
    ['a volume without its disk', (i: ManifestObject[]) => { vm(i).spec.template.spec.domain.devices.disks.pop(); },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/volumes/2: volume 'token' is not attached: no disk or filesystem of that name"],
    ['an interface without its network', (i: ManifestObject[]) => { vm(i).spec.template.spec.networks = []; },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/domain/devices/interfaces/0: interface 'default' has no network of that name"],
    ['a dangling DataVolume', (i: ManifestObject[]) => { vm(i).spec.template.spec.volumes[0].dataVolume.name = 'nowhere'; },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/volumes/0/dataVolume/name: DataVolume 'nowhere' is neither a dataVolumeTemplate, in the output, nor declared external"],
    ['a dangling PVC', (i: ManifestObject[]) => { vm(i).spec.template.spec.volumes[0] = { name: 'rootdisk', persistentVolumeClaim: { claimName: 'lost' } }; },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/volumes/0/persistentVolumeClaim/claimName: PVC 'lost' is neither in the output nor declared external"],
    ['a token Secret not declared external', (i: ManifestObject[]) => { delete vm(i).metadata.annotations; },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/volumes/2/secret/secretName: Secret 'ci-runner-token' is neither in the output nor declared external (annotation cdk8s-kubevirt-runners/external-secrets)"],
    ['a cloud-init Secret missing from the output', (i: ManifestObject[]) => { i.splice(i.findIndex((x) => x.object.kind === 'Secret'), 1); },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/volumes/1/cloudInitNoCloud/secretRef/name: Secret 'actions-runner-cloud-init' is neither in the output nor declared external (annotation cdk8s-kubevirt-runners/external-secrets)"],
    ['a golden image missing from the output', (i: ManifestObject[]) => { i.splice(i.findIndex((x) => x.object.kind === 'DataVolume'), 1); },
      "fleet.yaml: VirtualMachine/actions-runner-0: /spec/dataVolumeTemplates/0/spec/source/pvc: clone source PVC 'default/actions-runner-image' is neither in the output nor declared external (annotation cdk8s-kubevirt-runners/external-volumes)"],
    ['a DataSource clone source that is not declared', (i: ManifestObject[]) => {
      vm(i).spec.dataVolumeTemplates[0].spec = { sourceRef: { kind: 'DataSource', name: 'ubuntu' }, storage: vm(i).spec.dataVolumeTemplates[0].spec.storage };
    }, "fleet.yaml: VirtualMachine/actions-runner-0: /spec/dataVolumeTemplates/0/spec/sourceRef: DataSource 'default/ubuntu' is neither in the output nor declared external"],
    ['inline user-data over 2048 bytes', (i: ManifestObject[]) => {
      vm(i).spec.template.spec.volumes[1] = { name: 'cloudinitdisk', cloudInitNoCloud: { userData: secret(i).stringData.userdata } };
    }, 'fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/volumes/1/cloudInitNoCloud: inline user-data is '],
    ['an unknown kind', (i: ManifestObject[]) => { i.push({ file: 'fleet.yaml', object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } }); },
      'fleet.yaml: Widget/w: /: unknown kind: no schema for Widget in example.com/v1'],
    ['a core kind the library does not synthesize', (i: ManifestObject[]) => { i.push({ file: 'fleet.yaml', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'c' } } }); },
      'fleet.yaml: Service/c: /: unknown kind: no schema for Service in v1'],
    ['a Secret with a misspelt field', (i: ManifestObject[]) => { secret(i).stringdata = {}; },
      "fleet.yaml: Secret/actions-runner-cloud-init: /: unknown field 'stringdata'"],
    ['a misspelt cloud-config key', (i: ManifestObject[]) => { secret(i).stringData.userdata += 'packagez: [jq]\n'; },
      "fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#: unknown cloud-config key 'packagez'"],
    ['a cloud-config value of the wrong type', (i: ManifestObject[]) => { secret(i).stringData.userdata = secret(i).stringData.userdata.replace('package_update: true', 'package_update: sometimes'); },
      'fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#/package_update: must be boolean'],
    ['user-data that is not YAML', (i: ManifestObject[]) => { secret(i).stringData.userdata += 'packages: [jq]\n'; },
      'fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#: user-data is not valid YAML: Map keys must be unique'],
    ['a deprecated cloud-config key', (i: ManifestObject[]) => { secret(i).stringData.userdata = secret(i).stringData.userdata.replace('lock_passwd: true', 'lock-passwd: true'); },
      'fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#/users/0/lock-passwd: deprecated in cloud-init'],
    ['user-data without the #cloud-config header', (i: ManifestObject[]) => { secret(i).stringData.userdata = secret(i).stringData.userdata.replace('#cloud-config\n', ''); },
      "fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#: user-data does not start with '#cloud-config'"],
    ['more than 100 runner labels', (i: ManifestObject[]) => {
      secret(i).stringData.userdata = secret(i).stringData.userdata.replace("RUNNER_LABELS='kubevirt'", `RUNNER_LABELS='${Array.from({ length: 101 }, (_, n) => `l${n}`).join(',')}'`);
    }, 'fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#/write_files/0/content: runner has 101 custom labels; GitHub allows at most 100'],
    ['a runner with no labels at all', (i: ManifestObject[]) => {
      secret(i).stringData.userdata = secret(i).stringData.userdata.replace("RUNNER_LABELS='kubevirt'", "RUNNER_LABELS=''")
        .replace("RUNNER_NO_DEFAULT_LABELS='false'", "RUNNER_NO_DEFAULT_LABELS='true'");
    }, 'fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#/write_files/0/content: runner has no labels at all'],
    ['a topology spread that does not select its own VMs', (i: ManifestObject[]) => {
      vm(i).spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels['cdk8s-kubevirt-runners/fleet'] = 'pool.renamed';
    }, 'fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/topologySpreadConstraints/0/labelSelector: topology spread labelSelector '],
    ['a fleet NetworkPolicy that lets jobs reach the cloud metadata address', (i: ManifestObject[]) => {
      const rule = policy(i).spec.egress.find((r: any) => r.to?.[0]?.ipBlock?.cidr === '0.0.0.0/0');
      rule.to[0].ipBlock.except = rule.to[0].ipBlock.except.filter((c: string) => c !== '169.254.0.0/16');
    }, 'fleet.yaml: NetworkPolicy/actions-runner: /spec/egress/1/to/0/ipBlock: ipBlock "0.0.0.0/0" allows the cloud metadata address 169.254.169.254 '],
    ['a fleet NetworkPolicy rule to every destination', (i: ManifestObject[]) => { policy(i).spec.egress.push({ ports: [{ port: 80, protocol: 'TCP' }] }); },
      "fleet.yaml: NetworkPolicy/actions-runner: /spec/egress/2: egress rule without 'to' allows every destination, the cloud metadata address 169.254.169.254 included"],
    ['an allowed destination that holds the metadata address', (i: ManifestObject[]) => { policy(i).spec.egress.push({ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }] }); },
      'fleet.yaml: NetworkPolicy/actions-runner: /spec/egress/2/to/0/ipBlock: ipBlock "169.254.169.254/32" allows the cloud metadata address'],
    ['an IPv6 block that holds the metadata address', (i: ManifestObject[]) => { policy(i).spec.egress.push({ to: [{ ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }] }); },
      'fleet.yaml: NetworkPolicy/actions-runner: /spec/egress/2/to/0/ipBlock: ipBlock "fd00::/8" allows the cloud metadata address fd00:ec2::254'],
  ])('reports %s', (_, breakIt, expected) => {
    const items = fleet();
    breakIt(items);
    expect(findingLines(items)).toContainEqual(expect.stringMatching(new RegExp(`^${escapeRegExp(expected)}`)));
  });

  test.each([
    ['a DataSource you keep', OsImage.dataSource('ubuntu', { distribution: Distribution.UBUNTU, namespace: 'os-images' })],
    ['a PVC you keep', OsImage.pvc('images', 'ubuntu-golden', { distribution: Distribution.UBUNTU })],
  ])('fleets that clone %s declare it and validate clean', (_, image) => {
    const chart = new RunnerChart(Testing.app(), 'fleet', { url: 'https://github.com/acme', tokenSecretName: 't', replicas: 2, osImage: image });
    const items = synth(chart).map((object) => ({ file: 'fleet.yaml', object }));
    expect(items.filter((i) => i.object.kind === 'DataVolume')).toHaveLength(0);
    expect(findingLines(items)).toEqual([]);
  });

  test('a block whose except covers the metadata address, and a block beside it, are not reported', () => {
    const items = fleet();
    policy(items).spec.egress.push({ to: [{ ipBlock: { cidr: '169.254.0.0/16', except: ['169.254.169.0/24'] } }, { ipBlock: { cidr: '169.254.170.0/24' } }] });
    expect(findingLines(items)).toEqual([]);
  });

  describe('the warm pool scaler', () => {
    const warmPool = () => {
      const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
      const image = new RunnerImage(chart, 'image', { name: 'ci-image' });
      new RunnerWarmPool(chart, 'warm', {
        url: 'https://github.com/acme', runnerImage: image, replicas: 2, tokenSecretName: 't', name: 'warm',
        activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5', timeZone: 'Europe/Berlin' },
      });
      return synth(chart).map((object) => ({ file: 'warm.yaml', object: JSON.parse(JSON.stringify(object)) }));
    };
    const role = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'Role' && i.object.metadata.name === 'warm-scaler')!.object;

    test('as synthesized, its Role allows scaling its pool', () => {
      expect(findingLines(warmPool(), { externalSecrets: ['t'] })).toEqual([]);
    });

    test.each([
      ['a Role naming another pool', (i: ManifestObject[]) => { role(i).rules[0].resourceNames = ['cold']; }, 'get and patch', '["cold"]'],
      ['a Role without patch', (i: ManifestObject[]) => { role(i).rules[0].verbs = ['get']; }, 'patch', '["warm"]'],
    ])('reports %s', (_, breakIt, verbs, names) => {
      const items = warmPool();
      breakIt(items);
      const lines = findingLines(items, { externalSecrets: ['t'] });
      for (const cron of ['warm-scale-up', 'warm-scale-down']) {
        expect(lines).toContain(`warm.yaml: CronJob/${cron}: /spec/jobTemplate/spec/template/spec/containers/0/command/2: the scaler scales VirtualMachinePool 'warm', `
          + `but no Role in the output bound to its ServiceAccount 'warm-scaler' in namespace ci allows ${verbs} on virtualmachinepools/scale of that pool `
          + `(resourceNames there: ${names}): every run would fail with 403`);
      }
    });

    test('reports a pool that is not in the output', () => {
      const items = warmPool().filter((i) => i.object.kind !== 'VirtualMachinePool');
      expect(findingLines(items, { externalSecrets: ['t'] })).toContainEqual(expect.stringContaining(
        "CronJob/warm-scale-up: /spec/jobTemplate/spec/template/spec/containers/0/command/2: the scaler scales VirtualMachinePool 'ci/warm', which is not in the output"));
    });
  });

  test('a Secret declared external on the command line is accepted', () => {
    const items = fleet();
    delete vm(items).metadata.annotations;
    expect(findingLines(items, { externalSecrets: ['ci-runner-token'] }).filter((l) => l.includes('actions-runner-0'))).toEqual([]);
  });
});

describe('readManifests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'read-manifests-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Scalars whose type depends on the YAML schema: what the `yaml` package's default (1.2 core) reads.
  const tricky = `a: yes
b: 2024-01-01
c: 0o17
d: ~
e: 1_000
f: .inf
g: True
h: '012'
i: 0x1F
j: 1e3
k: "null"
l: |
  line one
    indented
m: >-
  folded
  text
n: [1, 2.5, -3]
o: {p: null, q: ''}
---
# an empty document between two objects
---
kind: Second
`;

  test('reads the same values as the yaml package, document by document', () => {
    writeFileSync(join(dir, 'tricky.yaml'), tricky);
    const { items, findings } = readManifests([dir]);
    expect(findings).toEqual([]);
    expect(items.map((i) => i.object)).toEqual(parseAllDocuments(tricky).map((d) => d.toJS()).filter((o) => o !== null));
    expect(items.map((i) => i.file)).toEqual([join(dir, 'tricky.yaml'), join(dir, 'tricky.yaml')]);
  });

  test('a file with a %YAML 1.1 directive is read as YAML 1.1', () => {
    writeFileSync(join(dir, 'old.yaml'), '%YAML 1.1\n---\nenabled: yes\n');
    expect(readManifests([dir]).items.map((i) => i.object)).toEqual([{ enabled: true }]);
  });

  test('only cdk8s\'s construct metadata is named as such: the same content under another name, or an object under its name, is read as usual', () => {
    const shape = JSON.stringify({ version: '1.0.0', resources: {} });
    writeFileSync(join(dir, 'construct-metadata.json'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    writeFileSync(join(dir, 'metadata.json'), shape);
    const { items, findings } = readManifests([dir]);
    expect(findings).toEqual([]);
    expect(items.map((i) => [i.file, i.object.kind])).toEqual([[join(dir, 'construct-metadata.json'), 'ConfigMap'], [join(dir, 'metadata.json'), undefined]]);
  });

  test('a syntax error is a finding for its file; the file\'s other documents and other files are still read', () => {
    writeFileSync(join(dir, 'a-broken.yaml'), 'kind: First\n---\nkind: [Second\n---\nkind: Third\n');
    writeFileSync(join(dir, 'b-fine.yaml'), 'kind: Fourth\n');
    const { files, items, findings } = readManifests([dir]);
    expect(files).toEqual([join(dir, 'a-broken.yaml'), join(dir, 'b-fine.yaml')]);
    expect(findings).toEqual([expect.objectContaining({ file: join(dir, 'a-broken.yaml'), object: '-', path: '', message: expect.stringMatching(/^not valid YAML: /) })]);
    expect(items.map((i) => i.object.kind)).toEqual(['First', 'Third', 'Fourth']);
  });
});

describe('npm run validate (lib/validate/cli.ts)', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'validate-cli-'));
    out = [];
    err = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
    jest.spyOn(console, 'error').mockImplementation((line: string) => err.push(line));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    delete process.env.KUBEVIRT_RUNNERS_SCHEMAS;
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (items: ManifestObject[]) => writeFileSync(join(dir, 'fleet.k8s.yaml'), items.map((i) => stringify(i.object)).join('---\n'));

  /** A copy of the shipped schemas whose index no longer knows Secrets: findings show which folder was used. */
  const schemasWithoutSecret = () => {
    const copy = join(dir, 'my-schemas');
    cpSync(SHIPPED_SCHEMA_DIR, copy, { recursive: true });
    const index = JSON.parse(readFileSync(join(copy, 'kinds.json'), 'utf8'));
    delete index['v1 Secret'];
    writeFileSync(join(copy, 'kinds.json'), JSON.stringify(index));
    return copy;
  };
  const unknownSecret = () => `${join(dir, 'fleet.k8s.yaml')}: Secret/actions-runner-cloud-init: /: unknown kind: no schema for Secret in v1`;

  test('with no option, exits 0 with a count against the shipped schemas', () => {
    write(fleet());
    expect(validateCli([dir])).toBe(0);
    expect(out).toEqual([`validate: 5 objects in 1 files against ${SHIPPED_SCHEMA_DIR}: all valid`]);
  });

  test('--summary also prints the fleet at a glance of the manifests read (what npm run synth writes to FLEET.md)', () => {
    write(fleet());
    expect(validateCli([dir, '--summary'])).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^# The fleet at a glance\n/);
    expect(out[0]).toMatch(/^\| `default\/actions-runner` \| VirtualMachine \| 2 \| /m);
    expect(out[1]).toMatch(/^validate: \d+ objects in 1 files against .*: all valid$/);
  });

  test('exits 1 and prints file, object, path and message for each problem', () => {
    const items = fleet();
    vm(items).spec.runStrategy = 'Sometimes';
    write(items);
    expect(validateCli([dir])).toBe(1);
    expect(out).toEqual([`${join(dir, 'fleet.k8s.yaml')}: VirtualMachine/actions-runner-0: /spec/runStrategy: runStrategy "Sometimes" is not one of Always, RerunOnFailure, Manual, Halted, Once`]);
    expect(err).toEqual([`validate: 1 problems in 5 objects in 1 files against ${SHIPPED_SCHEMA_DIR}`]);
  });

  test('takes the schemas from --schemas DIR', () => {
    write(fleet());
    expect(validateCli([dir, '--schemas', schemasWithoutSecret()])).toBe(1);
    expect(out).toEqual([unknownSecret()]);
  });

  test('takes the schemas from $KUBEVIRT_RUNNERS_SCHEMAS', () => {
    write(fleet());
    process.env.KUBEVIRT_RUNNERS_SCHEMAS = schemasWithoutSecret();
    expect(validateCli([dir])).toBe(1);
    expect(out).toEqual([unknownSecret()]);
  });

  test('exits 2, never a silent pass, when the schemas folder given is not one', () => {
    write(fleet());
    expect(validateCli([dir, '--schemas', join(dir, 'nothing-here')])).toBe(2);
    process.env.KUBEVIRT_RUNNERS_SCHEMAS = join(dir, 'nothing-here-either');
    expect(validateCli([dir])).toBe(2);
    expect(err).toEqual([
      `validate: --schemas ${join(dir, 'nothing-here')}: not a schemas folder (no kinds.json in it). Nothing was validated.`,
      `validate: KUBEVIRT_RUNNERS_SCHEMAS ${join(dir, 'nothing-here-either')}: not a schemas folder (no kinds.json in it); unset it to use the shipped schemas. Nothing was validated.`,
    ]);
    expect(out).toEqual([]);
  });

  test('cdk8s\'s construct-metadata.json beside the fleet: one line saying what it is and how to be rid of it; gone, the folder is valid', () => {
    write(fleet());
    const metadata = join(dir, 'construct-metadata.json');
    writeFileSync(metadata, JSON.stringify({ version: '1.0.0', resources: { 'actions-runner-0': { path: 'fleet/Pool/Vm0/Resource' } } }));
    expect(validateCli([dir])).toBe(1);
    expect(out).toEqual([`${metadata}: -: /: not a Kubernetes object: cdk8s's construct metadata (the construct path of each object, for validation plugins), `
      + 'which `cdk8s synth` writes into its output folder when cdk8s.yaml lists validations; `kubectl apply -f` fails on it too. '
      + `Delete it (rm '${metadata}'). It does not come back with \`npm run synth\` (kubevirt-runners-synth), nor with \`cdk8s synth\` `
      + 'when cdk8s.yaml\'s validations list the cdk8s-kubevirt-runners plugin, which removes it once cdk8s has read it']);
    expect(err).toEqual([`validate: 1 problems in 5 objects in 2 files against ${SHIPPED_SCHEMA_DIR}`]);
    rmSync(metadata);
    out.length = 0;
    expect(validateCli([dir])).toBe(0);
  });

  test('exits 2 on a missing path or an unknown option', () => {
    expect(validateCli([join(dir, 'missing.yaml')])).toBe(2);
    expect(validateCli(['--frobnicate'])).toBe(2);
    expect(err.join('\n')).toContain('unknown option --frobnicate');
  });
});

const cloudInitTest = testIf(hasCloudInitCli(), 'the cloud-init command (apt-get install cloud-init)');
describe('cloud-init schema --config-file', () => {
  cloudInitTest('accepts the library\'s cloud-config', () => {
    expect(cloudInitCliProblem(secret(fleet()).stringData.userdata)).toBeUndefined();
  });

  cloudInitTest('rejects a broken one', () => {
    expect(cloudInitCliProblem('#cloud-config\npackage_update: sometimes\n')).toMatch(/cloud-init schema --config-file failed/);
  });
});

describe('CloudConfigSchema', () => {
  test('checks a cloud-config on its own', () => {
    const schema = new CloudConfigSchema();
    expect(schema.validate('#cloud-config\npackages: [jq]\n')).toEqual([]);
    expect(schema.validate('#cloud-config\nruncmd: hello\n')).toContainEqual({ path: '/runcmd', message: 'must be array' });
    expect(schema.validate('#!/bin/sh\necho hi\n')[0].message).toMatch(/does not start with '#cloud-config'/);
  });
});
