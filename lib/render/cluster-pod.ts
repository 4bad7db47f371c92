import { k8s } from 'cdk8s-plus-28';
import { CONFIG_FILE, POD_IDENTITY_ENV, type ClusterEntry, type ClusterEntryConfigs, type PodIdentityField } from '../cluster/contract';
import { clusterBundle } from './cluster-bundle';

// What every pod that runs an in-cluster entry point shares: its ConfigMap (the entry's bundle and
// its config file(s), rendered from the resolved spec through the contract's type), and the pod
// template around `node <mount>/<entry>.js <mount>/<config>.json` — a non-root, read-only,
// capability-less container with small requests, the ConfigMap mounted read-only, and the pod's
// identity from the downward API.

/** Where a job's ConfigMap is mounted: /etc/<entry>. */
export const clusterMount = (entry: ClusterEntry): string => `/etc/${entry}`;

/** The data of a job's ConfigMap: `<entry>.js` and each config file (`config.json` unless named). */
export function clusterConfigMapData<E extends ClusterEntry>(entry: E, configs: Readonly<Record<string, ClusterEntryConfigs[E]>>): Record<string, string> {
  const data: Record<string, string> = { [`${entry}.js`]: clusterBundle(entry) };
  for (const [file, config] of Object.entries(configs)) data[file] = `${JSON.stringify(config, null, 2)}\n`;
  return data;
}

/** A volume of the pod and where its container mounts it (read-only). */
export interface ClusterPodMount {
  readonly volume: k8s.Volume;
  readonly mountPath: string;
}

export interface ClusterPodInput {
  readonly entry: ClusterEntry;
  /** The container's name. */
  readonly containerName: string;
  readonly image: string;
  readonly serviceAccountName: string;
  /** The ConfigMap with clusterConfigMapData. */
  readonly configMapName: string;
  /** @default CONFIG_FILE */
  readonly configFile?: string;
  /** The downward-API variables the entry reads. */
  readonly identity: readonly PodIdentityField[];
  /** More environment (NODE_EXTRA_CA_CERTS). @default none */
  readonly env?: readonly k8s.EnvVar[];
  /** More volumes (credentials, CA). @default none */
  readonly mounts?: readonly ClusterPodMount[];
  /** Makes mounted Secrets (root's files) readable by the container's group. @default none */
  readonly fsGroup?: number;
}

const USER = 1000;

/** The pod spec that runs one entry point once (restartPolicy Never: a Job's or ARC's pod). */
export function clusterPodSpec(input: ClusterPodInput): k8s.PodSpec {
  const mount = clusterMount(input.entry);
  const mounts = input.mounts ?? [];
  return {
    serviceAccountName: input.serviceAccountName,
    automountServiceAccountToken: true,
    restartPolicy: 'Never',
    securityContext: {
      runAsNonRoot: true, runAsUser: USER, runAsGroup: USER,
      ...(input.fsGroup !== undefined ? { fsGroup: input.fsGroup } : {}),
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [{
      name: input.containerName,
      image: input.image,
      command: ['node', `${mount}/${input.entry}.js`, `${mount}/${input.configFile ?? CONFIG_FILE}`],
      env: [
        ...input.identity.map((field) => ({ name: POD_IDENTITY_ENV[field], valueFrom: { fieldRef: { fieldPath: `metadata.${field}` } } })),
        ...(input.env ?? []),
      ],
      resources: {
        requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('64Mi') },
        limits: { memory: k8s.Quantity.fromString('128Mi') },
      },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      volumeMounts: [
        { name: 'config', mountPath: mount, readOnly: true },
        ...mounts.map((m) => ({ name: m.volume.name, mountPath: m.mountPath, readOnly: true })),
      ],
    }],
    volumes: [{ name: 'config', configMap: { name: input.configMapName } }, ...mounts.map((m) => m.volume)],
  };
}

/** What differs between the library's scheduled in-cluster jobs. */
export interface ClusterCronJobInput {
  readonly schedule: string;
  /** @default the controller's time zone */
  readonly timeZone?: string;
  /** How late a missed run may still start (the controller was down, the cluster upgraded). */
  readonly startingDeadlineSeconds: number;
  /** The labels of the Jobs and their pods. */
  readonly labels: Record<string, string>;
  /** The Job each run makes (its pod template's labels are set here). */
  readonly job: k8s.JobSpec;
}

/**
 * A CronJob spec for an in-cluster entry: one run at a time (`Forbid`: each job reads, then writes the
 * same objects), the last success and three failures kept for `kubectl logs`.
 */
export function clusterCronJobSpec(input: ClusterCronJobInput): k8s.CronJobSpec {
  return {
    schedule: input.schedule,
    ...(input.timeZone !== undefined ? { timeZone: input.timeZone } : {}),
    concurrencyPolicy: 'Forbid',
    startingDeadlineSeconds: input.startingDeadlineSeconds,
    successfulJobsHistoryLimit: 1,
    failedJobsHistoryLimit: 3,
    jobTemplate: { metadata: { labels: input.labels }, spec: input.job },
  };
}
