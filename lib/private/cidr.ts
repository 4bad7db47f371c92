// IP blocks (CIDRs) as NetworkPolicy's ipBlock takes them: the construct props and the validator
// judge them by the same rules. Stricter than the API server (which still takes a CIDR with host bits
// set, or with leading zeros, for old objects): a reviewer reads exactly the block that applies.

/** A parsed CIDR. */
export interface Cidr {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The network address as a number. */
  readonly network: bigint;
  /** The prefix length. */
  readonly prefix: number;
}

const IPV4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The CIDR `text` means, or why it is none (a phrase to put after "must be a CIDR ..."). With
 * `maskHostBits`, host bits are cleared (what the API server does) instead of refused.
 */
export function parseCidr(text: unknown, options: { maskHostBits?: boolean } = {}): Cidr | string {
  if (typeof text !== 'string') return 'not a string';
  const slash = text.indexOf('/');
  if (slash < 0) return "no prefix length (write '10.1.2.3/32' for one address)";
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = address.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) return `a prefix length from 0 to ${bits}`;
  const prefix = Number(prefixText);
  const value = family === 4 ? parseIpv4(address) : parseIpv6(address);
  if (value === undefined) return family === 4 ? 'not an IPv4 address a.b.c.d (no leading zeros)' : 'not an IPv6 address (no zone, no embedded IPv4)';
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if (options.maskHostBits) return { family, network: value & ~hostMask, prefix };
  if ((value & hostMask) !== 0n) {
    return `host bits set: the block is ${formatCidr({ family, network: value & ~hostMask, prefix })}`;
  }
  return { family, network: value, prefix };
}

/** Whether `inner` lies inside `outer` and is smaller (Kubernetes' rule for an ipBlock's `except`). */
export function isStrictSubset(inner: Cidr, outer: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix <= outer.prefix) return false;
  const bits = inner.family === 4 ? 32 : 128;
  const shift = BigInt(bits - outer.prefix);
  return (inner.network >> shift) === (outer.network >> shift);
}

/** Whether `inner` lies inside `outer` (or is it). */
export function cidrHolds(outer: Cidr, inner: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  const shift = BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);
  return (inner.network >> shift) === (outer.network >> shift);
}

/** The cloud metadata addresses (AWS, GCP, Azure, OpenStack; AWS's IPv6 one; Alibaba's), where a node's cloud credentials can be read. */
export const METADATA_ADDRESSES: readonly string[] = Object.freeze(['169.254.169.254/32', 'fd00:ec2::254/128', '100.100.100.200/32']);

/** The metadata address (`169.254.169.254`) a CIDR holds, if any. */
export function metadataAddressIn(cidr: Cidr): string | undefined {
  return METADATA_ADDRESSES.find((address) => cidrHolds(cidr, parseCidr(address) as Cidr))?.replace(/\/\d+$/, '');
}

function parseIpv4(text: string): bigint | undefined {
  const octets = text.split('.');
  if (octets.length !== 4 || !octets.every((o) => IPV4_OCTET.test(o) && Number(o) <= 255)) return undefined;
  return octets.reduce((n, o) => (n << 8n) | BigInt(o), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => g.every((x) => IPV6_GROUP.test(x)))) return undefined;
  const count = groups.reduce((n, g) => n + g.length, 0);
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const all = halves.length === 1 ? groups[0] : [...groups[0], ...Array(8 - count).fill('0'), ...groups[1]];
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function formatCidr(cidr: Cidr): string {
  if (cidr.family === 4) {
    return `${[24n, 16n, 8n, 0n].map((s) => String((cidr.network >> s) & 255n)).join('.')}/${cidr.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((cidr.network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${cidr.prefix}`;
}
