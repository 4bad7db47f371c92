import { Chart, Testing } from 'cdk8s';
import { Construct as Group } from 'constructs';
import { Construct } from 'constructs';
import * as lib from '../lib';
import { hasPyYaml, ofKind, pyYamlLoad, synth, testIf } from './util';

// Mistakes a new user makes, refused on every kind they can make them on.

const TOKEN = { tokenSecretName: 'runner-token' };
const APP = { githubCredentialsSecret: 'github-app' };

/** Every kind that takes a GitHub `url`, built in `scope` with `props` over working ones. */
const URL_KINDS: Array<[string, (scope: Construct, props: Record<string, unknown>) => unknown]> = [
  ['RunnerChart', (_scope, props) => new lib.RunnerChart(Testing.app(), 'fleet', { url: 'https://github.com/acme', ...TOKEN, ...props })],
  ['RunnerPool', (scope, props) => new lib.RunnerPool(scope, 'pool', { url: 'https://github.com/acme', ...TOKEN, replicas: 1, ...props })],
  ['RunnerCloudInit', (scope, props) => new lib.RunnerCloudInit(scope, 'ci', { url: 'https://github.com/acme', ...props })],
  ['RunnerWarmPool', (scope, props) => new lib.RunnerWarmPool(scope, 'warm', {
    url: 'https://github.com/acme', ...TOKEN, replicas: 1, runnerImage: new lib.RunnerImage(Testing.chart(), 'image'), ...props,
  })],
  ['RunnerScaleSet', (scope, props) => new lib.RunnerScaleSet(scope, 'arc', {
    url: 'https://github.com/acme', ...APP, runnerImage: new lib.RunnerImage(Testing.chart(), 'image'), ...props,
  })],
  ['RunnerKedaScaleSet', (scope, props) => new lib.RunnerKedaScaleSet(scope, 'keda', {
    url: 'https://github.com/acme', runnerLabels: ['vm'], ...APP, runnerImage: new lib.RunnerImage(Testing.chart(), 'image'), ...props,
  })],
  ['RunnerTokenRefresher', (scope, props) => new lib.RunnerTokenRefresher(scope, 'refresher', { url: 'https://github.com/acme', ...APP, ...TOKEN, ...props })],
];

describe('www.github.com is github.com, not a GitHub Enterprise Server', () => {
  test.each(URL_KINDS)('%s refuses it, with or without capitals and a port, and says to write https://github.com/...', (kind, build) => {
    for (const url of ['https://www.github.com/acme', 'https://WWW.GitHub.com/acme', 'https://www.github.com:443/acme', 'https://www.github.com:8443/acme/app']) {
      expect(() => build(Testing.chart(), { url })).toThrow(`${kind} 'url' must not name www.github.com, which is github.com and not a GitHub Enterprise Server: `
        + `write https://github.com/... instead, got ${JSON.stringify(url)}`);
    }
    expect(() => build(Testing.chart(), { url: 'https://github.com/acme' })).not.toThrow();
    expect(() => build(Testing.chart(), { url: 'https://ghes.example.com/acme' })).not.toThrow();
  });

  test('GitHubScope.fromUrl says the same, and a www. GHES host stays a GHES host', () => {
    expect(() => lib.GitHubScope.fromUrl('https://www.github.com/enterprises/corp')).toThrow("GitHubScope 'url' must not name www.github.com");
    expect(lib.GitHubScope.fromUrl('https://www.ghes.example.com/acme').host).toBe('www.ghes.example.com');
  });
});

/** Every construct kind, built in `scope` from working props (what they use made in a chart of their own). */
const CONSTRUCT_KINDS: Array<[string, (scope: Construct) => unknown]> = [
  ...URL_KINDS.filter(([kind]) => kind !== 'RunnerChart').map(([kind, build]): [string, (scope: Construct) => unknown] => [kind, (scope) => build(scope, {})]),
  ['RunnerImage', (scope) => new lib.RunnerImage(scope, 'image')],
  ['RunnerDisk', (scope) => new lib.RunnerDisk(scope, 'golden', { osImage: lib.OsImage.debian12(), size: '10Gi' })],
  ['RunnerVm', (scope) => {
    const cloudInit = new lib.RunnerCloudInit(Testing.chart(), 'ci', { url: 'https://github.com/acme' });
    return new lib.RunnerVm(scope, 'vm', { cloudInit, ...TOKEN, rootDisk: { osImage: lib.OsImage.ubuntu2404(), size: '20Gi' } });
  }],
  ['RunnerNetworkPolicy', (scope) => new lib.RunnerNetworkPolicy(scope, 'isolate', { vmLabels: { app: 'runner' } })],
];

