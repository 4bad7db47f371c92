import { AbortedError, isKubeStatus } from '../runtime/errors';
import { KubeClient, SECRET, type KubeResource } from '../runtime/kube';
import { watch } from '../runtime/kube-watch';
import type { Logger } from '../runtime/log';
import { formatSeconds } from '../runtime/retry';
import { failureReason } from '../launcher/vm-objects';
import type { BakeObjects } from './bake-templates';
import { DATA_VOLUME, isRefreshed, VIRTUAL_MACHINE, VMI } from './image-objects';

// One bake: the cloud-config Secret, the DataVolume (CDI imports the base image into it) and the bake
// VirtualMachine (runStrategy Once) are created; KubeVirt starts its VMI, the guest installs the
// updates and the runner and powers off: phase Succeeded is a ready image. One resumable watch of
// that VMI, bounded by the bake timeout. A bake that fails or times out is deleted again: a refresh
// either ends with a ready image or leaves nothing behind.

type Json = Record<string, any>;

/** The objects one run created (or found from an earlier run of the same bake), for its cleanup. */
export class Bake {
  private readonly created: { resource: KubeResource; name: string; uid?: string }[] = [];

  constructor(private readonly kube: KubeClient, private readonly namespace: string, private readonly imageName: string, private readonly log: Logger) {}

  /**
   * Creates the three objects. An object of the same name that an earlier run of the refresher made
   * (the same image, runner version and day: the same name) is taken over; any other is an error.
   */
  async create(objects: BakeObjects, signal: AbortSignal): Promise<void> {
    for (const [resource, object] of [[SECRET, objects.secret], [DATA_VOLUME, objects.dataVolume], [VIRTUAL_MACHINE, objects.bakeVm]] as const) {
      const name: string = object.metadata.name;
      const ref = KubeClient.describe(resource, this.namespace, name);
      const entry: { resource: KubeResource; name: string; uid?: string } = { resource, name };
      this.created.push(entry);
      let stored: Json;
      try {
        stored = await this.kube.create(resource, this.namespace, object, { signal });
        this.log.info(`created ${ref}`);
      } catch (error) {
        if (!isKubeStatus(error, 409)) throw error;
        stored = await this.kube.get(resource, this.namespace, name, { signal });
        if (!isRefreshed(stored, this.imageName)) throw new Error(`${ref} already exists and is not a refreshed image of ${this.imageName}: refusing to bake into it`);
        this.log.info(`${ref} exists from an earlier run of this bake: taking it over`);
      }
      entry.uid = stored.metadata.uid;
    }
  }

  /** Resolves when the bake VM's VMI succeeded; throws when it failed, went away, or `timeoutSeconds` passed. */
  async waitUntilBaked(vmiName: string, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    const ref = KubeClient.describe(VMI, this.namespace, vmiName);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutSeconds * 1000);
    const stop = () => deadline.abort();
    signal.addEventListener('abort', stop, { once: true });
    const started = Date.now();
    let phase: string | undefined;
    let outcome: { ok: true } | { ok: false; why: string } | undefined;
    const observe = (vmi: Json | undefined, deleted = false) => {
      if (!vmi) return false;
      const now = vmi.status?.phase;
      if (now && now !== phase) this.log.info(`${ref} phase ${now} after ${formatSeconds(Date.now() - started)}`);
      phase = now;
      if (deleted || vmi.metadata?.deletionTimestamp) outcome = { ok: false, why: `${ref} was deleted before the bake ended` };
      else if (now === 'Succeeded') outcome = { ok: true };
      else if (now === 'Failed') outcome = { ok: false, why: `${ref} failed: ${failureReason(vmi)}` };
      return outcome !== undefined;
    };
    try {
      // A Retry-After within the bake timeout is waited in full; one beyond it fails at once, naming both.
      const kube = this.kube.withDeadline(() => ({ at: started + timeoutSeconds * 1000, what: `the bake timeout (bakeTimeoutSeconds ${timeoutSeconds})` }));
      await watch(kube, VMI, this.namespace, {
        fieldSelector: `metadata.name=${vmiName}`,
        signal: deadline.signal,
        // The bake runs whether or not the API server answers: only the timeout bounds the wait.
        attempts: Infinity,
        onList: (items) => observe(items.find((item: Json) => item.metadata?.name === vmiName)),
        onEvent: ({ type, object }) => observe(object, type === 'DELETED'),
        onRestart: (why) => this.log.info(`watch of ${ref}: ${why}`),
      });
    } catch (error) {
      if (!(error instanceof AbortedError) || signal.aborted) throw error;
      const image = await this.dataVolumePhase(vmiName.replace(/-bake$/, ''));
      throw new Error(`the bake did not finish within ${timeoutSeconds}s (bakeTimeoutSeconds): ${ref} is in phase ${phase ?? 'none (not created yet)'}${image}`);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
    if (!outcome!.ok) throw new Error(outcome!.why);
    this.log.info(`${ref} succeeded after ${formatSeconds(Date.now() - started)}: the image is baked`);
  }

  /** Deletes what this run created, newest first, each only if it is still the object created (uid). Failures are logged: the next run's GC retries. */
  async remove(): Promise<void> {
    for (const { resource, name, uid: known } of [...this.created].reverse()) {
      const ref = KubeClient.describe(resource, this.namespace, name);
      try {
        // Stopped while creating it: it exists only if the request got through.
        const uid = known ?? await this.ownUid(resource, name);
        if (!uid) continue;
        await this.kube.delete(resource, this.namespace, name, { propagationPolicy: 'Background', preconditions: { uid } });
        this.log.info(`deleted ${ref}`);
      } catch (error) {
        if (isKubeStatus(error, 404)) continue;
        this.log.warn(`could not delete ${ref}: ${(error as Error).message}`);
      }
    }
    this.created.length = 0;
  }

  private async ownUid(resource: KubeResource, name: string): Promise<string | undefined> {
    try {
      const object: Json = await this.kube.get(resource, this.namespace, name);
      return isRefreshed(object, this.imageName) ? object.metadata?.uid : undefined;
    } catch (error) {
      if (isKubeStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** `; DataVolume ns/x is in phase ImportInProgress (42.0%)`, or '' when it cannot be read. */
  private async dataVolumePhase(volumeName: string): Promise<string> {
    try {
      const dv: Json = await this.kube.get(DATA_VOLUME, this.namespace, volumeName, { attempts: 1 });
      const progress = dv.status?.progress && dv.status.progress !== 'N/A' ? ` (${dv.status.progress})` : '';
      return `; ${KubeClient.describe(DATA_VOLUME, this.namespace, volumeName)} is in phase ${dv.status?.phase ?? 'none'}${progress}`;
    } catch {
      return '';
    }
  }
}
