import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import * as ts from 'typescript';
import * as lib from '../lib';
import { BASE_PACKAGES, DOCKER_PACKAGES, KNOWN_RUNNER_CHECKSUMS, OsImage, RUNNER_KUBERNETES_LABELS, RunnerChart, RunnerChartProps, RunnerPool } from '../lib';
import { ofKind, synth } from './util';

const BASE: RunnerChartProps = { url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token' };

// One bad value for every prop a RunnerChart user can write; each error must name RunnerChart and
// that prop, however deep in the fleet the value is used (the cloud-init Secret, the golden image,
// every VM).
const BAD_CHART_PROPS: Record<keyof RunnerChartProps, unknown> = {
  url: 'https://github.com/acme/app/issues',
  tokenSecretName: 'Not_A_Secret',
  namespace: 'CI',
  replicas: 0,
  name: 'Fleet',
  runnerLabels: ['a b'],
  runnerGroup: 'a;b',
  noDefaultLabels: 'yes',
  ephemeral: 1,
  disableUpdate: 'no',
  automaticSecurityUpdates: 'weekly',
  user: 'root',
  passwordlessSudo: 'true',
  docker: null,
  dockerApt: { repositoryBaseUrl: 'ftp://mirror' },
  extraPackages: ['Bad Package'],
  upgradePackages: 'always',
  installPackages: 0,
  sshAuthorizedKeys: ['not a key'],
  proxy: { http: 'http://user:secret@proxy:3128' },
  caCertificates: ['-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----'],
  caCertificatesFrom: { secret: 'ca', configMap: 'ca', key: 'ca.crt' },
  aptMirror: { url: 'ftp://mirror.corp/debian' },
  dockerSource: 'snap',
  dockerDaemon: { registryMirrors: ['registry.corp'] },
  workDir: '../etc',
  tokenSecretKey: 'a/b',
  diskSize: '50GB',
  storageClassName: 'Fast_SSD',
  accessModes: ['ReadWriteAlways'],
  volumeMode: 'Raw',
  osImage: 'ubuntu',
  runnerVersion: 'latest',
  runnerSha256: 'abc',
  arch: 'ppc64le',
  runnerDownloadBaseUrl: 'https://mirror/$(id)',
  cpu: '16Gi',
  memory: '16GB',
  instancetype: { name: 'U1 Large' },
  preference: { name: 'x', scope: 'galaxy' },
  runStrategy: 'Sometimes',
  evictionStrategy: 'Never',
  tokenRefresher: { githubCredentialsSecret: 'GitHub App' },
  nodeSelector: { 'node role': 'ci' },
  tolerations: 'dedicated=ci',
  affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'bad key' } }] } },
  priorityClassName: 'High_Priority',
  spreadAcrossNodes: 'yes',
  dedicatedCpus: 'yes',
  nestedVirtualization: 'vmx',
  dockerDataDisk: { size: '100MB' },
  guestAgentReadinessProbe: 1,
  sshPublicKeysSecret: 'SSH Keys',
  networkPolicy: { enabled: 'no' },
};

// The props RunnerChartProps declares, read from the source (its own and the interfaces it extends).
function declaredChartProps(): string[] {
  const interfaces = new Map<string, { members: string[]; bases: string[] }>();
  for (const file of ['spec/chart.ts', 'spec/options.ts']) {
    const source = ts.createSourceFile(file, readFileSync(join(__dirname, '..', 'lib', file), 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node)) return;
      interfaces.set(node.name.text, {
        members: node.members.filter(ts.isPropertySignature).map((m) => m.name.getText(source)),
        bases: (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(source))),
      });
    });
  }
  const collect = (name: string): string[] => [...interfaces.get(name)!.members, ...interfaces.get(name)!.bases.flatMap(collect)];
  return collect('RunnerChartProps').sort();
}

