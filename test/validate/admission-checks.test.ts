import { Chart, Testing } from 'cdk8s';
import { RunnerChart, RunnerImage, RunnerWarmPool } from '../../lib';
import { formatFinding, ManifestObject, validateObjects } from '../../lib/validate';
import { synth } from '../util';

// Each rule of lib/validate/admission/ (and the cross-object rules of fleet-checks/) breaks
// a deep copy of the seed fleet and must report exactly its own line(s), nothing else.

const SEED = synth(new RunnerChart(Testing.app(), 'fleet', {
  url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token', replicas: 2, cpu: 8, memory: '16Gi', runnerLabels: ['kubevirt'],
}));

function fleet(): ManifestObject[] {
  return SEED.map((object) => ({ file: 'fleet.yaml', object: JSON.parse(JSON.stringify(object)) }));
}

const lines = (items: ManifestObject[]) => validateObjects(items).map(formatFinding);
const vm = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'VirtualMachine')!.object;
const vmi = (items: ManifestObject[]) => vm(items).spec.template.spec;
const dataVolume = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'DataVolume')!.object;
const secret = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'Secret')!.object;

const VM0 = 'fleet.yaml: VirtualMachine/actions-runner-0:';
const DV = 'fleet.yaml: DataVolume/actions-runner-image:';
const SECRET = 'fleet.yaml: Secret/actions-runner-cloud-init:';
const T = '/spec/template/spec';

type Case = [string, (items: ManifestObject[]) => void, string[]];

test('the seed fleet breaks none of the rules', () => {
  expect(lines(fleet())).toEqual([]);
});

describe('object metadata (API server: ValidateObjectMetaAccessor, ValidateSecret)', () => {
  test.each<Case>([
    ['a name that is not a DNS subdomain', (i) => { vm(i).metadata.name = 'Actions_Runner'; },
      ['fleet.yaml: VirtualMachine/Actions_Runner: /metadata/name: name "Actions_Runner" is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', at most 253 characters)']],
    ['an object without a name', (i) => { i.push({ file: 'fleet.yaml', object: { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'default' }, stringData: { a: 'b' } } }); },
      ['fleet.yaml: Secret/?: /metadata/name: metadata.name is required (the API server rejects an object without a name)']],
    ['a namespace that is not a DNS label', (i) => { i.push({ file: 'fleet.yaml', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'CI' }, stringData: { a: 'b' } } }); },
      ['fleet.yaml: Secret/x: /metadata/namespace: namespace "CI" is not a DNS-1123 label (lower-case letters, digits and \'-\', at most 63 characters)']],
    ['a label value over 63 characters', (i) => { vm(i).metadata.labels.team = 'x'.repeat(64); },
      [`${VM0} /metadata/labels/team: label value "${'x'.repeat(64)}" is not valid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`]],
    ['a label key with a space', (i) => { vm(i).metadata.labels['my team'] = 'ci'; },
      [`${VM0} /metadata/labels: label key "my team" is not a qualified name ([prefix/]name, name at most 63 characters)`]],
    ['an annotation key that is not a qualified name', (i) => { vm(i).metadata.annotations['-note'] = 'x'; },
      [`${VM0} /metadata/annotations: annotation key "-note" is not a qualified name ([prefix/]name, name at most 63 characters)`]],
    ['annotations over 256 KiB', (i) => { vm(i).metadata.annotations.note = 'x'.repeat(256 * 1024); },
      [`${VM0} /metadata/annotations: annotations take ${256 * 1024 + 4 + 'cdk8s-kubevirt-runners/external-secrets'.length + 'ci-runner-token'.length} bytes; the API server accepts at most 262144`]],
    ['a label of the VM template that KubeVirt reserves', (i) => { vm(i).spec.template.metadata.labels['kubevirt.io/created-by'] = 'me'; },
      [`${VM0} /spec/template/metadata/labels/kubevirt.io~1created-by: label kubevirt.io/created-by is reserved for KubeVirt: the VM's VMI would be rejected when it starts`]],
    ['a Secret key with a space', (i) => { secret(i).stringData['user data'] = 'x'; },
      [`${SECRET} /stringData/user data: key "user data" is not a valid Secret key (letters, digits, '-', '_' and '.', at most 253, not '.' or '..')`]],
    ['a Secret over 1 MiB', (i) => { secret(i).stringData.big = 'x'.repeat(1024 * 1024); },
      [`${SECRET} /: the Secret holds ${1024 * 1024 + Buffer.byteLength(SEED[0].stringData.userdata)} bytes; Kubernetes accepts at most 1048576 (1 MiB)`]],
  ])('%s', (_, breakIt, expected) => {
    const items = fleet();
    breakIt(items);
    expect(lines(items)).toEqual(expected);
  });
});

