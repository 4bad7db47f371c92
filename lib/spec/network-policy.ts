import { Cidr, isStrictSubset, metadataAddressIn, parseCidr } from '../private/cidr';
import { TreeDefaults, validateDnsLabel, validateLabelMap } from '../private/names';
import { at, Naming, propLabel, show } from '../private/naming';
import { NetworkProtocol } from '../private/network-policy';
import { validateBoolean, validateEnum, validateInteger, validateName } from '../private/validators';
import { seal, Sealed } from './sealed';
import { checkFreeText } from '../private/free-text';

// What a fleet's NetworkPolicy lets its runner VMs reach: the props, and their resolver, which
// every kind calls once (errors name its prop, e.g. RunnerChart 'networkPolicy.allowEgressTo[0].cidr').

/**
 * One more destination the runner VMs may reach: an IP block (`cidr`), or pods in the cluster
 * (`namespace` and/or `podLabels`), on some ports or all.
 */
export interface EgressDestination {
  /**
   * An IP block, e.g. '10.1.2.3/32' (a proxy or an apt mirror) or 'fd00:1::/64'. Not with `namespace` or `podLabels`.
   * A block that holds a cloud metadata address (169.254.169.254, fd00:ec2::254, 100.100.100.200) is refused.
   * @default - none: pods by `namespace`/`podLabels`
   */
  readonly cidr?: string;
  /** Pods of this namespace (by its name). With `podLabels`, only those pods of it. @default - the fleet's namespace when `podLabels` is given */
  readonly namespace?: string;
  /** Pods with these labels (in `namespace`, else in the fleet's namespace). @default - every pod of `namespace` */
  readonly podLabels?: Record<string, string>;
  /** Destination ports. @default - every port */
  readonly ports?: number[];
  /** Protocol of `ports` (one destination, one protocol: give UDP and TCP as two destinations). @default NetworkProtocol.TCP */
  readonly protocol?: NetworkProtocol;
}

/** Ingress for `virtctl ssh` and `virtctl port-forward`. */
export interface PortForwardOptions {
  /** The guest ports virt-api may reach. @default [22] */
  readonly ports?: number[];
  /** Namespace KubeVirt is installed in, where its virt-api pods run. @default 'kubevirt' */
  readonly kubevirtNamespace?: string;
}

/** What a runner fleet's NetworkPolicy lets its VMs reach. */
export interface NetworkPolicyRules {
  /**
   * Let the VMs reach the internet: every address except the private (10/8, 172.16/12, 192.168/16,
   * fc00::/7), link-local (169.254/16, fe80::/10: the cloud metadata address) and shared/CGNAT
   * (100.64/10) ranges, in which clusters keep their pod, service and node addresses.
   * @default true
   */
  readonly allowInternet?: boolean;
  /**
   * More CIDRs the internet rule leaves out, e.g. a Kubernetes API server or an office network on
   * public addresses. Does not take back `allowEgressTo` or DNS.
   * @default - only the private, link-local and CGNAT ranges
   */
  readonly internetExcept?: string[];
  /** More destinations: a proxy, an apt or registry mirror, a GitHub Enterprise Server on a private address, in-cluster pods. @default - none */
  readonly allowEgressTo?: EgressDestination[];
  /**
   * Let `virtctl ssh` and `virtctl port-forward` in: KubeVirt's virt-api dials the VM's pod address.
   * (`virtctl console` and `vnc` go through virt-handler and a socket in the pod, not the network:
   * they work without this.)
   * @default - no ingress at all
   */
  readonly portForward?: PortForwardOptions;
}

/** A fleet's `networkPolicy` prop: its NetworkPolicy's rules, or the opt-out. */
export interface RunnerNetworkPolicyOptions extends NetworkPolicyRules {
  /**
   * Isolate the fleet's runner VMs with a NetworkPolicy. `false` emits none and marks the VMs'
   * template with the annotation `cdk8s-kubevirt-runners/network-policy: disabled`
   * (NETWORK_POLICY_ANNOTATION), so that validation knows it was meant (for example when the
   * namespace has policies of its own).
   * @default true
   */
  readonly enabled?: boolean;
}

