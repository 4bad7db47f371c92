import type { ImagePointer } from '../contract';
import { KubeClient } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { compareVersions } from '../runtime/runner-releases';
import { CONFIG_MAP } from './image-objects';
import { readPointer, writePointer, type PointerState } from './pointer';

// The switch: the pointer written with the precondition of what was read. When another writer got in
// between, the pointer is read again and the decision made again: a pointer that already names this
// image (this run's own write, whose answer was lost) is done; one from the same inputs with a runner
// at least as new wins, and this run's image is not needed; otherwise the write is tried again on
// what is there now.

const ATTEMPTS = 3;

export type SwitchOutcome = { readonly switched: true } | { readonly switched: false; readonly current: ImagePointer };

export async function switchPointer(kube: KubeClient, namespace: string, configMap: string, imageName: string, read: PointerState, next: ImagePointer,
  log: Logger, signal: AbortSignal): Promise<SwitchOutcome> {
  const ref = KubeClient.describe(CONFIG_MAP, namespace, configMap);
  let state = read;
  for (let attempt = 1; ; attempt++) {
    if (await writePointer(kube, namespace, configMap, imageName, state, next, signal) === 'written') return { switched: true };
    state = await readPointer(kube, namespace, configMap, signal, log);
    const now = state.pointer;
    const seen = now ? `${now.volumeName} (runner ${now.runnerVersion})` : state.exists ? 'an incomplete pointer' : 'nothing (it was deleted)';
    log.warn(`another writer changed ${ref} since it was read: it now names ${seen}`);
    if (now?.volumeName === next.volumeName) return { switched: true };
    if (now && now.source === next.source && compareVersions(now.runnerVersion, next.runnerVersion) >= 0) return { switched: false, current: now };
    if (attempt >= ATTEMPTS) throw new Error(`cannot switch ${ref} to ${next.volumeName}: another writer changed it ${attempt} times while this run wrote it`);
  }
}
