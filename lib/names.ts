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
