import type { WarmPoolConsoles } from '../contract';
import type { EventRecorder } from '../launcher/kube-event';
import { GUEST_CONSOLE_CONTAINER, parseRunnerExit, POD, RUNNER_VERSION_DEPRECATED } from '../launcher/runner-exit';
import { AbortedError, isKubeStatus } from '../runtime/errors';
import { KubeClient, type KubeResource } from '../runtime/kube';
import type { Logger } from '../runtime/log';

// A warm pool's deprecated runner, found where its VM says so. A warm pool VM's runner that GitHub
// deprecated exits 7; the VM writes RUNNER_EXIT_LINE and the status on its serial console and holds
// for 40 minutes, writing it again every 5 (lib/guest/report-runner-exit.sh), because KubeVirt
// starts a pool's VM again seconds after it powered off and the old console log goes with its
// virt-launcher pod. The token refresher, every 30 minutes by default, lists the pool's running
// virt-launcher pods (KubeVirt copies the VMI's labels onto its pod: podLabels in
// pkg/virt-controller/services/template.go; the pod's controller is the VMI, whose name is the VM's),
// reads the tail of each one's `guest-console-log` container (logSerialConsole), and records one
// Warning Event RunnerOutdated on the pool per run that finds any. One per run on purpose: the API
// server keeps Events an hour (kube-apiserver --event-ttl), so a pool that stays outdated stays in
// `kubectl get events`.

export const VIRTUAL_MACHINE_POOL: KubeResource = { kind: 'VirtualMachinePool', group: 'pool.kubevirt.io', version: 'v1beta1', plural: 'virtualmachinepools' };
export const RUNNER_OUTDATED_REASON = 'RunnerOutdated';
/** How long a VM holds after its runner exited 7 (HOLD_SECONDS in lib/guest/report-runner-exit.sh). */
export const GUEST_HOLD_MINUTES = 40;
/** A held VM writes the line every 5 minutes and little else: the last 200 lines hold it (a boot's whole console is thousands). */
export const POOL_CONSOLE_TAIL_LINES = 200;

/** What the consoles said: the VMs whose runner exited 7, how many were read, and why others could not be. */
export interface PoolConsoles {
  readonly outdated: readonly string[];
  readonly read: number;
  readonly unreadable: readonly string[];
}

/** Reads the serial console of each running VM of the pool. A pod gone or a console not started yet is skipped and said; other refusals throw. */
export async function readPoolConsoles(kube: KubeClient, namespace: string, pool: WarmPoolConsoles, signal?: AbortSignal): Promise<PoolConsoles> {
  const pods = await kube.list(POD, namespace, { labelSelector: pool.podSelector, signal });
  const outdated: string[] = [];
  const unreadable: string[] = [];
  let read = 0;
  for (const pod of pods.items.filter((p: Record<string, any>) => p.status?.phase === 'Running')) {
    const name = (pod as Record<string, any>).metadata.name as string;
    const vm = vmOf(pod) ?? name;
    const query = new URLSearchParams({ container: GUEST_CONSOLE_CONTAINER, tailLines: String(POOL_CONSOLE_TAIL_LINES) });
    let text: string;
    try {
      text = await kube.text({ what: `read the ${GUEST_CONSOLE_CONTAINER} log of Pod ${namespace}/${name}`, path: `${KubeClient.path(POD, namespace, name, 'log')}?${query}`, signal });
    } catch (error) {
      if (error instanceof AbortedError || !isKubeStatus(error, 400, 404)) throw error;
      // 404: the VM powered off and its pod went since the list; 400: a console not logged yet, or not at all (the API server's words say which).
      unreadable.push(`VM ${vm}: ${(error as Error).message}`);
      continue;
    }
    read++;
    if (parseRunnerExit(text) === RUNNER_VERSION_DEPRECATED) outdated.push(vm);
  }
  return { outdated: outdated.sort(), read, unreadable };
}

/**
 * Reads the pool's consoles, logs what they say, and records RunnerOutdated on the pool when a runner exited 7 (the pool's uid from a
 * get, so that `kubectl describe` shows it; without it the Event is still in `kubectl get events`).
 */
export async function reportOutdatedRunners(kube: KubeClient, log: Logger, events: EventRecorder, namespace: string, pool: WarmPoolConsoles,
  signal?: AbortSignal): Promise<void> {
  const poolRef = KubeClient.describe(VIRTUAL_MACHINE_POOL, namespace, pool.pool);
  const consoles = await readPoolConsoles(kube, namespace, pool, signal).catch((error: unknown) => {
    if (!isKubeStatus(error, 403)) throw error;
    throw new Error(`${error.message}: the refresher's Role needs list on pods and get on pods/log (RunnerWarmPool synthesizes them)`);
  });
  for (const line of consoles.unreadable) log.info(`skipped a serial console of ${poolRef}: ${line}`);
  if (consoles.outdated.length === 0) {
    log.info(`read the serial consoles of ${consoles.read} running VMs of ${poolRef}: no runner exited ${RUNNER_VERSION_DEPRECATED}`);
    return;
  }
  const vms = consoles.outdated.join(', ');
  const message = `the runner of VirtualMachine ${vms} exited ${RUNNER_VERSION_DEPRECATED}: its version is deprecated and GitHub gives it no jobs; `
    + `such a VM holds ${GUEST_HOLD_MINUTES} minutes, then starts again on the pool's current image. `
    + 'Bake the runner image again with a current runner release (RunnerImage release or refresh)';
  log.warn(`${poolRef}: ${message}`);
  let uid: string | undefined;
  try {
    const object = await kube.get(VIRTUAL_MACHINE_POOL, namespace, pool.pool, { signal });
    uid = (object.metadata as Record<string, unknown> | undefined)?.uid as string | undefined;
  } catch (error) {
    if (error instanceof AbortedError) throw error;
    log.warn(`${(error as Error).message}; the Event ${RUNNER_OUTDATED_REASON} goes without the pool's uid (kubectl describe does not show it)`);
  }
  const object = { apiVersion: `${VIRTUAL_MACHINE_POOL.group}/${VIRTUAL_MACHINE_POOL.version}`, kind: VIRTUAL_MACHINE_POOL.kind, namespace, name: pool.pool };
  events.record(uid ? { ...object, uid } : object, 'Warning', RUNNER_OUTDATED_REASON, message);
}

/** The VM of a virt-launcher pod: its controller, the VMI, has the VM's name. */
function vmOf(pod: Record<string, any>): string | undefined {
  const owner = (pod.metadata?.ownerReferences ?? []).find((o: Record<string, unknown>) => o.kind === 'VirtualMachineInstance' && typeof o.name === 'string');
  return owner?.name;
}
