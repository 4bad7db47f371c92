import type { LauncherVmSettings } from '../contract';
import { podIdentity } from '../runtime/config';
import { AbortedError, KubeStatusError, RunnerDeprecatedError } from '../runtime/errors';
import { KubeClient } from '../runtime/kube';
import { kubeConnection, retryBaseDelayOf } from '../runtime/kube-connection';
import type { Runtime } from '../runtime/main';
import { VmiFollower, waitForImage } from './follow-vmi';
import { failed, JobControl, type Outcome } from './job-control';
import { JobEvents, JobStepError, LauncherEventReason, vmiObject } from './job-events';
import { EventRecorder } from './kube-event';
import { withKubeHint } from './kube-hints';
import { ADOPTED, OwnedObjects } from './owned-objects';
import { checkPointerTemplates, jobImage, templateImage } from './image-pointer';
import { readRunnerExit, RUNNER_VERSION_DEPRECATED, type RunnerExit } from './runner-exit';
import { readTemplates } from './settings';
import { buildDataVolume, buildVmi, DATA_VOLUME, type Pod, type Templates, VMI } from './vm-objects';

// One job's VM, the same for both launchers: wait for the runner image, create the VMI (and in clone
// mode its DataVolume) owned by the pod, follow it to its end, delete what was created. What differs
// per launcher comes in as hooks: the mint launcher registers its runner before the VM, watches it
// while the VM runs and removes it at the end. Each step is a Kubernetes Event (./job-events.ts),
// recorded behind the run: no request of the job waits for one.

/** What a launcher needs to run a job's VM, checked before the first request. */
export interface VmJob {
  readonly settings: LauncherVmSettings;
  readonly pod: Pod;
  readonly kube: KubeClient;
  readonly templates: Templates;
  /** The job's Events (./job-events.ts), and any other the launcher records. */
  readonly recorder: EventRecorder;
}

export interface VmJobHooks {
  /** The JIT Secret the VMI mounts as its `jit` disk. */
  readonly jitSecretName: string;
  /** After the image is ready, before the VM: may create objects through `owned`. */
  beforeVm?(control: JobControl, owned: OwnedObjects): Promise<void>;
  /** The VMI first reached phase Running. */
  onRunning?(control: JobControl): void;
  /** At the end, before the Kubernetes objects are deleted (never throws). */
  afterVm?(): Promise<void>;
}

/** Reads the pod's identity, the API connection and the templates: every ConfigError before any request. */
export function prepareVmJob(settings: LauncherVmSettings, { log, env }: Runtime, client: string): VmJob {
  const pod = podIdentity(env, ['name', 'namespace', 'uid']);
  const connection = kubeConnection(settings.kubernetes, log, env);
  const templates = readTemplates(settings);
  checkPointerTemplates(settings, templates);
  const kube = new KubeClient(connection, { log, client, retryBaseDelayMs: retryBaseDelayOf(settings), requestTimeoutMs: settings.requestTimeoutMs });
  return { settings, pod, kube, templates, recorder: new EventRecorder(kube, log, { component: client, instance: pod.name }) };
}

