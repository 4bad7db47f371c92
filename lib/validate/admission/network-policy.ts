import { Cidr, isStrictSubset, parseCidr } from '../../private/cidr';
import { arrayAt, isObject } from '../manifest-values';
import { Report } from '../report';

const POLICY_TYPES = ['Ingress', 'Egress'];
const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
// k8s.io/apimachinery/pkg/util/validation IsValidPortName (IANA_SVC_NAME).
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;

// kubernetes pkg/apis/networking/validation/validation.go ValidateNetworkPolicySpec, with
// ValidateNetworkPolicyPeer (exactly one kind of peer: selectors or an ipBlock), ValidateIPBlock (a
// CIDR, and each `except` a strict subset of it) and ValidateNetworkPolicyPort (protocol, a port
// number or name, endPort only after a numeric port and not below it).
export function checkNetworkPolicySpec(spec: any, report: Report): void {
  const types = arrayAt(spec.policyTypes);
  types.forEach((type, i) => {
    if (!POLICY_TYPES.includes(type)) report(`/spec/policyTypes/${i}`, `policy type ${JSON.stringify(type)} is not one of ${POLICY_TYPES.join(', ')}`);
  });
  if (types.length > POLICY_TYPES.length) report('/spec/policyTypes', `at most ${POLICY_TYPES.length} policy types, got ${types.length}`);
  for (const [direction, peers] of [['ingress', 'from'], ['egress', 'to']]) {
    arrayAt(spec[direction]).forEach((rule, i) => {
      const at = `/spec/${direction}/${i}`;
      arrayAt(rule?.ports).forEach((port, j) => checkPolicyPort(port, `${at}/ports/${j}`, report));
      arrayAt(rule?.[peers]).forEach((peer, j) => checkPolicyPeer(peer, `${at}/${peers}/${j}`, report));
    });
  }
}

function checkPolicyPeer(peer: any, at: string, report: Report): void {
  const selectors = peer?.podSelector !== undefined || peer?.namespaceSelector !== undefined;
  if (!selectors && peer?.ipBlock === undefined) report(at, 'a peer must have a podSelector, a namespaceSelector or an ipBlock');
  if (selectors && peer?.ipBlock !== undefined) report(at, 'a peer may not have both selectors and an ipBlock');
  if (!isObject(peer?.ipBlock)) return;
  const cidr = parseCidr(peer.ipBlock.cidr, { maskHostBits: true });
  if (typeof cidr === 'string') {
    report(`${at}/ipBlock/cidr`, `${JSON.stringify(peer.ipBlock.cidr)} is not a valid CIDR (${cidr})`);
    return;
  }
  arrayAt(peer.ipBlock.except).forEach((text, k) => {
    const except = parseCidr(text, { maskHostBits: true });
    if (typeof except === 'string') report(`${at}/ipBlock/except/${k}`, `${JSON.stringify(text)} is not a valid CIDR (${except})`);
    else if (!isStrictSubset(except as Cidr, cidr)) report(`${at}/ipBlock/except/${k}`, `${JSON.stringify(text)} must be a strict subset of cidr ${peer.ipBlock.cidr}`);
  });
}

function checkPolicyPort(port: any, at: string, report: Report): void {
  if (port?.protocol !== undefined && !PORT_PROTOCOLS.includes(port.protocol)) {
    report(`${at}/protocol`, `protocol ${JSON.stringify(port.protocol)} is not one of ${PORT_PROTOCOLS.join(', ')}`);
  }
  const number = typeof port?.port === 'number';
  if (number && (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535)) report(`${at}/port`, `port ${port.port} is not from 1 to 65535`);
  if (typeof port?.port === 'string' && !PORT_NAME.test(port.port)) report(`${at}/port`, `port name ${JSON.stringify(port.port)} is not an IANA service name (1-15 lower-case letters, digits and '-')`);
  if (port?.endPort === undefined) return;
  if (!number) report(`${at}/endPort`, 'endPort needs a numeric port');
  else if (!Number.isInteger(port.endPort) || port.endPort < port.port || port.endPort > 65535) {
    report(`${at}/endPort`, `endPort ${port.endPort} must be from port ${port.port} to 65535`);
  }
}