describe('VirtualMachine (KubeVirt vms-admitter.go, vmi-create-admitter.go, pkg/storage, pkg/network, pkg/instancetype)', () => {
  test.each<Case>([
    ['no runStrategy', (i) => { delete vm(i).spec.runStrategy; },
      [`${VM0} /spec/runStrategy: runStrategy is required (KubeVirt rejects a VM with neither runStrategy nor running)`]],
    ['a dataVolumeTemplate no volume uses', (i) => {
      vm(i).spec.dataVolumeTemplates.push({ ...vm(i).spec.dataVolumeTemplates[0], metadata: { name: 'spare' } });
    }, [`${VM0} /spec/dataVolumeTemplates/1: dataVolumeTemplate 'spare' is not used by any volume of the VM (KubeVirt requires each one in spec.template.spec.volumes)`]],
    ['a dataVolumeTemplate in another namespace', (i) => { vm(i).spec.dataVolumeTemplates[0].metadata.namespace = 'other'; },
      [`${VM0} /spec/dataVolumeTemplates/0/metadata/namespace: dataVolumeTemplate namespace other differs from the VM's namespace default`]],
    ['a dataVolumeTemplate without a name', (i) => { vm(i).spec.dataVolumeTemplates[0].metadata.name = ''; }, [
      `${VM0} ${T}/volumes/0/dataVolume/name: DataVolume 'actions-runner-0-root' is neither a dataVolumeTemplate, in the output, nor declared external`,
      `${VM0} /spec/dataVolumeTemplates/0/metadata/name: a dataVolumeTemplate needs a name`,
    ]],
    ['a hostname that is not a DNS label', (i) => { vmi(i).hostname = 'runner_0'; },
      [`${VM0} ${T}/hostname: hostname "runner_0" is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)`]],
    ['a subdomain that is not a DNS subdomain', (i) => { vmi(i).subdomain = 'CI.example'; },
      [`${VM0} ${T}/subdomain: subdomain "CI.example" is not a DNS-1123 subdomain`]],
    ['memory below 1M', (i) => { vmi(i).domain.resources.requests.memory = '512Ki'; },
      [`${VM0} ${T}/domain/resources/requests/memory: memory request 512Ki is below KubeVirt's minimum of 1M`]],
    ['a negative memory request', (i) => { vmi(i).domain.resources.requests.memory = '-1Gi'; },
      [`${VM0} ${T}/domain/resources/requests/memory: memory request -1Gi is negative`]],
    ['a memory request above the limit', (i) => { vmi(i).domain.resources.limits = { memory: '8Gi' }; },
      [`${VM0} ${T}/domain/resources/requests/memory: memory request 16Gi is greater than the memory limit 8Gi`]],
    ['no memory at all', (i) => { delete vmi(i).domain.resources.requests.memory; },
      [`${VM0} ${T}/domain: no memory: set resources.requests.memory, memory.guest or an instancetype (KubeVirt refuses to start the VM)`]],
    ['memory that is not a multiple of the hugepage size', (i) => { vmi(i).domain.memory = { hugepages: { pageSize: '3Gi' } }; },
      [`${VM0} ${T}/domain/resources/requests/memory: memory 17179869184 bytes is not a multiple of the hugepages pageSize 3Gi`]],
    ['a CPU request above the limit', (i) => { vmi(i).domain.resources.limits = { cpu: '4' }; },
      [`${VM0} ${T}/domain/resources/requests/cpu: CPU request 8 is greater than the CPU limit 4`]],
    ['sizing next to an instancetype', (i) => { vm(i).spec.instancetype = { name: 'u1.2xlarge' }; }, [
      `${VM0} ${T}/domain/resources/requests/cpu: resources.requests.cpu conflicts with the instancetype, which sets it (KubeVirt rejects the VM)`,
      `${VM0} ${T}/domain/cpu/cores: cpu.cores conflicts with the instancetype, which sets it (KubeVirt rejects the VM)`,
      `${VM0} ${T}/domain/resources/requests/memory: resources.requests.memory conflicts with the instancetype, which sets it (KubeVirt rejects the VM)`,
    ]],
    ['an architecture KubeVirt does not run', (i) => { vmi(i).architecture = 'riscv64'; },
      [`${VM0} ${T}/architecture: architecture "riscv64" is not one of amd64, arm64, s390x (KubeVirt refuses to start the VM)`]],
    ['an unknown evictionStrategy', (i) => { vmi(i).evictionStrategy = 'Migrate'; },
      [`${VM0} ${T}/evictionStrategy: evictionStrategy "Migrate" is not one of LiveMigrate, LiveMigrateIfPossible, None, External`]],
  ])('%s', (_, breakIt, expected) => {
    const items = fleet();
    breakIt(items);
    expect(lines(items)).toEqual(expected);
  });
});

