import { cronProblem, timeZoneProblem } from '../private/cron';
import { Cidr, isStrictSubset, parseCidr } from '../private/cidr';
import { isDnsLabel, isDnsSubdomain, isLabelValue, isQualifiedName } from '../private/names';
import { parseQuantity } from '../private/quantity';
import { Finding, ManifestObject, objectLabel } from './finding';

// The rules the cluster enforces when the objects are applied (the Kubernetes API server, KubeVirt's
// and CDI's validating webhooks) or when a VM starts (KubeVirt's VMI admission, CDI's admission of the
// DataVolumes a VM's dataVolumeTemplates create), for the kinds the library emits, as far as a
// manifest alone can tell: no rule here depends on the cluster's configuration or on other objects.
// Each rule cites its upstream source: KubeVirt v1.9.0 (kubevirt/kubevirt), CDI v1.66.0
// (kubevirt/containerized-data-importer), Kubernetes 1.34 (kubernetes/kubernetes, k8s.io/apimachinery).
// One small function per rule group; each visits its part of an object once.

type Report = (path: string, message: string) => void;

const VMI = '/spec/template/spec';

/**
 * Findings of the admission rules over every VirtualMachine, DataVolume, Secret, NetworkPolicy and
 * CronJob in `items`, and the CPU rules over the VMI specs of VirtualMachinePools and VirtualMachineInstances.
 */
export function checkAdmission(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const { file, object } of items) {
    const report: Report = (path, message) => findings.push({ file, object: objectLabel(object), path, message });
    if (object?.apiVersion === 'kubevirt.io/v1' && object?.kind === 'VirtualMachine') {
      checkObjectMeta(object.metadata, '/metadata', report);
      checkVirtualMachine(object, report);
    } else if (object?.apiVersion === 'pool.kubevirt.io/v1beta1' && object?.kind === 'VirtualMachinePool') {
      const vm = object.spec?.virtualMachineTemplate?.spec;
      checkCpuPlacement(vm?.template?.spec, '/spec/virtualMachineTemplate/spec/template/spec', Boolean(vm?.instancetype), report);
    } else if (object?.apiVersion === 'kubevirt.io/v1' && object?.kind === 'VirtualMachineInstance') {
      checkCpuPlacement(object.spec, '/spec', false, report);
    } else if (object?.apiVersion === 'cdi.kubevirt.io/v1beta1' && object?.kind === 'DataVolume') {
      checkObjectMeta(object.metadata, '/metadata', report);
      checkDataVolumeSpec(object.spec ?? {}, '/spec', report);
    } else if (object?.apiVersion === 'v1' && object?.kind === 'Secret') {
      checkObjectMeta(object.metadata, '/metadata', report);
      checkSecretData(object, report);
    } else if (object?.apiVersion === 'batch/v1' && object?.kind === 'CronJob') {
      checkCronJob(object, report);
    } else if (object?.apiVersion === 'networking.k8s.io/v1' && object?.kind === 'NetworkPolicy') {
      checkObjectMeta(object.metadata, '/metadata', report);
      checkNetworkPolicySpec(object.spec ?? {}, report);
    }
  }
  return findings;
}

function checkVirtualMachine(vm: any, report: Report): void {
  const spec = vm.spec ?? {};
  checkRunStrategyPresent(spec, report);
  checkDataVolumeTemplates(vm, report);
  const template = spec.template;
  if (!isObject(template)) return; // the schema requires it
  checkObjectMeta(template.metadata, '/spec/template/metadata', report, { nameless: true });
  checkRestrictedLabels(template.metadata?.labels, report);
  const vmi = template.spec ?? {};
  checkHostname(vmi, report);
  checkMemory(spec, vmi, report);
  checkCpu(vmi, report);
  checkCpuPlacement(vmi, VMI, Boolean(spec.instancetype), report);
  checkInstancetypeConflicts(spec, vmi, report);
  checkDisks(vmi, report);
  checkVolumes(vmi, report);
  checkNetworks(vmi, report);
  checkEvictionStrategy(vmi, report);
  checkArchitecture(vmi, report);
}

// --- Object metadata -------------------------------------------------------------------------------

interface MetaRules {
  /** Metadata without a name of its own (a VM's template): only labels and annotations apply. */
  readonly nameless?: boolean;
}

const ANNOTATIONS_MAX_BYTES = 256 * 1024;

// k8s.io/apimachinery/pkg/api/validation/objectmeta.go ValidateObjectMetaAccessor, with the name rule
// of these kinds: NameIsDNSSubdomain for Secrets (kubernetes pkg/apis/core/validation/validation.go
// ValidateSecretName) and for custom resources (k8s.io/apiextensions-apiserver
// pkg/registry/customresource/validator.go customResourceValidator.Validate); namespaces are DNS
// labels (ValidateNamespaceName); labels by ValidateLabels, annotations by ValidateAnnotations.
function checkObjectMeta(metadata: any, at: string, report: Report, rules: MetaRules = {}): void {
  if (!rules.nameless) {
    const name = metadata?.name;
    if (name === undefined || name === '') {
      if (!metadata?.generateName) report(`${at}/name`, 'metadata.name is required (the API server rejects an object without a name)');
    } else if (!isDnsSubdomain(name)) {
      report(`${at}/name`, `name ${JSON.stringify(name)} is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)`);
    }
    const namespace = metadata?.namespace;
    if (namespace !== undefined && !isDnsLabel(namespace)) {
      report(`${at}/namespace`, `namespace ${JSON.stringify(namespace)} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)`);
    }
  }
  for (const [key, value] of Object.entries(metadata?.labels ?? {})) {
    if (!isQualifiedName(key)) report(`${at}/labels`, `label key ${JSON.stringify(key)} is not a qualified name ([prefix/]name, name at most 63 characters)`);
    if (!isLabelValue(value)) report(`${at}/labels/${pointer(key)}`, `label value ${JSON.stringify(value)} is not valid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
  }
  const annotations = metadata?.annotations ?? {};
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    if (!isQualifiedName(key.toLowerCase())) report(`${at}/annotations`, `annotation key ${JSON.stringify(key)} is not a qualified name ([prefix/]name, name at most 63 characters)`);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (bytes > ANNOTATIONS_MAX_BYTES) report(`${at}/annotations`, `annotations take ${bytes} bytes; the API server accepts at most ${ANNOTATIONS_MAX_BYTES}`);
}

// KubeVirt vmi-create-admitter.go ValidateVirtualMachineInstanceMetadata (restrictedVmiLabels): the
// VM's template becomes the VMI, and only KubeVirt's service accounts may set these labels on one.
const RESTRICTED_VMI_LABELS = [
  'kubevirt.io/created-by', 'kubevirt.io/migrationJobUID', 'kubevirt.io/nodeName', 'kubevirt.io/migrationTargetNodeName',
  'kubevirt.io/schedulable', 'kubevirt.io/install-strategy',
];

function checkRestrictedLabels(labels: any, report: Report): void {
  for (const key of Object.keys(labels ?? {})) {
    if (RESTRICTED_VMI_LABELS.includes(key)) {
      report(`/spec/template/metadata/labels/${pointer(key)}`, `label ${key} is reserved for KubeVirt: the VM's VMI would be rejected when it starts`);
    }
  }
}

