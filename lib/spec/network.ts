import { X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { Distribution } from '../platform';
import { validateDnsSubdomain } from '../private/names';
import { at, Naming, propLabel, show } from '../private/naming';
import { validateAptSigningKey } from '../private/openpgp';
import { validateUrl } from '../private/url';
import type { AptMirrorOptions, DockerDaemonOptions, KeyReference, ProxyOptions } from './options';
import type { ResolvedAptMirror, ResolvedDockerDaemon, ResolvedKeyReference, ResolvedProxy } from './resolved';

// The runner spec, the guest's network: proxy, extra CAs, apt mirrors and the Docker daemon, the
// options that let a runner live inside a company network. Everything here reaches a file or a shell
// in the guest, so every value is checked to the characters its file format can take.

/** What every proxy's no_proxy starts with: a proxy for the machine itself is always wrong. */
export const LOOPBACK_NO_PROXY: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '::1']);

const DNS_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----$/;
const SUITE = /^(?:\$RELEASE(?:-[a-z0-9][a-z0-9.+-]*)?|[a-z0-9][a-z0-9.+-]*)$/;
const COMPONENT = /^[a-z0-9][a-z0-9.+/-]*$/;
// Kubernetes' rule for Secret and ConfigMap keys (IsConfigMapKey), without what clashes with the volume's own symlinks.
const OBJECT_KEY = /^(?!\.\.)(?!\.$)[-._a-zA-Z0-9]{1,253}$/;

const DEFAULT_SUITES: Readonly<Record<Distribution, readonly string[]>> = {
  [Distribution.UBUNTU]: ['$RELEASE', '$RELEASE-updates', '$RELEASE-security'],
  [Distribution.DEBIAN]: ['$RELEASE', '$RELEASE-updates'],
};
const DEFAULT_COMPONENTS: Readonly<Record<Distribution, readonly string[]>> = {
  [Distribution.UBUNTU]: ['main', 'restricted', 'universe', 'multiverse'],
  [Distribution.DEBIAN]: ['main'],
};

/** Checks the proxy: http(s) URLs without credentials, and no_proxy entries. */
export function resolveProxy(naming: Naming, proxy: ProxyOptions | undefined): ResolvedProxy | undefined {
  if (proxy === undefined) return undefined;
  if (typeof proxy !== 'object' || proxy === null) throw new Error(`${propLabel(naming, 'proxy')} must be { http?, https?, noProxy? }, got ${show(proxy)}`);
  if (proxy.http === undefined && proxy.https === undefined) {
    throw new Error(`${propLabel(naming, 'proxy')} needs 'http' or 'https' (or both), got ${show(proxy)}`);
  }
  const noProxy = validateList(naming, 'proxy.noProxy', proxy.noProxy, isNoProxyEntry,
    'a host name, a .domain suffix, an IP address or a CIDR (no port, no wildcard)');
  return Object.freeze({
    ...(proxy.http !== undefined ? { http: validateProxyUrl(naming, 'proxy.http', proxy.http) } : {}),
    ...(proxy.https !== undefined ? { https: validateProxyUrl(naming, 'proxy.https', proxy.https) } : {}),
    noProxy: Object.freeze([...LOOPBACK_NO_PROXY, ...noProxy.filter((entry) => !LOOPBACK_NO_PROXY.includes(entry))]),
  });
}

function validateProxyUrl(naming: Naming, prop: string, value: string): string {
  // Checked before validateUrl, to say why: the URL would be written into the synthesized YAML.
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    throw new Error(`${propLabel(naming, prop)} must not contain credentials: a proxy user and password would be written in clear text `
      + 'into the synthesized YAML (the cloud-config Secret) and into files every job can read; use a proxy that admits the runners by '
      + `address, got ${JSON.stringify(value.replace(/\/\/[^/?#]*@/, '//***@'))}`);
  }
  const url = validateUrl(...at(naming, prop), value, { protocols: ['http:', 'https:'], base: true });
  if (url.parsed.pathname !== '/') throw new Error(`${propLabel(naming, prop)} must be a proxy URL without a path (http://host:port), got ${show(value)}`);
  return url.text;
}

function isNoProxyEntry(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return false;
  if (prefix !== undefined) {
    if (!/^[0-9]{1,3}$/.test(prefix)) return false;
    return (isIPv4(address) && Number(prefix) <= 32) || (isIPv6(address) && Number(prefix) <= 128);
  }
  return isIPv4(entry) || isIPv6(entry) || DNS_NAME.test(entry.startsWith('.') ? entry.slice(1) : entry);
}

/** Checks PEM certificates: each one CERTIFICATE block that parses as X.509. Returns them with Unix line ends and a final newline. */
export function resolveCaCertificates(naming: Naming, certificates: readonly string[] | undefined): readonly string[] {
  const prop = 'caCertificates';
  if (certificates === undefined) return Object.freeze([]);
  if (!Array.isArray(certificates)) throw new Error(`${propLabel(naming, prop)} must be an array of PEM certificates, got ${show(certificates)}`);
  return Object.freeze(certificates.map((pem, i) => {
    const text = typeof pem === 'string' ? pem.replace(/\r\n/g, '\n').trim() : undefined;
    const fail = (why: string): never => {
      throw new Error(`${propLabel(naming, prop)} entry ${i} ${why}, got ${show(typeof pem === 'string' && pem.length > 80 ? `${pem.slice(0, 80)}...` : pem)}`);
    };
    if (text === undefined || !PEM_CERTIFICATE.test(text)) {
      return fail('must be one PEM certificate: -----BEGIN CERTIFICATE-----, base64 lines, -----END CERTIFICATE----- (no private key, no second block)');
    }
    try {
      new X509Certificate(text);
    } catch (error) {
      return fail(`is not a readable X.509 certificate (${(error as Error).message})`);
    }
    return `${text}\n`;
  }));
}