describe('dedicated CPUs and the guest CPU (KubeVirt vmi-create-admitter.go validateCpuPinning, validateCPUFeaturePolicies, arm64.go)', () => {
  const cpu = (items: ManifestObject[]) => vmi(items).domain.cpu;
  const resources = (items: ManifestObject[]) => vmi(items).domain.resources;
  const D = `${VM0} ${T}/domain`;
  test.each<Case>([
    ['dedicated CPUs and a fractional CPU request', (i) => { cpu(i).dedicatedCpuPlacement = true; resources(i).requests.cpu = '7500m'; },
      [`${D}/resources/requests/cpu: with dedicatedCpuPlacement, CPU requests must be whole CPUs, got 7500m`]],
    ['dedicated CPUs and a memory limit above the request', (i) => { cpu(i).dedicatedCpuPlacement = true; resources(i).limits = { memory: '32Gi' }; },
      [`${D}/resources/requests/memory: with dedicatedCpuPlacement, the memory request 16Gi must equal the limit 32Gi`]],
    ['dedicated CPUs and a CPU limit above the request', (i) => { cpu(i).dedicatedCpuPlacement = true; resources(i).limits = { cpu: '16' }; },
      [`${D}/cpu/dedicatedCpuPlacement: with dedicatedCpuPlacement, the CPU request 8 must equal the limit 16`]],
    ['dedicated CPUs and cores that disagree with the request', (i) => { cpu(i).dedicatedCpuPlacement = true; cpu(i).cores = 6; },
      [`${D}/cpu/dedicatedCpuPlacement: with dedicatedCpuPlacement, CPU requests or limits must match the 6 vCPUs of cpu.cores/sockets/threads`]],
    ['dedicated CPUs and no CPU asked for', (i) => { cpu(i).dedicatedCpuPlacement = true; delete cpu(i).cores; delete resources(i).requests.cpu; },
      [`${D}/cpu/dedicatedCpuPlacement: with dedicatedCpuPlacement, set CPU requests, CPU limits or cpu.cores`]],
    ['dedicated CPUs and four threads', (i) => { cpu(i).dedicatedCpuPlacement = true; cpu(i).cores = 2; cpu(i).threads = 4; },
      [`${D}/cpu/threads: with dedicatedCpuPlacement, at most 2 threads, got 4`]],
    ['an isolated emulator thread without dedicated CPUs', (i) => { cpu(i).isolateEmulatorThread = true; },
      [`${D}/cpu/isolateEmulatorThread: isolateEmulatorThread needs dedicatedCpuPlacement: true`]],
    ['a CPU feature policy KubeVirt does not know', (i) => { cpu(i).features = [{ name: 'vmx', policy: 'must' }]; },
      [`${D}/cpu/features/0/policy: CPU feature vmx has policy "must", not one of force, require, optional, disable, forbid`]],
    ['host-model on arm64', (i) => { vmi(i).architecture = 'arm64'; cpu(i).model = 'host-model'; },
      [`${D}/cpu/model: CPU model "host-model" is not supported on arm64: host-passthrough is the only one`]],
  ])('%s', (_, breakIt, expected) => {
    const items = fleet();
    breakIt(items);
    expect(lines(items)).toEqual(expected);
  });

  test('the rules also cover a VirtualMachinePool\'s template and a VirtualMachineInstance', () => {
    const spec = JSON.parse(JSON.stringify(vmi(fleet())));
    spec.domain.cpu.dedicatedCpuPlacement = true;
    spec.domain.resources.requests.cpu = '7500m';
    const pool = {
      apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', metadata: { name: 'warm', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, virtualMachineTemplate: { metadata: { labels: { a: 'b' } }, spec: { runStrategy: 'Always', template: { spec } } } },
    };
    const instance = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'job', namespace: 'default' }, spec };
    const found = lines([{ file: 'x.yaml', object: pool }, { file: 'x.yaml', object: instance }]).filter((line) => line.includes('dedicatedCpuPlacement'));
    expect(found).toEqual([
      'x.yaml: VirtualMachinePool/warm: /spec/virtualMachineTemplate/spec/template/spec/domain/resources/requests/cpu: with dedicatedCpuPlacement, CPU requests must be whole CPUs, got 7500m',
      'x.yaml: VirtualMachineInstance/job: /spec/domain/resources/requests/cpu: with dedicatedCpuPlacement, CPU requests must be whole CPUs, got 7500m',
    ]);
  });
});