// --- VirtualMachine spec ---------------------------------------------------------------------------

// KubeVirt vms-admitter.go validateRunStrategy: "RunStrategy must be specified".
function checkRunStrategyPresent(spec: any, report: Report): void {
  if (spec.running === undefined && spec.runStrategy === undefined) {
    report('/spec/runStrategy', 'runStrategy is required (KubeVirt rejects a VM with neither runStrategy nor running)');
  }
}

// KubeVirt pkg/storage/admitters/data-volume-template.go ValidateDataVolumeTemplate and
// validateVirtualMachineDataVolumeTemplateNamespace; each template also becomes a DataVolume that CDI
// admits when the VM starts (checkDataVolumeSpec).
function checkDataVolumeTemplates(vm: any, report: Report): void {
  const templates: any[] = Array.isArray(vm.spec?.dataVolumeTemplates) ? vm.spec.dataVolumeTemplates : [];
  if (templates.length === 0) return;
  const referenced = new Set<string>();
  for (const volume of arrayAt(vm.spec?.template?.spec?.volumes)) {
    if (volume?.dataVolume?.name) referenced.add(volume.dataVolume.name);
    if (volume?.persistentVolumeClaim?.claimName) referenced.add(volume.persistentVolumeClaim.claimName);
  }
  templates.forEach((template, i) => {
    const at = `/spec/dataVolumeTemplates/${i}`;
    const name = template?.metadata?.name;
    if (!name) {
      report(`${at}/metadata/name`, 'a dataVolumeTemplate needs a name');
      return;
    }
    if (!isDnsSubdomain(name)) report(`${at}/metadata/name`, `name ${JSON.stringify(name)} is not a DNS-1123 subdomain: the DataVolume and its PVC cannot be created`);
    const namespace = template.metadata.namespace;
    if (namespace !== undefined && namespace !== '' && namespace !== (vm.metadata?.namespace ?? namespace)) {
      report(`${at}/metadata/namespace`, `dataVolumeTemplate namespace ${namespace} differs from the VM's namespace ${vm.metadata.namespace}`);
    }
    checkObjectMeta(template.metadata, `${at}/metadata`, report, { nameless: true });
    if (!referenced.has(name)) {
      report(at, `dataVolumeTemplate '${name}' is not used by any volume of the VM (KubeVirt requires each one in spec.template.spec.volumes)`);
    }
    checkDataVolumeSpec(template.spec ?? {}, `${at}/spec`, report);
  });
}

// KubeVirt vmi-create-admitter.go validateHostNameNotConformingToDNSLabelRules and
// validateSubdomainDNSSubdomainRules.
function checkHostname(vmi: any, report: Report): void {
  if (vmi.hostname !== undefined && vmi.hostname !== '' && !isDnsLabel(vmi.hostname)) {
    report(`${VMI}/hostname`, `hostname ${JSON.stringify(vmi.hostname)} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)`);
  }
  if (vmi.subdomain !== undefined && vmi.subdomain !== '' && !isDnsSubdomain(vmi.subdomain)) {
    report(`${VMI}/subdomain`, `subdomain ${JSON.stringify(vmi.subdomain)} is not a DNS-1123 subdomain`);
  }
}

const MEMORY_MIN_BYTES = 1e6; // resource.MustParse("1M")