/** Props of RunnerNetworkPolicy. */
export interface RunnerNetworkPolicyProps extends NetworkPolicyRules {
  /**
   * The labels of the runner VMs' VirtualMachineInstances (their template's labels). KubeVirt copies
   * them to each VM's virt-launcher pod, which the policy selects by them and by `kubevirt.io: virt-launcher`.
   */
  readonly vmLabels: Record<string, string>;
  /** `metadata.name` of the NetworkPolicy. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the NetworkPolicy: the VMs'. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
}

/** What a RunnerNetworkPolicy renders. */
export type NetworkPolicySpec = Sealed<'network-policy', {
  readonly name: string;
  readonly namespace: string;
  readonly vmLabels: Readonly<Record<string, string>>;
  readonly rules: ResolvedNetworkRules;
}>;

/** One more allowed destination, validated. */
export interface ResolvedDestination {
  readonly cidr?: string;
  readonly namespace?: string;
  readonly podLabels?: Readonly<Record<string, string>>;
  /** Empty: every port. */
  readonly ports: readonly number[];
  readonly protocol: NetworkProtocol;
}

/** A fleet's NetworkPolicy rules, validated. */
export interface ResolvedNetworkRules {
  readonly allowInternet: boolean;
  readonly internetExcept: readonly string[];
  readonly allowEgressTo: readonly ResolvedDestination[];
  readonly portForward?: { readonly ports: readonly number[]; readonly kubevirtNamespace: string };
}

const WHOLE_FAMILY = { 4: parseCidr('0.0.0.0/0') as Cidr, 6: parseCidr('::/0') as Cidr };

/**
 * Validates a fleet's `networkPolicy`: the rules, or undefined when the user opted out
 * (`enabled: false`), which the fleet then marks on its VMs for the validator.
 */
export function resolveNetworkPolicy(options: RunnerNetworkPolicyOptions | undefined, naming: Naming, prop = 'networkPolicy'): ResolvedNetworkRules | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new Error(`${propLabel(naming, prop)} must be an object such as { allowEgressTo: [...] } or { enabled: false }, got ${show(options)}`);
  }
  const enabled = validateBoolean(naming, `${prop}.enabled`, options?.enabled, true);
  if (!enabled) {
    const others = Object.keys(options ?? {}).filter((k) => k !== 'enabled' && (options as Record<string, unknown>)[k] !== undefined);
    if (others.length > 0) {
      throw new Error(`${propLabel(naming, `${prop}.enabled`)} is false, so ${others.map((k) => `'${prop}.${k}'`).join(', ')} would be ignored: remove them`);
    }
    return undefined;
  }
  return resolveNetworkRules(options ?? {}, naming, prop);
}

/** Validates the rules of a NetworkPolicy; `prop` is where they sit in the caller's props ('' at the top). */
export function resolveNetworkRules(rules: NetworkPolicyRules, naming: Naming, prop: string): ResolvedNetworkRules {
  const where = (field: string) => (prop ? `${prop}.${field}` : field);
  const allowInternet = validateBoolean(naming, where('allowInternet'), rules.allowInternet, true);
  const internetExcept = listOf(naming, where('internetExcept'), rules.internetExcept).map((cidr, i) => {
    const path = `${where('internetExcept')}[${i}]`;
    const parsed = validateCidr(naming, path, cidr);
    if (!isStrictSubset(parsed, WHOLE_FAMILY[parsed.family])) {
      throw new Error(`${propLabel(naming, path)} must be smaller than the whole address space: to reach no internet at all, `
        + `set '${where('allowInternet')}' to false; got ${show(cidr)}`);
    }
    return cidr;
  });
  if (!allowInternet && internetExcept.length > 0) {
    throw new Error(`${propLabel(naming, where('allowInternet'))} is false, so '${where('internetExcept')}' would be ignored: remove it`);
  }
  const allowEgressTo = listOf(naming, where('allowEgressTo'), rules.allowEgressTo)
    .map((d, i) => resolveDestination(d, naming, `${where('allowEgressTo')}[${i}]`));
  let portForward: ResolvedNetworkRules['portForward'];
  if (rules.portForward !== undefined) {
    const options = objectOf(naming, where('portForward'), rules.portForward);
    const ports = validatePorts(naming, where('portForward.ports'), options.ports ?? [22]);
    if (ports.length === 0) throw new Error(`${propLabel(naming, where('portForward.ports'))} must name at least one port, got []`);
    portForward = Object.freeze({
      ports,
      kubevirtNamespace: validateDnsLabel(...at(naming, where('portForward.kubevirtNamespace')), options.kubevirtNamespace ?? 'kubevirt'),
    });
  }
  return Object.freeze({ allowInternet, internetExcept: Object.freeze(internetExcept), allowEgressTo: Object.freeze(allowEgressTo), ...(portForward ? { portForward } : {}) });
}

