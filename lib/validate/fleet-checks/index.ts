import { checkAdmission } from '../admission';
import { Finding, ManifestObject } from '../finding';
import { rebased } from '../admission/vm-templates';
import { arrayAt, isObject, namespaceOf, objectKey } from '../manifest-values';
import { reporterFor } from '../report';
import { checkRunnerScaleSets } from './arc-scale-sets';
import { checkDuplicateObjects } from './duplicate-objects';
import { checkMetadataEgress, checkRunnerIsolation } from './network-policies';
import { checkGitHubCredentialKeys } from './github-credentials';
import { checkImageRefreshers } from './image-refreshers';
import { checkKedaLaunchers } from './keda-launchers';
import { checkKedaTriggers } from './keda-triggers';
import { checkLauncherTemplates } from './launcher-templates';
import { FleetCheckOptions } from './options';
import { checkPodReferences } from './pod-references';
import { checkPoolScalers } from './pool-scalers';
import { checkRoleBindings } from './role-bindings';
import { checkRunnerNames } from './runner-names';
import { checkTokenDisks } from './token-disks';
import { checkServiceAccounts } from './service-accounts';
import { checkSpreadSelectors } from './spread-selectors';
import { checkRunnerLabels, checkUserDataSecrets } from './user-data';
import { checkCloneSource, checkVirtualMachine } from './virtual-machine';

export type { FleetCheckOptions } from './options';
export { launcherTemplatesOf } from './launcher-templates';
export type { LauncherTemplate } from './launcher-templates';
export { userDataOf } from './user-data';
export { INLINE_USER_DATA_MAX_BYTES } from './virtual-machine';

// The rules that look across objects (references, names, policies, RBAC) or at what a controller
// needs, a file each; checkFleet runs them, and the per-kind admission rules (../admission/), in a
// fixed order, which is the order of the findings.

/**
 * Checks that JSON schemas cannot express: the VM's run strategy, disks and volumes that belong
 * together, inline user-data KubeVirt would refuse, references to DataVolumes, PVCs and Secrets that
 * are neither in the output nor declared external, cloud-init Secrets without user-data, the runner
 * labels in a runner cloud-config, objects defined twice, runners that would replace each other on
 * GitHub, runner fleets that no NetworkPolicy isolates, a fleet NetworkPolicy that lets jobs reach the
 * cloud metadata address, topology spreads that do not select their own VMs, a warm pool scaler whose
 * Role does not allow scaling its pool, an image refresher's bake templates and warm pools, and the rules the cluster's admission (API server, KubeVirt,
 * CDI) enforces.
 */
export function checkFleet(items: readonly ManifestObject[], options: FleetCheckOptions = {}): Finding[] {
  const present = new Set<string>();
  for (const { object } of items) present.add(objectKey(object?.kind, namespaceOf(object), object?.metadata?.name));
  const findings: Finding[] = [];
  for (const item of items) {
    const report = reporterFor(findings, item);
    if (item.object?.apiVersion === 'kubevirt.io/v1' && item.object?.kind === 'VirtualMachine') {
      checkVirtualMachine(item.object, present, options, report);
      arrayAt(item.object.spec?.dataVolumeTemplates).forEach((template: any, i: number) =>
        checkCloneSource(item.object, template?.spec, `/spec/dataVolumeTemplates/${i}/spec`, present, options, report));
    }
    if (item.object?.apiVersion === 'pool.kubevirt.io/v1beta1' && item.object?.kind === 'VirtualMachinePool') {
      // The pool's VMs are its template: their references must exist as a VM's must.
      const template = item.object.spec?.virtualMachineTemplate;
      if (isObject(template)) checkVirtualMachine({ metadata: item.object.metadata, spec: template.spec }, present, options, rebased(report, '', '/spec/virtualMachineTemplate'));
    }
    if (item.object?.apiVersion === 'cdi.kubevirt.io/v1beta1' && item.object?.kind === 'DataVolume') {
      checkCloneSource(item.object, item.object.spec, '/spec', present, options, report);
    }
    if (item.object?.apiVersion === 'v1' && item.object?.kind === 'Secret') {
      checkRunnerLabels(item.object, report);
    }
  }
  findings.push(...checkDuplicateObjects(items), ...checkUserDataSecrets(items), ...checkRunnerNames(items), ...checkRunnerIsolation(items));
  findings.push(...checkSpreadSelectors(items), ...checkPoolScalers(items), ...checkMetadataEgress(items));
  findings.push(...checkAdmission(items));
  findings.push(...checkRunnerScaleSets(items, options.externalSecrets), ...checkLauncherTemplates(items, present, options));
  findings.push(...checkKedaTriggers(items, present, options), ...checkServiceAccounts(items), ...checkPodReferences(items, options), ...checkRoleBindings(items));
  findings.push(...checkTokenDisks(items), ...checkGitHubCredentialKeys(items), ...checkKedaLaunchers(items), ...checkImageRefreshers(items));
  return findings;
}
