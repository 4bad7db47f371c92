import { Testing } from 'cdk8s';
import { ofKind, synth } from './util';
import { ALL_VM_OPTIONS } from './vm-options';
import { DiskSpec, Distribution, EvictionStrategy, OsImage, ResourceScope, RunStrategy, RunnerArch, RunnerCloudInit, RunnerRelease, RunnerVm, RunnerVmProps } from '../lib';

function build(props: Partial<RunnerVmProps> = {}, cloudInitNamespace = 'ci') {
  const chart = Testing.chart();
  const cloudInit = new RunnerCloudInit(chart, 'ci', { url: 'https://github.com/acme', name: 'runner-cloud-init', namespace: cloudInitNamespace });
  const rootDisk: DiskSpec = { osImage: OsImage.pvc('ci', 'golden', { distribution: Distribution.UBUNTU }), size: '50Gi' };
  const vm = new RunnerVm(chart, 'vm', { cloudInit, rootDisk, tokenSecretName: 'ci-runner-token', name: 'runner-0', ...props });
  const [object] = ofKind(synth(chart), 'VirtualMachine');
  return { vm, object, chart, cloudInit };
}

describe('RunnerVm', () => {
  test('one VirtualMachine: own root disk, cloud-init Secret, token disk by serial, masquerade', () => {
    const { vm, object } = build();
    expect(object.apiVersion).toBe('kubevirt.io/v1');
    expect(object.metadata.name).toBe('runner-0');
    expect(object.metadata.namespace).toBe('ci');
    expect(object.spec.runStrategy).toBe('Always');
    expect(object.spec.running).toBeUndefined();
    expect(object.spec.dataVolumeTemplates).toEqual([{
      metadata: { name: 'runner-0-root' },
      spec: {
        source: { pvc: { namespace: 'ci', name: 'golden' } },
        storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
      },
    }]);
    const spec = object.spec.template.spec;
    expect(spec.hostname).toBe('runner-0');
    expect(spec.architecture).toBe('amd64');
    expect(spec.domain.devices.disks).toEqual([
      { name: 'rootdisk', disk: { bus: 'virtio' } },
      { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
      { name: 'token', serial: 'RUNNERTOKEN', disk: { bus: 'virtio', readonly: true } },
    ]);
    expect(spec.volumes).toEqual([
      { name: 'rootdisk', dataVolume: { name: 'runner-0-root' } },
      { name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: 'runner-cloud-init' } } },
      { name: 'token', secret: { secretName: 'ci-runner-token', optional: true } },
    ]);
    expect(spec.evictionStrategy).toBe('LiveMigrateIfPossible');
    // The token Secret and the PVC it clones (OsImage.pvc: one you keep) are declared external.
    expect(object.metadata.annotations).toEqual({
      'cdk8s-kubevirt-runners/external-secrets': 'ci-runner-token',
      'cdk8s-kubevirt-runners/external-volumes': 'ci/golden',
    });
    expect(spec.domain.devices.interfaces).toEqual([{ name: 'default', masquerade: {} }]);
    expect(spec.networks).toEqual([{ name: 'default', pod: {} }]);
    expect(vm.rootDiskName).toBe('runner-0-root');
    expect(object).toMatchSnapshot();
  });

  test('defaults to 4 vCPUs and 16Gi, like a GitHub-hosted runner for public repositories', () => {
    const { object } = build();
    expect(object.spec.template.spec.domain.cpu).toEqual({ cores: 4 });
    expect(object.spec.template.spec.domain.resources).toEqual({ requests: { cpu: '4', memory: '16Gi' } });
  });

  test('cpu and memory as given; fractional CPUs round up to whole vCPUs', () => {
    const { object } = build({ cpu: '1500m', memory: '6Gi' });
    expect(object.spec.template.spec.domain.cpu).toEqual({ cores: 2 });
    expect(object.spec.template.spec.domain.resources).toEqual({ requests: { cpu: '1500m', memory: '6Gi' } });
  });

  test('an instancetype and preference size the VM instead', () => {
    const { object } = build({
      instancetype: { name: 'u1.2xlarge' },
      preference: { name: 'ubuntu', scope: ResourceScope.NAMESPACED },
    });
    expect(object.spec.instancetype).toEqual({ name: 'u1.2xlarge', kind: 'VirtualMachineClusterInstancetype' });
    expect(object.spec.preference).toEqual({ name: 'ubuntu', kind: 'VirtualMachinePreference' });
    expect(object.spec.template.spec.domain.cpu).toBeUndefined();
    expect(object.spec.template.spec.domain.resources).toBeUndefined();
  });

  test.each(Object.values(EvictionStrategy))('evictionStrategy %s', (evictionStrategy) => {
    expect(build({ evictionStrategy }).object.spec.template.spec.evictionStrategy).toBe(evictionStrategy);
  });

  test.each(Object.values(RunStrategy))('runStrategy %s', (runStrategy) => {
    expect(build({ runStrategy }).object.spec.runStrategy).toBe(runStrategy);
  });

  test('arm64 runners get arm64 VMs', () => {
    const chart = Testing.chart();
    const cloudInit = new RunnerCloudInit(chart, 'ci', { url: 'https://github.com/acme', release: RunnerRelease.latestKnown(RunnerArch.ARM64) });
    new RunnerVm(chart, 'vm', {
      cloudInit, tokenSecretName: 't', rootDisk: { osImage: OsImage.ubuntu2404({ arch: RunnerArch.ARM64 }), size: '50Gi' },
    });
    expect(ofKind(synth(chart), 'VirtualMachine')[0].spec.template.spec.architecture).toBe('arm64');
  });

  test.each([
    [{ name: 'Runner_0' }, "RunnerVm 'name' must be a DNS-1123 label"],
    [{ name: 'r'.repeat(64) }, "RunnerVm 'name' must be a DNS-1123 label"],
    [{ cpu: 0 }, "RunnerVm 'cpu' must be a positive number of cores such as 8 or '500m', got 0"],
    [{ memory: '16GB' }, "RunnerVm 'memory' must be a positive Kubernetes quantity of bytes such as '16Gi' or '512Mi', got \"16GB\""],
    [{ memory: '-1' }, "RunnerVm 'memory' must be a positive"],
    [{ instancetype: { name: 'u1.large' }, cpu: 2 }, "RunnerVm 'instancetype' \"u1.large\" sizes the VM: do not set 'cpu' or 'memory' with it"],
    [{ instancetype: { name: 'u1.large', scope: 'global' } }, "RunnerVm 'instancetype.scope' must be one of cluster, namespaced"],
    [{ runStrategy: 'Sometimes' }, "RunnerVm 'runStrategy' must be one of Always, RerunOnFailure, Manual, Halted, Once, got \"Sometimes\""],
    [{ evictionStrategy: 'Evict' }, "RunnerVm 'evictionStrategy' must be one of LiveMigrateIfPossible, LiveMigrate, None, External, got \"Evict\""],
    [{ vmLabels: { 'team/': 'x' } }, "RunnerVm 'vmLabels' has an invalid Kubernetes label key \"team/\""],
    [{ tokenSecretName: 'Token Secret' }, "RunnerVm 'tokenSecretName' must be a DNS-1123 subdomain"],
    [{ namespace: 'other' }, "RunnerVm 'namespace' is \"other\" but its cloud-init Secret is in \"ci\""],
    [{ rootDisk: { osImage: OsImage.blank(), size: '10Gi' } }, "RunnerVm 'rootDisk.osImage' must hold an operating system"],
    [{ rootDisk: { osImage: OsImage.debian12(), size: '50Gi' } }, "RunnerVm 'rootDisk.osImage' is debian but the cloud-init was rendered for ubuntu"],
    [{ rootDisk: { osImage: OsImage.ubuntu2404({ arch: RunnerArch.ARM64 }), size: '50Gi' } }, "RunnerVm 'rootDisk.osImage' is arm64 but the runner release is x64"],
    [{ rootDisk: { osImage: OsImage.ubuntu2404(), size: '50GB' } }, "RunnerVm 'rootDisk.size' must be a positive Kubernetes quantity"],
    [{ cloudInit: {} }, "RunnerVm 'cloudInit' must be a RunnerCloudInit"],
  ])('rejects %j', (override, message) => {
    expect(() => build(override as Partial<RunnerVmProps>)).toThrow(message);
  });

  describe('VM options', () => {
    test('a VM alone takes the scheduling and VM options but has no fleet to spread', () => {
      const { object } = build({ ...ALL_VM_OPTIONS, dockerDataDisk: { size: '40Gi' } });
      const vmi = object.spec.template.spec;
      expect(vmi.topologySpreadConstraints).toBeUndefined();
      expect(vmi.nodeSelector).toEqual(ALL_VM_OPTIONS.nodeSelector);
      expect(vmi.tolerations).toEqual(ALL_VM_OPTIONS.tolerations);
      expect(vmi.priorityClassName).toBe('ci-runners');
      expect(vmi.domain.cpu).toEqual({ cores: 4, dedicatedCpuPlacement: true, model: 'host-model', features: [{ name: 'svm', policy: 'require' }] });
      expect(vmi.evictionStrategy).toBe('None');
      expect(vmi.accessCredentials[0].sshPublicKey.propagationMethod).toEqual({ qemuGuestAgent: { users: ['actions-runner'] } });
      expect(object.spec.dataVolumeTemplates.map((t: any) => t.metadata.name)).toEqual(['runner-0-root', 'runner-0-docker']);
      expect(vmi.volumes).toContainEqual({ name: 'dockerdata', dataVolume: { name: 'runner-0-docker' } });
    });

    test('SSH keys from a Secret and a Docker disk are checked against the cloud-init', () => {
      const chart = Testing.chart();
      const rootDisk: DiskSpec = { osImage: OsImage.pvc('ci', 'golden', { distribution: Distribution.UBUNTU }), size: '50Gi' };
      const cloudInit = new RunnerCloudInit(chart, 'ci', {
        url: 'https://github.com/acme', namespace: 'ci', docker: false,
        sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0000000000000000000000000000000000000000000 ops'],
      });
      const vm = (id: string, props: Partial<RunnerVmProps>) => new RunnerVm(chart, id, { cloudInit, rootDisk, tokenSecretName: 't', ...props });
      expect(() => vm('a', { sshPublicKeysSecret: 'ci-ssh-keys' })).toThrow("RunnerVm 'sshPublicKeysSecret' cannot be used with RunnerCloudInit 'sshAuthorizedKeys'");
      expect(() => vm('b', { dockerDataDisk: { size: '20Gi' } })).toThrow("RunnerVm 'dockerDataDisk' would be ignored: RunnerCloudInit 'docker' is false");
    });

    test('with a Docker disk, the name leaves room for <name>-docker', () => {
      expect(() => build({ name: 'a'.repeat(57), dockerDataDisk: { size: '40Gi' } })).toThrow("RunnerVm 'name' must be a DNS-1123 label");
      expect(() => build({ name: 'a'.repeat(56), dockerDataDisk: { size: '40Gi' } })).not.toThrow();
    });
  });
});

describe('RunnerVm: the set-up\'s disks', () => {
  test('a CA from a ConfigMap is a read-only disk with serial RUNNERCA', () => {
    const chart = Testing.chart();
    const cloudInit = new RunnerCloudInit(chart, 'ci', { url: 'https://github.com/acme', name: 'c', namespace: 'ci', caCertificatesFrom: { configMap: 'corp-ca', key: 'ca.crt' } });
    new RunnerVm(chart, 'vm', { cloudInit, rootDisk: { osImage: OsImage.pvc('ci', 'golden', { distribution: Distribution.UBUNTU }), size: '50Gi' }, tokenSecretName: 't', name: 'r-0' });
    const [vm] = ofKind(synth(chart), 'VirtualMachine');
    expect(vm.spec.template.spec.domain.devices.disks).toContainEqual({ name: 'runnerca', serial: 'RUNNERCA', disk: { bus: 'virtio', readonly: true } });
    expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'runnerca', configMap: { name: 'corp-ca' } });
  });
});