describe('disks, volumes and networks of a VM', () => {
  const D = `${VM0} ${T}/domain/devices/disks`;
  const V = `${VM0} ${T}/volumes`;
  const I = `${VM0} ${T}/domain/devices/interfaces`;
  const N = `${VM0} ${T}/networks`;
  const disks = (i: ManifestObject[]) => vmi(i).domain.devices.disks;
  const volumes = (i: ManifestObject[]) => vmi(i).volumes;
  const interfaces = (i: ManifestObject[]) => vmi(i).domain.devices.interfaces;
  const networks = (i: ManifestObject[]) => vmi(i).networks;
  test.each<Case>([
    ['two disks of one name', (i) => { disks(i).push({ name: 'token', disk: { bus: 'virtio' } }); },
      [`${D}/3/name: disk name 'token' is already used by disks/2`]],
    ['a disk name that is not a DNS label', (i) => { disks(i)[2].name = 'Token'; volumes(i)[2].name = 'Token'; },
      [`${D}/2/name: disk name "Token" is not a DNS-1123 label (KubeVirt uses it as a container name)`]],
    ['a disk with two targets', (i) => { disks(i)[2].cdrom = { bus: 'sata' }; },
      [`${D}/2: a disk has one target type, this one has disk and cdrom`]],
    ['the IDE bus', (i) => { disks(i)[0].disk.bus = 'ide'; }, [`${D}/0/disk/bus: the IDE bus is not supported`]],
    ['an unknown bus', (i) => { disks(i)[0].disk.bus = 'nvme'; }, [`${D}/0/disk/bus: bus "nvme" is not one of virtio, scsi, sata, usb`]],
    ['a CD-ROM on virtio', (i) => { disks(i)[2] = { name: 'token', serial: 'RUNNERTOKEN', cdrom: { bus: 'virtio' } }; },
      [`${D}/2/cdrom/bus: a CD-ROM cannot be on the virtio bus`]],
    ['a read-only sata disk', (i) => { disks(i)[2].disk.bus = 'sata'; }, [`${D}/2/disk/bus: sata hard disks cannot be read-only`]],
    ['a serial with a space', (i) => { disks(i)[2].serial = 'RUNNER TOKEN'; },
      [`${D}/2/serial: serial "RUNNER TOKEN" may only hold letters, digits and _ . + -`]],
    ['a serial over 256 characters', (i) => { disks(i)[2].serial = 'X'.repeat(257); }, [`${D}/2/serial: serial is longer than 256 characters`]],
    ['an unknown cache mode', (i) => { disks(i)[0].cache = 'unsafe'; }, [`${D}/0/cache: cache "unsafe" is not one of none, writethrough, writeback`]],
    ['an unknown io mode', (i) => { disks(i)[0].io = 'async'; }, [`${D}/0/io: io "async" is not one of native, threads`]],
    ['a boot order of 0', (i) => { disks(i)[0].bootOrder = 0; }, [`${D}/0/bootOrder: bootOrder 0 must be 1 or more`]],
    ['one boot order twice', (i) => { disks(i)[0].bootOrder = 1; interfaces(i)[0].bootOrder = 1; },
      [`${I}/0/bootOrder: bootOrder 1 is already given to another disk or interface`]],
    ['two volumes of one name', (i) => { volumes(i).push({ name: 'token', secret: { secretName: 'ci-runner-token' } }); },
      [`${V}/3/name: volume name 'token' is already used by volumes/2`]],
    ['a volume with two sources', (i) => { volumes(i)[2].emptyDisk = { capacity: '1Gi' }; },
      [`${V}/2: a volume has exactly one source, this one has emptyDisk and secret`]],
    ['a volume with no source', (i) => { volumes(i)[2] = { name: 'token' }; },
      [`${V}/2: a volume needs a source (dataVolume, cloudInitNoCloud, secret, ...)`]],
    ['a secret volume without a secretName', (i) => { volumes(i)[2].secret = { optional: true }; },
      [`${V}/2/secret/secretName: a secret volume needs a secretName`]],
    ['two user-data sources', (i) => { volumes(i)[1].cloudInitNoCloud.userDataBase64 = Buffer.from('#!/bin/sh\n').toString('base64'); },
      [`${V}/1/cloudInitNoCloud: set one user-data source: userData, userDataBase64 or secretRef`]],
    ['user-data that is not base64', (i) => { volumes(i)[1].cloudInitNoCloud = { userDataBase64: 'not base64!' }; },
      [`${V}/1/cloudInitNoCloud/userDataBase64: userDataBase64 is not valid base64`]],
    ['a cloud-init volume with no data', (i) => { volumes(i)[1].cloudInitNoCloud = {}; },
      [`${V}/1/cloudInitNoCloud: a cloud-init volume needs user-data or network data`]],
    ['inline network data over 2048 bytes', (i) => { volumes(i)[1].cloudInitNoCloud.networkData = 'x'.repeat(2049); },
      [`${V}/1/cloudInitNoCloud: inline network data is 2049 bytes; KubeVirt accepts at most 2048: use networkDataSecretRef`]],
    ['a network with two types', (i) => { networks(i)[0].multus = { networkName: 'lan' }; },
      [`${N}/0: a network has one type, this one has pod and multus`]],
    ['two pod networks', (i) => {
      networks(i).push({ name: 'second', pod: {} });
      interfaces(i).push({ name: 'second', masquerade: {} });
    }, [`${N}: more than one network is the pod network`]],
    ['two networks of one name', (i) => { networks(i).push({ name: 'default', multus: { networkName: 'lan' } }); },
      [`${N}/1/name: network name 'default' is used twice`]],
    ['a network without an interface', (i) => { networks(i).push({ name: 'lan', multus: { networkName: 'lan' } }); },
      [`${N}/1/name: network 'lan' has no interface of that name`]],
    ['two interfaces on one network', (i) => { interfaces(i).push({ name: 'default', masquerade: {} }); },
      [`${I}/1/name: interface name 'default' is used twice: one interface per network`]],
    ['an interface name with a space', (i) => { interfaces(i)[0].name = 'pod net'; networks(i)[0].name = 'pod net'; },
      [`${I}/0/name: interface name "pod net" may only hold letters, digits, '-' and '_'`]],
    ['an interface without a binding', (i) => { delete interfaces(i)[0].masquerade; },
      [`${I}/0: an interface needs one binding (masquerade, bridge, sriov, ...)`]],
    ['masquerade on a multus network', (i) => { networks(i)[0] = { name: 'default', multus: { networkName: 'lan' } }; },
      [`${I}/0/masquerade: masquerade works only on the pod network`]],
    ['an unknown interface model', (i) => { interfaces(i)[0].model = 'rtl8029'; },
      [`${I}/0/model: model "rtl8029" is not one of e1000, e1000e, igb, ne2k_pci, pcnet, rtl8139, virtio`]],
    ['a 5-byte MAC address', (i) => { interfaces(i)[0].macAddress = '02:00:00:00:01'; },
      [`${I}/0/macAddress: macAddress "02:00:00:00:01" is not a 6-byte MAC address`]],
  ])('%s', (_, breakIt, expected) => {
    const items = fleet();
    breakIt(items);
    expect(lines(items)).toEqual(expected);
  });
});