// KubeVirt vmi-create-admitter.go validateMemoryRequestsNegativeOrNull (at least 1M),
// validateMemoryLimitsNegativeOrNull (no request above the limit), validateHugepagesMemoryRequests,
// and ValidateVirtualMachineInstanceMandatoryFields (VMI admission, when the VM starts: some memory
// must be asked for; defaults.go setGuestMemory takes it from the limit, an instancetype gives it).
function checkMemory(spec: any, vmi: any, report: Report): void {
  const domain = vmi.domain ?? {};
  const requestText = domain.resources?.requests?.memory;
  const limitText = domain.resources?.limits?.memory;
  const request = quantity(requestText);
  const limit = quantity(limitText);
  const at = `${VMI}/domain/resources`;
  if (request !== undefined && request < 0) report(`${at}/requests/memory`, `memory request ${requestText} is negative`);
  else if (request !== undefined && request > 0 && request < MEMORY_MIN_BYTES) {
    report(`${at}/requests/memory`, `memory request ${requestText} is below KubeVirt's minimum of 1M`);
  }
  if (limit !== undefined && limit < 0) report(`${at}/limits/memory`, `memory limit ${limitText} is negative`);
  if (limit !== undefined && limit > 0 && request !== undefined && Math.ceil(request) > Math.ceil(limit)) {
    report(`${at}/requests/memory`, `memory request ${requestText} is greater than the memory limit ${limitText}`);
  }
  const hugepages = domain.memory?.hugepages;
  const guest = quantity(domain.memory?.guest);
  if (hugepages !== undefined) {
    const pageSize = typeof hugepages.pageSize === 'string' ? parseQuantity(hugepages.pageSize) : undefined;
    const memory = Math.ceil(request || guest || limit || 0);
    if (pageSize === undefined || pageSize <= 0) {
      report(`${VMI}/domain/memory/hugepages/pageSize`, `hugepages pageSize ${JSON.stringify(hugepages.pageSize)} is not a quantity such as 2Mi or 1Gi`);
    } else if (memory !== 0 && memory < pageSize) {
      report(`${at}/requests/memory`, `memory ${memory} bytes is smaller than the hugepages pageSize ${hugepages.pageSize}`);
    } else if (memory % pageSize !== 0) {
      report(`${at}/requests/memory`, `memory ${memory} bytes is not a multiple of the hugepages pageSize ${hugepages.pageSize}`);
    }
  }
  if (!spec.instancetype && !request && !limit && guest === undefined && hugepages === undefined) {
    report(`${VMI}/domain`, 'no memory: set resources.requests.memory, memory.guest or an instancetype (KubeVirt refuses to start the VM)');
  }
}

// KubeVirt vmi-create-admitter.go validateCPURequestNotNegative, validateCPULimitNotNegative,
// validateCpuRequestDoesNotExceedLimit.
function checkCpu(vmi: any, report: Report): void {
  const resources = vmi.domain?.resources ?? {};
  const requestText = resources.requests?.cpu;
  const limitText = resources.limits?.cpu;
  const request = milli(requestText);
  const limit = milli(limitText);
  const at = `${VMI}/domain/resources`;
  if (request !== undefined && request < 0) report(`${at}/requests/cpu`, `CPU request ${requestText} is negative`);
  if (limit !== undefined && limit < 0) report(`${at}/limits/cpu`, `CPU limit ${limitText} is negative`);
  if (limit !== undefined && limit > 0 && request !== undefined && request > limit) {
    report(`${at}/requests/cpu`, `CPU request ${requestText} is greater than the CPU limit ${limitText}`);
  }
}

const CPU_FEATURE_POLICIES = ['', 'force', 'require', 'optional', 'disable', 'forbid'];

// KubeVirt vmi-create-admitter.go validateCpuPinning (with dedicatedCpuPlacement: whole CPUs in
// requests and limits, memory requests equal to limits, CPU requests equal to limits, some CPU asked
// for, cores that agree with requests or limits, at most two threads), validateCPUIsolatorThread,
// validateNUMA and validateCPURealtime (each needs dedicatedCpuPlacement), validateCPUFeaturePolicies,
// and arm64.go validateCPUModel (host-passthrough is the only model on arm64). With an instancetype
// the CPUs come from it when the VM starts, so the rules that count them are left to the cluster.
function checkCpuPlacement(vmi: any, base: string, instancetype: boolean, report: Report): void {
  if (!isObject(vmi)) return;
  const cpu = vmi.domain?.cpu ?? {};
  const resources = vmi.domain?.resources ?? {};
  const at = `${base}/domain`;
  const dedicated = cpu.dedicatedCpuPlacement === true;
  for (const [field, name] of [['isolateEmulatorThread', 'isolateEmulatorThread'], ['realtime', 'realtime'], ['numa', 'numa.guestMappingPassthrough']]) {
    const set = field === 'numa' ? cpu.numa?.guestMappingPassthrough !== undefined : field === 'realtime' ? cpu.realtime !== undefined : cpu[field] === true;
    if (set && !dedicated) report(`${at}/cpu/${field}`, `${name} needs dedicatedCpuPlacement: true`);
  }
  arrayAt(cpu.features).forEach((feature: any, i: number) => {
    if (!CPU_FEATURE_POLICIES.includes(feature?.policy ?? '')) {
      report(`${at}/cpu/features/${i}/policy`, `CPU feature ${feature?.name} has policy ${JSON.stringify(feature?.policy)}, not one of force, require, optional, disable, forbid`);
    }
  });
  if (vmi.architecture === 'arm64' && cpu.model !== undefined && cpu.model !== '' && cpu.model !== 'host-passthrough') {
    report(`${at}/cpu/model`, `CPU model ${JSON.stringify(cpu.model)} is not supported on arm64: host-passthrough is the only one`);
  }
  if (!dedicated) return;
  const whole = (value: number | undefined) => (value === undefined || value <= 0 ? undefined : Math.ceil(value / 1000 - 1e-9));
  const request = milli(resources.requests?.cpu);
  const limit = milli(resources.limits?.cpu);
  for (const [kind, value] of [['requests', request], ['limits', limit]] as const) {
    if (value !== undefined && value > 0 && value % 1000 !== 0) {
      report(`${at}/resources/${kind}/cpu`, `with dedicatedCpuPlacement, CPU ${kind} must be whole CPUs, got ${resources[kind].cpu}`);
    }
  }
  const memoryRequest = quantity(resources.requests?.memory);
  const memoryLimit = quantity(resources.limits?.memory);
  if (memoryRequest && memoryLimit && Math.ceil(memoryRequest) !== Math.ceil(memoryLimit)) {
    report(`${at}/resources/requests/memory`, `with dedicatedCpuPlacement, the memory request ${resources.requests.memory} must equal the limit ${resources.limits.memory}`);
  }
  if (instancetype) return;
  const vcpus = vcpuCount(cpu);
  const requestCpus = whole(request);
  const limitCpus = whole(limit);
  if (requestCpus === undefined && limitCpus === undefined && vcpus === 0) {
    report(`${at}/cpu/dedicatedCpuPlacement`, 'with dedicatedCpuPlacement, set CPU requests, CPU limits or cpu.cores');
  }
  if (requestCpus !== undefined && limitCpus !== undefined && requestCpus !== limitCpus) {
    report(`${at}/cpu/dedicatedCpuPlacement`, `with dedicatedCpuPlacement, the CPU request ${resources.requests.cpu} must equal the limit ${resources.limits.cpu}`);
  }
  if ((requestCpus !== undefined || limitCpus !== undefined) && vcpus > 0 && requestCpus !== vcpus && limitCpus !== vcpus) {
    report(`${at}/cpu/dedicatedCpuPlacement`, `with dedicatedCpuPlacement, CPU requests or limits must match the ${vcpus} vCPUs of cpu.cores/sockets/threads`);
  }
  if (typeof cpu.threads === 'number' && cpu.threads > 2) report(`${at}/cpu/threads`, `with dedicatedCpuPlacement, at most 2 threads, got ${cpu.threads}`);
}

