import { Chart, Testing } from 'cdk8s';
import { ofKind, synth } from './util';
import { ALL_VM_OPTIONS, expectAllVmOptions } from './vm-options';
import { AccessMode, Distribution, EvictionStrategy, OsImage, RunnerPool, RunnerPoolProps } from '../lib';
import { formatFinding, validateObjects } from '../lib/validate';
import * as lib from '../lib';

const BASE: RunnerPoolProps = { url: 'https://github.com/acme/app', tokenSecretName: 'ci-runner-token', replicas: 3, name: 'ci' };

function build(props: Partial<RunnerPoolProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'runners' });
  const pool = new RunnerPool(chart, 'pool', { ...BASE, ...props });
  return { pool, objects: synth(chart) };
}

describe('RunnerPool', () => {
  test('N VMs named <pool>-0..N-1, one shared cloud-init Secret, one golden image imported once', () => {
    const { pool, objects } = build();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/ci-cloud-init', 'DataVolume/ci-image', 'NetworkPolicy/ci', 'VirtualMachine/ci-0', 'VirtualMachine/ci-1', 'VirtualMachine/ci-2',
    ]);
    expect(objects.every((o) => o.metadata.namespace === 'runners')).toBe(true);
    const [golden] = ofKind(objects, 'DataVolume');
    expect(golden.spec.source.http.url).toBe('https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img');
    // As large as each root disk: on Filesystem volumes CDI clones the disk image as it is.
    expect(golden.spec.storage.resources.requests.storage).toBe('50Gi');
    expect(golden.metadata.annotations).toEqual({ 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' });
    expect(pool.vms.map((vm) => vm.name)).toEqual(['ci-0', 'ci-1', 'ci-2']);
    expect(pool.goldenImage?.name).toBe('ci-image');
    expect(objects).toMatchSnapshot();
  });

  test('every VM clones the golden image into its own root disk and uses the shared Secret', () => {
    const { objects } = build();
    const vms = ofKind(objects, 'VirtualMachine');
    vms.forEach((vm, i) => {
      expect(vm.spec.dataVolumeTemplates).toEqual([{
        metadata: { name: `ci-${i}-root` },
        spec: {
          source: { pvc: { namespace: 'runners', name: 'ci-image' } },
          storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
        },
      }]);
      const volumes = vm.spec.template.spec.volumes;
      expect(volumes).toContainEqual({ name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: 'ci-cloud-init' } } });
      expect(volumes).toContainEqual({ name: 'token', secret: { secretName: 'ci-runner-token', optional: true } });
      expect(vm.spec.template.spec.hostname).toBe(`ci-${i}`);
      expect(vm.metadata.labels['app.kubernetes.io/instance']).toBe('ci');
    });
  });

  test('sizes, storage and runner options reach the VMs and the cloud-config', () => {
    const { objects } = build({
      cpu: 8, memory: '16Gi', runnerLabels: ['gpu'],
      rootDisk: { size: '100Gi', storageClassName: 'fast', accessModes: [AccessMode.READ_WRITE_MANY] },
      goldenImage: { size: '20Gi' },
    });
    const golden = ofKind(objects, 'DataVolume')[0];
    expect(golden.spec.storage).toEqual({ accessModes: ['ReadWriteMany'], storageClassName: 'fast', resources: { requests: { storage: '20Gi' } } });
    const vm = ofKind(objects, 'VirtualMachine')[0];
    expect(vm.spec.dataVolumeTemplates[0].spec.storage).toEqual({
      accessModes: ['ReadWriteMany'], storageClassName: 'fast', resources: { requests: { storage: '100Gi' } },
    });
    expect(vm.spec.template.spec.domain.resources.requests).toEqual({ cpu: '8', memory: '16Gi' });
    expect(ofKind(objects, 'Secret')[0].stringData.userdata).toContain("RUNNER_LABELS='gpu'");
  });

  test('extra VM labels cannot override the library\'s own', () => {
    const { objects } = build({ vmLabels: { team: 'ci', 'app.kubernetes.io/name': 'other' } });
    const labels = ofKind(objects, 'VirtualMachine')[0].metadata.labels;
    expect(labels.team).toBe('ci');
    expect(labels['app.kubernetes.io/name']).toBe('github-actions-runner');
  });

  test('a Debian image gets the Debian Docker repository', () => {
    const { objects } = build({ osImage: OsImage.debian12() });
    expect(ofKind(objects, 'Secret')[0].stringData.userdata).toContain('https://download.docker.com/linux/debian $RELEASE stable');
  });

  test('an image that is already in the cluster is cloned directly, without a golden copy', () => {
    const { pool, objects } = build({ osImage: OsImage.dataSource('ubuntu', { distribution: Distribution.UBUNTU, namespace: 'os-images' }) });
    expect(ofKind(objects, 'DataVolume')).toHaveLength(0);
    expect(pool.goldenImage).toBeUndefined();
    expect(ofKind(objects, 'VirtualMachine')[0].spec.dataVolumeTemplates[0].spec.sourceRef)
      .toEqual({ kind: 'DataSource', name: 'ubuntu', namespace: 'os-images' });
  });

  test('defaults: the chart namespace else default, a name from the construct path', () => {
    const chart = Testing.chart();
    const pool = new RunnerPool(chart, 'Pool', { url: 'https://github.com/acme', tokenSecretName: 't', replicas: 1 });
    expect(pool.namespace).toBe('default');
    expect(pool.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(synth(chart).map((o) => o.metadata.namespace)).toEqual(['default', 'default', 'default', 'default']);
  });

  test.each([
    [{ replicas: 0 }, "RunnerPool 'replicas' must be an integer from 1 to 10000, got 0"],
    [{ replicas: -2 }, "RunnerPool 'replicas' must be an integer from 1 to 10000, got -2"],
    [{ replicas: 1.5 }, "RunnerPool 'replicas' must be an integer from 1 to 10000, got 1.5"],
    [{ replicas: '3' }, "RunnerPool 'replicas' must be an integer from 1 to 10000, got \"3\""],
    [{ replicas: undefined }, "RunnerPool 'replicas' must be an integer from 1 to 10000, got undefined"],
    [{ name: 'CI' }, "RunnerPool 'name' must be a DNS-1123 label"],
    [{ name: 'x'.repeat(60) }, 'at most 56 characters'],
    [{ osImage: OsImage.blank() }, "RunnerPool 'osImage' must hold an operating system"],
    [{ goldenImage: { size: '60Gi' } }, "RunnerPool 'goldenImage.size' 60Gi is larger than 'rootDisk.size' 50Gi"],
    [{ vmLabels: { 'bad key!': 'x' } }, "RunnerPool 'vmLabels' has an invalid Kubernetes label key \"bad key!\""],
    [{ vmLabels: { team: 'x y' } }, "RunnerPool 'vmLabels' has an invalid value for label \"team\": \"x y\""],
    [{ rootDisk: { size: '50GB' } }, "RunnerPool 'rootDisk.size' must be a positive Kubernetes quantity of bytes such as '16Gi' or '512Mi', got \"50GB\""],
    [{ url: 'https://gitlab.com' }, "RunnerPool 'url' must name an owner"],
  ])('rejects %j', (override, message) => {
    expect(() => build(override as Partial<RunnerPoolProps>)).toThrow(message);
  });

  describe('VM options', () => {
    test('defaults: the fleet label, spread across nodes, a guest-agent readiness probe; no other scheduling', () => {
      const { objects } = build();
      for (const vm of ofKind(objects, 'VirtualMachine')) {
        expect(vm.metadata.labels['cdk8s-kubevirt-runners/fleet']).toBe('pool.ci');
        expect(vm.spec.template.metadata.labels['cdk8s-kubevirt-runners/fleet']).toBe('pool.ci');
        const vmi = vm.spec.template.spec;
        expect(vmi.topologySpreadConstraints).toEqual([{
          maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { 'cdk8s-kubevirt-runners/fleet': 'pool.ci' } },
        }]);
        expect(vmi.readinessProbe).toEqual({ guestAgentPing: {}, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
        for (const field of ['nodeSelector', 'tolerations', 'affinity', 'priorityClassName', 'accessCredentials']) expect(vmi[field]).toBeUndefined();
        expect(vmi.domain.cpu).toEqual({ cores: 4 });
        expect(vmi.domain.resources.limits).toBeUndefined();
        expect(vmi.evictionStrategy).toBe('LiveMigrateIfPossible');
      }
    });

    test('the fleet label cannot be overridden by vmLabels, and spreading and the probe can be turned off', () => {
      const { objects } = build({ vmLabels: { 'cdk8s-kubevirt-runners/fleet': 'other' }, spreadAcrossNodes: false, guestAgentReadinessProbe: false });
      const vm = ofKind(objects, 'VirtualMachine')[0];
      expect(vm.metadata.labels['cdk8s-kubevirt-runners/fleet']).toBe('pool.ci');
      expect(vm.spec.template.spec.topologySpreadConstraints).toBeUndefined();
      expect(vm.spec.template.spec.readinessProbe).toBeUndefined();
    });

    test('every option reaches every VM, and the output stays valid (schemas and admission)', () => {
      const { objects } = build(ALL_VM_OPTIONS);
      for (const vm of ofKind(objects, 'VirtualMachine')) expectAllVmOptions(vm.spec.template.spec, 'pool.ci', 'actions-runner');
      expect(validateObjects(objects.map((object) => ({ file: 'pool.yaml', object })), {}).map(formatFinding)).toEqual([]);
    });

    test('the affinity is copied when validated: changing the object afterwards changes nothing', () => {
      const affinity = JSON.parse(JSON.stringify(ALL_VM_OPTIONS.affinity));
      const chart = new Chart(Testing.app(), 'test', { namespace: 'runners' });
      new RunnerPool(chart, 'pool', { ...BASE, affinity });
      affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key = 'bad key';
      expect(ofKind(synth(chart), 'VirtualMachine')[0].spec.template.spec.affinity).toEqual(ALL_VM_OPTIONS.affinity);
    });

    test('nested virtualization: host-passthrough and vmx by default, and no live migration by default', () => {
      const vmi = ofKind(build({ nestedVirtualization: true }).objects, 'VirtualMachine')[0].spec.template.spec;
      expect(vmi.domain.cpu).toEqual({ cores: 4, model: 'host-passthrough', features: [{ name: 'vmx', policy: 'require' }] });
      expect(vmi.evictionStrategy).toBe('None');
      const chosen = ofKind(build({ nestedVirtualization: true, evictionStrategy: EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE }).objects, 'VirtualMachine')[0];
      expect(chosen.spec.template.spec.evictionStrategy).toBe('LiveMigrateIfPossible');
    });

    test('a blank DataVolume per VM for Docker, attached by serial DOCKERDATA', () => {
      const { pool, objects } = build({ dockerDataDisk: { size: '100Gi', storageClassName: 'fast' } });
      expect(pool.vms.map((vm) => vm.dockerDataDiskName)).toEqual(['ci-0-docker', 'ci-1-docker', 'ci-2-docker']);
      const vm = ofKind(objects, 'VirtualMachine')[1];
      expect(vm.spec.dataVolumeTemplates[1]).toEqual({
        metadata: { name: 'ci-1-docker' },
        spec: { source: { blank: {} }, storage: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '100Gi' } } } },
      });
      expect(vm.spec.template.spec.domain.devices.disks).toContainEqual({ name: 'dockerdata', serial: 'DOCKERDATA', disk: { bus: 'virtio' } });
      expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'dockerdata', dataVolume: { name: 'ci-1-docker' } });
      expect(validateObjects(objects.map((object) => ({ file: 'pool.yaml', object })), {}).map(formatFinding)).toEqual([]);
    });

    test('with a Docker disk, the pool name leaves room for <pool>-<N-1>-docker', () => {
      expect(() => build({ name: 'a'.repeat(55), replicas: 10, dockerDataDisk: { size: '10Gi' } }))
        .toThrow("RunnerPool 'name' must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 54 characters)");
      expect(() => build({ name: 'a'.repeat(54), replicas: 10, dockerDataDisk: { size: '10Gi' } })).not.toThrow();
    });

    test.each([
      [{ dedicatedCpus: true, cpu: '1500m' }, "RunnerPool 'dedicatedCpus' needs whole CPUs in 'cpu' (each vCPU gets a host CPU), got \"1500m\""],
      [{ dedicatedCpus: true, cpu: undefined, memory: undefined, instancetype: { name: 'u1.large' } }, "RunnerPool 'dedicatedCpus' cannot be set with an 'instancetype'"],
      [{ nestedVirtualization: true, evictionStrategy: EvictionStrategy.LIVE_MIGRATE }, "RunnerPool 'nestedVirtualization' cannot be used with 'evictionStrategy' LIVE_MIGRATE"],
      [{ nestedVirtualization: { cpuModel: 'max' } }, "RunnerPool 'nestedVirtualization.cpuModel' must be one of host-passthrough, host-model, got \"max\""],
      [{ nestedVirtualization: { cpuVendor: 'via' } }, "RunnerPool 'nestedVirtualization.cpuVendor' must be one of intel, amd, got \"via\""],
      [{ tolerations: [{ value: 'x' }] }, "RunnerPool 'tolerations[0].operator' must be EXISTS when the toleration has no key"],
      [{ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }, "RunnerPool 'tolerations[0].value' must be empty with operator EXISTS"],
      [{ tolerations: [{ key: 'k', tolerationSeconds: 5 }] }, "RunnerPool 'tolerations[0].tolerationSeconds' only applies with effect NO_EXECUTE"],
      [{ tolerations: [{ key: 'bad key' }] }, "RunnerPool 'tolerations[0].key' must be a label key"],
      [{ tolerations: [{ key: 'k', effect: 'Never' }] }, "RunnerPool 'tolerations[0].effect' must be one of NoSchedule, PreferNoSchedule, NoExecute"],
      [{ tolerations: [{ key: 'k', tolerance: 1 }] }, "RunnerPool 'tolerations[0]' has unknown fields [\"tolerance\"]"],
      [{ nodeSelector: { zone: 'a b' } }, "RunnerPool 'nodeSelector' has an invalid value for label \"zone\""],
      [{ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'x', labelSelector: { matchExpressions: [{ key: 'a', operator: 'Is' }] } }] } } },
        "RunnerPool 'affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator' must be one of In, NotIn"],
      [{ dockerDataDisk: { size: '1Gi' } }, "RunnerPool 'dockerDataDisk.size' must be at least 2Gi, got \"1Gi\""],
      [{ dockerDataDisk: { size: '20Gi', accessModes: ['Sometimes'] } }, "RunnerPool 'dockerDataDisk.accessModes' must be a non-empty list"],
      [{ sshPublicKeysSecret: 'keys/ssh' }, "RunnerPool 'sshPublicKeysSecret' must be a DNS-1123 subdomain"],
      [{ sshPublicKeysSecret: 'ci-ssh-keys', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0000000000000000000000000000000000000000000 ops'] },
        "RunnerPool 'sshPublicKeysSecret' cannot be used with 'sshAuthorizedKeys': KubeVirt's guest agent replaces the whole authorized_keys"],
      [{ docker: false, dockerDataDisk: { size: '20Gi' } }, "RunnerPool 'dockerDataDisk' would be ignored: 'docker' is false, so nothing mounts the disk"],
    ])('rejects %j', (props, message) => {
      expect(() => build(props as Partial<RunnerPoolProps>)).toThrow(message);
    });

    test('nested virtualization is for x64 runners', () => {
      expect(() => build({ nestedVirtualization: true, release: lib.RunnerRelease.of('2.334.0', { arch: lib.RunnerArch.ARM64 }) }))
        .toThrow("RunnerPool 'nestedVirtualization' is supported for x64 runners only (the vmx and svm features), the runners are arm64");
    });
  });
});
