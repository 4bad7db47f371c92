import { Chart, Testing } from 'cdk8s';
import { ofKind, synth } from './util';
import { AccessMode, Distribution, OsImage, RunnerPool, RunnerPoolProps } from '../lib';

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
      cpu: 8, memory: '16Gi', labels: ['gpu'],
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
    const { objects } = build({ image: OsImage.debian12() });
    expect(ofKind(objects, 'Secret')[0].stringData.userdata).toContain('https://download.docker.com/linux/debian $RELEASE stable');
  });

  test('an image that is already in the cluster is cloned directly, without a golden copy', () => {
    const { pool, objects } = build({ image: OsImage.dataSource('ubuntu', { distribution: Distribution.UBUNTU, namespace: 'os-images' }) });
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
    [{ image: OsImage.blank() }, "RunnerPool 'image' must hold an operating system"],
    [{ goldenImage: { size: '60Gi' } }, "RunnerPool 'goldenImage.size' 60Gi is larger than 'rootDisk.size' 50Gi"],
    [{ vmLabels: { 'bad key!': 'x' } }, "RunnerPool 'vmLabels' has an invalid Kubernetes label key \"bad key!\""],
    [{ vmLabels: { team: 'x y' } }, "RunnerPool 'vmLabels' has an invalid value for label \"team\": \"x y\""],
    [{ rootDisk: { size: '50GB' } }, "RunnerPool 'rootDisk.size' must be a positive Kubernetes quantity of bytes such as '16Gi' or '512Mi', got \"50GB\""],
    [{ url: 'https://gitlab.com' }, "RunnerPool 'url' must name an owner"],
  ])('rejects %j', (override, message) => {
    expect(() => build(override as Partial<RunnerPoolProps>)).toThrow(message);
  });
});
