import { execFileSync } from 'node:child_process';
import { Testing } from 'cdk8s';
import { RunnerChart } from '../../lib';
import { formatFinding, hasPyYaml, ManifestObject, pyyamlProblem, validateObjects } from '../../lib/validate';
import { readCloudConfig } from '../../lib/validate/cloud-init-yaml';
import { synth, testIf } from '../util';

// cloud-init reads user-data with PyYAML (YAML 1.1); the validator reads it the same way and reports
// what PyYAML refuses or reads differently from YAML 1.2.

const SEED = synth(new RunnerChart(Testing.app(), 'fleet', {
  url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token', replicas: 1, runnerLabels: ['kubevirt'],
}));
const USER_DATA: string = SEED.find((o) => o.kind === 'Secret')!.stringData.userdata;

/** The findings for the seed fleet with `text` appended to its cloud-config. */
function findingsWith(text: string): string[] {
  const items: ManifestObject[] = SEED.map((object) => ({ file: 'fleet.yaml', object: JSON.parse(JSON.stringify(object)) }));
  items.find((i) => i.object.kind === 'Secret')!.object.stringData.userdata = USER_DATA + text;
  return validateObjects(items).map(formatFinding);
}

/** `line L, column C` of `needle` in `text` appended to the seed cloud-config. */
function at(text: string, needle: string): string {
  const index = USER_DATA.length + text.indexOf(needle);
  const before = (USER_DATA + text).slice(0, index);
  return `line ${before.split('\n').length}, column ${index - before.lastIndexOf('\n')}`;
}

const P = 'fleet.yaml: Secret/actions-runner-cloud-init: /stringData/userdata#';
const TAB = 'PyYAML (cloud-init) refuses tabs outside quoted strings, comments and block-scalar text ("found character \'\\t\' that cannot start any token"); use spaces, or quote the value';

describe('user-data read the way cloud-init reads it', () => {
  test('the library\'s cloud-config reads the same in PyYAML and YAML 1.2', () => {
    expect(readCloudConfig(USER_DATA).problems).toEqual([]);
  });

  test.each([
    ['a tab in an ssh key comment', 'ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ runner@ci\tlaptop\n', '\tlaptop',
      (where: string) => [`${P}/ssh_authorized_keys/0: tab at ${where}: ${TAB}`]],
    ['a tab indenting a list', 'bootcmd:\n\t- echo hi\n', '\t-',
      // YAML 1.2 refuses it too
      (where: string) => [`${P}: user-data is not valid YAML: Tabs are not allowed as indentation (${where})`, `${P}/bootcmd: tab at ${where}: ${TAB}`]],
    ['a tab within a block scalar\'s indentation', 'bootcmd:\n  - |\n    echo one\n  \techo two\n', '\techo two',
      // YAML 1.2 refuses it too
      (where: string) => [`${P}: user-data is not valid YAML: Block scalar lines must not be less indented than their first line (${where})`, `${P}/bootcmd/0: tab at ${where}: ${TAB}`]],
    ['U+2028 in a command', 'bootcmd:\n  - echo one\u2028echo two\n', '\u2028',
      (where: string) => [`${P}/bootcmd/0: U+2028 at ${where}: PyYAML (cloud-init) reads it as a line break, YAML 1.2 as an ordinary character, `
        + 'so cloud-init sees other text or fails; remove it or write it as an escape in a double-quoted string']],
    ['a control character', 'bootcmd:\n  - "printf \u0007"\n', '\u0007',
      (where: string) => [`${P}/bootcmd/0: character U+0007 at ${where}: PyYAML (cloud-init) refuses it ("unacceptable character: special `
        + 'characters are not allowed"); remove it or write it as an escape in a double-quoted string']],
    ['on, read as a boolean', 'ssh_deletekeys: on\n', 'on\n',
      (where: string) => [`${P}/ssh_deletekeys: PyYAML (cloud-init) reads on at ${where} as the boolean true, YAML 1.2 as the string "on": write it so that both read the same (quote a string)`]],
    ['no, read as a boolean', 'disable_root: no\n', 'no\n',
      (where: string) => [`${P}/disable_root: PyYAML (cloud-init) reads no at ${where} as the boolean false, YAML 1.2 as the string "no": write it so that both read the same (quote a string)`]],
    ['a date', 'final_message: 2024-01-01\n', '2024-01-01',
      (where: string) => [
        `${P}/final_message: PyYAML (cloud-init) reads 2024-01-01 at ${where} as the date 2024-01-01, YAML 1.2 as the string "2024-01-01": write it so that both read the same (quote a string)`,
        `${P}/final_message: must be string`,
      ]],
    ['an octal-looking number', 'bootcmd:\n  - [chmod, 0644, /etc/motd]\n', '0644',
      (where: string) => [
        `${P}/bootcmd/0/1: PyYAML (cloud-init) reads 0644 at ${where} as the number 420, YAML 1.2 as the number 644: write it so that both read the same (quote a string)`,
        // and cloud-init's schema wants strings in a command
        `${P}/bootcmd/0/1: must be string`, `${P}/bootcmd/0: must be string`, `${P}/bootcmd/0: must match exactly one schema in oneOf`,
      ]],
    ['a plain =', 'bootcmd:\n  - [test, a, =, a]\n', '=',
      (where: string) => [`${P}/bootcmd/0/2: the plain value = at ${where}: PyYAML (cloud-init) cannot read it (no constructor for tag:yaml.org,2002:value); quote it`]],
  ])('reports %s', (_, text, needle, expected) => {
    expect(findingsWith(text)).toEqual(expected(at(text, needle)));
  });

  test('reads y, 1e3, 09 and 2024-1-1 as strings, as PyYAML does (unlike the yaml package\'s yaml-1.1 schema)', () => {
    const reading = readCloudConfig('#cloud-config\nbootcmd: [y, n, 1e3, 09, 2024-1-1, 1.5e+3, 0:30, 1:30, .5]\n');
    expect(reading.config).toEqual({ bootcmd: ['y', 'n', '1e3', '09', '2024-1-1', 1500, '0:30', 90, 0.5] });
  });

  test('keys are read by the same rules', () => {
    expect(readCloudConfig('#cloud-config\nbootcmd:\n  - yes: 1\n').problems).toEqual([{
      path: '/bootcmd/0/yes',
      message: 'PyYAML (cloud-init) reads the key yes at line 3, column 5 as the boolean true, YAML 1.2 as the string "yes": write it so that both read the same (quote a string)',
    }]);
  });

  test('a second document, which cloud-init refuses', () => {
    expect(readCloudConfig('#cloud-config\na: 1\n---\nb: 2\n').problems).toEqual([
      { path: '', message: 'user-data holds 2 YAML documents; cloud-init reads exactly one (line 3, column 1)' },
    ]);
  });

  test('repeats of one problem in one value make one line', () => {
    expect(readCloudConfig('#cloud-config\nbootcmd:\n  - echo a\tb\tc\td\n').problems).toEqual([
      { path: '/bootcmd/0', message: `tab at line 3, column 11: ${TAB} (2 more in this value)` },
    ]);
  });
});

