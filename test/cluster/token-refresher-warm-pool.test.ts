import { Chart, Testing } from 'cdk8s';
import { CLUSTER_NODES } from './node-binaries';
import {
  appCredentials, github, githubCalls, kube, NS, refresh, SECRET, startGitHub, stopAndPut, storedToken, synthesizedSecret, useNode, useRefresherHarness,
} from './token-refresher-harness';
import { RunnerImage, RunnerWarmPool } from '../../lib';
import { RUNNER_EXIT_LINE, type WarmPoolConsoles } from '../../lib/cluster/contract';
import { POOL_CONSOLE_TAIL_LINES } from '../../lib/cluster/pool/outdated-runners';
import { synth } from '../util';

// A RunnerWarmPool's token refresher also reads the serial consoles of the pool's running VMs
// (lib/cluster/pool/outdated-runners.ts): a VM whose runner GitHub deprecated writes
// `kubevirt-runners: runner exited 7` there and holds (lib/guest/report-runner-exit.sh), and the
// refresher records one Warning Event RunnerOutdated on the VirtualMachinePool. The Role, the config
// and the pool are the library's own, synthesized; the virt-launcher pods are as KubeVirt makes them
// (the VMI template's labels, kubevirt.io=virt-launcher, the VMI as controller) and their
// `guest-console-log` is served as the API server serves pods/log: text/plain.

jest.setTimeout(30_000);

useRefresherHarness();

const POOL = 'warm';

/** What the library synthesizes for a warm pool with a token refresher in namespace NS. */
function synthesized() {
  const chart = new Chart(Testing.app(), 'ci', { namespace: NS });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image' });
  new RunnerWarmPool(chart, 'warm', {
    url: 'https://github.com/my-org', runnerImage: image, replicas: 3, tokenSecretName: SECRET, name: POOL, tokenRefresher: { githubCredentialsSecret: 'github-app' },
  });
  const objects = synth(chart);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const config = JSON.parse(find('ConfigMap', `${POOL}-refresher`).data['config.json']);
  return { role: find('Role', `${POOL}-refresher`), pool: find('VirtualMachinePool', POOL), warmPool: config.warmPool as WarmPoolConsoles };
}
const library = synthesized();

/** A virt-launcher pod of the pool's VM `vm` (KubeVirt's labels over the VMI template's), with `console` as its guest-console-log. */
function launcherPod(vm: string, console: string | undefined, options: { phase?: string; templateLabels?: Record<string, string>; consoleLog?: boolean } = {}) {
  const name = `virt-launcher-${vm}-${vm.length}x7kq`;
  const vmiUid = `0000000${vm.length}-1111-2222-3333-${vm.replace(/[^0-9]/g, '').padStart(12, '4')}`;
  kube.put('pods', {
    metadata: {
      name, namespace: NS,
      labels: {
        ...(options.templateLabels ?? library.pool.spec.virtualMachineTemplate.spec.template.metadata.labels),
        'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': vmiUid, 'vm.kubevirt.io/name': vm, 'kubevirt.io/vm-pool-revision-name': `${POOL}-1`,
      },
      ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: vm, uid: vmiUid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      initContainers: options.consoleLog === false ? [] : [{ name: 'guest-console-log', image: 'virt-launcher', restartPolicy: 'Always' }],
      containers: [{ name: 'compute', image: 'virt-launcher' }],
    },
    status: { phase: options.phase ?? 'Running' },
  });
  if (console !== undefined) kube.setContainerLog(NS, name, 'guest-console-log', console);
  return name;
}

/** A warm pool VM's console: the boot, the runner's registration, and what came after. */
function consoleOf(after: string[]): string {
  return [
    ...Array.from({ length: 300 }, (_, i) => `[    ${(i / 10).toFixed(6)}] kernel: boot line ${i}`),
    'register-actions-runner: registering runner warm-0 with https://github.com/my-org',
    'register-actions-runner: runner registered and started',
    ...after,
    '',
  ].join('\n');
}
/** Held after a 7: the line, then again every 5 minutes, with whatever the kernel wrote between. */
const HELD = consoleOf(['', `${RUNNER_EXIT_LINE}7`, 'report-runner-exit: the runner exited 7: its version is deprecated ... Holding this VM for 2400s ...',
  ...Array.from({ length: 4 }, (_, i) => [`[ ${600 + i * 300}.000000] systemd-journald[301]: Data hash table of /run/log/journal/x/system.journal has a fill level at 75.0`,
    '', `${RUNNER_EXIT_LINE}7`]).flat()]);
const LISTENING = consoleOf([]);
const EXITED_0 = consoleOf(['', `${RUNNER_EXIT_LINE}0`, 'report-runner-exit: the runner exited 0; powering off', '[  OK  ] Stopped target Multi-User System.']);