describe('runner spec: errors name the construct and prop the user wrote', () => {
  test('the table covers every RunnerChart prop', () => {
    expect(Object.keys(BAD_CHART_PROPS).sort()).toEqual(declaredChartProps());
  });

  test.each(Object.entries(BAD_CHART_PROPS))('RunnerChart %s', (prop, value) => {
    expect(() => new RunnerChart(Testing.app(), 'fleet', { ...BASE, [prop]: value } as RunnerChartProps))
      .toThrow(new RegExp(`^RunnerChart '${prop.replace('.', '\\.')}(\\.\\w+|\\[\\d+\\])*' `));
  });

  test.each(Object.entries(BAD_CHART_PROPS).filter(([prop]) => !['diskSize', 'storageClassName', 'accessModes', 'volumeMode',
    'runnerVersion', 'runnerSha256', 'arch', 'runnerDownloadBaseUrl'].includes(prop)))('RunnerPool %s', (prop, value) => {
    const chart = Testing.chart();
    expect(() => new RunnerPool(chart, 'pool', { ...BASE, replicas: 1, [prop]: value }))
      .toThrow(new RegExp(`^RunnerPool '${prop}(\\.\\w+|\\[\\d+\\])*' `));
  });

  test('the pool name is checked once, with room for the longest VM disk name', () => {
    expect(() => new RunnerChart(Testing.app(), 'fleet', { ...BASE, name: 'a'.repeat(57), replicas: 10 }))
      .toThrow("RunnerChart 'name' must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 56 characters)");
  });

  test('NaN and Infinity are shown as such', () => {
    expect(() => new RunnerChart(Testing.app(), 'fleet', { ...BASE, replicas: NaN })).toThrow('got NaN');
    expect(() => new RunnerChart(Testing.app(), 'fleet', { ...BASE, replicas: Infinity })).toThrow('got Infinity');
  });
});

describe('public API hygiene', () => {
  test('exported constants cannot be changed by a consumer', () => {
    expect(() => (BASE_PACKAGES as string[]).push('evil')).toThrow(TypeError);
    expect(() => (DOCKER_PACKAGES as string[]).splice(0)).toThrow(TypeError);
    expect(() => { (RUNNER_KUBERNETES_LABELS as Record<string, string>)['app.kubernetes.io/name'] = 'x'; }).toThrow(TypeError);
    expect(() => { (KNOWN_RUNNER_CHECKSUMS['2.334.0'] as Record<string, string>).x64 = '0'.repeat(64); }).toThrow(TypeError);
    expect(() => { (OsImage.ubuntu2404().toDataVolumeSource().source as any).http.url = 'https://evil'; }).toThrow(TypeError);
  });

  test('objects from a second copy of the library are accepted (brands, not instanceof)', () => {
    let other: typeof lib | undefined;
    jest.isolateModules(() => {
      other = require('../lib');
    });
    expect(other!.OsImage).not.toBe(lib.OsImage);
    const image = other!.OsImage.debian12();
    const release = other!.RunnerRelease.of('2.334.0');
    expect(image instanceof lib.OsImage).toBe(false);
    expect(lib.OsImage.isOsImage(image)).toBe(true);
    const chart = Testing.chart();
    const pool = new RunnerPool(chart, 'pool', { ...BASE, replicas: 1, osImage: image, release });
    expect(ofKind(synth(chart), 'DataVolume')[0].spec.source.http.url).toContain('debian-12');
    const cloudInit = new other!.RunnerCloudInit(chart, 'other-cloud-init', { url: BASE.url, distribution: other!.Distribution.DEBIAN });
    expect(() => new lib.RunnerVm(chart, 'vm', {
      cloudInit: cloudInit as unknown as lib.RunnerCloudInit, tokenSecretName: 't', rootDisk: { osImage: pool.goldenImage!.asImage(), size: '50Gi' },
    })).not.toThrow();
  });

  test('brands are not enumerable, so they never reach output', () => {
    expect(Object.keys(OsImage.ubuntu2404())).not.toContain(expect.stringContaining('cdk8s-kubevirt-runners'));
    expect(JSON.stringify(OsImage.ubuntu2404())).not.toContain('cdk8s-kubevirt-runners');
  });
});