describe('DataVolume, standalone and as a dataVolumeTemplate (CDI datavolume-validate.go)', () => {
  const storage = (i: ManifestObject[]) => dataVolume(i).spec.storage;
  test.each<Case>([
    ['no storage', (i) => { delete dataVolume(i).spec.storage; }, [`${DV} /spec: a DataVolume needs storage (or pvc)`]],
    ['storage and pvc', (i) => { dataVolume(i).spec.pvc = storage(i); }, [`${DV} /spec: set storage or pvc, not both`]],
    ['no size for an import', (i) => { delete storage(i).resources; },
      [`${DV} /spec/storage/resources/requests/storage: the size is missing (only a clone with storage may leave it out)`]],
    ['a size of zero', (i) => { storage(i).resources.requests.storage = '0'; }, [`${DV} /spec/storage/resources/requests/storage: size 0 must be more than zero`]],
    ['a size below 1Mi', (i) => { storage(i).resources.requests.storage = '512Ki'; },
      [`${DV} /spec/storage/resources/requests/storage: size 512Ki is below CDI's minimum of 1Mi`]],
    ['a storageClassName over 253 characters', (i) => { storage(i).storageClassName = 'a'.repeat(254); },
      [`${DV} /spec/storage/storageClassName: storageClassName is longer than 253 characters`]],
    ['a pvc with two access modes', (i) => {
      dataVolume(i).spec.pvc = { ...storage(i), accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] };
      delete dataVolume(i).spec.storage;
    }, [`${DV} /spec/pvc/accessModes: pvc needs exactly one access mode, got 2`]],
    ['an unknown access mode', (i) => { storage(i).accessModes = ['ReadWriteSometimes']; },
      [`${DV} /spec/storage/accessModes/0: access mode "ReadWriteSometimes" is not one of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod`]],
    ['a populator next to a source', (i) => { storage(i).dataSourceRef = { kind: 'PersistentVolumeClaim', name: 'seed' }; },
      [`${DV} /spec: an externally populated DataVolume (dataSource/dataSourceRef) cannot have source or sourceRef`]],
    ['neither source nor sourceRef', (i) => { delete dataVolume(i).spec.source; }, [`${DV} /spec: a DataVolume needs source or sourceRef`]],
    ['a sourceRef of another kind', (i) => { dataVolume(i).spec = { sourceRef: { kind: 'PersistentVolumeClaim', name: 'x' }, storage: storage(i) }; },
      [`${DV} /spec/sourceRef/kind: sourceRef kind "PersistentVolumeClaim" is not DataSource, the only kind CDI supports`]],
    ['two sources', (i) => { dataVolume(i).spec.source.blank = {}; }, [`${DV} /spec/source: source has exactly one kind, this one has http and blank`]],
    ['an empty source', (i) => { dataVolume(i).spec.source = {}; }, [`${DV} /spec/source: source names no source (http, registry, pvc, blank, ...)`]],
    ['an ftp URL', (i) => { dataVolume(i).spec.source.http.url = 'ftp://example.com/ubuntu.img'; },
      [`${DV} /spec/source/http/url: URL scheme of "ftp://example.com/ubuntu.img" is not http, https or gs`]],
    ['a URL that is not one', (i) => { dataVolume(i).spec.source.http.url = 'ubuntu.img'; },
      [`${DV} /spec/source/http/url: "ubuntu.img" is not a valid URL`]],
    ['a short sha256 checksum', (i) => { dataVolume(i).spec.source.http.checksum = 'sha256:abc'; },
      [`${DV} /spec/source/http/checksum: a sha256 checksum is 64 hex characters`]],
    ['a registry URL without docker://', (i) => { dataVolume(i).spec.source = { registry: { url: 'quay.io/containerdisks/ubuntu:24.04' } }; },
      [`${DV} /spec/source/registry/url: registry url "quay.io/containerdisks/ubuntu:24.04" must start with docker:// or oci-archive://`]],
    ['an unknown pullMethod', (i) => { dataVolume(i).spec.source = { registry: { url: 'docker://quay.io/containerdisks/ubuntu:24.04', pullMethod: 'kubelet' } }; },
      [`${DV} /spec/source/registry/pullMethod: pullMethod "kubelet" is neither pod nor node`]],
    ['a blank archive', (i) => { dataVolume(i).spec.source = { blank: {} }; dataVolume(i).spec.contentType = 'archive'; },
      [`${DV} /spec/source/blank: a blank disk cannot have contentType archive`]],
  ])('%s', (_, breakIt, expected) => {
    const items = fleet();
    breakIt(items);
    expect(lines(items)).toEqual(expected);
  });
});