/** Checks a Secret or ConfigMap key reference: exactly one of secret and configMap, and a key. */
export function resolveKeyReference(naming: Naming, prop: string, reference: KeyReference | undefined): ResolvedKeyReference | undefined {
  if (reference === undefined) return undefined;
  const [owner, name] = at(naming, prop);
  if (typeof reference !== 'object' || reference === null || (reference.secret === undefined) === (reference.configMap === undefined)) {
    throw new Error(`${owner} '${name}' must name exactly one of 'secret' and 'configMap', and a 'key', got ${show(reference)}`);
  }
  if (typeof reference.key !== 'string' || !OBJECT_KEY.test(reference.key)) {
    throw new Error(`${owner} '${name}.key' must be a Secret or ConfigMap key ([-._a-zA-Z0-9]+, not '.', '..' or starting with '..'), got ${show(reference.key)}`);
  }
  const kind = reference.secret !== undefined ? 'secret' : 'configMap';
  return Object.freeze({ kind, name: validateDnsSubdomain(owner, `${name}.${kind}`, reference[kind]!), key: reference.key });
}

/** Checks the apt mirror and fills in the distribution's suites and components. */
export function resolveAptMirror(naming: Naming, mirror: AptMirrorOptions | undefined, distribution: Distribution): ResolvedAptMirror | undefined {
  if (mirror === undefined) return undefined;
  if (typeof mirror !== 'object' || mirror === null) throw new Error(`${propLabel(naming, 'aptMirror')} must be { url, signingKey?, ... }, got ${show(mirror)}`);
  const url = (prop: string, value: string) => validateUrl(...at(naming, prop), value, { protocols: ['https:', 'http:'], base: true }).text;
  const suites = validateList(naming, 'aptMirror.suites', mirror.suites ?? [...DEFAULT_SUITES[distribution]], (s) => SUITE.test(s),
    "a suite name such as 'bookworm' or '$RELEASE-updates' ($RELEASE is the image's codename)", true);
  return Object.freeze({
    url: url('aptMirror.url', mirror.url),
    ...(mirror.signingKey !== undefined ? { signingKey: validateAptSigningKey(...at(naming, 'aptMirror.signingKey'), mirror.signingKey) } : {}),
    suites,
    components: validateList(naming, 'aptMirror.components', mirror.components ?? [...DEFAULT_COMPONENTS[distribution]], (c) => COMPONENT.test(c),
      "a component name such as 'main'", true),
    ...(mirror.securityUrl !== undefined ? { securityUrl: url('aptMirror.securityUrl', mirror.securityUrl) } : {}),
  });
}

/** Checks daemon.json's settings. */
export function resolveDockerDaemon(naming: Naming, daemon: DockerDaemonOptions | undefined): ResolvedDockerDaemon {
  if (daemon !== undefined && (typeof daemon !== 'object' || daemon === null)) {
    throw new Error(`${propLabel(naming, 'dockerDaemon')} must be { registryMirrors?, insecureRegistries? }, got ${show(daemon)}`);
  }
  const mirrors = validateList(naming, 'dockerDaemon.registryMirrors', daemon?.registryMirrors, () => true, '');
  return Object.freeze({
    registryMirrors: Object.freeze(mirrors.map((m) => validateUrl(...at(naming, 'dockerDaemon.registryMirrors'), m,
      { protocols: ['https:', 'http:'], base: true }).text)),
    insecureRegistries: validateList(naming, 'dockerDaemon.insecureRegistries', daemon?.insecureRegistries, isRegistry,
      "a registry as host[:port] (e.g. 'registry.corp:5000') or a CIDR (e.g. '10.0.0.0/8')"),
  });
}

function isRegistry(entry: string): boolean {
  const cidr = /^([0-9.]+)\/([0-9]{1,2})$/.exec(entry);
  if (cidr) return isIPv4(cidr[1]) && Number(cidr[2]) <= 32;
  const hostPort = /^(.+?)(?::([0-9]{1,5}))?$/.exec(entry)!;
  if (hostPort[2] !== undefined && (Number(hostPort[2]) < 1 || Number(hostPort[2]) > 65535)) return false;
  return isIPv4(hostPort[1]) || DNS_NAME.test(hostPort[1]);
}

function validateList(naming: Naming, prop: string, values: readonly string[] | undefined, valid: (value: string) => boolean, what: string,
  nonEmpty = false): readonly string[] {
  if (values !== undefined && !Array.isArray(values)) throw new Error(`${propLabel(naming, prop)} must be an array, got ${show(values)}`);
  if (nonEmpty && values!.length === 0) throw new Error(`${propLabel(naming, prop)} must not be empty`);
  for (const value of values ?? []) {
    if (typeof value !== 'string' || !valid(value)) throw new Error(`${propLabel(naming, prop)} entry must be ${what}, got ${show(value)}`);
  }
  return Object.freeze([...(values ?? [])]);
}