// KubeVirt pkg/util/hardware GetNumberOfVCPUs: cores x sockets x threads, each counted when set.
function vcpuCount(cpu: any): number {
  const factors = [cpu.cores, cpu.sockets, cpu.threads].filter((n) => typeof n === 'number' && n > 0);
  return factors.length === 0 ? 0 : factors.reduce((a, b) => a * b, 1);
}

// KubeVirt pkg/instancetype/apply/cpu.go validateCPU and memory.go validateMemory: with an
// instancetype, the VM must leave CPU and memory to it ("VM field(s) ... conflicts with selected
// instance type").
function checkInstancetypeConflicts(spec: any, vmi: any, report: Report): void {
  if (!spec.instancetype) return;
  const domain = vmi.domain ?? {};
  const conflicts: Array<[string, unknown]> = [
    ['resources/requests/cpu', domain.resources?.requests?.cpu], ['resources/limits/cpu', domain.resources?.limits?.cpu],
    ['cpu/sockets', domain.cpu?.sockets || undefined], ['cpu/cores', domain.cpu?.cores || undefined], ['cpu/threads', domain.cpu?.threads || undefined],
    ['memory/guest', domain.memory?.guest], ['resources/requests/memory', domain.resources?.requests?.memory],
    ['resources/limits/memory', domain.resources?.limits?.memory],
  ];
  for (const [field, value] of conflicts) {
    if (value !== undefined) report(`${VMI}/domain/${field}`, `${field.replace(/\//g, '.')} conflicts with the instancetype, which sets it (KubeVirt rejects the VM)`);
  }
}

const DISK_BUSES = ['virtio', 'scsi', 'sata', 'usb'];
const DISK_TARGETS = ['disk', 'lun', 'cdrom'];
const SERIAL = /^[A-Za-z0-9_.+-]+$/;
const SERIAL_MAX_LENGTH = 256;
const CACHE_MODES = ['none', 'writethrough', 'writeback'];
const IO_MODES = ['native', 'threads'];

// KubeVirt pkg/storage/admitters/disks.go ValidateDisks (validateDiskName, validateDeviceTarget,
// validateBootOrderValue, validateBusSupport, validateSerialNumValue, validateSerialNumLength,
// validateCacheMode, validateIOMode, validateDiskNameAsContainerName) and vmi-create-admitter.go
// validateBootOrder (boot orders unique across disks and interfaces).
function checkDisks(vmi: any, report: Report): void {
  const seen = new Map<string, number>();
  const bootOrders = new Set<number>();
  arrayAt(vmi.domain?.devices?.disks).forEach((disk: any, i: number) => {
    const at = `${VMI}/domain/devices/disks/${i}`;
    const name = disk?.name;
    if (seen.has(name)) report(`${at}/name`, `disk name '${name}' is already used by disks/${seen.get(name)}`);
    else seen.set(name, i);
    if (typeof name === 'string' && !isDnsLabel(name)) {
      report(`${at}/name`, `disk name ${JSON.stringify(name)} is not a DNS-1123 label (KubeVirt uses it as a container name)`);
    }
    const targets = DISK_TARGETS.filter((t) => disk?.[t] !== undefined);
    if (targets.length > 1) report(at, `a disk has one target type, this one has ${targets.join(' and ')}`);
    const target = targets[0];
    const bus = target ? disk[target]?.bus : undefined;
    if (bus !== undefined && bus !== '') {
      if (bus === 'ide') report(`${at}/${target}/bus`, 'the IDE bus is not supported');
      else if (!DISK_BUSES.includes(bus)) report(`${at}/${target}/bus`, `bus ${JSON.stringify(bus)} is not one of ${DISK_BUSES.join(', ')}`);
      else if (bus === 'virtio' && target === 'cdrom') report(`${at}/cdrom/bus`, 'a CD-ROM cannot be on the virtio bus');
      else if (bus === 'sata' && target === 'disk' && disk.disk.readonly) report(`${at}/disk/bus`, 'sata hard disks cannot be read-only');
    }
    if (disk?.serial !== undefined && disk.serial !== '') {
      if (!SERIAL.test(String(disk.serial))) report(`${at}/serial`, `serial ${JSON.stringify(disk.serial)} may only hold letters, digits and _ . + -`);
      if ([...String(disk.serial)].length > SERIAL_MAX_LENGTH) report(`${at}/serial`, `serial is longer than ${SERIAL_MAX_LENGTH} characters`);
    }
    if (disk?.cache !== undefined && disk.cache !== '' && !CACHE_MODES.includes(disk.cache)) {
      report(`${at}/cache`, `cache ${JSON.stringify(disk.cache)} is not one of ${CACHE_MODES.join(', ')}`);
    }
    if (disk?.io !== undefined && disk.io !== '' && !IO_MODES.includes(disk.io)) report(`${at}/io`, `io ${JSON.stringify(disk.io)} is not one of ${IO_MODES.join(', ')}`);
    checkBootOrder(disk?.bootOrder, `${at}/bootOrder`, bootOrders, report);
  });
  arrayAt(vmi.domain?.devices?.interfaces).forEach((iface: any, i: number) =>
    checkBootOrder(iface?.bootOrder, `${VMI}/domain/devices/interfaces/${i}/bootOrder`, bootOrders, report));
}

