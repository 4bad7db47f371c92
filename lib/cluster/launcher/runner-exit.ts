import { RUNNER_EXIT_LINE } from '../contract';
import { AbortedError, isKubeStatus } from '../runtime/errors';
import { KubeClient, type KubeResource } from '../runtime/kube';
import { backoffMs, sleep } from '../runtime/retry';

// How the runner's exit status leaves the VM: the guest writes RUNNER_EXIT_LINE and the status on its
// serial console before it powers off (lib/guest/run-jit-runner.sh); with logSerialConsole, KubeVirt
// streams that console from the `guest-console-log` container of the VMI's virt-launcher pod
// (kubevirt pkg/virt-controller/services/serialconsolelog.go), which carries the label
// `kubevirt.io/created-by: <VMI uid>` (template.go, v1.CreatedByLabel). The launcher reads the tail
// of that container's log once the VMI has succeeded: the pod and its log outlive the guest until
// the VMI is deleted.

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

/** Reads the runner's exit status from the console log of the VMI (`name`, `uid`) that has succeeded. */
export async function readRunnerExit(kube: KubeClient, namespace: string, vmi: { readonly name: string; readonly uid: string },
  signal: AbortSignal): Promise<RunnerExit> {
  const vmiRef = `VirtualMachineInstance ${namespace}/${vmi.name}`;
  try {
    const pods = await kube.list(POD, namespace, { labelSelector: `${CREATED_BY_LABEL}=${vmi.uid}`, signal });
    const pod = pods.items.map((p: Record<string, any>) => p.metadata?.name).find((name): name is string => typeof name === 'string');
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