describe('CronJob (API server: ValidateCronJobCreate, validateCronJobSpec)', () => {
  const chart = new Chart(Testing.app(), 'warm', { namespace: 'ci' });
  new RunnerWarmPool(chart, 'warm', {
    url: 'https://github.com/acme', runnerImage: new RunnerImage(chart, 'image', { name: 'ci-image' }), replicas: 2, tokenSecretName: 'token', name: 'warm',
    activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5', timeZone: 'Europe/Berlin' }, tokenRefresher: { githubCredentialsSecret: 'github-app' },
  });
  const WARM = synth(chart);
  const items = () => WARM.map((object) => ({ file: 'warm.yaml', object: JSON.parse(JSON.stringify(object)) }));
  const cronJob = (i: ManifestObject[]) => i.find((item) => item.object.kind === 'CronJob' && item.object.metadata.name === 'warm-scale-up')!.object;
  const UP = 'warm.yaml: CronJob/warm-scale-up:';

  test('a warm pool with activeHours and a refresher breaks none of the rules', () => {
    expect(lines(items())).toEqual([]);
  });

  test.each<Case>([
    ['a name over 52 characters', (i) => { cronJob(i).metadata.name = 'w'.repeat(53); },
      [`warm.yaml: CronJob/${'w'.repeat(53)}: /metadata/name: a CronJob name must be no more than 52 characters, got 53 ("${'w'.repeat(53)}")`]],
    ['an hour out of range', (i) => { cronJob(i).spec.schedule = '0 24 * * 1-5'; },
      [`${UP} /spec/schedule: "0 24 * * 1-5" is not a cron schedule Kubernetes accepts: the hour field "24" is out of 0-23`]],
    ['six fields', (i) => { cronJob(i).spec.schedule = '0 0 7 * * 1-5'; }, [`${UP} /spec/schedule: "0 0 7 * * 1-5" is not a cron schedule Kubernetes accepts: it has 6 fields`]],
    ['CRON_TZ in the schedule', (i) => { cronJob(i).spec.schedule = 'CRON_TZ=UTC 0 7 * * 1-5'; },
      [`${UP} /spec/schedule: "CRON_TZ=UTC 0 7 * * 1-5" is not a cron schedule Kubernetes accepts: TZ and CRON_TZ are not allowed in the schedule: use the timeZone field`]],
    ['the time zone Local', (i) => { cronJob(i).spec.timeZone = 'Local'; },
      [`${UP} /spec/timeZone: unknown time zone "Local": it must be an IANA name such as Europe/Berlin`]],
    ['a time zone in the wrong case', (i) => { cronJob(i).spec.timeZone = 'europe/berlin'; },
      [`${UP} /spec/timeZone: unknown time zone "europe/berlin" (spelt "Europe/Berlin"): it must be an IANA name such as Europe/Berlin`]],
  ])('%s', (_, breakIt, expected) => {
    const broken = items();
    breakIt(broken);
    expect(lines(broken)).toEqual(expected);
  });

  test.each(['@every 1h30m', '0  7 * * 1-5', '*/5 * * * ?'])('accepts the schedule %j as the API server does', (schedule) => {
    const accepted = items();
    cronJob(accepted).spec.schedule = schedule;
    expect(lines(accepted)).toEqual([]);
  });
});

