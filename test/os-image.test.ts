import { Testing } from 'cdk8s';
import { Distribution, OsImage, RunnerArch, RunnerPool, RunnerRelease } from '../lib';
import { synth } from './util';

describe('OsImage presets', () => {
  test.each([
    [OsImage.ubuntu2604(), 'https://cloud-images.ubuntu.com/resolute/current/resolute-server-cloudimg-amd64.img', Distribution.UBUNTU, RunnerArch.X64],
    [OsImage.ubuntu2604({ arch: RunnerArch.ARM64 }), 'https://cloud-images.ubuntu.com/resolute/current/resolute-server-cloudimg-arm64.img', Distribution.UBUNTU, RunnerArch.ARM64],
    [OsImage.ubuntu2404(), 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img', Distribution.UBUNTU, RunnerArch.X64],
    [OsImage.ubuntu2404({ arch: RunnerArch.ARM64 }), 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-arm64.img', Distribution.UBUNTU, RunnerArch.ARM64],
    [OsImage.ubuntu2204(), 'https://cloud-images.ubuntu.com/jammy/current/jammy-server-cloudimg-amd64.img', Distribution.UBUNTU, RunnerArch.X64],
    [OsImage.debian12(), 'https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2', Distribution.DEBIAN, RunnerArch.X64],
    [OsImage.debian12({ arch: RunnerArch.ARM64 }), 'https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-arm64.qcow2', Distribution.DEBIAN, RunnerArch.ARM64],
  ])('%#: %s', (image, url, distribution, arch) => {
    expect(image.toDataVolumeSource()).toEqual({ source: { http: { url } } });
    expect(image.distribution).toBe(distribution);
    expect(image.arch).toBe(arch);
    expect(image.isImport).toBe(true);
  });

  test('Ubuntu 26.04 needs runner 2.335.0 or later: an older release is an error naming both', () => {
    expect(OsImage.ubuntu2604().minimumRunnerVersion).toBe('2.335.0');
    expect(OsImage.ubuntu2404().minimumRunnerVersion).toBeUndefined();
    const chart = Testing.chart();
    expect(() => new RunnerPool(chart, 'old', { url: 'https://github.com/acme', tokenSecretName: 't', replicas: 1, osImage: OsImage.ubuntu2604(), release: RunnerRelease.of('2.334.0') }))
      .toThrow("RunnerPool 'osImage' needs runner 2.335.0 or later, but the runner release is 2.334.0");
    const pool = new RunnerPool(chart, 'current', { url: 'https://github.com/acme', tokenSecretName: 't', replicas: 1, osImage: OsImage.ubuntu2604({ arch: RunnerArch.ARM64 }),
      release: RunnerRelease.latestKnown(RunnerArch.ARM64) });
    const imports = synth(chart).filter((o) => o.kind === 'DataVolume' && o.spec.source?.http);
    expect(imports.map((o) => [o.metadata.name, o.spec.source.http.url]))
      .toEqual([[`${pool.name}-image`, 'https://cloud-images.ubuntu.com/resolute/current/resolute-server-cloudimg-arm64.img']]);
  });
});

describe('OsImage sources', () => {
  test('http with a checksum CDI verifies', () => {
    const sha = 'sha256:' + 'b'.repeat(64);
    const image = OsImage.http('https://images.internal/noble.qcow2', { distribution: Distribution.UBUNTU, checksum: sha });
    expect(image.toDataVolumeSource()).toEqual({ source: { http: { url: 'https://images.internal/noble.qcow2', checksum: sha } } });
  });

  test('registry containerdisk', () => {
    const image = OsImage.registry('docker://quay.io/containerdisks/ubuntu:24.04', { distribution: Distribution.UBUNTU, pullMethod: 'node' });
    expect(image.toDataVolumeSource()).toEqual({ source: { registry: { url: 'docker://quay.io/containerdisks/ubuntu:24.04', pullMethod: 'node' } } });
    expect(image.isImport).toBe(true);
  });

  test('pvc clone', () => {
    const image = OsImage.pvc('images', 'ubuntu-golden', { distribution: Distribution.UBUNTU });
    expect(image.toDataVolumeSource()).toEqual({ source: { pvc: { namespace: 'images', name: 'ubuntu-golden' } } });
    expect(image.isImport).toBe(false);
  });

  test('DataSource reference', () => {
    const image = OsImage.dataSource('ubuntu', { distribution: Distribution.UBUNTU, namespace: 'kubevirt-os-images' });
    expect(image.toDataVolumeSource()).toEqual({ sourceRef: { kind: 'DataSource', name: 'ubuntu', namespace: 'kubevirt-os-images' } });
    expect(image.isImport).toBe(false);
  });

  test('blank disk has no operating system', () => {
    const image = OsImage.blank();
    expect(image.toDataVolumeSource()).toEqual({ source: { blank: {} } });
    expect(image.distribution).toBeUndefined();
  });

  test.each([
    [() => OsImage.http('ftp://x/y.img', { distribution: Distribution.UBUNTU }), "OsImage.http 'url' must be a URL (http, https); the scheme \"ftp:\" is not accepted, got \"ftp://x/y.img\""],
    [() => OsImage.http('not a url', { distribution: Distribution.UBUNTU }), "OsImage.http 'url' must be"],
    [() => OsImage.http('https://x/y.img', { distribution: Distribution.UBUNTU, checksum: 'abc' }), "OsImage.http 'checksum' must be 'sha256:<64 hex>'"],
    [() => OsImage.registry('quay.io/containerdisks/ubuntu', { distribution: Distribution.UBUNTU }), "OsImage.registry 'url' must be a URL (docker, oci-archive); it is not a URL"],
    [() => OsImage.pvc('Images', 'x', { distribution: Distribution.UBUNTU }), "OsImage.pvc 'namespace' must be a DNS-1123 label"],
    [() => OsImage.dataSource('bad_name', { distribution: Distribution.UBUNTU }), "OsImage.dataSource 'name' must be a DNS-1123 subdomain"],
    [() => OsImage.http('https://x/y.img', { distribution: 'fedora' as Distribution }), "OsImage.http 'distribution' must be one of ubuntu, debian, got \"fedora\""],
    [() => OsImage.http('https://x/y.img', { distribution: Distribution.UBUNTU, arch: 'riscv64' as RunnerArch }), "OsImage.http 'arch' must be one of x64, arm64"],
  ])('rejects bad input %#', (make, message) => {
    expect(make).toThrow(message);
  });
});

describe('private image sources: credentials in Secrets, never in URLs', () => {
  test.each([
    ['https://user:token@images.internal/ubuntu.img', 'must not contain credentials'],
    ['https://images.internal/ubuntu.img?access_token=ghp_abc', 'its query parameter "access_token" looks like a credential'],
    ['https://bucket.s3.amazonaws.com/u.img?X-Amz-Credential=AKIA&X-Amz-Signature=ff', 'looks like a credential'],
  ])('OsImage.http refuses %s, and never repeats the secret', (url, why) => {
    expect(() => OsImage.http(url, { distribution: Distribution.UBUNTU })).toThrow(why);
    expect(() => OsImage.http(url, { distribution: Distribution.UBUNTU })).not.toThrow(/token@|ghp_abc|AKIA|=ff/);
  });

  test('OsImage.registry refuses docker://user:pat@...', () => {
    expect(() => OsImage.registry('docker://user:pat@registry.internal/ubuntu:24.04', { distribution: Distribution.UBUNTU }))
      .toThrow("OsImage.registry 'url' must be a URL (docker, oci-archive); it must not contain credentials (use a Secret), got \"docker://***@registry.internal/ubuntu:24.04\"");
  });

  test('secretRef and certConfigMap reach the DataVolume, and the Secret is declared external', () => {
    const chart = Testing.chart();
    new RunnerPool(chart, 'pool', {
      url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 1,
      osImage: OsImage.registry('docker://registry.internal/ubuntu:24.04', {
        distribution: Distribution.UBUNTU, secretRef: 'registry-credentials', certConfigMap: 'registry-ca',
      }),
    });
    const [dataVolume] = synth(chart).filter((o) => o.kind === 'DataVolume');
    expect(dataVolume.spec.source.registry).toEqual({ url: 'docker://registry.internal/ubuntu:24.04', secretRef: 'registry-credentials', certConfigMap: 'registry-ca' });
    expect(dataVolume.metadata.annotations['cdk8s-kubevirt-runners/external-secrets']).toBe('registry-credentials');
  });

  test.each([['secretRef', 'Bad_Name'], ['certConfigMap', 'a b']])('%s must be a resource name', (prop, value) => {
    expect(() => OsImage.http('https://images.internal/u.img', { distribution: Distribution.UBUNTU, [prop]: value }))
      .toThrow(`OsImage.http '${prop}' must be a DNS-1123 subdomain`);
  });
});
