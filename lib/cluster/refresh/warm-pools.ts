import { isKubeStatus } from '../runtime/errors';
import { KubeClient } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { POOL } from './image-objects';

// The warm pools' template names their image: the `rootdisk` volume of
// spec.virtualMachineTemplate.spec.template.spec (an ephemeral layer over the baked PVC, as
// RunnerWarmPool renders it). Pointing a pool at a new image is one JSON patch of that claimName with
// a `test` of the value read, so a change by someone else in between is a refusal (422), after which
// the pool is read again. The pool's updateStrategy (opportunistic) moves each VM onto the new
// template when it restarts after its job: a busy VM is never stopped.

const TEMPLATE_VOLUMES = '/spec/virtualMachineTemplate/spec/template/spec/volumes';
const ATTEMPTS = 3;

/** Where a volume names its claim, as a JSON pointer below the volume, and the name. */
function claimOf(volume: Record<string, any>): { path: string; claim: string } | undefined {
  if (typeof volume.ephemeral?.persistentVolumeClaim?.claimName === 'string') return { path: 'ephemeral/persistentVolumeClaim/claimName', claim: volume.ephemeral.persistentVolumeClaim.claimName };
  if (typeof volume.persistentVolumeClaim?.claimName === 'string') return { path: 'persistentVolumeClaim/claimName', claim: volume.persistentVolumeClaim.claimName };
  if (typeof volume.dataVolume?.name === 'string') return { path: 'dataVolume/name', claim: volume.dataVolume.name };
  return undefined;
}

/**
 * Points pool `name` at `volumeName` if it names an image of this RunnerImage (`isOurs`): the synthesized
 * one or a refreshed one; one that names another image is left alone. Resolves what happened.
 */
export async function pointPool(kube: KubeClient, namespace: string, name: string, volumeName: string, isOurs: (claim: string) => boolean,
  log: Logger, signal: AbortSignal): Promise<'unchanged' | 'pointed' | 'foreign'> {
  const ref = KubeClient.describe(POOL, namespace, name);
  for (let attempt = 1; ; attempt++) {
    const pool: Record<string, any> = await kube.get(POOL, namespace, name, { signal });
    const volumes: Record<string, any>[] = pool.spec?.virtualMachineTemplate?.spec?.template?.spec?.volumes ?? [];
    const index = volumes.findIndex((v) => v?.name === 'rootdisk');
    const found = index >= 0 ? claimOf(volumes[index]) : undefined;
    if (!found) throw new Error(`${ref} has no rootdisk volume with a claim in its template: cannot point it at ${volumeName}`);
    if (found.claim === volumeName) return 'unchanged';
    if (!isOurs(found.claim)) {
      log.warn(`${ref} boots ${found.claim}, not an image of this RunnerImage: left alone`);
      return 'foreign';
    }
    const path = `${TEMPLATE_VOLUMES}/${index}/${found.path}`;
    try {
      await kube.patch(POOL, namespace, name, [{ op: 'test', path, value: found.claim }, { op: 'replace', path, value: volumeName }], 'json', { signal });
      log.info(`pointed ${ref} at ${volumeName} (it booted ${found.claim}): each VM moves to it when it restarts after its job`);
      return 'pointed';
    } catch (error) {
      // The test failed: the template changed since it was read.
      if (!isKubeStatus(error, 422, 409) || attempt >= ATTEMPTS) throw error;
      log.info(`${ref} changed while it was being pointed at ${volumeName}: reading it again`);
    }
  }
}