/** Runs the job's VM to its end; resolves on success, throws the failure (AbortedError after a signal). */
export async function runVmJob(job: VmJob, runtime: Runtime, hooks: VmJobHooks): Promise<void> {
  const { settings, pod } = job;
  const { log } = runtime;
  const startedAt = Date.now();
  const control = new JobControl(runtime.signal, log);
  // Until the run ends, none of its requests waits for a Retry-After past its timeout (../runtime/retry.ts); the Events (job.kube) and the cleanup have no deadline.
  const kube = job.kube.withDeadline(() => control.deadline);
  const owned = new OwnedObjects(kube, pod, log);
  const follower = new VmiFollower(kube, pod.namespace, pod.name, log, startedAt);
  const events = new JobEvents(job.recorder, pod, startedAt);
  let bake: { state: string; uid?: string } | undefined;
  let readyVmi = settings.imageReadyVmi;
  control.arm(settings.bootTimeoutSeconds, `the boot timeout (bootTimeoutSeconds ${settings.bootTimeoutSeconds})`, () => ({
    ok: false,
    error: bake !== undefined
      ? new JobStepError(`the runner image was not ready within ${settings.bootTimeoutSeconds}s (bootTimeoutSeconds): its bake VM's `
        + `${KubeClient.describe(VMI, pod.namespace, readyVmi!)} has not succeeded (${bake.state}); see its console (virtctl console ${readyVmi})`,
      LauncherEventReason.IMAGE_NOT_READY, vmiObject(pod.namespace, readyVmi!, bake.uid))
      : new JobStepError(`${follower.ref} did not reach phase Running within ${settings.bootTimeoutSeconds}s (bootTimeoutSeconds); last phase: ${follower.phase ?? 'none yet'}`,
        LauncherEventReason.BOOT_TIMEOUT),
  }));
  let outcome: Outcome;
  let vmiIdentity: { name: string; uid: string } | undefined;
  let runnerExit: RunnerExit | undefined;
  let createdAt = startedAt;
  let runningAt: number | undefined;
  let endedAt: number | undefined;
  try {
    const image = await jobImage(kube, pod.namespace, settings, job.templates, log, control.signal);
    const templates = image.templates;
    readyVmi = image.readyVmi;
    if (readyVmi) await waitForImage(kube, pod.namespace, readyVmi, log, control.signal, (state, uid) => (bake = state === undefined ? undefined : { state, uid }));
    await hooks.beforeVm?.(control, owned);
    // Clone mode: both at once. KubeVirt takes a VMI whose dataVolume is not there yet (virt-api checks only that it
    // names one) and creates its virt-launcher pod once the clone is populated (virt-controller's vmi/lifecycle.go:
    // "Delaying pod creation while DataVolume populates or while we wait for PVCs to appear").
    const dataVolume = templates.dataVolume ? owned.createOrAdopt(DATA_VOLUME, buildDataVolume(templates.dataVolume, pod), control.signal) : undefined;
    const vmi = await createdWith(owned.createOrAdopt(VMI, buildVmi(templates, pod, hooks.jitSecretName), control.signal), dataVolume);
    createdAt = Date.now();
    vmiIdentity = { name: pod.name, uid: String(vmi.metadata?.uid) };
    events.vmiCreated(vmiIdentity, templateImage(templates), owned.wasAdopted(VMI, pod.name) ? ADOPTED : undefined);
    outcome = await follower.follow(vmi, {
      signal: control.signal,
      onRunning: () => {
        runningAt = Date.now();
        events.vmiRunning(createdAt);
        control.arm(settings.jobTimeoutSeconds, `the job timeout (jobTimeoutSeconds ${settings.jobTimeoutSeconds})`, () => failed(`${follower.ref} was still running ${settings.jobTimeoutSeconds}s after it reached phase Running `
          + '(jobTimeoutSeconds): the job took too long, or the guest did not power off after it'));
        hooks.onRunning?.(control);
      },
    });
    endedAt = Date.now();
    // Before anything is deleted: the console log goes with the VMI's virt-launcher pod.
    if (outcome !== 'signal' && outcome.ok && settings.readRunnerExit) runnerExit = await readRunnerExit(kube, pod.namespace, { ...vmiIdentity, migrationState: follower.migrationState }, control.signal);
  } catch (error) {
    endedAt ??= Date.now();
    outcome = control.outcomeOf(error);
  }
  control.end();
  if (outcome !== 'signal' && outcome.ok) {
    log.info(outcome.message);
    const deprecated = runnerExit ? reportRunnerExit(runnerExit, runtime) : undefined;
    if (deprecated) outcome = { ok: false, error: deprecated };
    else events.finished(outcome.message, runningAt === undefined ? undefined : endedAt - runningAt, runnerExit && 'status' in runnerExit ? runnerExit.status : undefined);
  }
  if (outcome === 'signal') events.stopped(String(runtime.signal.reason ?? 'a signal'));
  const error = outcome === 'signal' || outcome.ok ? undefined
    : outcome.error instanceof KubeStatusError ? withKubeHint(outcome.error, pod.namespace) : outcome.error;
  if (error) events.failed(error);
  // The Events go out beside the deletes: no request of the run waits for them.
  await hooks.afterVm?.();
  await owned.cleanup();
  await job.recorder.flush();
  if (outcome === 'signal') throw new AbortedError();
  if (error) throw error;
}

/** `create`'s object once `beside` has ended too (nothing is still being created when the run cleans up); the first failure otherwise. */
async function createdWith<T>(create: Promise<T>, beside: Promise<unknown> | undefined): Promise<T> {
  const [created, other] = await Promise.allSettled([create, beside]);
  if (other.status === 'rejected') throw other.reason;
  if (created.status === 'rejected') throw created.reason;
  return created.value;
}

/**
 * What the runner's exit status means for the launcher (the error to fail with, if any). 7: its version is deprecated, GitHub gives it
 * no job; the launcher fails with exit 7 (ARC marks the scale set Outdated; both launchers record RunnerOutdated). Any other status is the
 * job's business, reported on GitHub: the VM did its part. 0 includes a JIT runner that ran no job
 * because another runner took it (runner 2.336.0 and later), which is normal.
 */
function reportRunnerExit(exit: RunnerExit, { log }: Runtime): RunnerDeprecatedError | undefined {
  if ('unknown' in exit) {
    log.warn(`cannot tell how the runner exited, so a deprecated runner would go unnoticed: ${exit.unknown}`);
    return undefined;
  }
  if (exit.status === RUNNER_VERSION_DEPRECATED) {
    return new RunnerDeprecatedError(`the runner exited ${RUNNER_VERSION_DEPRECATED}: its version is deprecated and GitHub gives it no jobs; `
      + 'bake the runner image again with a current runner release (RunnerImage release or refresh)');
  }
  if (exit.status === 0) log.info('the runner exited 0 (it ran its job, or another runner took the job first)');
  else log.warn(`the runner exited ${exit.status}; the job's result is on GitHub`);
  return undefined;
}
