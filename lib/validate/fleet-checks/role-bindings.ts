import { Finding, ManifestObject } from '../finding';
import { namespaceOf } from '../manifest-values';
import { reporterFor } from '../report';

// The RBAC authorizer resolves a RoleBinding's roleRef when it authorizes a request
// (pkg/registry/rbac/validation rule.go GetRoleReferenceRules): a Role that does not exist in the
// binding's namespace grants nothing, and the API server accepts such a binding without a word. A
// ClusterRole may be the cluster's own (view, edit, ...), so only Roles are checked.
export function checkRoleBindings(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  const roles = new Set(items.filter((i) => i.object?.apiVersion === 'rbac.authorization.k8s.io/v1' && i.object?.kind === 'Role')
    .map((i) => `${namespaceOf(i.object)}/${i.object.metadata?.name}`));
  for (const item of items) {
    const binding = item.object;
    if (binding?.apiVersion !== 'rbac.authorization.k8s.io/v1' || binding?.kind !== 'RoleBinding' || binding.roleRef?.kind !== 'Role') continue;
    if (!roles.has(`${namespaceOf(binding)}/${binding.roleRef.name}`)) {
      reporterFor(findings, item)('/roleRef/name', `Role '${binding.roleRef.name}' is not in the output in namespace ${namespaceOf(binding)}: the binding grants nothing`);
    }
  }
  return findings;
}
