import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNNER_EXIT_LINE } from '../../lib/cluster/contract';
import { LauncherEventReason } from '../../lib/cluster/launcher/job-events';
import { launcherRules } from '../../lib/render/launcher-pod';
import { arcHarness, NS, POD, VMI_REF, VMIS } from './launcher-arc-harness';

// The Events a launcher records (lib/cluster/launcher/job-events.ts), as the fake API stores them
// after checking each against Kubernetes 1.34's Event schema and ValidateEventCreate: one per step on
// the launcher's pod, a Warning also on the object at fault, at most four per job, never a wait.

jest.setTimeout(30_000);

const h = arcHarness();
const POD_OBJECT = { apiVersion: 'v1', kind: 'Pod', namespace: NS, name: POD.name, uid: POD.uid };
const vmiObject = (uid: string) => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', namespace: NS, name: POD.name, uid });

/** The Events as the API server stored them, in the order they were recorded. */
const events = (): any[] => h.api.requestsOf('POST', '/events').map((r) => h.api.object('events', NS, JSON.parse(r.body).metadata.name));
const summary = () => events().map((e) => [e.type, e.reason, e.involvedObject]);

/** The VMI's virt-launcher pod, whose serial console log ends with the runner's exit status. */
function consoleSays(status: number): void {
  const name = `virt-launcher-${POD.name}-abcde`;
  h.api.put('pods', {
    metadata: { name, namespace: NS, labels: { 'kubevirt.io/created-by': h.vmi().metadata.uid } },
    spec: { initContainers: [{ name: 'guest-console-log', image: 'virt-launcher', restartPolicy: 'Always' }], containers: [{ name: 'compute', image: 'virt-launcher' }] },
  });
  h.api.setContainerLog(NS, name, 'guest-console-log', `${RUNNER_EXIT_LINE}${status}\n[  OK  ] Reached target Power-Off.\n`);
}

/** A job whose runner exits `status`: created, Running, the console's exit line, powered off. The VMI's uid and the exit code. */
async function jobWhoseRunnerExits(status: number): Promise<{ uid: string; code: number | null }> {
  const run = h.launch({ readRunnerExit: true });
  await h.created(VMIS);
  const uid = h.vmi().metadata.uid;
  consoleSays(status);
  h.setPhase('Running');
  await run.untilOutput(/phase Running after/);
  h.setPhase('Succeeded');
  const code = await run.exit;
  // Nothing the run did waited for an Event: no line of the run speaks of one.
  expect(run.stdout).not.toContain('Event');
  return { uid, code };
}

