import type { EgressDestination, NetworkPolicyRules, RunnerNetworkPolicyOptions } from '../runner-network-policy';
import { Cidr, isStrictSubset, metadataAddressIn, parseCidr } from './cidr';
import { validateEnum } from './enum-value';
import { at, Naming, propLabel, show } from './naming';
import { validateDnsLabel, validateLabelMap } from './names';
import { NetworkProtocol } from './network-policy';
import { validateBoolean } from './resolve-guest';

// The runner spec's isolation: what a fleet's NetworkPolicy lets its runner VMs reach, validated
// once by the construct the user called (errors name its prop, e.g. RunnerChart 'networkPolicy.allowEgressTo[0].cidr').

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
  list.forEach((port, i) => {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${propLabel(naming, `${path}[${i}]`)} must be a port number from 1 to 65535, got ${show(port)}`);
    }
  });
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
