import { deepFreeze } from './freeze';

// What the runner NetworkPolicy construct and the validator share: how a fleet's virt-launcher pods
// are selected, the ranges that are not "the internet", and the opt-out marker.

/** A transport protocol of a NetworkPolicy port. */
export enum NetworkProtocol {
  /** TCP. */
  TCP = 'TCP',
  /** UDP. */
  UDP = 'UDP',
}

/** The annotation on a runner VM's template that says its fleet has no NetworkPolicy on purpose (`networkPolicy: { enabled: false }`). */
export const NETWORK_POLICY_ANNOTATION = 'cdk8s-kubevirt-runners/network-policy';
/** The value of NETWORK_POLICY_ANNOTATION for the opt-out. */
export const NETWORK_POLICY_DISABLED = 'disabled';

/** The ranges the internet rule leaves out: private, link-local (cloud metadata: 169.254.169.254, fd00:ec2::254) and CGNAT. */
export const NON_INTERNET_CIDRS: Readonly<{ ipv4: readonly string[]; ipv6: readonly string[] }> = deepFreeze({
  ipv4: ['10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16'],
  ipv6: ['fc00::/7', 'fe80::/10'],
});

/** The labels KubeVirt puts on every virt-launcher pod, beside a copy of its VMI's labels (pkg/virt-controller/services/template.go podLabels). */
export const VIRT_LAUNCHER_POD_LABELS: Readonly<Record<string, string>> = deepFreeze({ 'kubevirt.io': 'virt-launcher' });

const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** A Kubernetes label selector, as plain JSON. */
export interface PlainLabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * The selector of a fleet's virt-launcher pods: every label of the VMs' template, and KubeVirt's
 * virt-launcher label, so that no other pod (the scale sets' launcher pods, the token refresher) is
 * ever selected. Without a component label of its own, the fleet's pods are those with none, so that
 * a warm pool, a scale set or a bake VM of the same instance name is not selected too.
 */
export function runnerPodSelector(vmLabels: Readonly<Record<string, string>>): PlainLabelSelector {
  return {
    matchLabels: { ...vmLabels, ...VIRT_LAUNCHER_POD_LABELS },
    ...(vmLabels[COMPONENT_LABEL] === undefined ? { matchExpressions: [{ key: COMPONENT_LABEL, operator: 'DoesNotExist' }] } : {}),
  };
}

/** Whether a label selector selects an object with these labels (Kubernetes' LabelSelectorAsSelector semantics). */
export function selectorMatches(selector: any, labels: Readonly<Record<string, unknown>>): boolean {
  if (typeof selector !== 'object' || selector === null) return false;
  const matchLabels = selector.matchLabels;
  const byLabels = typeof matchLabels !== 'object' || matchLabels === null || Array.isArray(matchLabels)
    ? matchLabels === undefined || matchLabels === null
    : Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  if (!byLabels) return false;
  const expressions: any[] = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return expressions.every((e) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e?.key);
    const values: unknown[] = Array.isArray(e?.values) ? e.values : [];
    switch (e?.operator) {
      case 'In': return has && values.includes(labels[e.key]);
      case 'NotIn': return !has || !values.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

/** The annotations of a runner VM's template: the opt-out marker when its fleet has no NetworkPolicy. */
export function networkPolicyAnnotations(enabled: boolean): Record<string, string> | undefined {
  return enabled ? undefined : { [NETWORK_POLICY_ANNOTATION]: NETWORK_POLICY_DISABLED };
}
