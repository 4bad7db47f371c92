import { Testing } from 'cdk8s';
import { cloudConfigOf, ofKind, sourceEnvFile, synth, writtenFile } from './util';
import { ALL_VM_OPTIONS, expectAllVmOptions } from './vm-options';
import { Distribution, OsImage, RunnerArch, RunnerChart, RunnerChartProps } from '../lib';

const BASE: RunnerChartProps = { url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token' };

function build(props: Partial<RunnerChartProps> = {}) {
  const chart = new RunnerChart(Testing.app(), 'fleet', { ...BASE, ...props });
  return { chart, objects: synth(chart) };
}

describe('RunnerChart', () => {
  test('one props object gives a complete fleet', () => {
    const { chart, objects } = build({ namespace: 'ci', replicas: 2, runnerLabels: ['kubevirt'] });
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Secret/ci/actions-runner-cloud-init',
      'DataVolume/ci/actions-runner-image',
      'NetworkPolicy/ci/actions-runner',
      'VirtualMachine/ci/actions-runner-0',
      'VirtualMachine/ci/actions-runner-1',
    ]);
    expect(chart.pool.vms).toHaveLength(2);
  });

  test('defaults: namespace default, one runner, Ubuntu 24.04, 50Gi, runner 2.338.0 x64', () => {
    const { objects } = build();
    expect(ofKind(objects, 'VirtualMachine')).toHaveLength(1);
    expect(objects.every((o) => o.metadata.namespace === 'default')).toBe(true);
    expect(ofKind(objects, 'DataVolume')[0].spec.source.http.url).toContain('noble-server-cloudimg-amd64.img');
    expect(ofKind(objects, 'VirtualMachine')[0].spec.dataVolumeTemplates[0].spec.storage.resources.requests.storage).toBe('50Gi');
    const settings = sourceEnvFile(writtenFile(cloudConfigOf(ofKind(objects, 'Secret')[0]), '/etc/actions-runner/runner.env'));
    expect(settings.RUNNER_DOWNLOAD_URL).toBe('https://github.com/actions/runner/releases/download/v2.338.0/actions-runner-linux-x64-2.338.0.tar.gz');
  });

  test('runner version, checksum, mirror and arch', () => {
    const sha = 'e'.repeat(64);
    const { objects } = build({
      runnerVersion: '2.336.0', runnerSha256: sha, arch: RunnerArch.ARM64, runnerDownloadBaseUrl: 'https://mirror.internal/runner',
    });
    const settings = sourceEnvFile(writtenFile(cloudConfigOf(ofKind(objects, 'Secret')[0]), '/etc/actions-runner/runner.env'));
    expect(settings.RUNNER_DOWNLOAD_URL).toBe('https://mirror.internal/runner/v2.336.0/actions-runner-linux-arm64-2.336.0.tar.gz');
    expect(settings.RUNNER_SHA256).toBe(sha);
    expect(ofKind(objects, 'DataVolume')[0].spec.source.http.url).toContain('noble-server-cloudimg-arm64.img');
    expect(ofKind(objects, 'VirtualMachine')[0].spec.template.spec.architecture).toBe('arm64');
  });

  test('disk size, storage class and image', () => {
    const { objects } = build({ diskSize: '80Gi', storageClassName: 'local-path', osImage: OsImage.debian12() });
    const storage = ofKind(objects, 'VirtualMachine')[0].spec.dataVolumeTemplates[0].spec.storage;
    expect(storage).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '80Gi' } } });
    expect(cloudConfigOf(ofKind(objects, 'Secret')[0]).apt.sources['docker.list'].source).toContain('/linux/debian ');
  });

  test('a registry image is imported once too', () => {
    const { objects } = build({ osImage: OsImage.registry('docker://quay.io/containerdisks/ubuntu:24.04', { distribution: Distribution.UBUNTU }) });
    expect(ofKind(objects, 'DataVolume')[0].spec.source.registry.url).toBe('docker://quay.io/containerdisks/ubuntu:24.04');
  });

  test.each([
    [{ runnerVersion: '2.999.0' }, "RunnerChart 'runnerSha256' is required for runner 2.999.0 (x64)"],
    [{ runnerVersion: 'latest' }, "RunnerChart 'runnerVersion' must be a release version such as '2.334.0', got \"latest\""],
    [{ runnerSha256: 'abc' }, "RunnerChart 'runnerSha256' must be 64 lower-case hex digits, got \"abc\""],
    [{ runnerDownloadBaseUrl: 'ftp://mirror' }, "RunnerChart 'runnerDownloadBaseUrl' must be a URL (https, http); the scheme \"ftp:\" is not accepted"],
    [{ arch: 'ppc64le' }, "RunnerChart 'arch' must be one of x64, arm64, got \"ppc64le\""],
    [{ replicas: 0 }, "RunnerChart 'replicas' must be an integer from 1 to 10000, got 0"],
    [{ diskSize: '-1' }, "RunnerChart 'diskSize' must be a positive Kubernetes quantity of bytes such as '16Gi' or '512Mi', got \"-1\""],
    [{ namespace: 'CI' }, "'namespace' must be a DNS-1123 label"],
    [{ url: 'https://github.com/acme/app/issues' }, "RunnerChart 'url' must name an owner, an owner and a repository, or an enterprise"],
    [{ sshPublicKeysSecret: 'ci-ssh-keys', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0000000000000000000000000000000000000000000 ops'] }, "RunnerChart 'sshPublicKeysSecret' cannot be used with 'sshAuthorizedKeys'"],
    [{ docker: false, dockerDataDisk: { size: '20Gi' } }, "RunnerChart 'dockerDataDisk' would be ignored: 'docker' is false"],
  ])('rejects %j', (override, message) => {
    expect(() => build(override as Partial<RunnerChartProps>)).toThrow(message);
  });

  test('VM options reach every VM of the fleet', () => {
    const { objects } = build({ replicas: 2, ...ALL_VM_OPTIONS, dockerDataDisk: { size: '30Gi' } });
    for (const vm of ofKind(objects, 'VirtualMachine')) {
      expectAllVmOptions(vm.spec.template.spec, 'pool.actions-runner', 'actions-runner');
      expect(vm.spec.dataVolumeTemplates[1].spec.source).toEqual({ blank: {} });
    }
  });
});