describe('odd and hostile values (hardening)', () => {
  const chart = (props: Partial<RunnerChartProps>) => () => new RunnerChart(Testing.app(), 'fleet', { ...BASE, ...props } as RunnerChartProps);

  test.each([
    [{ runnerLabels: ['--ephemeral'] }, "RunnerChart 'runnerLabels' label \"--ephemeral\" may only contain letters, digits, '.', '_' and '-', and must not start with '-'"],
    [{ runnerLabels: ['-x'] }, "must not start with '-'"],
    [{ runnerGroup: '-linux' }, "RunnerChart 'runnerGroup' must be 1-128 letters, digits, '.', '_', '-' or inner spaces, not starting with '-'"],
    [{ workDir: '-w' }, "RunnerChart 'workDir' must be a relative path of [A-Za-z0-9._/-] inside the runner's folder, not starting with '-'"],
    [{ workDir: '--work' }, "RunnerChart 'workDir'"],
  ])('a value starting with - never becomes a config.sh option: %j', (props, message) => {
    expect(chart(props)).toThrow(message);
  });

  test.each([
    [{ memory: '16' }, "RunnerChart 'memory' must be at least 1Gi, got \"16\" (16 bytes): did you mean '16Gi'?"],
    [{ memory: '512Mi' }, "RunnerChart 'memory' must be at least 1Gi, got \"512Mi\" (536870912 bytes)"],
    [{ diskSize: '50' }, "RunnerChart 'diskSize' must be at least 4Gi, got \"50\" (50 bytes): did you mean '50Gi'?"],
    [{ cpu: NaN }, "RunnerChart 'cpu' must be a positive number of cores such as 8 or '500m', got NaN"],
    [{ cpu: Infinity }, 'got Infinity'],
    [{ replicas: 1e9 }, "RunnerChart 'replicas' must be an integer from 1 to 10000, got 1000000000"],
    [{ tokenSecretKey: '.' }, "RunnerChart 'tokenSecretKey' must be a Secret key"],
    [{ tokenSecretKey: '..' }, "RunnerChart 'tokenSecretKey' must be a Secret key"],
    [{ tokenSecretKey: '..data' }, "RunnerChart 'tokenSecretKey' must be a Secret key"],
  ])('odd numbers and keys fail clearly: %j', (props, message) => {
    expect(chart(props)).toThrow(message);
  });

  test('1e9 replicas fail before any VM is built', () => {
    const app = Testing.app();
    expect(() => new RunnerChart(app, 'fleet', { ...BASE, replicas: 1e9 })).toThrow("'replicas'");
    expect(app.node.findAll().filter((c) => c instanceof RunnerPool)).toEqual([]);
  });

  test('a key such as .hidden or token.txt is fine', () => {
    expect(chart({ tokenSecretKey: '.hidden' })).not.toThrow();
    expect(chart({ tokenSecretKey: 'token.txt' })).not.toThrow();
  });
});

describe('one rule, one wording, on every kind', () => {
  // GitHub has runner groups for organizations and enterprises only: a repository's runners cannot join one.
  test.each([
    ['RunnerChart', (url: string) => new RunnerChart(Testing.app(), 'fleet', { ...BASE, url, runnerGroup: 'vm' })],
    ['RunnerPool', (url: string) => new RunnerPool(Testing.chart(), 'pool', { ...BASE, url, replicas: 1, runnerGroup: 'vm' })],
    ['RunnerCloudInit', (url: string) => new lib.RunnerCloudInit(Testing.chart(), 'ci', { url, runnerGroup: 'vm' })],
    ['RunnerWarmPool', (url: string) => {
      const chart = Testing.chart();
      return new lib.RunnerWarmPool(chart, 'warm', {
        url, runnerGroup: 'vm', replicas: 1, tokenSecretName: 'token', runnerImage: new lib.RunnerImage(chart, 'image'),
      });
    }],
    ['RunnerScaleSet', (url: string) => {
      const chart = Testing.chart();
      return new lib.RunnerScaleSet(chart, 'arc', { url, runnerGroup: 'vm', githubCredentialsSecret: 'app', runnerImage: new lib.RunnerImage(chart, 'image') });
    }],
    ['RunnerKedaScaleSet', (url: string) => {
      const chart = Testing.chart();
      return new lib.RunnerKedaScaleSet(chart, 'keda', {
        url, runnerGroup: 'vm', runnerLabels: ['vm'], githubCredentialsSecret: 'app', runnerImage: new lib.RunnerImage(chart, 'image'),
      });
    }],
  ])('%s refuses a runner group with a repository URL, and takes it with an organization URL', (kind, build) => {
    expect(() => build('https://github.com/acme/app')).toThrow(`${kind} 'runnerGroup' "vm" needs an organization or enterprise URL; `
      + 'repository runners have no groups (url https://github.com/acme/app)');
    expect(() => build('https://github.com/acme')).not.toThrow();
  });
});
