import { isDnsSubdomain } from '../../private/names';
import { arrayAt, isObject } from '../manifest-values';
import { Report } from '../report';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** Verbs the authorizer never checks against resourceNames: a request for them carries no name. */
export const UNNAMED_VERBS = ['create', 'list', 'watch', 'deletecollection'];

/** RBAC object names: path.ValidatePathSegmentName (ValidateRBACName). */
export function isRbacName(name: unknown): boolean {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/%]/.test(name);
}

// Kubernetes pkg/apis/rbac/validation/validation.go ValidateRole / ValidatePolicyRule: every rule has
// verbs; a resource rule has apiGroups and resources ("resource rules must supply at least one api
// group" / "...resource"); nonResourceURLs are not allowed in a Role. And what the authorizer
// (plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows, ResourceNameMatches) makes of a rule: a
// request to create, list, watch or deletecollection has no name, so a rule that limits those verbs
// by resourceNames grants them nothing.
export function checkRole(role: any, report: Report): void {
  const namespaced = role.kind === 'Role';
  arrayAt(role.rules).forEach((rule: any, i: number) => {
    const at = `/rules/${i}`;
    if (arrayAt(rule?.verbs).length === 0) report(`${at}/verbs`, 'a rule needs at least one verb');
    const nonResource = arrayAt(rule?.nonResourceURLs).length > 0;
    if (nonResource && namespaced) report(`${at}/nonResourceURLs`, 'a namespaced Role cannot have nonResourceURLs');
    if (!nonResource) {
      if (arrayAt(rule?.apiGroups).length === 0) report(`${at}/apiGroups`, "a resource rule needs at least one api group ('' for the core group)");
      if (arrayAt(rule?.resources).length === 0) report(`${at}/resources`, 'a resource rule needs at least one resource');
    }
    if (arrayAt(rule?.resourceNames).length > 0) {
      const unnamed = arrayAt(rule?.verbs).filter((verb: unknown) => UNNAMED_VERBS.includes(verb as string));
      if (unnamed.length > 0) {
        report(`${at}/resourceNames`, `${unnamed.join(', ')} cannot be limited by resourceNames (the request has no name): this rule grants ${unnamed.length > 1 ? 'them' : 'it'} nothing; put ${unnamed.length > 1 ? 'them' : 'it'} in a rule without resourceNames`);
      }
    }
  });
}

// validation.go ValidateRoleBinding: roleRef names a Role or ClusterRole of rbac.authorization.k8s.io
// by a valid name (and cannot be changed once created, so a wrong one needs a delete and re-create);
// ValidateRoleBindingSubject: a ServiceAccount subject has apiGroup '' and a valid name; User and
// Group subjects have apiGroup rbac.authorization.k8s.io; no other kinds.
export function checkRoleBinding(binding: any, report: Report): void {
  const ref = binding.roleRef;
  if (!isObject(ref)) {
    report('/roleRef', 'a RoleBinding needs a roleRef');
  } else {
    if (ref.apiGroup !== RBAC_GROUP) report('/roleRef/apiGroup', `roleRef.apiGroup must be ${RBAC_GROUP}, got ${JSON.stringify(ref.apiGroup)}`);
    const kinds = binding.kind === 'ClusterRoleBinding' ? ['ClusterRole'] : ['Role', 'ClusterRole'];
    if (!kinds.includes(ref.kind)) report('/roleRef/kind', `roleRef.kind must be ${kinds.join(' or ')}, got ${JSON.stringify(ref.kind)}`);
    if (!isRbacName(ref.name)) report('/roleRef/name', `roleRef.name ${JSON.stringify(ref.name)} is not a valid name`);
  }
  arrayAt(binding.subjects).forEach((subject: any, i: number) => {
    const at = `/subjects/${i}`;
    if (subject?.kind === 'ServiceAccount') {
      if (subject.apiGroup !== undefined && subject.apiGroup !== '') report(`${at}/apiGroup`, `a ServiceAccount subject has apiGroup '', got ${JSON.stringify(subject.apiGroup)}`);
      if (!isDnsSubdomain(subject.name)) report(`${at}/name`, `ServiceAccount name ${JSON.stringify(subject.name)} is not a DNS-1123 subdomain`);
      if (binding.kind === 'ClusterRoleBinding' && !subject.namespace) report(`${at}/namespace`, 'a ServiceAccount subject of a ClusterRoleBinding needs a namespace');
    } else if (subject?.kind === 'User' || subject?.kind === 'Group') {
      if (subject.apiGroup !== RBAC_GROUP) report(`${at}/apiGroup`, `a ${subject.kind} subject has apiGroup ${RBAC_GROUP}, got ${JSON.stringify(subject.apiGroup)}`);
      if (typeof subject.name !== 'string' || subject.name === '') report(`${at}/name`, `a ${subject.kind} subject needs a name`);
    } else {
      report(`${at}/kind`, `subject kind ${JSON.stringify(subject?.kind)} is not one of ServiceAccount, User, Group`);
    }
  });
}
