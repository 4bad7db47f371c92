import { isKubeStatus } from '../runtime/errors';
import { KubeClient, SECRET, type KubeResource } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { BAKE_STARTED_ANNOTATION, bakeName, DATA_VOLUME, isRefreshed, refreshedImagesSelector, VIRTUAL_MACHINE } from './image-objects';
import { imageUsers } from './image-users';

// Old refreshed images go when nothing uses them: besides the current image (and the one that was
// current when this run started, which a launcher may have read a moment before the switch), the
// `keep` newest refreshed images stay; each older one is deleted (bake VM, cloud-config Secret,
// DataVolume, only objects labelled as the refresher's for this image) when no VMI, DataVolume clone,
// VirtualMachine or pool template uses it. The synthesized image is never the refresher's to delete.

type Json = Record<string, any>;

export interface GcSettings {
  /** The RunnerImage's name (ImageRefresherConfig.name). */
  readonly name: string;
  readonly keep: number;
  /** Volumes never deleted by this run. */
  readonly protect: ReadonlySet<string>;
}

/** Deletes the unused refreshed images beyond `keep`; resolves the names deleted. */
export async function collectGarbage(kube: KubeClient, namespace: string, settings: GcSettings, log: Logger, signal: AbortSignal): Promise<string[]> {
  const { items } = await kube.list(DATA_VOLUME, namespace, { labelSelector: refreshedImagesSelector(settings.name), signal });
  const startedAt = (dv: Json): string => dv.metadata?.annotations?.[BAKE_STARTED_ANNOTATION] ?? dv.metadata?.creationTimestamp ?? '';
  const refreshed = (items as Json[]).filter((dv) => isRefreshed(dv, settings.name) && !settings.protect.has(dv.metadata?.name))
    .sort((a, b) => startedAt(b).localeCompare(startedAt(a)) || String(b.metadata?.name).localeCompare(String(a.metadata?.name)));
  const old = refreshed.slice(settings.keep);
  if (old.length === 0) return [];
  const users = await imageUsers(kube, namespace, signal);
  const deleted: string[] = [];
  for (const dv of old) {
    const volume: string = dv.metadata.name;
    const using = users.get(volume);
    if (using) {
      log.info(`keeping the old image ${volume}: in use by ${using.join(', ')}`);
      continue;
    }
    await deleteOwn(kube, VIRTUAL_MACHINE, namespace, bakeName(volume), settings.name, signal, log);
    await deleteOwn(kube, SECRET, namespace, bakeName(volume), settings.name, signal, log);
    await deleteOwn(kube, DATA_VOLUME, namespace, volume, settings.name, signal, log, dv);
    log.info(`deleted the old image ${volume} (baked ${startedAt(dv)}): nothing uses it`);
    deleted.push(volume);
  }
  return deleted;
}

/** Deletes `name` if it is the refresher's object for this image, and only that object (its uid). */
async function deleteOwn(kube: KubeClient, resource: KubeResource, namespace: string, name: string, imageName: string, signal: AbortSignal, log: Logger,
  known?: Json): Promise<void> {
  const ref = KubeClient.describe(resource, namespace, name);
  try {
    const object = known ?? await kube.get(resource, namespace, name, { signal });
    if (!isRefreshed(object, imageName)) {
      log.warn(`${ref} is not labelled as the image refresher's: left alone`);
      return;
    }
    await kube.delete(resource, namespace, name, { propagationPolicy: 'Background', preconditions: { uid: object.metadata.uid }, signal });
  } catch (error) {
    if (!isKubeStatus(error, 404)) throw error;
  }
}
