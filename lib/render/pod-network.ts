import { ClusterNetwork } from '../spec/cluster-network';

// The env, files and volumes that give an in-cluster pod the fleet's extra CA. The proxy is not here:
// each entry point reads it from its config.json (lib/cluster/contract.ts, `github.proxy`).

/** The key of the inline certificates in the script's ConfigMap. */
export const CA_CONFIG_KEY = 'ca-certificates.pem';
/** Where a pod mounts the `caCertificatesFrom` key. */
export const CA_FROM_MOUNT = '/etc/extra-ca';
const CA_FROM_FILE = 'ca-certificates.pem';
export interface PodNetwork {
  readonly env: { name: string; value: string }[];
  /** Files to add to the script's ConfigMap (mounted at `scriptMount`). */
  readonly configData: Record<string, string>;
  /** Volumes to add, and where the container mounts them (read-only). */
  readonly mounts: { volume: Record<string, unknown> & { name: string }; mountPath: string }[];
}

/** The env, ConfigMap files and volumes that give a script's pod the fleet's CA (trusted through NODE_EXTRA_CA_CERTS). */
export function podNetwork(network: ClusterNetwork | undefined, scriptMount: string): PodNetwork {
  const env: { name: string; value: string }[] = [];
  const configData: Record<string, string> = {};
  const mounts: PodNetwork['mounts'] = [];
  if (!network) return { env, configData, mounts };
  const { caCertificates, caCertificatesFrom: from } = network;
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