function resolveDestination(destination: EgressDestination, naming: Naming, path: string): ResolvedDestination {
  const d = objectOf(naming, path, destination);
  const inCluster = d.namespace !== undefined || d.podLabels !== undefined;
  if ((d.cidr === undefined) === !inCluster) {
    throw new Error(`${propLabel(naming, path)} must have either a 'cidr' or a 'namespace' and/or 'podLabels', not ${inCluster ? 'both' : 'neither'}, got ${show(destination)}`);
  }
  const metadata = d.cidr !== undefined ? metadataAddressIn(validateCidr(naming, `${path}.cidr`, d.cidr)) : undefined;
  if (metadata) {
    throw new Error(`${propLabel(naming, `${path}.cidr`)} ${show(d.cidr)} holds the cloud metadata address ${metadata}, where a job could read `
      + "the node's cloud credentials: allow narrower blocks that leave it out");
  }
  return Object.freeze({
    ...(d.cidr !== undefined ? { cidr: d.cidr } : {}),
    ...(d.namespace !== undefined ? { namespace: validateDnsLabel(...at(naming, `${path}.namespace`), d.namespace) } : {}),
    ...(d.podLabels !== undefined ? { podLabels: Object.freeze({ ...validateLabelMap(...at(naming, `${path}.podLabels`), objectOf(naming, `${path}.podLabels`, d.podLabels)) }) } : {}),
    ports: validatePorts(naming, `${path}.ports`, d.ports ?? []),
    protocol: validateEnum(...at(naming, `${path}.protocol`), NetworkProtocol, d.protocol ?? NetworkProtocol.TCP),
  });
}

function validateCidr(naming: Naming, path: string, value: unknown): Cidr {
  const parsed = parseCidr(value);
  if (typeof parsed === 'string') {
    throw new Error(`${propLabel(naming, path)} must be a CIDR such as '10.1.2.3/32' or 'fd00:1::/64' (${parsed}), got ${show(value)}`);
  }
  return parsed;
}

function validatePorts(naming: Naming, path: string, ports: unknown): readonly number[] {
  const list = listOf(naming, path, ports as number[]);
  list.forEach((port, i) => validateInteger(naming, `${path}[${i}]`, port, 1, 65535, ' (a port number)'));
  const duplicate = list.find((port, i) => list.indexOf(port) !== i);
  if (duplicate !== undefined) throw new Error(`${propLabel(naming, path)} names port ${duplicate} twice`);
  return Object.freeze([...list]);
}

function listOf<T>(naming: Naming, path: string, value: T[] | undefined): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${propLabel(naming, path)} must be a list, got ${show(value)}`);
  return value;
}

function objectOf<T>(naming: Naming, path: string, value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${propLabel(naming, path)} must be an object, got ${show(value)}`);
  }
  return value;
}

const NAMING: Naming = { owner: 'RunnerNetworkPolicy' };

/** A RunnerNetworkPolicy made alone: its own props. */
export function resolveNetworkPolicyObject(props: RunnerNetworkPolicyProps, defaults: TreeDefaults): NetworkPolicySpec {
  checkFreeText(NAMING, props);
  if (typeof props?.vmLabels !== 'object' || props.vmLabels === null || Object.keys(props.vmLabels).length === 0) {
    throw new Error(`${propLabel(NAMING, 'vmLabels')} must be the runner VMs' template labels (at least one), got ${show(props?.vmLabels)}`);
  }
  return seal('network-policy', {
    name: validateName(NAMING, 'name', props.name ?? defaults.name()),
    namespace: validateName(NAMING, 'namespace', props.namespace ?? defaults.namespace),
    vmLabels: Object.freeze({ ...validateLabelMap(NAMING.owner, 'vmLabels', props.vmLabels) }),
    rules: resolveNetworkRules(props, NAMING, ''),
  });
}

/** The NetworkPolicy of a fleet whose rules its resolver validated: its VMs' template labels select them. */
export function fleetNetworkPolicySpec(name: string, namespace: string, vmLabels: Readonly<Record<string, string>>, rules: ResolvedNetworkRules): NetworkPolicySpec {
  return seal('network-policy', { name, namespace, vmLabels: Object.freeze({ ...vmLabels }), rules });
}
