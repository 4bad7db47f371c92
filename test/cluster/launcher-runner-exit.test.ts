import { arcHarness, NS, POD, VMI_REF, VMIS } from './launcher-arc-harness';
import { RUNNER_EXIT_LINE } from '../../lib/cluster/contract';
import { CONSOLE_TAIL_LINES, consolePod, parseRunnerExit } from '../../lib/cluster/launcher/runner-exit';
import { launcherRules } from '../../lib/render/launcher-pod';

// The runner's exit status, read by the ARC launcher (readRunnerExit) from the serial console of its
// VMI: the `guest-console-log` container of the virt-launcher pod that KubeVirt labels
// kubevirt.io/created-by=<VMI uid>, as the fake Kubernetes API serves pods/log (text/plain). A runner
// that exited 7 (its version deprecated) makes the launcher exit 7, which ARC reads from the runner
// container to mark the scale set Outdated; anything else keeps today's exit 0.

jest.setTimeout(30_000);

const h = arcHarness();
const LAUNCHER_POD = `virt-launcher-${POD.name}-x8k2q`;
const LOG_PATH = `/api/v1/namespaces/${NS}/pods/${LAUNCHER_POD}/log?container=guest-console-log&tailLines=${CONSOLE_TAIL_LINES}`;

/** What the serial console shows around the runner's exit line: the kernel and systemd write on the same port. */
const consoleOf = (status: number | undefined) => [
  '[   62.118233] cloud-init[512]: Cloud-init v. 24.4 finished at Mon, 07 Dec 2026 22:10:01 +0000.',
  'actions-runner-jit: starting the just-in-time runner as actions-runner',
  ...(status === undefined ? [] : [`[   95.002101] systemd[1]: Started session-2.scope.${RUNNER_EXIT_LINE}${status}`]),
  `actions-runner-jit: the runner exited with status ${status ?? 0}; powering off`,
  ...Array.from({ length: 40 }, (_, i) => `[  OK  ] Stopped unit-${i}.service.`),
  '[   97.771012] reboot: Power down',
  '',
].join('\n');

/** Runs one job to the guest's power-off with `console` on the VMI's serial console log (or no virt-launcher pod). */
async function jobWithConsole(console: string | undefined, options: { logSerialConsole?: boolean } = {}) {
  const run = h.launch({ readRunnerExit: true });
  await h.created(VMIS);
  if (console !== undefined) {
    h.api.put('pods', {
      metadata: { name: LAUNCHER_POD, namespace: NS, labels: { 'kubevirt.io/created-by': h.vmi().metadata.uid, 'kubevirt.io': 'virt-launcher' } },
      spec: {
        initContainers: options.logSerialConsole === false ? [] : [{ name: 'guest-console-log', image: 'virt-launcher', restartPolicy: 'Always' }],
        containers: [{ name: 'compute', image: 'virt-launcher' }],
      },
    });
    h.api.setContainerLog(NS, LAUNCHER_POD, 'guest-console-log', console);
  }
  h.setPhase('Running');
  await run.untilOutput(/phase Running after/);
  h.setPhase('Succeeded');
  return run;
}

const podRequests = () => h.api.requests.filter((r) => r.url.startsWith(`/api/v1/namespaces/${NS}/pods`)).map((r) => `${r.method} ${r.url}`);
const LIST = `GET /api/v1/namespaces/${NS}/pods?labelSelector=kubevirt.io%2Fcreated-by%3D`;

