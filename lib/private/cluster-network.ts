import type { ResolvedKeyReference, ResolvedProxy, ResolvedSetup } from '../runner-spec';
import { Naming, propLabel } from './naming';

// The in-cluster parts that talk to GitHub (the token refresher, the KEDA launcher in mint mode, ARC's
// controller through the AutoscalingRunnerSet) use the fleet's proxy and extra CA, the same settings
// its guests use: a fleet behind a proxy with a private CA is expressed once. The in-cluster code
// tunnels HTTPS through the proxy itself (lib/cluster/runtime/proxy.ts, the proxy in its config file)
// and trusts NODE_EXTRA_CA_CERTS.

/** The fleet's network settings the in-cluster pods use. */
export interface ClusterNetwork {
  readonly proxy?: ResolvedProxy;
  /** PEM certificates, each ending in a newline. */
  readonly caCertificates: readonly string[];
  readonly caCertificatesFrom?: ResolvedKeyReference;
}

/** The key of the inline certificates in the script's ConfigMap. */
export const CA_CONFIG_KEY = 'ca-certificates.pem';
/** Where a pod mounts the `caCertificatesFrom` key. */
export const CA_FROM_MOUNT = '/etc/extra-ca';
const CA_FROM_FILE = 'ca-certificates.pem';
/** What is never sent through the proxy, besides the fleet's noProxy: the cluster's own services. */
export const CLUSTER_NO_PROXY: readonly string[] = Object.freeze(['.svc', '.cluster.local']);

/** The network part of a set-up. */
export function clusterNetworkOf(setup: Pick<ResolvedSetup, 'proxy' | 'caCertificates' | 'caCertificatesFrom'>): ClusterNetwork {
  return {
    ...(setup.proxy ? { proxy: setup.proxy } : {}),
    caCertificates: setup.caCertificates,
    ...(setup.caCertificatesFrom ? { caCertificatesFrom: setup.caCertificatesFrom } : {}),
  };
}

/** The proxy's no_proxy for in-cluster pods: the fleet's entries, then the cluster's domains. */
export function clusterNoProxy(proxy: ResolvedProxy): string[] {
  return [...proxy.noProxy, ...CLUSTER_NO_PROXY.filter((entry) => !proxy.noProxy.includes(entry))];
}

/**
 * Node.js trusts one extra CA file (NODE_EXTRA_CA_CERTS): the inline certificates and a Secret or
 * ConfigMap key cannot both reach it without a copy step, so both at once is refused for the pods.
 */
export function checkOneCaSource(naming: Naming, network: ClusterNetwork, part: string): void {
  if (network.caCertificates.length > 0 && network.caCertificatesFrom) {
    throw new Error(`${propLabel(naming, 'caCertificatesFrom')} and ${propLabel(naming, 'caCertificates')} are both set, but ${part} trusts `
      + 'one extra CA file (NODE_EXTRA_CA_CERTS): give all the CA certificates one way, either inline in caCertificates or in the '
      + 'one key of caCertificatesFrom');
  }
}

export interface PodNetwork {
  readonly env: { name: string; value: string }[];
  /** Files to add to the script's ConfigMap (mounted at `scriptMount`). */
  readonly configData: Record<string, string>;
  /** Volumes to add, and where the container mounts them (read-only). */
  readonly mounts: { volume: Record<string, unknown> & { name: string }; mountPath: string }[];
}

/**
 * The env, ConfigMap files and volumes that give a script's pod the fleet's proxy and CA. With
 * `proxyEnv: false` the proxy is left out (an entry point that reads it from its config file).
 */
export function podNetwork(network: ClusterNetwork | undefined, scriptMount: string, { proxyEnv = true } = {}): PodNetwork {
  const env: { name: string; value: string }[] = [];
  const configData: Record<string, string> = {};
  const mounts: PodNetwork['mounts'] = [];
  if (!network) return { env, configData, mounts };
  const { proxy, caCertificates, caCertificatesFrom: from } = network;
  if (proxy && proxyEnv) {
    if (proxy.https) env.push({ name: 'HTTPS_PROXY', value: proxy.https });
    if (proxy.http) env.push({ name: 'HTTP_PROXY', value: proxy.http });
    env.push({ name: 'NO_PROXY', value: clusterNoProxy(proxy).join(',') });
  }
  if (caCertificates.length > 0) {
    configData[CA_CONFIG_KEY] = caCertificates.join('');
    env.push({ name: 'NODE_EXTRA_CA_CERTS', value: `${scriptMount}/${CA_CONFIG_KEY}` });
  } else if (from) {
    const items = [{ key: from.key, path: CA_FROM_FILE }];
    // Not optional: without its CA the pod's every call to the company's GitHub would fail anyway.
    const volume = from.kind === 'secret'
      ? { name: 'extra-ca', secret: { secretName: from.name, items, defaultMode: 0o444 } }
      : { name: 'extra-ca', configMap: { name: from.name, items } };
    mounts.push({ volume, mountPath: CA_FROM_MOUNT });
    env.push({ name: 'NODE_EXTRA_CA_CERTS', value: `${CA_FROM_MOUNT}/${CA_FROM_FILE}` });
  }
  return { env, configData, mounts };
}

/** The Secret (created out of band) the pods read their CA from, if any. */
export function caSecretNames(network: ClusterNetwork | undefined): string[] {
  return network?.caCertificatesFrom?.kind === 'secret' ? [network.caCertificatesFrom.name] : [];
}
