import { Finding, ManifestObject } from '../finding';
import { Report, reporterFor } from '../report';
import { checkCpuPlacement } from './cpu-memory';
import { checkCronJob } from './cron-job';
import { checkDataVolumeSpec } from './data-volume';
import { checkNetworkPolicySpec } from './network-policy';
import { checkObjectMeta } from './object-meta';
import { checkSecretData } from './secret';
import { checkVirtualMachine } from './virtual-machine';

// The rules the cluster enforces when the objects are applied (the Kubernetes API server, KubeVirt's
// and CDI's validating webhooks) or when a VM starts (KubeVirt's VMI admission, CDI's admission of the
// DataVolumes a VM's dataVolumeTemplates create), for the kinds the library emits, as far as a
// manifest alone can tell: no rule here depends on the cluster's configuration or on other objects.
// Each rule cites its upstream source: KubeVirt v1.9.0 (kubevirt/kubevirt), CDI v1.66.0
// (kubevirt/containerized-data-importer), Kubernetes 1.34 (kubernetes/kubernetes, k8s.io/apimachinery).
// One small function per rule group, in a file per API; each visits its part of an object once.
// A new kind gets a file of its own and a line below.

/** The rule groups one kind of object goes through, in order. */
interface KindRules {
  readonly apiVersion: string;
  readonly kind: string;
  readonly check: (object: any, report: Report) => void;
}

const RULES: readonly KindRules[] = [
  {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', check: (vm, report) => {
      checkObjectMeta(vm.metadata, '/metadata', report);
      checkVirtualMachine(vm, report);
    },
  },
  {
    apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', check: (pool, report) => {
      const vm = pool.spec?.virtualMachineTemplate?.spec;
      checkCpuPlacement(vm?.template?.spec, '/spec/virtualMachineTemplate/spec/template/spec', Boolean(vm?.instancetype), report);
    },
  },
  {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', check: (vmi, report) => checkCpuPlacement(vmi.spec, '/spec', false, report),
  },
  {
    apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', check: (dataVolume, report) => {
      checkObjectMeta(dataVolume.metadata, '/metadata', report);
      checkDataVolumeSpec(dataVolume.spec ?? {}, '/spec', report);
    },
  },
  {
    apiVersion: 'v1', kind: 'Secret', check: (secret, report) => {
      checkObjectMeta(secret.metadata, '/metadata', report);
      checkSecretData(secret, report);
    },
  },
  { apiVersion: 'batch/v1', kind: 'CronJob', check: checkCronJob },
  {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', check: (policy, report) => {
      checkObjectMeta(policy.metadata, '/metadata', report);
      checkNetworkPolicySpec(policy.spec ?? {}, report);
    },
  },
];

/**
 * Findings of the admission rules over every VirtualMachine, DataVolume, Secret, NetworkPolicy and
 * CronJob in `items`, and the CPU rules over the VMI specs of VirtualMachinePools and VirtualMachineInstances.
 */
export function checkAdmission(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const item of items) {
    const rules = RULES.find((r) => r.apiVersion === item.object?.apiVersion && r.kind === item.object?.kind);
    rules?.check(item.object, reporterFor(findings, item));
  }
  return findings;
}
