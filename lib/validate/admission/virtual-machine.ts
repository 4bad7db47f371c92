import { isDnsLabel, isDnsSubdomain } from '../../private/names';
import { isObject } from '../manifest-values';
import { Report } from '../report';
import { checkCpu, checkCpuPlacement, checkInstancetypeConflicts, checkMemory } from './cpu-memory';
import { checkDataVolumeTemplates } from './data-volume-templates';
import { checkDisks } from './disks';
import { checkNetworks } from './networks';
import { checkObjectMeta, checkRestrictedLabels } from './object-meta';
import { VMI } from './vmi-values';
import { checkVolumes } from './volumes';

/**
 * A VirtualMachine: the rules of KubeVirt's VM admission and those its VMI meets when the VM starts,
 * in this order; the VM's own fields are checked here, each part of its VMI in a file of its own.
 */
export function checkVirtualMachine(vm: any, report: Report): void {
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

// KubeVirt vms-admitter.go validateRunStrategy: "RunStrategy must be specified".
function checkRunStrategyPresent(spec: any, report: Report): void {
  if (spec.running === undefined && spec.runStrategy === undefined) {
    report('/spec/runStrategy', 'runStrategy is required (KubeVirt rejects a VM with neither runStrategy nor running)');
  }
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
