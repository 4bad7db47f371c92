import { randomBytes } from 'node:crypto';
import { AbortedError, isKubeStatus } from '../runtime/errors';
import type { KubeClient, KubeResource } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { formatSeconds } from '../runtime/retry';

// Core/v1 Events, as `kubectl get events` and `kubectl describe` show them: what an admin sees of an
// in-cluster job's run without reading its log. The one recorder of the launchers, the token
// refresher and the pool scaler. Recording one is never worth failing or slowing a run for: Events
// go out one at a time behind the run (`record` returns at once, `flush` waits for them at the end),
// every message passes through the logger's redaction, and a Role without `create` on events (403)
// is one warning line, after which the run records no more.

export const EVENT: KubeResource = { kind: 'Event', group: '', version: 'v1', plural: 'events' };

/** The object an Event is about. */
export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** `kubectl describe` lists the Events whose involvedObject has the object's uid. @default none (an object not created yet) */
  readonly uid?: string;
}

export type EventType = 'Normal' | 'Warning';

/** Who records: the entry point (source and reporting component) and this pod's name (reporting instance). */
export interface EventSource {
  readonly component: string;
  readonly instance: string;
}

/** How long the end of a run waits for its last Events: well inside a pod's grace period (the launchers' is 60 s). */
const FLUSH_LIMIT_MS = 10_000;
/** The API server refuses a message over 1 KiB (ValidateEventCreate). */
const MAX_MESSAGE_BYTES = 1024;

export class EventRecorder {
  private queue: Promise<void> = Promise.resolve();
  private refused = false;

  constructor(private readonly kube: KubeClient, private readonly log: Logger, private readonly source: EventSource) {}

  /** Queues an Event about `object` in its namespace (UpperCamelCase `reason`, as kubectl's REASON column shows it). */
  record(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    const body = eventBody(object, type, reason, this.log.redact(message), this.source);
    this.queue = this.queue.then(() => this.send(object, body));
  }

  /**
   * Resolves once every queued Event is recorded or given up, or after `limitMs` (an API server that does not answer must not hold
   * the exit past a pod's grace period: one warning line then); never rejects.
   */
  async flush(limitMs = FLUSH_LIMIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), limitMs);
    });
    const result = await Promise.race([this.queue, late]);
    clearTimeout(timer);
    if (result === 'late') this.log.warn(`gave up waiting for the API server to record this run's last Events after ${formatSeconds(limitMs)}`);
  }

  private async send(object: InvolvedObject, body: Record<string, any>): Promise<void> {
    if (this.refused) return;
    try {
      await this.kube.create(EVENT, object.namespace, body, { attempts: 3 });
    } catch (error) {
      const where = `${object.kind} ${object.namespace}/${object.name}`;
      if (isKubeStatus(error, 403)) {
        this.refused = true;
        this.log.warn(`${(error as Error).message}: the Role needs create on events; no Event ${body.reason} on ${where}, nor any later Event of this run`);
      } else {
        this.log.warn(`${(error as Error).message}; no Event ${body.reason} on ${where}`);
      }
    }
  }
}

function eventBody(object: InvolvedObject, type: EventType, reason: string, message: string, source: EventSource): Record<string, any> {
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    // As client-go's recorder names them: the object's name and a unique suffix.
    metadata: { name: `${object.name}.${randomBytes(8).toString('hex')}`, namespace: object.namespace },
    involvedObject: { ...object },
    type,
    reason,
    message: truncate(message),
    source: { component: source.component },
    reportingComponent: source.component,
    reportingInstance: source.instance,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

function truncate(message: string): string {
  if (Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) return message;
  let cut = message.slice(0, MAX_MESSAGE_BYTES - 3);
  while (Buffer.byteLength(cut) > MAX_MESSAGE_BYTES - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/**
 * Runs `job`; when it fails (a signal's abort aside), a Warning Event `reason` with the error's message on this pod before the
 * error goes on. A scheduled job's failure is then in `kubectl get events` beside its CronJob's. The pod is named by the downward
 * API (POD_NAME, POD_UID): without POD_NAME (a pod template of an earlier version), no Event.
 */
export async function withFailureEvent(kube: KubeClient, log: Logger, env: NodeJS.ProcessEnv, namespace: string,
  event: { readonly component: string; readonly reason: string }, job: () => Promise<void>): Promise<void> {
  try {
    await job();
  } catch (error) {
    const name = env.POD_NAME;
    if (name && !(error instanceof AbortedError)) {
      const recorder = new EventRecorder(kube, log, { component: event.component, instance: name });
      const pod = { apiVersion: 'v1', kind: 'Pod', namespace, name, ...(env.POD_UID ? { uid: env.POD_UID } : {}) };
      recorder.record(pod, 'Warning', event.reason, (error as Error).message);
      await recorder.flush();
    }
    throw error;
  }
}
