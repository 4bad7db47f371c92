import { selectorMatches, VIRT_LAUNCHER_POD_LABELS } from '../../private/network-policy';
import { Finding, ManifestObject, objectLabel } from '../finding';
import { runnerTemplates } from './runner-templates';

// A topology spread counts the pods its labelSelector selects, and KubeVirt copies the VMI template's
// labels to the virt-launcher pod. A selector that does not select the template's own pods (a fleet
// label renamed or patched on one side only; no selector at all selects nothing) leaves the VMs out of
// their own count: they are not spread at all.
export function checkSpreadSelectors(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const template of runnerTemplates(items)) {
    const constraints = template.spec?.topologySpreadConstraints;
    if (!Array.isArray(constraints)) continue;
    const pod = { ...(template.metadata?.labels ?? {}), ...VIRT_LAUNCHER_POD_LABELS };
    constraints.forEach((constraint: any, i: number) => {
      if (selectorMatches(constraint?.labelSelector, pod)) return;
      findings.push({
        file: template.item.file, object: objectLabel(template.item.object), path: `${template.specPath}/topologySpreadConstraints/${i}/labelSelector`,
        message: `topology spread labelSelector ${JSON.stringify(constraint?.labelSelector ?? null)} does not select this template's own pods `
          + `(labels ${JSON.stringify(template.metadata?.labels ?? {})}): the VMs would not count toward the spread, so they would not be spread across nodes`,
      });
    });
  }
  return findings;
}