describe('the launcher\'s Events', () => {
  test('a job: VmiCreated, VmiRunning and JobFinished on the pod (how long it ran, the runner\'s exit status), with the fields kubectl shows', async () => {
    const { code } = await jobWhoseRunnerExits(0);
    expect(code).toBe(0);
    expect(summary()).toEqual([['Normal', 'VmiCreated', POD_OBJECT], ['Normal', 'VmiRunning', POD_OBJECT], ['Normal', 'JobFinished', POD_OBJECT]]);
    const [created, running, finished] = events();
    expect(created.message).toMatch(new RegExp(`^VirtualMachineInstance ${POD.name} is this job's VM, [\\d.]+s after the launcher started; it boots the runner image baked-image$`));
    expect(running.message).toMatch(new RegExp(`^VirtualMachineInstance ${POD.name} is Running, [\\d.]+s after the launcher started \\([\\d.]+s after it was created\\)$`));
    expect(finished.message).toMatch(new RegExp(`^${VMI_REF} succeeded: the guest powered off after its job; Running for [\\d.]+s, [\\d.]+s after the launcher started; the runner exited 0$`));
    for (const event of events()) {
      expect(event).toMatchObject({ source: { component: 'arc-launcher' }, reportingComponent: 'arc-launcher', reportingInstance: POD.name, count: 1 });
      expect(event.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(event.metadata.name).toMatch(new RegExp(`^${POD.name}\\.[0-9a-f]{16}$`));
    }
  });

  test('a runner that exited 7 under ARC: RunnerOutdated on the pod and the VMI, exit 7 (four Events, the most a job records)', async () => {
    const { uid, code } = await jobWhoseRunnerExits(7);
    expect(code).toBe(7);
    expect(summary()).toEqual([
      ['Normal', 'VmiCreated', POD_OBJECT], ['Normal', 'VmiRunning', POD_OBJECT],
      ['Warning', 'RunnerOutdated', POD_OBJECT], ['Warning', 'RunnerOutdated', vmiObject(uid)],
    ]);
    expect(events()[2].message).toBe('the runner exited 7: its version is deprecated and GitHub gives it no jobs; '
      + 'bake the runner image again with a current runner release (RunnerImage release or refresh)');
    expect(h.vmi()).toBeUndefined();
  });

  test('boot timeout: BootTimeout on the pod and on the VMI', async () => {
    const run = h.launch({ bootTimeoutSeconds: 1 });
    await h.created(VMIS);
    const uid = h.vmi().metadata.uid;
    h.setPhase('Scheduling');
    expect(await run.exit).toBe(1);
    expect(summary()).toEqual([['Normal', 'VmiCreated', POD_OBJECT], ['Warning', 'BootTimeout', POD_OBJECT], ['Warning', 'BootTimeout', vmiObject(uid)]]);
    expect(events()[1].message).toBe(`${VMI_REF} did not reach phase Running within 1s (bootTimeoutSeconds); last phase: Scheduling`);
  });

  test('a VMI that failed: JobFailed on the pod and the VMI, with KubeVirt\'s reason', async () => {
    const run = await h.launchRunning();
    const uid = h.vmi().metadata.uid;
    h.setPhase('Failed', { reason: 'NodeUnresponsive' });
    expect(await run.exit).toBe(1);
    expect(summary()).toEqual([
      ['Normal', 'VmiCreated', POD_OBJECT], ['Normal', 'VmiRunning', POD_OBJECT], ['Warning', 'JobFailed', POD_OBJECT], ['Warning', 'JobFailed', vmiObject(uid)],
    ]);
    expect(events()[2].message).toContain(`${VMI_REF} failed: reason NodeUnresponsive`);
  });

  test('SIGTERM (ARC deleting the runner pod): JobStopped on the pod, recorded before the exit', async () => {
    const run = await h.launchRunning();
    run.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(summary()).toEqual([['Normal', 'VmiCreated', POD_OBJECT], ['Normal', 'VmiRunning', POD_OBJECT], ['Normal', 'JobStopped', POD_OBJECT]]);
    expect(events()[2].message).toMatch(/^stopped by SIGTERM [\d.]+s after the launcher started, before the job's VM was done; what this pod created is deleted$/);
  });

  test('a Role without events: the job runs to its end, one warning line, no Event tried after the refusal', async () => {
    await h.api.stop();
    const rules = launcherRules(true);
    h.api = h.newApi({ role: { namespace: NS, serviceAccount: 'arc-launcher', rules: rules.filter((r) => r.resources[0] !== 'events') }, contract: rules });
    await h.api.start();
    const run = await h.launchRunning();
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^arc-launcher: cannot create Event ci/${POD.name}\\.[0-9a-f]{16}: HTTP 403 Forbidden: events is forbidden: `
      + '.*: the Role needs create on events; no Event VmiCreated on Pod \\S+, nor any later Event of this run\n$'));
    expect(h.api.requestsOf('POST', '/events')).toHaveLength(1);
    expect(h.vmi()).toBeUndefined();
  });

  test('an Event the API server answers 500 to is retried; one that never gets through is a warning, and the job goes on', async () => {
    h.api.inject('POST', 'events', { status: 500, message: 'etcdserver: request timed out' }, { times: 4 });
    const run = await h.launchRunning();
    h.setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    // VmiCreated: three attempts, all refused; VmiRunning: refused once, then recorded; JobFinished recorded.
    expect(run.stderr).toMatch(/^arc-launcher: cannot create Event \S+: HTTP 500 InternalError: etcdserver: request timed out; gave up after 3 attempts; no Event VmiCreated on Pod \S+$/m);
    const sent = h.api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body));
    expect(sent.map((e) => e.reason)).toEqual(['VmiCreated', 'VmiCreated', 'VmiCreated', 'VmiRunning', 'VmiRunning', 'JobFinished']);
    expect(sent.map((e) => h.api.object('events', NS, e.metadata.name)?.reason)).toEqual([undefined, undefined, undefined, 'VmiRunning', 'VmiRunning', 'JobFinished']);
  });
});

describe('the Event reasons are a documented interface', () => {
  test('docs/13 lists exactly the launchers\' reasons, each with its type and object', () => {
    const page = readFileSync(join(__dirname, '..', '..', 'docs', '13-in-cluster-components.md'), 'utf8');
    const table = page.slice(page.indexOf('| reason | type | on | when |'));
    const lines = table.split('\n').slice(2);
    const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith('|'))).map((l) => l.split('|')[1].trim().replace(/`/g, ''));
    expect(rows).toEqual(Object.values(LauncherEventReason));
    for (const reason of Object.values(LauncherEventReason)) expect(reason).toMatch(/^[A-Z][a-zA-Z]+$/);
  });
});
