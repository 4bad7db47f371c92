// The scheduled scaler of a warm pool (RunnerWarmPool `activeHours`). A CronJob runs it at the start
// and at the end of active hours: it sets the replicas of one KubeVirt VirtualMachinePool (in the
// pod's namespace) through the pool's `/scale` subresource, with a JSON merge patch of the
// autoscaling/v1 Scale object: {"spec":{"replicas":N}}. Its Role allows get and patch on that one
// pool's `virtualmachinepools/scale`, and create on events (a failure is a Warning Event PoolScaleFailed on its pod).
//
// Scaling in is KubeVirt's: the pool deletes VMs by its scaleInStrategy, whether their runner is
// running a job or not. This job only says how many VMs the pool should have.
import type { PoolScalerConfig } from '../contract';
import { DNS_LABEL, podIdentity, type Fields } from '../runtime/config';
import { KubeStatusError } from '../runtime/errors';
import { isObject } from '../runtime/http';
import { KubeClient, type KubeResource } from '../runtime/kube';
import { kubeConnection, readRuntimeSettings, retryBaseDelayOf } from '../runtime/kube-connection';
import type { Logger } from '../runtime/log';
import { runEntry, type Runtime } from '../runtime/main';
import { withFailureEvent } from '../launcher/kube-event';

const POOL: KubeResource = { kind: 'VirtualMachinePool', group: 'pool.kubevirt.io', version: 'v1beta1', plural: 'virtualmachinepools' };
// A VirtualMachinePool's replicas are an int32; the library allows at most 10,000.
const MAX_REPLICAS = 10_000;

export function validate(fields: Fields): PoolScalerConfig {
  return {
    pool: fields.string('pool', { describe: 'a VirtualMachinePool name (a DNS label)', pattern: DNS_LABEL }),
    replicas: fields.integer('replicas', 0, MAX_REPLICAS),
    ...readRuntimeSettings(fields),
  };
}

async function scale(config: PoolScalerConfig, { log, env }: Runtime): Promise<void> {
  const { namespace } = podIdentity(env, ['namespace']);
  const kube = new KubeClient(kubeConnection(config.kubernetes, log, env), { log, retryBaseDelayMs: retryBaseDelayOf(config), client: 'pool-scaler' });
  // A failed scaling leaves the pool as it was: a Warning Event PoolScaleFailed on this pod says why.
  await withFailureEvent(kube, log, env, namespace, { component: 'pool-scaler', reason: 'PoolScaleFailed' }, () => scalePool(config, kube, namespace, log));
}

async function scalePool(config: PoolScalerConfig, kube: KubeClient, namespace: string, log: Logger): Promise<void> {
  const ref = KubeClient.describe(POOL, namespace, config.pool);
  const call = async (verb: 'get' | 'patch', request: () => Promise<Record<string, unknown>>) => {
    try {
      return await request();
    } catch (error) {
      if (error instanceof KubeStatusError) throw new Error(`${error.message}. ${hint(error, verb, namespace, config.pool)}`);
      throw error;
    }
  };
  const before = replicasOf(await call('get', () => kube.get(POOL, namespace, config.pool, { subresource: 'scale' })));
  if (before === config.replicas) {
    log.info(`${ref} already has ${config.replicas} replicas; nothing to do`);
    return;
  }
  const stored = replicasOf(await call('patch', () => kube.patch(POOL, namespace, config.pool, { spec: { replicas: config.replicas } }, 'merge', { subresource: 'scale' })));
  if (stored !== config.replicas) throw new Error(`patched the scale of ${ref}, but the API server answered spec.replicas ${stored}, not ${config.replicas}`);
  log.info(`scaled ${ref} from ${before} to ${config.replicas} replicas`);
}

/**
 * spec.replicas of an autoscaling/v1 Scale. Its ScaleSpec.replicas is `omitempty`: a pool at 0
 * replicas is served as `"spec": {}`, so a missing value is 0.
 */
function replicasOf(scale: Record<string, unknown>): number {
  const replicas = isObject(scale.spec) ? scale.spec.replicas : undefined;
  return Number.isInteger(replicas) ? (replicas as number) : 0;
}

/** What a refusal means for this job. */
function hint(error: KubeStatusError, verb: string, namespace: string, pool: string): string {
  switch (error.code) {
    case 401:
      return 'The API server does not accept the pod\'s ServiceAccount token';
    case 403:
      return `The pod's ServiceAccount may not ${verb} it: its Role needs the verbs get and patch on `
        + `virtualmachinepools/scale in API group pool.kubevirt.io with resourceNames [${pool}] in namespace ${namespace}`;
    case 404:
      return `Is the pool applied in namespace ${namespace}, and does the cluster serve pool.kubevirt.io/v1beta1 (KubeVirt 1.7 or later)?`;
    case 422:
      return 'The API server refused the new replicas';
    default:
      return 'The API server refused it';
  }
}

if (require.main === module) runEntry('pool-scaler', validate, scale);
