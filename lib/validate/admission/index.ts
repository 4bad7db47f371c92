import { Finding, ManifestObject } from '../finding';
import { Report, reporterFor } from '../report';
import { checkCpuPlacement } from './cpu-memory';
import { checkCronJob } from './cron-job';
import { checkDataVolumeSpec } from './data-volume';
import { checkNetworkPolicySpec } from './network-policy';
import { checkJob, checkJobSpec } from './job';
import { checkObjectMeta } from './object-meta';
import { checkPodTemplate } from './pod-spec';
import { checkRole, checkRoleBinding } from './rbac';
import { checkConfigMapData, checkSecretData } from './secret';
import { checkVirtualMachine } from './virtual-machine';
import { checkVirtualMachinePool } from './vm-templates';

// The rules the cluster enforces when the objects are applied (the Kubernetes API server, KubeVirt's
// and CDI's validating webhooks) or when a VM starts (KubeVirt's VMI admission, CDI's admission of the
// DataVolumes a VM's dataVolumeTemplates create), for the kinds the library emits, as far as a
// manifest alone can tell: no rule here depends on the cluster's configuration or on other objects.
// Each rule cites its upstream source: KubeVirt v1.9.0 (kubevirt/kubevirt), CDI v1.66.0
// (kubevirt/containerized-data-importer), Kubernetes 1.34 (kubernetes/kubernetes, k8s.io/apimachinery);
// for custom resources whose controller creates pods or Jobs from a template, the rules those meet.
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
      checkObjectMeta(pool.metadata, '/metadata', report);
      checkVirtualMachinePool(pool, report);
    },
  },
  {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', check: (vmi, report) => {
      checkObjectMeta(vmi.metadata, '/metadata', report);
      checkCpuPlacement(vmi.spec, '/spec', false, report);
    },
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
  {
    apiVersion: 'v1', kind: 'ConfigMap', check: (configMap, report) => {
      checkObjectMeta(configMap.metadata, '/metadata', report);
      checkConfigMapData(configMap, report);
    },
  },
  { apiVersion: 'v1', kind: 'ServiceAccount', check: (account, report) => checkObjectMeta(account.metadata, '/metadata', report) },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', check: (role, report) => {
      checkObjectMeta(role.metadata, '/metadata', report, { names: 'path-segment' });
      checkRole(role, report);
    },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', check: (binding, report) => {
      checkObjectMeta(binding.metadata, '/metadata', report, { names: 'path-segment' });
      checkRoleBinding(binding, report);
    },
  },
  {
    apiVersion: 'batch/v1', kind: 'CronJob', check: (cronJob, report) => {
      checkObjectMeta(cronJob.metadata, '/metadata', report);
      checkCronJob(cronJob, report);
    },
  },
  {
    apiVersion: 'batch/v1', kind: 'Job', check: (job, report) => {
      checkObjectMeta(job.metadata, '/metadata', report);
      checkJob(job, report);
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', check: (policy, report) => {
      checkObjectMeta(policy.metadata, '/metadata', report);
      checkNetworkPolicySpec(policy.spec ?? {}, report);
    },
  },
  {
    // ARC creates an EphemeralRunner pod from the template per job: the pod rules apply to it.
    apiVersion: 'actions.github.com/v1alpha1', kind: 'AutoscalingRunnerSet', check: (set, report) => {
      checkObjectMeta(set.metadata, '/metadata', report);
      if (set.spec?.template !== undefined) checkPodTemplate(set.spec.template, '/spec/template', report);
    },
  },
  {
    // KEDA creates a Job from jobTargetRef (a JobSpec) per scale-up: the Job rules apply to it.
    apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', check: (scaledJob, report) => {
      checkObjectMeta(scaledJob.metadata, '/metadata', report);
      checkJobSpec(scaledJob.spec?.jobTargetRef, '/spec/jobTargetRef', report);
    },
  },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', check: (auth, report) => checkObjectMeta(auth.metadata, '/metadata', report) },
  // Cluster-scoped: a metadata.namespace on it (cdk8s sets the chart's) is cleared by the API server
  // (k8s.io/apiserver pkg/registry/rest EnsureObjectNamespaceMatchesRequestNamespace) and by kubectl, not refused.
  { apiVersion: 'v1', kind: 'Namespace', check: (namespace, report) => checkObjectMeta(namespace.metadata, '/metadata', report, { names: 'label' }) },
];

/** Findings of the admission rules over every object in `items` of a kind the table above lists. */
export function checkAdmission(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const item of items) {
    const rules = RULES.find((r) => r.apiVersion === item.object?.apiVersion && r.kind === item.object?.kind);
    rules?.check(item.object, reporterFor(findings, item));
  }
  return findings;
}
