import { Naming, propLabel } from '../private/naming';
import type { ResolvedProxy, ResolvedSetup } from './resolved';

// The in-cluster parts that talk to GitHub (the token refresher, the KEDA launcher in mint mode, ARC's
// controller through the AutoscalingRunnerSet) use the fleet's proxy and extra CA, the same settings
// its guests use: a fleet behind a proxy with a private CA is expressed once. The scripts tunnel
// HTTPS through the proxy themselves (lib/cluster/runtime/proxy.ts) and trust NODE_EXTRA_CA_CERTS.

/** The fleet's network settings the in-cluster pods use. */
export type ClusterNetwork = Pick<ResolvedSetup, 'proxy' | 'caCertificates' | 'caCertificatesFrom'>;

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
