import { Chart, Names } from 'cdk8s';
import { IConstruct } from 'constructs';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' limit for a DNS-1123 label, which is also a Linux hostname's limit. */
export const DNS_LABEL_MAX_LENGTH = 63;

// The predicates below are k8s.io/apimachinery/pkg/util/validation (IsDNS1123Label,
// IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue): the construct props and the validator
// judge names by the same rules.

/** Whether `value` is a DNS-1123 label: lower-case alphanumerics and '-', at most `maxLength` (63). */
export function isDnsLabel(value: unknown, maxLength = DNS_LABEL_MAX_LENGTH): value is string {
  return typeof value === 'string' && value.length <= maxLength && DNS_LABEL.test(value);
}

/**
 * Checks that `value` is a DNS-1123 label (lower-case alphanumerics and '-', at most 63 characters).
 * VM names must be labels, not just subdomains: the VM name becomes the guest's hostname and the
 * runner's name.
 */
export function validateDnsLabel(owner: string, prop: string, value: string, maxLength = DNS_LABEL_MAX_LENGTH): string {
  if (!isDnsLabel(value, maxLength)) {
    throw new Error(`${owner} '${prop}' must be a DNS-1123 label (lower-case letters, digits and '-', `
      + `starting and ending with a letter or digit, at most ${maxLength} characters), got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A deterministic DNS-1123 label for a construct, from its path (cdk8s `Names.toDnsLabel`, whose
 * output can still hold characters such as '_' taken from construct ids).
 */
export function defaultDnsLabel(construct: IConstruct, maxLength = DNS_LABEL_MAX_LENGTH): string {
  return Names.toDnsLabel(construct, { maxLen: maxLength }).replace(/[^a-z0-9-]/g, '-');
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `value` is a DNS-1123 subdomain: DNS labels joined by '.', at most 253 characters. */
export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** Checks that `value` is a DNS-1123 subdomain: the rule for Secret, PVC, StorageClass and instancetype names. */
export function validateDnsSubdomain(owner: string, prop: string, value: string): string {
  if (!isDnsSubdomain(value)) {
    throw new Error(`${owner} '${prop}' must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', `
      + `at most 253 characters), got ${JSON.stringify(value)}`);
  }
  return value;
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Whether `key` is a qualified name, the rule for label and annotation keys: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63. */
export function isQualifiedName(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  const slash = key.lastIndexOf('/');
  return (slash < 0 || isDnsSubdomain(key.slice(0, slash))) && LABEL_NAME.test(key.slice(slash + 1));
}

/** Whether `value` is a label value: empty, or at most 63 alphanumerics, '-', '_', '.', starting and ending alphanumeric. */
export function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && LABEL_VALUE.test(value);
}

/** Checks Kubernetes labels: keys `[prefix/]name` (prefix a DNS subdomain, name at most 63), values at most 63. */
export function validateLabelMap(owner: string, prop: string, labels: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) {
      throw new Error(`${owner} '${prop}' has an invalid Kubernetes label key ${JSON.stringify(key)}`);
    }
    if (!isLabelValue(value)) {
      throw new Error(`${owner} '${prop}' has an invalid value for label ${JSON.stringify(key)}: ${JSON.stringify(value)} `
        + '(at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit)');
    }
  }
  return labels;
}

/** Defaults that depend on where a construct sits in the tree, which a resolver cannot know from props. */
export interface TreeDefaults {
  /** A DNS label derived from the construct path, at most `maxLength` long. */
  readonly name: (maxLength?: number) => string;
  /** The enclosing chart's namespace, else 'default'. */
  readonly namespace: string;
  /** The enclosing chart's namespace, if it has one. */
  readonly chartNamespace?: string;
}

/**
 * The tree defaults of `construct`, which `owner` (the construct's class) names in the error when it
 * is not inside a Chart: cdk8s's own "cannot find a parent chart" names neither it nor the fix.
 */
export function treeDefaults(construct: IConstruct, owner: string): TreeDefaults {
  const chart = construct.node.scopes.find((scope) => Chart.isChart(scope));
  if (chart === undefined) {
    const scope = construct.node.scope;
    const given = scope === undefined || scope.node.scope === undefined ? 'the App' : `'${scope.node.path}', which is not in a Chart`;
    throw new Error(`${owner} '${construct.node.id}' needs a Chart (or a construct inside one) as its scope, got ${given}: `
      + `create one with new Chart(app, 'runners', { namespace: 'ci' }) and pass it: new ${owner}(chart, '${construct.node.id}', ...)`);
  }
  const chartNamespace = Chart.of(construct).namespace;
  return { name: (maxLength) => defaultDnsLabel(construct, maxLength), namespace: chartNamespace ?? 'default', chartNamespace };
}