const pyyamlTest = testIf(hasPyYaml(), 'python3 with PyYAML (apt-get install python3-yaml)');
describe('the installed PyYAML (pyyamlProblem; part of --cloud-init-cli)', () => {
  pyyamlTest('reads the library\'s cloud-config as YAML 1.2 does', () => {
    expect(pyyamlProblem(USER_DATA)).toBeUndefined();
  });

  pyyamlTest('refuses a tab in an ssh key comment, as the validator says', () => {
    expect(pyyamlProblem(`${USER_DATA}ssh_authorized_keys:\n  - ssh-ed25519 AAAA runner@ci\tlaptop\n`))
      .toMatch(/^PyYAML \(yaml.safe_load, as cloud-init\) refuses the user-data: .*found character '\\t' that cannot start any token/);
  });

  pyyamlTest('reads on, 2024-01-01 and 0644 differently, as the validator says', () => {
    expect(pyyamlProblem('#cloud-config\nssh_deletekeys: on\nfinal_message: 2024-01-01\nbootcmd: [[chmod, 0644, /etc/motd]]\n')).toBe(
      'PyYAML (yaml.safe_load, as cloud-init) reads the user-data differently from YAML 1.2: /ssh_deletekeys: true instead of "on"; '
      + '/final_message: {"!!date":"2024-01-01"} instead of "2024-01-01"; /bootcmd/0/1: 420 instead of 644');
  });

  pyyamlTest('reads PyYAML\'s own types as the installed PyYAML does', () => {
    const text = '#cloud-config\nbootcmd: [y, n, 1e3, 09, 2024-1-1, 1.5e+3, 1.5e3, 0:30, 1:30, .5, yes, Off, 0x1F, 0b101, 017, 1_000, ~, "on", \'=x\']\n';
    const safeLoad = execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
    expect(readCloudConfig(text).config).toEqual(JSON.parse(safeLoad));
  });
});