describe('a construct outside a Chart says so, and what to do', () => {
  test('the table covers every construct the library exports (RunnerChart is a Chart itself)', () => {
    const constructs = Object.entries(lib).filter(([name, value]) => typeof value === 'function' && value.prototype instanceof Group && name !== 'RunnerChart');
    expect(CONSTRUCT_KINDS.map(([kind]) => kind).sort()).toEqual(constructs.map(([name]) => name).sort());
  });

  test.each(CONSTRUCT_KINDS)('%s with the App as its scope, or a construct outside any Chart', (kind, build) => {
    const app = Testing.app();
    let error = '';
    try {
      build(app);
    } catch (e) {
      error = (e as Error).message;
    }
    expect(error).toMatch(new RegExp(`^${kind} '[a-z]+' needs a Chart \\(or a construct inside one\\) as its scope, got the App: `
      + `create one with new Chart\\(app, 'runners', \\{ namespace: 'ci' \\}\\) and pass it: new ${kind}\\(chart, '[a-z]+', \\.\\.\\.\\)$`));
    expect(() => build(new Group(app, 'group'))).toThrow(`${kind} `);
    expect(() => build(new Group(app, 'group2'))).toThrow("as its scope, got 'group2', which is not in a Chart: ");
    expect(() => build(new Group(new Chart(app, 'runners'), 'group'))).not.toThrow();
  });
});

// Fakes made at test time, so no credential-shaped literal sits in the repository.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const fakeSecret = (length: number, seed: number) => Array.from({ length }, (_, i) => ALPHABET[(i * 13 + seed * 7) % ALPHABET.length]).join('');
const CREDENTIALS: Array<[string, string]> = [
  ...['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'].map((prefix, i): [string, string] => [prefix, `${prefix}${fakeSecret(36, i)}`]),
  ['github_pat_', `github_pat_${fakeSecret(22, 5)}_${fakeSecret(59, 6)}`],
  ['PEM private key', [`-----BEGIN ${'OPENSSH'} PRIVATE ${'KEY'}-----`, fakeSecret(64, 7), '-----END OPENSSH PRIVATE KEY-----'].join('\n')],
];

/** The props a pasted credential could land in, per kind: [kind, user's prop name, props that put `value` there]. */
const FREE_TEXT_PROPS: Array<[string, string, (value: string) => Record<string, unknown>]> = [
  ...URL_KINDS.filter(([kind]) => kind !== 'RunnerTokenRefresher').flatMap(([kind]): Array<[string, string, (value: string) => Record<string, unknown>]> => [
    [kind, 'runnerLabels[1]', (value) => ({ runnerLabels: ['linux', value] })],
    [kind, 'runnerGroup', (value) => ({ runnerGroup: value })],
    [kind, 'tokenSecretKey', (value) => ({ tokenSecretKey: value })],
    [kind, 'name', (value) => ({ name: value })],
  ]),
  ['RunnerChart', 'tokenSecretName', (value) => ({ tokenSecretName: value })],
  ['RunnerChart', 'user', (value) => ({ user: value })],
  ['RunnerChart', 'workDir', (value) => ({ workDir: value })],
  ['RunnerChart', 'extraPackages[0]', (value) => ({ extraPackages: [value] })],
  ['RunnerChart', 'sshAuthorizedKeys[0]', (value) => ({ sshAuthorizedKeys: [`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG00000000000000000000000000000000000000000000 ${value}`] })],
  ['RunnerChart', 'proxy.noProxy[0]', (value) => ({ proxy: { http: 'http://proxy.corp:3128', noProxy: [value] } })],
  ['RunnerChart', 'nodeSelector.role', (value) => ({ nodeSelector: { role: value } })],
  ['RunnerPool', 'sshAuthorizedKeys[0]', (value) => ({ sshAuthorizedKeys: [value] })],
  ['RunnerCloudInit', 'extraPackages[0]', (value) => ({ extraPackages: [value] })],
  ['RunnerTokenRefresher', 'tokenSecretKey', (value) => ({ tokenSecretKey: value })],
  ['RunnerTokenRefresher', 'runnerNamePrefix', (value) => ({ runnerNamePrefix: value })],
  ['RunnerTokenRefresher', 'tokenSecretName', (value) => ({ tokenSecretName: value })],
];

