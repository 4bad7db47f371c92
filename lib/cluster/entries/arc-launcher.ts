// The launcher of a per-job runner VM on ARC. ARC's EphemeralRunner pod runs it as its `runner`
// container: once the runner image is ready it creates one KubeVirt VirtualMachineInstance (and, in
// clone mode, the DataVolume of its root disk) owned by the pod, follows it until the guest powers
// itself off after its one job, deletes what it created and exits 0; 7 when the runner in the VM
// exited 7 (its version deprecated: read from the VM's serial console, readRunnerExit), on which ARC
// marks the EphemeralRunner, its set and the AutoscalingRunnerSet Outdated and stops the listener
// (ephemeralrunner_controller.go `cs.State.Terminated.ExitCode == 7`); 1 when the VM failed, timed
// out, was deleted by someone else or could not be created; 2 on a bad configuration; 143/130 on
// SIGTERM/SIGINT after its cleanup (ARC retries a non-zero exit).
//
// ARC also puts the runner's JIT config in this container's environment
// (ACTIONS_RUNNER_INPUT_JITCONFIG): never read. The VM gets it from ARC's Secret, named after the
// pod, as a disk. Its Role: VMIs (create, get, list, watch, delete), DataVolumes in clone mode, and
// with readRunnerExit pods (list) and pods/log (get).
import type { ArcLauncherConfig } from '../contract';
import type { Fields } from '../runtime/config';
import { runEntry, type Runtime } from '../runtime/main';
import { readLauncherVmSettings } from '../launcher/settings';
import { prepareVmJob, runVmJob } from '../launcher/vm-job';

export function validate(fields: Fields): ArcLauncherConfig {
  return readLauncherVmSettings(fields);
}

async function launch(config: ArcLauncherConfig, runtime: Runtime): Promise<void> {
  const job = prepareVmJob(config, runtime, 'arc-launcher');
  // ARC's JIT Secret is named after the runner's pod.
  await runVmJob(job, runtime, { jitSecretName: job.pod.name });
}

if (require.main === module) runEntry('arc-launcher', validate, launch);