describe('the runner\'s exit status from the VM\'s serial console', () => {
  test('parseRunnerExit: the last exit line, also in the middle of a line the kernel wrote on; none is undefined', () => {
    expect(parseRunnerExit(consoleOf(7))).toBe(7);
    expect(parseRunnerExit(`${RUNNER_EXIT_LINE}0\n${RUNNER_EXIT_LINE}7\n`)).toBe(7);
    expect(parseRunnerExit(consoleOf(undefined))).toBeUndefined();
    expect(parseRunnerExit(`${RUNNER_EXIT_LINE}\n${RUNNER_EXIT_LINE}x7\n${RUNNER_EXIT_LINE}1234\n`)).toBeUndefined();
  });

  test('a launcher that exits 7 when the console says the runner did; it deletes the VMI all the same', async () => {
    const run = await jobWithConsole(consoleOf(7));
    expect(await run.exit).toBe(7);
    expect(run.stderr).toBe('arc-launcher: the runner exited 7: its version is deprecated and GitHub gives it no jobs; '
      + 'bake the runner image again with a current runner release (RunnerImage release or refresh)\n');
    expect(h.vmi()).toBeUndefined();
    // Per job: two more requests than without readRunnerExit, both before the VMI (and its pod's log) is deleted.
    expect(podRequests()).toEqual([expect.stringMatching(`^${LIST.replace(/[?]/g, '\\?')}[0-9a-f-]{36}$`), `GET ${LOG_PATH}`]);
    const methods = h.api.requests.map((r) => r.method);
    expect(methods.lastIndexOf('GET')).toBeLessThan(methods.indexOf('DELETE'));
    expect(h.api.requestsOf('GET', '/log')[0].headers.accept).toBe('text/plain, application/json');
  });

  test('a JIT runner that exits 0 (its job ran, or another runner took it: runner 2.336.0+) is a success', async () => {
    const run = await jobWithConsole(consoleOf(0));
    expect(await run.exit).toBe(0);
    expect(run.stdout).toContain('arc-launcher: the runner exited 0 (it ran its job, or another runner took the job first)');
    expect(run.stderr).toBe('');
  });

  test('a runner that failed otherwise (exit 3) is the job\'s business: a warning, exit 0', async () => {
    const run = await jobWithConsole(consoleOf(3));
    expect(await run.exit).toBe(0);
    expect(run.stderr).toBe('arc-launcher: the runner exited 3; the job\'s result is on GitHub\n');
  });

  test('no exit line (an image baked before this version): today\'s exit 0 and one warning, after three reads', async () => {
    const run = await jobWithConsole(consoleOf(undefined));
    expect(await run.exit).toBe(0);
    expect(run.stderr).toBe(`arc-launcher: cannot tell how the runner exited, so a deprecated runner would go unnoticed: the serial console of ${VMI_REF} `
      + `has no line '${RUNNER_EXIT_LINE}<status>' (an image baked by an earlier version of the library, or a runner that never started)\n`);
    expect(podRequests().filter((r) => r.includes('/log'))).toHaveLength(3);
  });

  test('a VMI without logSerialConsole (400 from pods/log): exit 0 and a warning naming the field', async () => {
    const run = await jobWithConsole(consoleOf(7), { logSerialConsole: false });
    expect(await run.exit).toBe(0);
    expect(run.stderr).toContain('arc-launcher: cannot tell how the runner exited, so a deprecated runner would go unnoticed: cannot read the guest-console-log log of Pod '
      + `${NS}/${LAUNCHER_POD}: HTTP 400 BadRequest: container guest-console-log is not valid for pod ${LAUNCHER_POD}: ${VMI_REF} does not log its serial console `
      + '(its spec.domain.devices.logSerialConsole is not true, or autoattachSerialConsole is false)');
  });

  test('no virt-launcher pod left: exit 0 and a warning', async () => {
    const run = await jobWithConsole(undefined);
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`no virt-launcher pod of ${VMI_REF} is left \\(label kubevirt.io/created-by=[0-9a-f-]{36}\\)`));
  });

  test.each([
    ['pods/log', (r: any) => r.resources[0] !== 'pods/log', 'get on pods/log'],
    ['pods', (r: any) => r.resources[0] !== 'pods', 'list on pods'],
  ])('a Role without %s (403): exit 0 and a warning naming the missing permission', async (_what, keep, needs) => {
    await h.api.stop();
    h.api = h.newApi({ role: { namespace: NS, serviceAccount: 'arc-launcher', rules: launcherRules(true).filter(keep) }, contract: launcherRules(true) });
    await h.api.start();
    const run = await jobWithConsole(consoleOf(7));
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`HTTP 403 Forbidden: .*: the launcher's Role needs ${needs} to read the runner's exit status\n$`));
    expect(run.stderr.split('\n')).toHaveLength(2);
  });

  test('consolePod: after a live migration its target (its source when it failed); otherwise the newest pod that is no WaitForFirstConsumer placeholder', () => {
    const pod = (name: string, creationTimestamp: string, placeholder = false) =>
      ({ metadata: { name, creationTimestamp, ...(placeholder ? { annotations: { 'kubevirt.io/ephemeral-provisioning': 'true' } } : {}) } });
    const source = pod('virt-launcher-x-aaaaa', '2026-12-08T01:00:00Z');
    const target = pod('virt-launcher-x-bbbbb', '2026-12-08T01:05:00Z');
    expect(consolePod([source, target], { sourcePod: source.metadata.name, targetPod: target.metadata.name, completed: true })).toBe(target.metadata.name);
    expect(consolePod([target, source], { sourcePod: source.metadata.name, targetPod: target.metadata.name, completed: true, failed: true })).toBe(source.metadata.name);
    // A migration's pod that is gone already (the migration controller's garbage collection): the newest one left.
    expect(consolePod([source, target], { sourcePod: 'virt-launcher-x-gone', targetPod: 'virt-launcher-x-gone2', completed: true })).toBe(target.metadata.name);
    expect(consolePod([pod('virt-launcher-x-ccccc', '2026-12-08T01:09:00Z', true), source])).toBe(source.metadata.name);
    expect(consolePod([pod('virt-launcher-x-ccccc', '2026-12-08T01:09:00Z', true)])).toBeUndefined();
    expect(consolePod([])).toBeUndefined();
  });

  test('a VMI migrated during its job: the console of the pod the guest ended in, not of the one listed first', async () => {
    const run = h.launch({ readRunnerExit: true });
    await h.created(VMIS);
    const uid = h.vmi().metadata.uid;
    const launcherPod = (name: string, creationTimestamp: string, console: string) => {
      h.api.put('pods', {
        metadata: { name, namespace: NS, creationTimestamp, labels: { 'kubevirt.io/created-by': uid, 'kubevirt.io': 'virt-launcher' } },
        spec: { initContainers: [{ name: 'guest-console-log', image: 'virt-launcher', restartPolicy: 'Always' }], containers: [{ name: 'compute', image: 'virt-launcher' }] },
      });
      h.api.setContainerLog(NS, name, 'guest-console-log', console);
    };
    // The source's console stops at the migration; the target's goes on to the exit line.
    launcherPod(`virt-launcher-${POD.name}-aaaaa`, '2026-12-08T01:00:00Z', consoleOf(undefined));
    launcherPod(`virt-launcher-${POD.name}-zzzzz`, '2026-12-08T01:05:00Z', consoleOf(7));
    h.setPhase('Running');
    await run.untilOutput(/phase Running after/);
    h.setPhase('Succeeded', { migrationState: { sourcePod: `virt-launcher-${POD.name}-aaaaa`, targetPod: `virt-launcher-${POD.name}-zzzzz`, completed: true } });
    expect(await run.exit).toBe(7);
    expect(podRequests().filter((r) => r.includes('/log'))).toEqual([`GET /api/v1/namespaces/${NS}/pods/virt-launcher-${POD.name}-zzzzz/log?container=guest-console-log&tailLines=${CONSOLE_TAIL_LINES}`]);
  });

  test('without readRunnerExit (a launcher config of an earlier version): no pod is read', async () => {
    const run = h.launch();
    await h.created(VMIS);
    h.setPhase('Running');
    await run.untilOutput(/phase Running after/);
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(podRequests()).toEqual([]);
  });
});
