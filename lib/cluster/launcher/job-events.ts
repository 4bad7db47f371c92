import { RunnerDeprecatedError } from '../runtime/errors';
import { formatSeconds } from '../runtime/retry';
import type { EventRecorder, InvolvedObject } from './kube-event';
import type { Pod } from './vm-objects';

// What a launcher tells `kubectl get events` about its job: one Event per step, on the launcher's pod
// (the job's object: ARC's EphemeralRunner pod or KEDA's Job pod, named like the runner GitHub shows
// in the job's log), and a Warning also on the object at fault (the job's VMI, or the bake VMI of an
// image that is not ready). A job records at most four: VmiCreated, VmiRunning, and its end on the pod
// and that object. The reasons are a stable interface (admins select on them): never rename one.

/** The launchers' Event reasons (docs/13-in-cluster-components.md lists them). */
export const LauncherEventReason = {
  /** Normal, on the pod: the job's VMI is created (or adopted: this pod's, from an attempt whose answer was lost or before a container restart), and the image it boots. */
  VMI_CREATED: 'VmiCreated',
  /** Normal, on the pod: the VMI reached phase Running, N s after the launcher started. */
  VMI_RUNNING: 'VmiRunning',
  /** Normal, on the pod: the guest powered off after its job (how long it ran, the runner's exit status), or the mint launcher's runner took no job. */
  JOB_FINISHED: 'JobFinished',
  /** Normal, on the pod: SIGTERM or SIGINT (ARC or Kubernetes deleting the pod) ended the run; what it created is deleted. */
  JOB_STOPPED: 'JobStopped',
  /** Warning, on the pod and the VMI: not Running within bootTimeoutSeconds. */
  BOOT_TIMEOUT: 'BootTimeout',
  /** Warning, on the pod and the bake VMI: the runner image's bake failed, or had not succeeded within bootTimeoutSeconds. */
  IMAGE_NOT_READY: 'ImageNotReady',
  /** Warning, on the pod and the VMI: the runner exited 7, its version deprecated (the launcher exits 7). */
  RUNNER_OUTDATED: 'RunnerOutdated',
  /** Warning, on the pod (and the VMI once there is one): any other failure, with its reason. */
  JOB_FAILED: 'JobFailed',
} as const;

export type LauncherEventReason = typeof LauncherEventReason[keyof typeof LauncherEventReason];

/** A failure whose Event is not JobFailed, or is also about another object than the pod and the VMI. */
export class JobStepError extends Error {
  constructor(message: string, readonly reason: LauncherEventReason, readonly about?: InvolvedObject) {
    super(message);
    this.name = 'JobStepError';
  }
}

export const vmiObject = (namespace: string, name: string, uid?: string): InvolvedObject => ({
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', namespace, name, ...(uid ? { uid } : {}),
});

/** One job's Events, in the order of its steps. */
export class JobEvents {
  private readonly pod: InvolvedObject;
  private vmi?: InvolvedObject;

  constructor(private readonly recorder: EventRecorder, pod: Pod, private readonly startedAt: number) {
    this.pod = { apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid };
  }

  /** `adopted`: why the VMI was there already (./owned-objects.ts ADOPTED), when it was. */
  vmiCreated(vmi: { readonly name: string; readonly uid: string }, image: string | undefined, adopted?: string): void {
    this.vmi = vmiObject(this.pod.namespace, vmi.name, vmi.uid);
    this.normal(LauncherEventReason.VMI_CREATED, `VirtualMachineInstance ${vmi.name} is this job's VM, ${this.since(this.startedAt)} after the launcher started`
      + `${adopted ? `; adopted: ${adopted}` : ''}${image ? `; it boots the runner image ${image}` : ''}`);
  }

  vmiRunning(createdAt: number): void {
    const now = Date.now();
    this.normal(LauncherEventReason.VMI_RUNNING, `VirtualMachineInstance ${this.vmi?.name} is Running, ${this.since(this.startedAt, now)} after the launcher started `
      + `(${this.since(createdAt, now)} after it was created)`);
  }

  /** `ran`: how long the VMI ran, when it reached Running; `runnerExit`: the runner's exit status, when known. */
  finished(message: string, ran: number | undefined, runnerExit: number | undefined): void {
    const parts = [message];
    if (ran !== undefined) parts.push(`Running for ${formatSeconds(ran)}, ${this.since(this.startedAt)} after the launcher started`);
    if (runnerExit !== undefined) parts.push(`the runner exited ${runnerExit}`);
    this.normal(LauncherEventReason.JOB_FINISHED, parts.join('; '));
  }

  stopped(signal: string): void {
    this.normal(LauncherEventReason.JOB_STOPPED, `stopped by ${signal} ${this.since(this.startedAt)} after the launcher started, before the job's VM was done; `
      + 'what this pod created is deleted');
  }

  /** The run's failure: on the pod, and on the object at fault (the VMI when there is one). */
  failed(error: Error): void {
    const reason = error instanceof JobStepError ? error.reason
      : error instanceof RunnerDeprecatedError ? LauncherEventReason.RUNNER_OUTDATED : LauncherEventReason.JOB_FAILED;
    const about = error instanceof JobStepError && error.about ? error.about : this.vmi;
    this.warning(this.pod, reason, error.message);
    if (about) this.warning(about, reason, error.message);
  }

  private normal(reason: LauncherEventReason, message: string): void {
    this.recorder.record(this.pod, 'Normal', reason, message);
  }

  private warning(object: InvolvedObject, reason: LauncherEventReason, message: string): void {
    this.recorder.record(object, 'Warning', reason, message);
  }

  private since(from: number, to = Date.now()): string {
    return formatSeconds(to - from);
  }
}