function checkBootOrder(order: unknown, at: string, used: Set<number>, report: Report): void {
  if (typeof order !== 'number') return;
  if (order < 1) report(at, `bootOrder ${order} must be 1 or more`);
  else if (used.has(order)) report(at, `bootOrder ${order} is already given to another disk or interface`);
  used.add(order);
}

const VOLUME_SOURCES = [
  'persistentVolumeClaim', 'sysprep', 'cloudInitNoCloud', 'cloudInitConfigDrive', 'containerDisk', 'ephemeral', 'emptyDisk', 'hostDisk',
  'dataVolume', 'configMap', 'secret', 'downwardAPI', 'serviceAccount', 'downwardMetrics', 'memoryDump', 'containerPath',
];
const CLOUD_INIT_NETWORK_MAX_BYTES = 2048;

// KubeVirt vmi-create-admitter.go validateVolumes: unique names, exactly one source, a DataVolume
// name, a secretName, and for cloud-init volumes one user-data source (inline, base64 or Secret),
// valid base64, at most 2048 bytes of inline network data, and some data at all. (Inline user-data
// over 2048 bytes is checkFleet's.)
function checkVolumes(vmi: any, report: Report): void {
  const seen = new Map<string, number>();
  arrayAt(vmi.volumes).forEach((volume: any, i: number) => {
    const at = `${VMI}/volumes/${i}`;
    const name = volume?.name;
    if (seen.has(name)) report(`${at}/name`, `volume name '${name}' is already used by volumes/${seen.get(name)}`);
    else seen.set(name, i);
    const sources = VOLUME_SOURCES.filter((s) => volume?.[s] !== undefined && volume[s] !== null);
    if (sources.length !== 1) {
      report(at, sources.length === 0 ? 'a volume needs a source (dataVolume, cloudInitNoCloud, secret, ...)' : `a volume has exactly one source, this one has ${sources.join(' and ')}`);
    }
    if (volume?.dataVolume && !volume.dataVolume.name) report(`${at}/dataVolume/name`, 'a dataVolume volume needs the DataVolume\'s name');
    if (volume?.secret && !volume.secret.secretName) report(`${at}/secret/secretName`, 'a secret volume needs a secretName');
    for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
      if (isObject(volume?.[source])) checkCloudInitSource(volume[source], `${at}/${source}`, report);
    }
  });
}

function checkCloudInitSource(source: any, at: string, report: Report): void {
  const userData = [Boolean(source.userData), Boolean(source.userDataBase64), Boolean(source.secretRef?.name)].filter(Boolean).length;
  const networkData = [Boolean(source.networkData), Boolean(source.networkDataBase64), Boolean(source.networkDataSecretRef?.name)].filter(Boolean).length;
  if (userData > 1) report(at, 'set one user-data source: userData, userDataBase64 or secretRef');
  if (networkData > 1) report(at, 'set one network-data source: networkData, networkDataBase64 or networkDataSecretRef');
  if (userData === 0 && networkData === 0) report(at, 'a cloud-init volume needs user-data or network data');
  for (const field of ['userDataBase64', 'networkDataBase64']) {
    if (source[field] && !isBase64(source[field])) report(`${at}/${field}`, `${field} is not valid base64`);
  }
  const network = source.networkData ?? (source.networkDataBase64 && isBase64(source.networkDataBase64) ? Buffer.from(source.networkDataBase64, 'base64').toString() : undefined);
  if (typeof network === 'string' && Buffer.byteLength(network) > CLOUD_INIT_NETWORK_MAX_BYTES) {
    report(at, `inline network data is ${Buffer.byteLength(network)} bytes; KubeVirt accepts at most ${CLOUD_INIT_NETWORK_MAX_BYTES}: use networkDataSecretRef`);
  }
}

const INTERFACE_NAME = /^[A-Za-z0-9-_]+$/;
const INTERFACE_BINDINGS = ['bridge', 'masquerade', 'sriov', 'passt', 'binding'];
const INTERFACE_MODELS = ['e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139', 'virtio'];
const MAC = /^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2})$/;