function errorOf(build: () => unknown): string {
  try {
    build();
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

describe('a credential pasted into a free-text prop is refused and never repeated', () => {
  const builders = new Map(URL_KINDS);
  test.each(FREE_TEXT_PROPS.flatMap(([kind, prop, props]) => CREDENTIALS.map(([what, credential]) => [kind, prop, what, credential, props] as const)))(
    "%s '%s' refuses a %s", (kind, prop, _what, credential, props) => {
      const message = errorOf(() => builders.get(kind)!(Testing.chart(), props(credential)));
      expect(message).toBe(`${kind} '${prop}' holds what looks like a GitHub credential (a token or a private key), which would be written `
        + 'in clear text into the manifests: a credential belongs in a Secret, referenced by name (the value is not shown here)');
      const secretPart = credential.replace(/^(gh[a-z]_|github_pat_)/, '').replace(/-----[A-Z ]+-----/g, '').trim();
      for (let i = 0; i + 6 <= secretPart.length; i++) expect(message).not.toContain(secretPart.slice(i, i + 6));
    });

  test('words that merely contain a prefix are fine', () => {
    expect(errorOf(() => builders.get('RunnerChart')!(Testing.chart(), { runnerLabels: ['highp_vm', 'xghs_1'], runnerGroup: 'ghp' }))).toBe('(no error)');
  });
});

describe("every character cloud-init's YAML 1.1 reader (PyYAML) refuses is refused at synth", () => {
  const builders = new Map(URL_KINDS);
  const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG00000000000000000000000000000000000000000000';
  const CHARACTERS: Array<[string, string]> = [['U+FFFE', '\uFFFE'], ['U+FFFF', '\uFFFF'], ['U+D800', '\uD800'], ['U+001B', '\x1B']];
  const PLACES: Array<[string, string, (character: string) => Record<string, unknown>, number]> = [
    ...['RunnerChart', 'RunnerPool', 'RunnerCloudInit'].flatMap((kind): Array<[string, string, (character: string) => Record<string, unknown>, number]> => [
      [kind, 'sshAuthorizedKeys[0]', (c) => ({ sshAuthorizedKeys: [`${KEY} ops${c}laptop`] }), KEY.length + 4],
      [kind, 'proxy.noProxy[1]', (c) => ({ proxy: { http: 'http://proxy.corp:3128', noProxy: ['.corp', `git${c}.corp`] } }), 3],
    ]),
    ...URL_KINDS.filter(([kind]) => kind !== 'RunnerTokenRefresher')
      .map(([kind]): [string, string, (character: string) => Record<string, unknown>, number] => [kind, 'runnerLabels[0]', (c) => ({ runnerLabels: [`gpu${c}`] }), 3]),
  ];

  test.each(PLACES.flatMap(([kind, prop, props, index]) => CHARACTERS.map(([codePoint, character]) => [kind, prop, codePoint, character, props, index] as const)))(
    "%s '%s' refuses %s", (kind, prop, codePoint, character, props, index) => {
      expect(errorOf(() => builders.get(kind)!(Testing.chart(), props(character)))).toBe(`${kind} '${prop}' holds the character ${codePoint} at index ${index}, `
        + "which cloud-init's YAML 1.1 reader (PyYAML) refuses: with it in the user-data, cloud-init would read none of it; remove it");
    });

  testIf(hasPyYaml, 'python3-yaml')('what PyYAML reads is fine, and reaches the guest: non-BMP characters, the BMP up to U+FFFD, NBSP', () => {
    const key = `${KEY} ${['emoji\u{1F680}', 'cjk\u4E2D', 'last\uFFFD', 'nbsp\xA0'].join(' ')}`;
    const fleet = new lib.RunnerChart(Testing.app(), 'fleet', { url: 'https://github.com/acme', ...TOKEN, sshAuthorizedKeys: [key] });
    const [secret] = ofKind(synth(fleet), 'Secret').filter((s) => typeof s.stringData?.userdata === 'string');
    expect(JSON.stringify(pyYamlLoad(secret.stringData.userdata))).toContain(JSON.stringify(key));
  });
});
