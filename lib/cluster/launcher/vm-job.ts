import type { LauncherVmSettings } from '../contract';
import { podIdentity } from '../runtime/config';
import { AbortedError, KubeStatusError, RunnerDeprecatedError } from '../runtime/errors';
import { KubeClient } from '../runtime/kube';
import { kubeConnection, retryBaseDelayOf } from '../runtime/kube-connection';
import type { Runtime } from '../runtime/main';
import { VmiFollower, waitForImage } from './follow-vmi';
import { failed, JobControl, type Outcome } from './job-control';
import { withKubeHint } from './kube-hints';
import { OwnedObjects } from './owned-objects';
import { checkPointerTemplates, jobImage } from './image-pointer';
import { readRunnerExit, RUNNER_VERSION_DEPRECATED, type RunnerExit } from './runner-exit';
import { readTemplates } from './settings';
import { buildDataVolume, buildVmi, DATA_VOLUME, type Pod, type Templates, VMI } from './vm-objects';

// One job's VM, the same for both launchers: wait for the runner image, create the VMI (and in clone
// mode its DataVolume) owned by the pod, follow it to its end, delete what was created. What differs
// per launcher comes in as hooks: the mint launcher registers its runner before the VM, watches it
// while the VM runs and removes it at the end.

/** What a launcher needs to run a job's VM, checked before the first request. */
export interface VmJob {
  readonly settings: LauncherVmSettings;
  readonly pod: Pod;
  readonly kube: KubeClient;
  readonly templates: Templates;
}

export interface VmJobHooks {
  /** The JIT Secret the VMI mounts as its `jit` disk. */
  readonly jitSecretName: string;
  /** After the image is ready, before the VM: may create objects through `owned`. */
  beforeVm?(control: JobControl, owned: OwnedObjects): Promise<void>;
  /** The VMI first reached phase Running. */
  onRunning?(control: JobControl): void;
  /** The runner said its version is deprecated (exit 7), before the VMI is deleted (never throws): the launcher exits 7. */
  onRunnerDeprecated?(vmi: { readonly name: string; readonly uid: string }, message: string): Promise<void>;
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
  return { settings, pod, kube, templates };
}

/** Runs the job's VM to its end; resolves on success, throws the failure (AbortedError after a signal). */
export async function runVmJob(job: VmJob, runtime: Runtime, hooks: VmJobHooks): Promise<void> {
  const { settings, pod, kube } = job;
  const { log } = runtime;
  const control = new JobControl(runtime.signal, log);
  const owned = new OwnedObjects(kube, pod, log);
  const follower = new VmiFollower(kube, pod.namespace, pod.name, log, Date.now());
  let imageState: string | undefined;
  let readyVmi = settings.imageReadyVmi;
  control.arm(settings.bootTimeoutSeconds, () => (imageState !== undefined
    ? failed(`the runner image was not ready within ${settings.bootTimeoutSeconds}s (bootTimeoutSeconds): its bake VM's `
      + `${KubeClient.describe(VMI, pod.namespace, readyVmi!)} has not succeeded (${imageState}); see its console (virtctl console ${readyVmi})`)
    : failed(`${follower.ref} did not reach phase Running within ${settings.bootTimeoutSeconds}s (bootTimeoutSeconds); last phase: ${follower.phase ?? 'none yet'}`)));
  let outcome: Outcome;
  let vmiIdentity: { name: string; uid: string } | undefined;
  let runnerExit: RunnerExit | undefined;
  try {
    const image = await jobImage(kube, pod.namespace, settings, job.templates, log, control.signal);
    const templates = image.templates;
    readyVmi = image.readyVmi;
    if (readyVmi) await waitForImage(kube, pod.namespace, readyVmi, log, control.signal, (state) => (imageState = state));
    await hooks.beforeVm?.(control, owned);
    if (templates.dataVolume) await owned.createOrAdopt(DATA_VOLUME, buildDataVolume(templates.dataVolume, pod), control.signal);
    const vmi = await owned.createOrAdopt(VMI, buildVmi(templates, pod, hooks.jitSecretName), control.signal);
    vmiIdentity = { name: pod.name, uid: String(vmi.metadata?.uid) };
    outcome = await follower.follow(vmi, {
      signal: control.signal,
      onRunning: () => {
        control.arm(settings.jobTimeoutSeconds, () => failed(`${follower.ref} was still running ${settings.jobTimeoutSeconds}s after it reached phase Running `
          + '(jobTimeoutSeconds): the job took too long, or the guest did not power off after it'));
        hooks.onRunning?.(control);
      },
    });
    // Before anything is deleted: the console log goes with the VMI's virt-launcher pod.
    if (outcome !== 'signal' && outcome.ok && settings.readRunnerExit) runnerExit = await readRunnerExit(kube, pod.namespace, vmiIdentity, control.signal);
  } catch (error) {
    outcome = control.outcomeOf(error);
  }
  control.end();
  if (outcome !== 'signal' && outcome.ok) log.info(outcome.message);
  if (runnerExit && outcome !== 'signal' && outcome.ok) {
    const deprecated = await reportRunnerExit(runnerExit, vmiIdentity!, runtime, hooks);
    if (deprecated) outcome = { ok: false, error: deprecated };
  }
  await hooks.afterVm?.();
  await owned.cleanup();
  if (outcome === 'signal') throw new AbortedError();
  if (!outcome.ok) throw outcome.error instanceof KubeStatusError ? withKubeHint(outcome.error, pod.namespace) : outcome.error;
}

/**
 * What the runner's exit status means for the launcher (the error to fail with, if any). 7: its version is deprecated, GitHub gives it
 * no job; the launcher fails with exit 7 (ARC marks the scale set Outdated). Any other status is the
 * job's business, reported on GitHub: the VM did its part. 0 includes a JIT runner that ran no job
 * because another runner took it (runner 2.336.0 and later), which is normal.
 */
async function reportRunnerExit(exit: RunnerExit, vmi: { readonly name: string; readonly uid: string }, { log }: Runtime, hooks: VmJobHooks): Promise<RunnerDeprecatedError | undefined> {
  if ('unknown' in exit) {
    log.warn(`cannot tell how the runner exited, so a deprecated runner would go unnoticed: ${exit.unknown}`);
    return undefined;
  }
  if (exit.status === RUNNER_VERSION_DEPRECATED) {
    const message = `the runner exited ${RUNNER_VERSION_DEPRECATED}: its version is deprecated and GitHub gives it no jobs; `
      + 'bake the runner image again with a current runner release (RunnerImage release or refresh)';
    await hooks.onRunnerDeprecated?.(vmi, message);
    return new RunnerDeprecatedError(message);
  }
  if (exit.status === 0) log.info('the runner exited 0 (it ran its job, or another runner took the job first)');
  else log.warn(`the runner exited ${exit.status}; the job's result is on GitHub`);
  return undefined;
}