const events = (): any[] => kube.requestsOf('POST', '/events').map((r) => kube.object('events', NS, JSON.parse(r.body).metadata.name)).filter(Boolean);
const logPath = (pod: string) => `/api/v1/namespaces/${NS}/pods/${pod}/log?container=guest-console-log&tailLines=${POOL_CONSOLE_TAIL_LINES}`;
const LIST = `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(library.warmPool.podSelector)}`;

describe.each(CLUSTER_NODES)('under $label', (clusterNode) => {
  useNode(clusterNode);

  /** The API server with the synthesized Role (RBAC) as both what is allowed and the contract; the token Secret and the pool stored. */
  async function cluster(rules = library.role.rules) {
    await stopAndPut(synthesizedSecret(), { role: { namespace: NS, serviceAccount: `${POOL}-refresher`, rules }, contract: library.role.rules });
    return kube.put('virtualmachinepools', library.pool);
  }
  const run = (config: Record<string, unknown> = {}) => refresh({ credentialsDir: appCredentials(), config: { warmPool: library.warmPool, ...config }, env: { POD_NAME: 'warm-refresher-29411-abcde' } });

  describe('a warm pool\'s token refresher reads its VMs\' serial consoles', () => {
    test('the library\'s config and Role: the pool\'s virt-launcher pods by its fleet label; list pods, get pods/log, get that one pool', () => {
      expect(library.warmPool).toEqual({ pool: POOL, podSelector: 'kubevirt.io=virt-launcher,cdk8s-kubevirt-runners/fleet=warm-pool.warm' });
      // The labels the selector names are on the VMI template, which KubeVirt copies onto the pod; the console is logged.
      expect(library.pool.spec.virtualMachineTemplate.spec.template.metadata.labels).toMatchObject({ 'cdk8s-kubevirt-runners/fleet': 'warm-pool.warm' });
      expect(library.pool.spec.virtualMachineTemplate.spec.template.spec.domain.devices.logSerialConsole).toBe(true);
      expect(library.role.rules).toEqual([
        { apiGroups: [''], resources: ['secrets'], resourceNames: [SECRET], verbs: ['get', 'patch', 'update'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], resourceNames: [POOL], verbs: ['get'] },
      ]);
    });

    test('a held VM whose runner exited 7: one Warning Event RunnerOutdated on the pool naming it; the others and other pools\' pods are not in it', async () => {
      const stored = await cluster();
      await startGitHub();
      const held = launcherPod('warm-0', HELD);
      const listening = launcherPod('warm-1', LISTENING);
      const exited = launcherPod('warm-2', EXITED_0);
      launcherPod('warm-3', undefined, { phase: 'Pending' });
      launcherPod('other-0', HELD, { templateLabels: { 'cdk8s-kubevirt-runners/fleet': 'warm-pool.other' } });
      const result = await run();

      expect(result.code).toBe(0);
      expect(storedToken()).toBe(github!.registrationTokens[0].token);
      expect(kube.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        `GET /api/v1/namespaces/${NS}/secrets/${SECRET}`,
        `PATCH /api/v1/namespaces/${NS}/secrets/${SECRET}`,
        `GET ${LIST}`,
        // Only the pool's running pods; text/plain answers.
        ...[held, listening, exited].map((pod) => `GET ${logPath(pod)}`),
        `GET /apis/pool.kubevirt.io/v1beta1/namespaces/${NS}/virtualmachinepools/${POOL}`,
        `POST /api/v1/namespaces/${NS}/events`,
      ]);
      const message = 'the runner of VirtualMachine warm-0 exited 7: its version is deprecated and GitHub gives it no jobs; such a VM holds 40 minutes, '
        + 'then starts again on the pool\'s current image. Bake the runner image again with a current runner release (RunnerImage release or refresh)';
      expect(events()).toEqual([expect.objectContaining({
        type: 'Warning', reason: 'RunnerOutdated', message, count: 1,
        involvedObject: { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', namespace: NS, name: POOL, uid: stored.metadata.uid },
        source: { component: 'token-refresher' }, reportingComponent: 'token-refresher', reportingInstance: 'warm-refresher-29411-abcde',
      })]);
      expect(result.stderr).toBe(`token-refresher: VirtualMachinePool ${NS}/${POOL}: ${message}\n`);
    });

    test('two held VMs: still one Event, naming both; the next run records another (Events last an hour: a pool that stays outdated stays listed)', async () => {
      await cluster();
      await startGitHub();
      launcherPod('warm-2', HELD);
      launcherPod('warm-0', HELD);
      expect((await run()).code).toBe(0);
      expect(events().map((e) => e.message)).toEqual([expect.stringMatching(/^the runner of VirtualMachine warm-0, warm-2 exited 7: /)]);
      expect((await run()).code).toBe(0);
      expect(events()).toHaveLength(2);
      expect(new Set(events().map((e) => e.metadata.name)).size).toBe(2);
    });

    test('consoles that say 0 or nothing yet: no Event, no read of the pool, one line', async () => {
      await cluster();
      await startGitHub();
      launcherPod('warm-0', LISTENING);
      launcherPod('warm-1', EXITED_0);
      const result = await run();
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(events()).toEqual([]);
      expect(kube.requestsOf('GET', '/virtualmachinepools')).toEqual([]);
      expect(result.stdout).toContain(`token-refresher: read the serial consoles of 2 running VMs of VirtualMachinePool ${NS}/${POOL}: no runner exited 7\n`);
    });

    test('the line further back than the tail it reads (a VM that ran for hours after a 7 it did not hold for): not this VM\'s state now', async () => {
      await cluster();
      await startGitHub();
      launcherPod('warm-0', consoleOf([`${RUNNER_EXIT_LINE}7`, ...Array.from({ length: POOL_CONSOLE_TAIL_LINES }, (_, i) => `job output ${i}`)]));
      expect((await run()).code).toBe(0);
      expect(events()).toEqual([]);
    });

    test('a pod gone since the list (404) and one whose console is not logged (400): each skipped with a line; the held VM still reported', async () => {
      await cluster();
      await startGitHub();
      const gone = launcherPod('warm-0', HELD);
      const unlogged = launcherPod('warm-1', undefined, { consoleLog: false });
      launcherPod('warm-2', HELD);
      // The list passes; the first log read finds the pod gone.
      kube.inject('GET', 'pods', { delayMs: 0 });
      kube.inject('GET', 'pods', { status: 404, message: `pods "${gone}" not found`, reason: 'NotFound' });
      const result = await run();
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`token-refresher: skipped a serial console of VirtualMachinePool ${NS}/${POOL}: VM warm-0: cannot read the guest-console-log log of Pod ${NS}/${gone}: HTTP 404 NotFound: pods "${gone}" not found\n`);
      expect(result.stdout).toContain(`token-refresher: skipped a serial console of VirtualMachinePool ${NS}/${POOL}: VM warm-1: cannot read the guest-console-log log of Pod ${NS}/${unlogged}: HTTP 400 BadRequest: `
        + `container guest-console-log is not valid for pod ${unlogged}\n`);
      expect(events().map((e) => e.message)).toEqual([expect.stringMatching(/^the runner of VirtualMachine warm-2 exited 7: /)]);
    });

    test('a Role without list on pods: the token is stored, the Job fails saying what the Role needs', async () => {
      await cluster(library.role.rules.filter((r: any) => !r.resources.includes('pods')));
      await startGitHub();
      launcherPod('warm-0', HELD);
      const result = await run();
      expect(result.code).toBe(1);
      expect(storedToken()).toBe(github!.registrationTokens[0].token);
      expect(result.stderr).toContain('token-refresher: the new registration token is stored, but reading the warm pool\'s serial consoles failed: '
        + 'cannot list pods in namespace ci: HTTP 403 Forbidden: pods is forbidden: User "system:serviceaccount:ci:warm-refresher" cannot list resource "pods" '
        + 'in API group "" in the namespace "ci": the refresher\'s Role needs list on pods and get on pods/log (RunnerWarmPool synthesizes them)\n');
      // The Job's failure Event on its pod, not a RunnerOutdated.
      expect(events().map((e) => [e.reason, e.involvedObject.kind])).toEqual([['TokenRefreshFailed', 'Pod']]);
    });

    test('GitHub refuses the token: the consoles are read all the same and the held VM reported; the Job fails for the token', async () => {
      await cluster();
      await startGitHub();
      launcherPod('warm-0', HELD);
      const result = await run({ github: { url: 'https://github.com/my-org', apiUrl: github!.url, credentialsDir: appCredentials({ installation: '999' }) } });
      expect(result.code).toBe(1);
      expect(storedToken()).toBeUndefined();
      expect(githubCalls()).toHaveLength(1);
      expect(events().map((e) => e.reason).sort()).toEqual(['RunnerOutdated', 'TokenRefreshFailed']);
    });

    test('a refresher of another fleet reads no console', async () => {
      await cluster();
      await startGitHub();
      launcherPod('warm-0', HELD);
      expect((await refresh({ credentialsDir: appCredentials() })).code).toBe(0);
      expect(kube.requestsOf('GET', '/pods')).toEqual([]);
    });
  });
});