// KubeVirt pkg/network/admitter: netsource.go validateSinglePodNetwork, validateSingleNetworkSource
// (validateMultusNetworkSource is the schema's: networkName is required); netiface.go validateNetworkNameUnique, validateInterfaceNameUnique,
// validateNetworksAssignedToInterfaces, validateInterfaceNameFormat, validateInterfaceModel,
// validateMacAddress (link.ValidateMacAddress: net.ParseMAC, 6 bytes); binding.go
// validateInterfaceBindingExists, validateMasqueradeBinding. (An interface without a network is checkFleet's.)
function checkNetworks(vmi: any, report: Report): void {
  const networks = arrayAt(vmi.networks);
  const interfaces = arrayAt(vmi.domain?.devices?.interfaces);
  const networkByName = new Map<string, any>();
  const interfaceNames = new Set(interfaces.map((iface) => iface?.name));
  let podNetworks = 0;
  networks.forEach((network: any, i: number) => {
    const at = `${VMI}/networks/${i}`;
    if (networkByName.has(network?.name)) report(`${at}/name`, `network name '${network?.name}' is used twice`);
    else networkByName.set(network?.name, network);
    const types = ['pod', 'multus', 'resourceClaim'].filter((t) => network?.[t] !== undefined);
    if (types.length !== 1) report(at, types.length === 0 ? 'a network needs a type (pod or multus)' : `a network has one type, this one has ${types.join(' and ')}`);
    if (network?.pod !== undefined) podNetworks += 1;
    if (!interfaceNames.has(network?.name)) report(`${at}/name`, `network '${network?.name}' has no interface of that name`);
  });
  if (podNetworks > 1) report(`${VMI}/networks`, 'more than one network is the pod network');
  const seen = new Set<string>();
  interfaces.forEach((iface: any, i: number) => {
    const at = `${VMI}/domain/devices/interfaces/${i}`;
    if (seen.has(iface?.name)) report(`${at}/name`, `interface name '${iface?.name}' is used twice: one interface per network`);
    seen.add(iface?.name);
    if (!INTERFACE_NAME.test(String(iface?.name ?? ''))) report(`${at}/name`, `interface name ${JSON.stringify(iface?.name)} may only hold letters, digits, '-' and '_'`);
    const bindings = INTERFACE_BINDINGS.filter((b) => iface?.[b] !== undefined);
    if (bindings.length !== 1) {
      report(at, bindings.length === 0 ? 'an interface needs one binding (masquerade, bridge, sriov, ...)' : `an interface has one binding, this one has ${bindings.join(' and ')}`);
    }
    if (iface?.masquerade !== undefined && networkByName.has(iface?.name) && networkByName.get(iface.name)?.pod === undefined) {
      report(`${at}/masquerade`, 'masquerade works only on the pod network');
    }
    if (iface?.model !== undefined && iface.model !== '' && !INTERFACE_MODELS.includes(iface.model)) {
      report(`${at}/model`, `model ${JSON.stringify(iface.model)} is not one of ${INTERFACE_MODELS.join(', ')}`);
    }
    if (iface?.macAddress !== undefined && iface.macAddress !== '' && !MAC.test(String(iface.macAddress))) {
      report(`${at}/macAddress`, `macAddress ${JSON.stringify(iface.macAddress)} is not a 6-byte MAC address`);
    }
  });
}

const EVICTION_STRATEGIES = ['LiveMigrate', 'LiveMigrateIfPossible', 'None', 'External'];

// KubeVirt vmi-create-admitter.go validateLiveMigration (isValidEvictionStrategy).
function checkEvictionStrategy(vmi: any, report: Report): void {
  if (vmi.evictionStrategy !== undefined && !EVICTION_STRATEGIES.includes(vmi.evictionStrategy)) {
    report(`${VMI}/evictionStrategy`, `evictionStrategy ${JSON.stringify(vmi.evictionStrategy)} is not one of ${EVICTION_STRATEGIES.join(', ')}`);
  }
}

const ARCHITECTURES = ['amd64', 'arm64', 's390x'];

// KubeVirt vmi-create-admitter.go ValidateVirtualMachineInstancePerArch (VMI admission, when the VM
// starts; an empty architecture gets the cluster's default first).
function checkArchitecture(vmi: any, report: Report): void {
  if (vmi.architecture !== undefined && vmi.architecture !== '' && !ARCHITECTURES.includes(vmi.architecture)) {
    report(`${VMI}/architecture`, `architecture ${JSON.stringify(vmi.architecture)} is not one of ${ARCHITECTURES.join(', ')} (KubeVirt refuses to start the VM)`);
  }
}

// --- DataVolume ------------------------------------------------------------------------------------

const MIB = 2 ** 20;
const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const DATA_VOLUME_SOURCES = ['http', 's3', 'gcs', 'registry', 'pvc', 'upload', 'blank', 'imageio', 'vddk', 'snapshot'];
const URL_SCHEMES = ['http:', 'https:', 'gs:'];
const REGISTRY_SCHEMES = ['docker:', 'oci-archive:'];
const CHECKSUM_HEX_LENGTH: Record<string, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

// CDI pkg/apiserver/webhooks/datavolume-validate.go validateDataVolumeSpec (storage or pvc, the size
// rules of validateStorageSize, validateStorageClassName, access modes, external population, exactly
// one of source and sourceRef, validateSourceRef, and the source checks in util.go:
// validateNumberOfSources, validateHTTPSource / validateSourceURL / validateChecksum,
// validateDataVolumeSourceRegistry, validateBlankSource; the schema requires a clone source's
// namespace and name).
// KubeVirt's ValidateDataVolumeTemplate repeats the first of these for templates.
function checkDataVolumeSpec(spec: any, at: string, report: Report): void {
  if (spec.pvc === undefined && spec.storage === undefined) {
    report(at, 'a DataVolume needs storage (or pvc)');
    return;
  }
  if (spec.pvc !== undefined && spec.storage !== undefined) {
    report(at, 'set storage or pvc, not both');
    return;
  }
  const target = spec.storage !== undefined ? 'storage' : 'pvc';
  const claim = spec[target] ?? {};
  const source = spec.source;
  const isClone = spec.sourceRef !== undefined || source?.pvc !== undefined || source?.snapshot !== undefined;
  const sizeText = claim.resources?.requests?.storage;
  const size = quantity(sizeText);
  const sizeAt = `${at}/${target}/resources/requests/storage`;
  if (sizeText === undefined) {
    if (target === 'pvc' || !isClone) report(sizeAt, 'the size is missing (only a clone with storage may leave it out)');
  } else if (size !== undefined && size <= 0) {
    report(sizeAt, `size ${sizeText} must be more than zero`);
  } else if (size !== undefined && Math.ceil(size) < MIB) {
    report(sizeAt, `size ${sizeText} is below CDI's minimum of 1Mi`);
  }
  if (typeof claim.storageClassName === 'string' && claim.storageClassName.length > 253) {
    report(`${at}/${target}/storageClassName`, 'storageClassName is longer than 253 characters');
  }
  const modes = arrayAt(claim.accessModes);
  if (target === 'pvc' && modes.length !== 1) report(`${at}/pvc/accessModes`, `pvc needs exactly one access mode, got ${modes.length}`);
  modes.forEach((mode, i) => {
    if (!ACCESS_MODES.includes(mode)) report(`${at}/${target}/accessModes/${i}`, `access mode ${JSON.stringify(mode)} is not one of ${ACCESS_MODES.join(', ')}`);
  });
  if (claim.dataSource !== undefined || claim.dataSourceRef !== undefined) {
    if (source !== undefined || spec.sourceRef !== undefined) report(at, 'an externally populated DataVolume (dataSource/dataSourceRef) cannot have source or sourceRef');
    return;
  }
  if ((source === undefined) === (spec.sourceRef === undefined)) {
    report(at, source === undefined ? 'a DataVolume needs source or sourceRef' : 'set source or sourceRef, not both');
    return;
  }
  if (spec.sourceRef !== undefined) {
    if (spec.sourceRef.kind !== 'DataSource') report(`${at}/sourceRef/kind`, `sourceRef kind ${JSON.stringify(spec.sourceRef.kind)} is not DataSource, the only kind CDI supports`);
    else if (!spec.sourceRef.name) report(`${at}/sourceRef/name`, 'sourceRef needs a name');
    return;
  }
  const kinds = DATA_VOLUME_SOURCES.filter((kind) => source?.[kind] !== undefined && source[kind] !== null);
  if (kinds.length !== 1) {
    report(`${at}/source`, kinds.length === 0 ? 'source names no source (http, registry, pvc, blank, ...)' : `source has exactly one kind, this one has ${kinds.join(' and ')}`);
    return;
  }
  checkDataVolumeSource(kinds[0], source[kinds[0]] ?? {}, spec.contentType, `${at}/source/${kinds[0]}`, report);
}