describe('objects defined twice, runners that replace each other, cloud-init Secrets without user-data', () => {
  const runnerChart = (namespace: string) => synth(new RunnerChart(Testing.app(), 'fleet', {
    url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token', replicas: 2, cpu: 8, memory: '16Gi', runnerLabels: ['kubevirt'], namespace,
  }));

  test('the same VM in a second file names both places', () => {
    const items = fleet();
    items.push({ file: 'other.yaml', object: JSON.parse(JSON.stringify(vm(items))) });
    expect(lines(items)).toEqual([
      'other.yaml: VirtualMachine/actions-runner-0: /metadata/name: VirtualMachine default/actions-runner-0 is also defined at fleet.yaml: VirtualMachine/actions-runner-0: /metadata/name: only one of them can exist in the cluster',
      'other.yaml: VirtualMachine/actions-runner-0: /spec/dataVolumeTemplates/0/metadata/name: DataVolume default/actions-runner-0-root is also defined at fleet.yaml: VirtualMachine/actions-runner-0: /spec/dataVolumeTemplates/0/metadata/name: only one of them can exist in the cluster',
    ]);
  });

  test('two RunnerCharts with the same pool name in one namespace define every object twice', () => {
    const items = [...fleet(), ...runnerChart('default').map((object) => ({ file: 'second.yaml', object }))];
    const found = lines(items);
    expect(found).toHaveLength(7); // Secret, DataVolume, NetworkPolicy, 2 VMs and their 2 root-disk DataVolumes
    expect(found).toContain('second.yaml: VirtualMachine/actions-runner-1: /metadata/name: VirtualMachine default/actions-runner-1 is also defined at fleet.yaml: VirtualMachine/actions-runner-1: /metadata/name: only one of them can exist in the cluster');
    expect(found).toContain('second.yaml: Secret/actions-runner-cloud-init: /metadata/name: Secret default/actions-runner-cloud-init is also defined at fleet.yaml: Secret/actions-runner-cloud-init: /metadata/name: only one of them can exist in the cluster');
  });

  test('a dataVolumeTemplate named like a standalone DataVolume', () => {
    const items = fleet();
    vm(items).spec.dataVolumeTemplates[0].metadata.name = 'actions-runner-image';
    vmi(items).volumes[0].dataVolume.name = 'actions-runner-image';
    expect(lines(items)).toEqual([
      `${VM0} /spec/dataVolumeTemplates/0/metadata/name: DataVolume default/actions-runner-image is also defined at ${DV} /metadata/name: only one of them can exist in the cluster`,
    ]);
  });

  test('two pools of one name for one GitHub URL in two namespaces register the same runners', () => {
    const items = [...fleet(), ...runnerChart('ci').map((object) => ({ file: 'ci.yaml', object }))];
    expect(lines(items)).toEqual([0, 1].map((n) => `ci.yaml: VirtualMachine/actions-runner-${n}: ${T}/hostname: runner 'actions-runner-${n}' of https://github.com/acme `
      + `is also registered by fleet.yaml: VirtualMachine/actions-runner-${n}: ${T}/hostname: with config.sh --replace each VM takes the runner over from the other; give the pools different names`));
  });

  test('two VMs with one hostname register the same runner', () => {
    const items = fleet();
    items.find((i) => i.object.metadata.name === 'actions-runner-1')!.object.spec.template.spec.hostname = 'actions-runner-0';
    expect(lines(items)).toEqual([
      'fleet.yaml: VirtualMachine/actions-runner-1: /spec/template/spec/hostname: runner \'actions-runner-0\' of https://github.com/acme is also registered by fleet.yaml: VirtualMachine/actions-runner-0: /spec/template/spec/hostname: with config.sh --replace each VM takes the runner over from the other; give the pools different names',
    ]);
  });

  test('a cloud-init Secret without a userdata key', () => {
    const items = fleet();
    secret(items).stringData = { config: secret(items).stringData.userdata };
    expect(lines(items)).toEqual([0, 1].map((n) => `fleet.yaml: VirtualMachine/actions-runner-${n}: ${T}/volumes/1/cloudInitNoCloud/secretRef/name: `
      + "Secret 'actions-runner-cloud-init' has no key userdata or userData: the VM would boot without its cloud-config"));
  });
});

