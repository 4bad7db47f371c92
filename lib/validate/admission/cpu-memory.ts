import { parseQuantity } from '../../private/quantity';
import { arrayAt, isObject, quantity } from '../manifest-values';
import { Report } from '../report';
import { milli, VMI } from './vmi-values';

// A VMI's CPUs and memory: requests and limits, dedicated CPU placement, and what an instancetype
// sets in their place.

const MEMORY_MIN_BYTES = 1e6; // resource.MustParse("1M")

// KubeVirt vmi-create-admitter.go validateMemoryRequestsNegativeOrNull (at least 1M),
// validateMemoryLimitsNegativeOrNull (no request above the limit), validateHugepagesMemoryRequests,
// and ValidateVirtualMachineInstanceMandatoryFields (VMI admission, when the VM starts: some memory
// must be asked for; defaults.go setGuestMemory takes it from the limit, an instancetype gives it).
export function checkMemory(spec: any, vmi: any, report: Report): void {
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
export function checkCpu(vmi: any, report: Report): void {
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
export function checkCpuPlacement(vmi: any, base: string, instancetype: boolean, report: Report): void {
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
export function checkInstancetypeConflicts(spec: any, vmi: any, report: Report): void {
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