function checkDataVolumeSource(kind: string, source: any, contentType: unknown, at: string, report: Report): void {
  if (kind === 'http' || kind === 's3' || kind === 'gcs' || kind === 'imageio' || kind === 'vddk') {
    const problem = sourceUrlProblem(source.url);
    if (problem) report(`${at}/url`, problem);
  }
  if (kind === 'http' && source.checksum) {
    const problem = checksumProblem(String(source.checksum));
    if (problem) report(`${at}/checksum`, problem);
  }
  if (kind === 'blank' && contentType === 'archive') report(at, 'a blank disk cannot have contentType archive');
  if (kind === 'registry') {
    if (contentType !== undefined && contentType !== '' && contentType !== 'kubevirt') report(at, 'a registry source needs contentType kubevirt');
    if ((source.url === undefined) === (source.imageStream === undefined)) report(at, 'a registry source has url or imageStream, exactly one');
    else if (source.url !== undefined && !REGISTRY_SCHEMES.includes(schemeOf(source.url) ?? '')) {
      report(`${at}/url`, `registry url ${JSON.stringify(source.url)} must start with docker:// or oci-archive://`);
    }
    if (source.pullMethod !== undefined && source.pullMethod !== 'pod' && source.pullMethod !== 'node') {
      report(`${at}/pullMethod`, `pullMethod ${JSON.stringify(source.pullMethod)} is neither pod nor node`);
    } else if (source.imageStream !== undefined && source.pullMethod !== 'node') {
      report(`${at}/pullMethod`, 'an imageStream source needs pullMethod node');
    }
  }
}

// CDI util.go validateSourceURL: url.ParseRequestURI with an http, https or gs scheme.
function sourceUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return 'the source URL is empty';
  const scheme = schemeOf(url);
  if (scheme === undefined) return `${JSON.stringify(url)} is not a valid URL`;
  return URL_SCHEMES.includes(scheme) ? undefined : `URL scheme of ${JSON.stringify(url)} is not http, https or gs`;
}

// CDI pkg/util/checksum/checksum.go ParseAndValidate.
function checksumProblem(checksum: string): string | undefined {
  const separator = checksum.indexOf(':');
  if (separator < 0) return `checksum ${JSON.stringify(checksum)} is not 'algorithm:hash'`;
  const algorithm = checksum.slice(0, separator).trim().toLowerCase();
  const hash = checksum.slice(separator + 1).trim().toLowerCase();
  const length = CHECKSUM_HEX_LENGTH[algorithm];
  if (length === undefined) return `checksum algorithm ${JSON.stringify(algorithm)} is not one of md5, sha1, sha256, sha512`;
  if (hash.length !== length || !/^[0-9a-f]*$/.test(hash)) return `a ${algorithm} checksum is ${length} hex characters`;
  return undefined;
}

