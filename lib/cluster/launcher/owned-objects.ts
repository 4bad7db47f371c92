import { KubeStatusError } from '../runtime/errors';
import { KubeClient, type KubeResource } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { backoffMs, sleep } from '../runtime/retry';
import { describeOwners, ownership, type Pod } from './vm-objects';

// What one run creates, and its removal at the end. An object of the same name that this pod created
// is adopted: an earlier attempt of this create whose answer was lost (a timeout after the API server
// had stored it: the retry gets 409 AlreadyExists), or a run before the container restarted. One an
// earlier pod of this runner left (ARC replaces a
// failed pod by one of the same name), which Kubernetes garbage-collects now that its owner is gone,
// is waited for; any other is an error. Deletes carry the uid as a precondition: an object someone
// made in its place is never deleted.

/** Why an object of this pod's is there when its create answers 409 AlreadyExists. */
export const ADOPTED = 'this pod created it (an earlier attempt whose answer was lost, or before its container restarted)';

interface Entry {
  readonly resource: KubeResource;
  readonly name: string;
  uid?: string;
  adopted?: boolean;
}

/** The object, or undefined when there is none (404). */
export async function getOrNone(kube: KubeClient, resource: KubeResource, namespace: string, name: string, options: { signal?: AbortSignal; attempts?: number } = {}): Promise<Record<string, any> | undefined> {
  try {
    return await kube.get(resource, namespace, name, options);
  } catch (error) {
    if (error instanceof KubeStatusError && error.code === 404) return undefined;
    throw error;
  }
}

export class OwnedObjects {
  /** In creation order: cleanup deletes them in reverse. */
  private readonly entries: Entry[] = [];

  constructor(private readonly kube: KubeClient, private readonly pod: Pod, private readonly log: Logger) {}

  /** Creates `object` (or adopts this pod's own); resolves what the API server stored. */
  async createOrAdopt(resource: KubeResource, object: Record<string, any>, signal: AbortSignal): Promise<Record<string, any>> {
    const { namespace } = this.pod;
    const name: string = object.metadata.name;
    const ref = KubeClient.describe(resource, namespace, name);
    const entry: Entry = { resource, name };
    this.entries.push(entry);
    for (let waits = 0; ;) {
      let created: Record<string, any> | undefined;
      try {
        created = await this.kube.create(resource, namespace, object, { signal });
      } catch (error) {
        if (!(error instanceof KubeStatusError && error.code === 409)) throw error;
      }
      if (created) {
        entry.uid = created.metadata?.uid;
        this.log.info(`created ${ref}`);
        return created;
      }
      const existing = await getOrNone(this.kube, resource, namespace, name, { signal });
      if (!existing) continue;
      const whose = ownership(existing, this.pod);
      if (whose === 'this pod' && resource.kind === 'Secret' && !sameData(existing, object)) {
        // Another JIT config of this pod (its container restarted and registered again): replaced by this run's.
        this.log.info(`replacing ${ref}: this pod created it with another JIT config before its container restarted`);
        await this.deleteIf(resource, name, existing.metadata.uid, signal);
        continue;
      }
      if (whose === 'this pod') {
        entry.uid = existing.metadata.uid;
        entry.adopted = true;
        this.log.info(`adopted ${ref}: ${ADOPTED}`);
        return existing;
      }
      if (whose === 'foreign') {
        // Not this run's to delete; another create may have been started since (clone mode posts two at once).
        this.entries.splice(this.entries.indexOf(entry), 1);
        throw new Error(`${ref} already exists and is not this pod's (${describeOwners(existing)}; this pod's uid is ${this.pod.uid}): `
          + 'refusing to adopt it; delete it if it is a leftover');
      }
      if (waits++ === 0) {
        this.log.info(`waiting for ${ref} to be deleted: it was created by an earlier pod of this runner (${describeOwners(existing)}) and Kubernetes deletes it with that pod`);
      }
      await sleep(backoffMs(this.kube.options.retryBaseDelayMs, waits), signal);
    }
  }

  /** Whether this run adopted the object rather than created it (for the VmiCreated Event). */
  wasAdopted(resource: KubeResource, name: string): boolean {
    return this.entries.some((e) => e.resource === resource && e.name === name && e.adopted === true);
  }

  /** Deletes what this run created or adopted; a failure is logged, not fatal: Kubernetes deletes it with the pod. */
  async cleanup(): Promise<void> {
    const signal = new AbortController().signal;
    for (const entry of [...this.entries].reverse()) {
      const ref = KubeClient.describe(entry.resource, this.pod.namespace, entry.name);
      try {
        let uid = entry.uid;
        if (!uid) {
          // Stopped while creating it: it exists only if the request got through.
          const existing = await getOrNone(this.kube, entry.resource, this.pod.namespace, entry.name, { signal });
          if (!existing || ownership(existing, this.pod) !== 'this pod') continue;
          uid = existing.metadata.uid as string;
        }
        this.log.info(`deleting ${ref}`);
        const result = await this.deleteIf(entry.resource, entry.name, uid, signal);
        this.log.info(result === 'deleted' ? `deleted ${ref}` : result === 'gone' ? `${ref} was already gone` : `${ref} is another object now (its uid is not ${uid}); left alone`);
      } catch (error) {
        this.log.warn(`${(error as Error).message}; Kubernetes deletes ${ref} with this pod (its ownerReference)`);
      }
    }
  }

  /** Deletes the object if it still has `uid` (background propagation). */
  private async deleteIf(resource: KubeResource, name: string, uid: string, signal: AbortSignal): Promise<'deleted' | 'gone' | 'replaced'> {
    const { namespace } = this.pod;
    try {
      await this.kube.request({
        what: `delete ${KubeClient.describe(resource, namespace, name)}`, method: 'DELETE', path: KubeClient.path(resource, namespace, name), signal,
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid } },
      });
      return 'deleted';
    } catch (error) {
      if (error instanceof KubeStatusError && error.code === 404) return 'gone';
      if (error instanceof KubeStatusError && error.code === 409) return 'replaced';
      throw error;
    }
  }
}

/** A Secret's data as this run would create it: the same JIT config (an earlier attempt of this run's create). */
function sameData(existing: Record<string, any>, object: Record<string, any>): boolean {
  return JSON.stringify(existing.data ?? {}) === JSON.stringify(object.data ?? {});
}
