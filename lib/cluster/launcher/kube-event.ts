import { randomBytes } from 'node:crypto';
import { isKubeStatus } from '../runtime/errors';
import type { KubeClient, KubeResource } from '../runtime/kube';
import type { Logger } from '../runtime/log';

// A core/v1 Event, as `kubectl get events` and `kubectl describe` show it: what an admin sees of a
// launcher's run without reading its log. Recording one is never worth failing a run for.

export const EVENT: KubeResource = { kind: 'Event', group: '', version: 'v1', plural: 'events' };

/** The object an Event is about. */
export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface EventInput {
  readonly type: 'Normal' | 'Warning';
  /** UpperCamelCase, as kubectl's REASON column shows it. */
  readonly reason: string;
  readonly message: string;
  /** The entry point, the Event's source and reporting controller. */
  readonly component: string;
  /** This pod's name: the reporting instance. */
  readonly instance: string;
}

/** Records an Event about `object` in its namespace; a refusal is one warning line, never an error. */
export async function recordEvent(kube: KubeClient, log: Logger, object: InvolvedObject, event: EventInput): Promise<void> {
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const body = {
    apiVersion: 'v1',
    kind: 'Event',
    // As client-go's recorder names them: the object's name and a unique suffix.
    metadata: { name: `${object.name}.${randomBytes(8).toString('hex')}`, namespace: object.namespace },
    involvedObject: { ...object },
    type: event.type,
    reason: event.reason,
    // The API server refuses a message over 1 KiB.
    message: event.message.slice(0, 1024),
    source: { component: event.component },
    reportingComponent: event.component,
    reportingInstance: event.instance,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
  try {
    await kube.create(EVENT, object.namespace, body, { attempts: 3 });
    log.info(`recorded a ${event.type} Event ${event.reason} on ${object.kind} ${object.namespace}/${object.name}`);
  } catch (error) {
    const hint = isKubeStatus(error, 403) ? ': the Role needs create on events' : '';
    log.warn(`${(error as Error).message}${hint}; no Event ${event.reason} on ${object.kind} ${object.namespace}/${object.name}`);
  }
}