function schemeOf(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

// --- Secret ----------------------------------------------------------------------------------------

const SECRET_MAX_BYTES = 1024 * 1024; // core.MaxSecretSize
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

// Kubernetes pkg/apis/core/validation/validation.go ValidateSecret: keys by IsConfigMapKey, at most
// 1 MiB of data in all. stringData is merged into data before validation (pkg/apis/core/v1
// conversion), so its keys and sizes count too.
function checkSecretData(secret: any, report: Report): void {
  const sizes = new Map<string, number>();
  for (const field of ['data', 'stringData']) {
    for (const [key, value] of Object.entries(secret[field] ?? {})) {
      if (!CONFIG_KEY.test(key) || key.length > 253 || key === '.' || key === '..' || key.startsWith('..')) {
        report(`/${field}/${pointer(key)}`, `key ${JSON.stringify(key)} is not a valid Secret key (letters, digits, '-', '_' and '.', at most 253, not '.' or '..')`);
      }
      if (typeof value !== 'string') continue;
      sizes.set(key, field === 'data' ? Buffer.from(value, 'base64').length : Buffer.byteLength(value));
    }
  }
  const total = [...sizes.values()].reduce((sum, n) => sum + n, 0);
  if (total > SECRET_MAX_BYTES) report('/', `the Secret holds ${total} bytes; Kubernetes accepts at most ${SECRET_MAX_BYTES} (1 MiB)`);
}

// --- CronJob ---------------------------------------------------------------------------------------

// Its Jobs are named `<name>-<minutes since the epoch>` (11 characters more), and a Job's name must leave room.
const CRONJOB_NAME_MAX_LENGTH = 52;

// Kubernetes pkg/apis/batch/validation/validation.go ValidateCronJobCreate and validateCronJobSpec: the
// name at most 52 characters, a schedule robfig/cron's standard parser accepts without TZ or CRON_TZ
// (the timeZone field says that), and a timeZone that time.LoadLocation finds (not 'Local').
function checkCronJob(cronJob: any, report: Report): void {
  const name = cronJob.metadata?.name;
  if (typeof name === 'string' && name.length > CRONJOB_NAME_MAX_LENGTH) {
    report('/metadata/name', `a CronJob name must be no more than ${CRONJOB_NAME_MAX_LENGTH} characters, got ${name.length} (${JSON.stringify(name)})`);
  }
  const spec = cronJob.spec ?? {};
  if (typeof spec.schedule === 'string') {
    const problem = /(^|\s)(CRON_)?TZ=/.test(spec.schedule) ? 'TZ and CRON_TZ are not allowed in the schedule: use the timeZone field'
      : cronProblem(spec.schedule);
    if (problem !== undefined) report('/spec/schedule', `${JSON.stringify(spec.schedule)} is not a cron schedule Kubernetes accepts: ${problem}`);
  }
  if (spec.timeZone !== undefined) {
    const problem = timeZoneProblem(spec.timeZone);
    if (problem !== undefined) report('/spec/timeZone', `unknown time zone ${JSON.stringify(spec.timeZone)}${problem}: it must be an IANA name such as Europe/Berlin`);
  }
}

// --- Helpers ---------------------------------------------------------------------------------------

/** A quantity (string or number) in base units; undefined when absent or not a quantity (the schema reports those). */
// --- NetworkPolicy ----------------------------------------------------------------------------------

const POLICY_TYPES = ['Ingress', 'Egress'];
const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
// k8s.io/apimachinery/pkg/util/validation IsValidPortName (IANA_SVC_NAME).
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;

// kubernetes pkg/apis/networking/validation/validation.go ValidateNetworkPolicySpec, with
// ValidateNetworkPolicyPeer (exactly one kind of peer: selectors or an ipBlock), ValidateIPBlock (a
// CIDR, and each `except` a strict subset of it) and ValidateNetworkPolicyPort (protocol, a port
// number or name, endPort only after a numeric port and not below it).
function checkNetworkPolicySpec(spec: any, report: Report): void {
  const types = arrayAt(spec.policyTypes);
  types.forEach((type, i) => {
    if (!POLICY_TYPES.includes(type)) report(`/spec/policyTypes/${i}`, `policy type ${JSON.stringify(type)} is not one of ${POLICY_TYPES.join(', ')}`);
  });
  if (types.length > POLICY_TYPES.length) report('/spec/policyTypes', `at most ${POLICY_TYPES.length} policy types, got ${types.length}`);
  for (const [direction, peers] of [['ingress', 'from'], ['egress', 'to']]) {
    arrayAt(spec[direction]).forEach((rule, i) => {
      const at = `/spec/${direction}/${i}`;
      arrayAt(rule?.ports).forEach((port, j) => checkPolicyPort(port, `${at}/ports/${j}`, report));
      arrayAt(rule?.[peers]).forEach((peer, j) => checkPolicyPeer(peer, `${at}/${peers}/${j}`, report));
    });
  }
}

function checkPolicyPeer(peer: any, at: string, report: Report): void {
  const selectors = peer?.podSelector !== undefined || peer?.namespaceSelector !== undefined;
  if (!selectors && peer?.ipBlock === undefined) report(at, 'a peer must have a podSelector, a namespaceSelector or an ipBlock');
  if (selectors && peer?.ipBlock !== undefined) report(at, 'a peer may not have both selectors and an ipBlock');
  if (!isObject(peer?.ipBlock)) return;
  const cidr = parseCidr(peer.ipBlock.cidr, { maskHostBits: true });
  if (typeof cidr === 'string') {
    report(`${at}/ipBlock/cidr`, `${JSON.stringify(peer.ipBlock.cidr)} is not a valid CIDR (${cidr})`);
    return;
  }
  arrayAt(peer.ipBlock.except).forEach((text, k) => {
    const except = parseCidr(text, { maskHostBits: true });
    if (typeof except === 'string') report(`${at}/ipBlock/except/${k}`, `${JSON.stringify(text)} is not a valid CIDR (${except})`);
    else if (!isStrictSubset(except as Cidr, cidr)) report(`${at}/ipBlock/except/${k}`, `${JSON.stringify(text)} must be a strict subset of cidr ${peer.ipBlock.cidr}`);
  });
}

function checkPolicyPort(port: any, at: string, report: Report): void {
  if (port?.protocol !== undefined && !PORT_PROTOCOLS.includes(port.protocol)) {
    report(`${at}/protocol`, `protocol ${JSON.stringify(port.protocol)} is not one of ${PORT_PROTOCOLS.join(', ')}`);
  }
  const number = typeof port?.port === 'number';
  if (number && (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535)) report(`${at}/port`, `port ${port.port} is not from 1 to 65535`);
  if (typeof port?.port === 'string' && !PORT_NAME.test(port.port)) report(`${at}/port`, `port name ${JSON.stringify(port.port)} is not an IANA service name (1-15 lower-case letters, digits and '-')`);
  if (port?.endPort === undefined) return;
  if (!number) report(`${at}/endPort`, 'endPort needs a numeric port');
  else if (!Number.isInteger(port.endPort) || port.endPort < port.port || port.endPort > 65535) {
    report(`${at}/endPort`, `endPort ${port.endPort} must be from port ${port.port} to 65535`);
  }
}

function quantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? parseQuantity(value) : undefined;
}

/** A CPU quantity in millicores, rounded up as resource.Quantity.MilliValue does. */
function milli(value: unknown): number | undefined {
  const cores = quantity(value);
  return cores === undefined ? undefined : Math.ceil(cores * 1000 - 1e-9);
}

function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayAt(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

/** A key as a JSON-pointer segment. */
function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
