import type { ImagePointer } from '../contract';
import { isKubeStatus } from '../runtime/errors';
import { isObject } from '../runtime/http';
import { KubeClient } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { RUNNER_VERSION_PATTERN } from '../runtime/runner-releases';
import { CONFIG_MAP, IMAGE_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from './image-objects';

// The fleet's current image, in one ConfigMap that launchers read once per job and only the refresher
// writes. One write switches the fleet: the API server stores the whole data map at once, so a reader
// sees the old pointer or the new one, never half of each. Every write carries a precondition (create
// fails when the ConfigMap exists; an update names the resourceVersion it read): another writer in
// between is a 409, after which the pointer is read again and the decision made again.

/** The pointer as read: its data (when complete) and the resourceVersion a write must name. */
export interface PointerState {
  /** The ConfigMap exists. */
  readonly exists: boolean;
  readonly resourceVersion?: string;
  /** The data, when it is a complete ImagePointer. */
  readonly pointer?: ImagePointer;
}

const FIELDS = ['volumeName', 'source', 'runnerVersion', 'bakedAt'] as const;

export async function readPointer(kube: KubeClient, namespace: string, name: string, signal: AbortSignal, log: Logger): Promise<PointerState> {
  let object: Record<string, any>;
  try {
    object = await kube.get(CONFIG_MAP, namespace, name, { signal });
  } catch (error) {
    if (isKubeStatus(error, 404)) return { exists: false };
    throw error;
  }
  const data: Record<string, unknown> = isObject(object.data) ? object.data : {};
  const complete = FIELDS.every((field) => typeof data[field] === 'string' && data[field] !== '') && RUNNER_VERSION_PATTERN.test(data.runnerVersion as string);
  if (!complete) log.warn(`${KubeClient.describe(CONFIG_MAP, namespace, name)} is not a complete image pointer (${FIELDS.join(', ')}): launchers ignore it; the next switch replaces it`);
  const pointer = complete ? Object.fromEntries(FIELDS.map((field) => [field, data[field]])) as unknown as ImagePointer : undefined;
  return { exists: true, resourceVersion: object.metadata?.resourceVersion, pointer };
}

/**
 * Writes `next` if the pointer is still as `read` saw it: 'written', or 'conflict' when another
 * writer changed (or created, or deleted) it since.
 */
export async function writePointer(kube: KubeClient, namespace: string, name: string, imageName: string, read: PointerState, next: ImagePointer,
  signal: AbortSignal): Promise<'written' | 'conflict'> {
  const body = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [IMAGE_LABEL]: imageName },
      ...(read.exists ? { resourceVersion: read.resourceVersion } : {}),
    },
    data: { ...next },
  };
  try {
    if (read.exists) {
      await kube.request({ what: `update ${KubeClient.describe(CONFIG_MAP, namespace, name)}`, method: 'PUT', path: KubeClient.path(CONFIG_MAP, namespace, name), body, signal });
    } else {
      await kube.create(CONFIG_MAP, namespace, body, { signal });
    }
    return 'written';
  } catch (error) {
    // 409: AlreadyExists (created since) or Conflict (changed since); 404: deleted since.
    if (isKubeStatus(error, 409) || (read.exists && isKubeStatus(error, 404))) return 'conflict';
    throw error;
  }
}
