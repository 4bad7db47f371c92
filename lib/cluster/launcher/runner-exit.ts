import { RUNNER_EXIT_LINE } from '../contract';
import { AbortedError, isKubeStatus } from '../runtime/errors';
import { KubeClient, type KubeResource } from '../runtime/kube';
import { backoffMs, sleep } from '../runtime/retry';

// How the runner's exit status leaves the VM: the guest writes RUNNER_EXIT_LINE and the status on its
// serial console before it powers off (lib/guest/run-jit-runner.sh); with logSerialConsole, KubeVirt
// streams that console from the `guest-console-log` container of the VMI's virt-launcher pod
// (kubevirt pkg/virt-controller/services/serialconsolelog.go), which carries the label
// `kubevirt.io/created-by: <VMI uid>` (template.go podLabels, v1.CreatedByLabel). The launcher reads the
// tail of that container's log once the VMI has succeeded: the pod and its log outlive the guest until
// the VMI is deleted (virt-controller's vmi/lifecycle.go deletes a VMI's pods only once the VMI has a
// deletionTimestamp; for a Succeeded one it deletes only hotplug attachment pods). Looking the pod up
// while the VMI runs would save no request and could name the wrong pod: a live migration moves the
// guest to another pod. Every pod rendered for the VMI carries the label, so the list can hold more
// than one: a migration's source and target (the older one stays until the migration controller's
// garbage collection), a WaitForFirstConsumer placeholder; the console is the pod's that ran the guest last.

export const POD: KubeResource = { kind: 'Pod', group: '', version: 'v1', plural: 'pods' };
export const GUEST_CONSOLE_CONTAINER = 'guest-console-log';
export const CREATED_BY_LABEL = 'kubevirt.io/created-by';
/** actions/runner's exit status for a deprecated version (Constants.Runner.ReturnCode.RunnerVersionDeprecated). */
export const RUNNER_VERSION_DEPRECATED = 7;
/** The shutdown after the exit line prints a few hundred lines at most. */
export const CONSOLE_TAIL_LINES = 2000;
/** virt-tail follows qemu's log file: the last lines may reach the container's log a moment after the VMI succeeded. */
const CONSOLE_READS = 3;

// Anywhere in a line: the kernel or systemd may write on the serial port in the middle of it.
const EXIT_LINE = new RegExp(`${RUNNER_EXIT_LINE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d{1,3})(?!\\d)`, 'g');

/** The status of the last exit line in the console's text; undefined when there is none. */
export function parseRunnerExit(console: string): number | undefined {
  let status: number | undefined;
  for (const match of console.matchAll(EXIT_LINE)) status = Number(match[1]);
  return status;
}

/** The runner's exit status, or why it cannot be known (for one warning line). */
export type RunnerExit = { readonly status: number } | { readonly unknown: string };

/** KubeVirt's annotation on a WaitForFirstConsumer placeholder pod (v1.EphemeralProvisioningObject): no guest ever ran in it. */
const PLACEHOLDER_ANNOTATION = 'kubevirt.io/ephemeral-provisioning';

/**
 * The name of the virt-launcher pod that ran the guest last, among the VMI's (`pods`, listed by its label): after a live
 * migration (the VMI's `status.migrationState`) its target, or its source when it failed; otherwise the newest that is no placeholder.
 */
export function consolePod(pods: readonly Record<string, any>[], migrationState?: Record<string, any>): string | undefined {
  const names = new Set(pods.map((p) => p.metadata?.name).filter((name): name is string => typeof name === 'string'));
  const last = migrationState?.failed === true ? migrationState.sourcePod : migrationState?.completed === true ? migrationState.targetPod : undefined;
  if (typeof last === 'string' && names.has(last)) return last;
  const guests = pods.filter((p) => typeof p.metadata?.name === 'string' && p.metadata.annotations?.[PLACEHOLDER_ANNOTATION] !== 'true');
  // RFC 3339 in UTC, whole seconds: the string order is the time order; the name breaks a tie the same way every time.
  const newest = [...guests].sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? ''))
    || String(a.metadata.name).localeCompare(String(b.metadata.name)))[0];
  return newest?.metadata.name;
}

/**
 * Reads the runner's exit status from the console log of the VMI (`name`, `uid`) that has succeeded; `migrationState`
 * (its last status's) says which of its pods ran the guest last after a live migration.
 */
export async function readRunnerExit(kube: KubeClient, namespace: string,
  vmi: { readonly name: string; readonly uid: string; readonly migrationState?: Record<string, any> }, signal: AbortSignal): Promise<RunnerExit> {
  const vmiRef = `VirtualMachineInstance ${namespace}/${vmi.name}`;
  try {
    const pods = await kube.list(POD, namespace, { labelSelector: `${CREATED_BY_LABEL}=${vmi.uid}`, signal });
    const pod = consolePod(pods.items, vmi.migrationState);
    if (!pod) return { unknown: `no virt-launcher pod of ${vmiRef} is left (label ${CREATED_BY_LABEL}=${vmi.uid}) to read its serial console from` };
    const query = new URLSearchParams({ container: GUEST_CONSOLE_CONTAINER, tailLines: String(CONSOLE_TAIL_LINES) });
    const what = `read the ${GUEST_CONSOLE_CONTAINER} log of Pod ${namespace}/${pod}`;
    for (let read = 1; ; read++) {
      const text = await kube.text({ what, path: `${KubeClient.path(POD, namespace, pod, 'log')}?${query}`, signal });
      const status = parseRunnerExit(text);
      if (status !== undefined) return { status };
      if (read === CONSOLE_READS) {
        return { unknown: `the serial console of ${vmiRef} has no line '${RUNNER_EXIT_LINE}<status>' (an image baked by an earlier version of the library, or a runner that never started)` };
      }
      await sleep(backoffMs(kube.options.retryBaseDelayMs, read), signal);
    }
  } catch (error) {
    if (error instanceof AbortedError) throw error;
    return { unknown: whyUnreadable(error, vmiRef) };
  }
}

function whyUnreadable(error: unknown, vmiRef: string): string {
  const message = (error as Error).message;
  if (isKubeStatus(error, 403)) {
    const resource = /resource "pods\/log"/.test(error.detail) ? 'get on pods/log' : /resource "pods"/.test(error.detail) ? 'list on pods' : 'list on pods and get on pods/log';
    return `${message}: the launcher's Role needs ${resource} to read the runner's exit status`;
  }
  if (isKubeStatus(error, 400) && error.detail.includes(GUEST_CONSOLE_CONTAINER)) {
    return `${message}: ${vmiRef} does not log its serial console (its spec.domain.devices.logSerialConsole is not true, `
      + 'or autoattachSerialConsole is false): the launcher\'s VMI template needs logSerialConsole: true';
  }
  if (isKubeStatus(error, 404)) return `${message}: the virt-launcher pod of ${vmiRef} is gone`;
  return message;
}
