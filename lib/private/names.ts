import { Names } from 'cdk8s';
import { IConstruct } from 'constructs';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' limit for a DNS-1123 label, which is also a Linux hostname's limit. */
export const DNS_LABEL_MAX_LENGTH = 63;

/**
 * Checks that `value` is a DNS-1123 label (lower-case alphanumerics and '-', at most 63 characters).
 * VM names must be labels, not just subdomains: the VM name becomes the guest's hostname and the
 * runner's name.
 */
export function validateDnsLabel(owner: string, prop: string, value: string, maxLength = DNS_LABEL_MAX_LENGTH): string {
  if (typeof value !== 'string' || !DNS_LABEL.test(value) || value.length > maxLength) {
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

/** Checks that `value` is a DNS-1123 subdomain: the rule for Secret, PVC, StorageClass and instancetype names. */
export function validateDnsSubdomain(owner: string, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    throw new Error(`${owner} '${prop}' must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', `
      + `at most 253 characters), got ${JSON.stringify(value)}`);
  }
  return value;
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Checks Kubernetes labels: keys `[prefix/]name` (prefix a DNS subdomain, name at most 63), values at most 63. */
export function validateLabelMap(owner: string, prop: string, labels: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = key.slice(slash + 1);
    const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
    if (!prefixOk || !LABEL_NAME.test(name)) {
      throw new Error(`${owner} '${prop}' has an invalid Kubernetes label key ${JSON.stringify(key)}`);
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw new Error(`${owner} '${prop}' has an invalid value for label ${JSON.stringify(key)}: ${JSON.stringify(value)} `
        + '(at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit)');
    }
  }
  return labels;
}
