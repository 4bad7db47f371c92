import { KubeClient } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { EVENT, MANAGED_BY } from './image-objects';

// What a refresh did, where `kubectl get events` and `kubectl describe` show it: a core/v1 Event on the
// synthesized image's bake VirtualMachine (the fleet's image, which the manifests name) and, when a
// refresh fails, on the Job's pod. Named and filled as client-go's recorder does (`<object>.<hex
// nanoseconds>`, first/last timestamp, count 1, source component). An Event that cannot be recorded
// is a warning in the log, never a reason to fail the refresh.

export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** `kubectl describe` lists the Events whose involvedObject has the object's uid. @default none */
  readonly uid?: string;
}

export type EventType = 'Normal' | 'Warning';

export async function recordEvent(kube: KubeClient, namespace: string, involved: InvolvedObject, type: EventType, reason: string, message: string,
  log: Logger, instance: string): Promise<void> {
  const now = new Date();
  const time = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000);
  const event = {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${involved.name}.${nanos.toString(16)}`, namespace },
    involvedObject: { ...involved, namespace },
    reason,
    // The API server refuses messages longer than 1 KiB (events' validation).
    message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
    type,
    source: { component: MANAGED_BY },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    reportingComponent: MANAGED_BY,
    reportingInstance: instance,
  };
  try {
    await kube.create(EVENT, namespace, event, { attempts: 3 });
  } catch (error) {
    log.warn(`could not record the Event ${reason} on ${involved.kind} ${namespace}/${involved.name}: ${(error as Error).message}`);
  }
}
