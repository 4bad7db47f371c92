import { KubeClient } from '../runtime/kube';
import { watch } from '../runtime/kube-watch';
import type { Logger } from '../runtime/log';
import { formatSeconds } from '../runtime/retry';
import { failed, type Outcome } from './job-control';
import { JobStepError, LauncherEventReason, vmiObject } from './job-events';
import { getOrNone } from './owned-objects';
import { failureReason, VMI } from './vm-objects';

// Following the job's VMI with ONE resumable watch (../runtime/kube-watch.ts) until it is done: phase
// Succeeded with no deletion under way is the guest powering itself off after its job (exit 0);
// Failed, or a deletion by someone else (a deletionTimestamp seen, or the object gone), is a failure.
// KubeVirt shuts a deleted VMI's guest down gracefully and marks it Succeeded: only the
// deletionTimestamp tells that from a guest that powered off.

export interface FollowOptions {
  readonly signal: AbortSignal;
  /** The VMI first reached phase Running. */
  onRunning(): void;
}

export class VmiFollower {
  /** The last phase seen, for messages. */
  phase?: string;
  /** The VMI's `status.migrationState` when last seen: which virt-launcher pod ran the guest last (./runner-exit.ts). */
  migrationState?: Record<string, any>;
  private runningSince?: number;

  constructor(private readonly kube: KubeClient, private readonly namespace: string, private readonly name: string,
    private readonly log: Logger, private readonly startedAt: number) {}

  get ref(): string {
    return KubeClient.describe(VMI, this.namespace, this.name);
  }

  /** Follows `vmi` (as created or adopted) until it is done. */
  async follow(vmi: Record<string, any>, options: FollowOptions): Promise<Outcome> {
    const uid = vmi.metadata?.uid;
    let outcome = this.observe(vmi, uid, options);
    if (outcome) return outcome;
    const gone: Outcome = failed(`${this.ref} was deleted by someone else before its job ended`);
    await watch(this.kube, VMI, this.namespace, {
      fieldSelector: `metadata.name=${this.name}`,
      resourceVersion: vmi.metadata?.resourceVersion,
      signal: options.signal,
      // The VM runs its job whether or not the API server answers (a control-plane upgrade): the
      // boot and job timeouts bound the wait, not a number of attempts.
      attempts: Infinity,
      onList: (items) => {
        const current = items.find((item: Record<string, any>) => item.metadata?.name === this.name);
        outcome = current ? this.observe(current, uid, options) : gone;
        return outcome !== undefined;
      },
      onEvent: ({ type, object }: { type: string; object: Record<string, any> }) => {
        if (type === 'DELETED') outcome = object.metadata?.uid === uid ? gone : undefined;
        else outcome = this.observe(object, uid, options);
        return outcome !== undefined;
      },
      onRestart: (why) => this.log.info(`watch of ${this.ref}: ${why}`),
    });
    return outcome!;
  }

  /** Logs phase changes and says when the VMI is done. */
  private observe(vmi: Record<string, any>, uid: string, options: FollowOptions): Outcome | undefined {
    if (vmi.metadata?.uid !== uid) return failed(`${this.ref} was deleted by someone else and replaced by another object (uid ${vmi.metadata?.uid})`);
    if (vmi.metadata?.deletionTimestamp) {
      return failed(`${this.ref} was deleted by someone else (deletionTimestamp ${vmi.metadata.deletionTimestamp}, phase ${vmi.status?.phase ?? 'none'}) `
        + 'before its job ended: KubeVirt shuts its guest down');
    }
    this.migrationState = vmi.status?.migrationState;
    const phase = vmi.status?.phase;
    if (phase && phase !== this.phase) {
      this.phase = phase;
      if (phase === 'Running' && this.runningSince === undefined) {
        this.runningSince = Date.now();
        this.log.info(`${this.ref} phase Running after ${formatSeconds(this.runningSince - this.startedAt)}`);
        options.onRunning();
      } else {
        this.log.info(`${this.ref} phase ${phase}`);
      }
    }
    if (phase === 'Succeeded') return { ok: true, message: `${this.ref} succeeded: the guest powered off after its job` };
    if (phase === 'Failed') return failed(`${this.ref} failed: ${failureReason(vmi)}`);
    return undefined;
  }
}

/**
 * Waits until the runner image is ready: its bake VM's VMI has succeeded. A bake still under way is
 * waited for (the boot timeout bounds it) with one resumable watch from the resourceVersion of the first
 * read (a relist after 410 Gone, and when there was no bake VMI to read); one that failed never will
 * succeed: an error at once. `state` is told what the bake is at each look (and its uid once it exists),
 * for the boot timeout's message and Events.
 */
export async function waitForImage(kube: KubeClient, namespace: string, name: string, log: Logger, signal: AbortSignal,
  state: (now: string | undefined, uid?: string) => void): Promise<void> {
  const ref = KubeClient.describe(VMI, namespace, name);
  let last: string | undefined;
  /** True once the bake has succeeded; throws when it failed. */
  const observe = (bake: Record<string, any> | undefined): boolean => {
    const phase = bake?.status?.phase;
    if (phase === 'Succeeded') {
      if (last !== undefined) log.info(`the runner image is ready: ${ref} succeeded`);
      state(undefined);
      return true;
    }
    if (phase === 'Failed') {
      throw new JobStepError(`the runner image is not usable: its bake VM's ${ref} failed (${failureReason(bake!)}); bake it again`,
        LauncherEventReason.IMAGE_NOT_READY, vmiObject(namespace, name, bake!.metadata?.uid));
    }
    const now = bake ? `phase ${phase || 'none yet'}` : 'not created yet';
    if (now !== last) log.info(`waiting for the runner image: its bake VM's ${ref} has not succeeded (${now})`);
    last = now;
    state(now, bake?.metadata?.uid);
    return false;
  };
  const first = await getOrNone(kube, VMI, namespace, name, { signal, attempts: Infinity });
  if (observe(first)) return;
  await watch(kube, VMI, namespace, {
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: first?.metadata?.resourceVersion,
    signal,
    // The bake runs whether or not the API server answers: the boot timeout bounds the wait.
    attempts: Infinity,
    onList: (items) => observe(items.find((item: Record<string, any>) => item.metadata?.name === name)),
    onEvent: ({ type, object }) => observe(type === 'DELETED' ? undefined : object),
    onRestart: (why) => log.info(`watch of ${ref}: ${why}`),
  });
}