describe('NetworkPolicy (API server: ValidateNetworkPolicySpec) and the fleet\'s isolation', () => {
  const policy = (items: ManifestObject[]) => items.find((i) => i.object.kind === 'NetworkPolicy')!.object;
  const NP = 'fleet.yaml: NetworkPolicy/actions-runner:';
  const internet = (items: ManifestObject[]) => policy(items).spec.egress[1].to[0].ipBlock;
  const ISOLATION = (n: number) => `fleet.yaml: VirtualMachine/actions-runner-${n}: /spec/template/metadata/labels: runner VMs of fleet 'actions-runner' are isolated `
    + 'by no NetworkPolicy with Egress in namespace default: their jobs could reach other pods, the Kubernetes API and the cloud metadata address; '
    + "keep the fleet's NetworkPolicy (networkPolicy, on by default) or opt out with networkPolicy: { enabled: false } "
    + '(annotation cdk8s-kubevirt-runners/network-policy: disabled)';

  test.each<Case>([
    ['an except outside the cidr', (i) => { internet(i).except.push('::/64'); },
      [`${NP} /spec/egress/1/to/0/ipBlock/except/5: "::/64" must be a strict subset of cidr 0.0.0.0/0`]],
    ['an except as large as the cidr', (i) => { policy(i).spec.egress.push({ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }] }); },
      [`${NP} /spec/egress/2/to/0/ipBlock/except/0: "10.0.0.0/8" must be a strict subset of cidr 10.0.0.0/8`]],
    ['a cidr that is none', (i) => { policy(i).spec.egress.push({ to: [{ ipBlock: { cidr: '10.0.0.300/8' } }] }); },
      [`${NP} /spec/egress/2/to/0/ipBlock/cidr: "10.0.0.300/8" is not a valid CIDR (not an IPv4 address a.b.c.d (no leading zeros))`]],
    ['a peer with selectors and an ipBlock', (i) => { policy(i).spec.egress[0].to[0].ipBlock = { cidr: '10.0.0.0/8' }; },
      [`${NP} /spec/egress/0/to/0: a peer may not have both selectors and an ipBlock`]],
    ['an empty peer', (i) => { policy(i).spec.egress[0].to.push({}); },
      [`${NP} /spec/egress/0/to/1: a peer must have a podSelector, a namespaceSelector or an ipBlock`]],
    ['a port out of range, a protocol that is none, an endPort below its port', (i) => {
      policy(i).spec.egress.push({ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 70000 }, { protocol: 'ICMP', port: 1 }, { port: 100, endPort: 99 }, { port: 'https', endPort: 500 }] });
    }, [
      `${NP} /spec/egress/2/ports/0/port: port 70000 is not from 1 to 65535`,
      `${NP} /spec/egress/2/ports/1/protocol: protocol "ICMP" is not one of TCP, UDP, SCTP`,
      `${NP} /spec/egress/2/ports/2/endPort: endPort 99 must be from port 100 to 65535`,
      `${NP} /spec/egress/2/ports/3/endPort: endPort needs a numeric port`,
    ]],
    ['a policy type that is none', (i) => { policy(i).spec.policyTypes = ['Ingress', 'Outgress']; },
      [ISOLATION(0), ISOLATION(1), `${NP} /spec/policyTypes/1: policy type "Outgress" is not one of Ingress, Egress`]],
    ['the fleet\'s policy lost', (i) => { i.splice(i.findIndex((x) => x.object.kind === 'NetworkPolicy'), 1); }, [ISOLATION(0), ISOLATION(1)]],
    ['a policy that isolates ingress only', (i) => { policy(i).spec.policyTypes = ['Ingress']; }, [ISOLATION(0), ISOLATION(1)]],
    ['a policy in another namespace', (i) => { policy(i).metadata.namespace = 'other'; }, [ISOLATION(0), ISOLATION(1)]],
    ['a policy that selects other pods', (i) => { policy(i).spec.podSelector.matchLabels['app.kubernetes.io/instance'] = 'other'; }, [ISOLATION(0), ISOLATION(1)]],
    ['one VM relabelled out of its policy', (i) => { vm(i).spec.template.metadata.labels['app.kubernetes.io/component'] = 'x'; }, [ISOLATION(0)]],
  ])('%s', (_, breakIt, expected) => {
    const items = fleet();
    breakIt(items);
    expect(lines(items)).toEqual(expected);
  });

  test.each<[string, (items: ManifestObject[]) => void]>([
    ['a namespace-wide policy with an empty podSelector', (i) => { policy(i).spec.podSelector = {}; }],
    ['a policy without policyTypes that has egress rules', (i) => { delete policy(i).spec.policyTypes; }],
    ['the opt-out marker on each VM instead of a policy', (i) => {
      i.splice(i.findIndex((x) => x.object.kind === 'NetworkPolicy'), 1);
      for (const { object } of i) if (object.kind === 'VirtualMachine') object.spec.template.metadata.annotations = { 'cdk8s-kubevirt-runners/network-policy': 'disabled' };
    }],
    ['a hand-written VM that is no fleet\'s runner', (i) => {
      i.splice(i.findIndex((x) => x.object.kind === 'NetworkPolicy'), 1);
      for (const { object } of i) {
        if (object.kind === 'VirtualMachine') {
          object.spec.template.metadata.labels = { app: 'mine' };
          delete object.spec.template.spec.topologySpreadConstraints; // it selected the fleet label, which is gone
        }
      }
    }],
  ])('no finding: %s', (_, change) => {
    const items = fleet();
    change(items);
    expect(lines(items)).toEqual([]);
  });
});
