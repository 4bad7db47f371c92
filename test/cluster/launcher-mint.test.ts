import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectProxy, hasOpenssl, makeServerPki } from './connect-proxy';
import { FakeApp, FakeGitHubApi, FakeGitHubOptions, opaqueToken, RunnerGroup } from './fake-github-api';
import { FakeKube, Plural } from './fake-kube';
import { bundleFile, LauncherRun, writeConfig } from './launcher-run';
import { CLUSTER_NODES } from './node-binaries';
import { RUNNER_EXIT_LINE, type MintLauncherConfig } from '../../lib/cluster/contract';
import { launcherRules } from '../../lib/render/launcher-pod';

// The mint launcher's bundle (lib/cluster/entries/mint-launcher.ts, RunnerKedaScaleSet's Job pods)
// with a config.json: it registers its own JIT runner on a fake GitHub (./fake-github-api.ts), stores
// the config in a pod-owned Secret on a fake Kubernetes API (./fake-kube.ts), and removes the runner
// when it is not needed. Small timeouts and poll intervals; the tests assert on exit codes, requests
// and logs, never on durations.

jest.setTimeout(30_000);

const VMIS: Plural = 'virtualmachineinstances';
const SECRETS: Plural = 'secrets';
const NS = 'ci';
const POD = { name: 'kubevirt-vm-7x2kq-5tq8m', uid: randomUUID() };
const JIT_SECRET = `${POD.name}-jit`;
const ORG = 'acme';
const REPO = 'acme/app';
const ENTERPRISE = 'big';
const APP_ID = '424242';
const INSTALLATION = '99001';
const LABELS = ['kubevirt', 'docker'];

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

const VMI_TEMPLATE = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { labels: { 'app.kubernetes.io/name': 'actions-runner' } },
  spec: {
    domain: {
      resources: { requests: { cpu: '2', memory: '4Gi' } },
      devices: { disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }, { name: 'jit', disk: { bus: 'virtio' }, serial: 'RUNNERJIT' }] },
    },
    volumes: [
      { name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName: 'baked-image' } } },
      { name: 'jit', secret: { secretName: 'set-by-launcher' } },
    ],
  },
};

// 150 groups: the one asked for is on the second page.
const ORG_GROUPS: RunnerGroup[] = [
  { id: 1, name: 'Default' },
  ...Array.from({ length: 148 }, (_, i) => ({ id: 100 + i, name: `team-${i}` })),
  { id: 42, name: 'kubevirt' },
];

let dir: string;
let kubeToken: string;
let api: FakeKube;
/** The mint launcher's Role as RunnerKedaScaleSet synthesizes it: the VMI, Events, its own JIT Secret. */
const MINT_RULES = [...launcherRules(false), { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'delete'] }];
/** The Events the launcher sent; the API requests besides them. */
const events = () => api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body));
const kubeCalls = () => api.requests.filter((r) => !r.url.includes('/events'));
let github: FakeGitHubApi;
let runs: LauncherRun[];
let secrets: string[];

function app(overrides: Partial<FakeApp> = {}): FakeApp {
  return {
    issuer: APP_ID, publicKey, installationId: INSTALLATION, account: ORG,
    permissions: { administration: 'write', organization_self_hosted_runners: 'write' }, ...overrides,
  };
}

async function startGitHub(options: Partial<FakeGitHubOptions> = {}): Promise<void> {
  await github.stop();
  github = new FakeGitHubApi({
    basePath: '/api/v3', app: app(), repositories: [REPO], organizations: [ORG], enterprises: [ENTERPRISE],
    runnerGroups: { [`orgs/${ORG}`]: ORG_GROUPS, [`enterprises/${ENTERPRISE}`]: [{ id: 1, name: 'Default' }, { id: 7, name: 'kubevirt' }] },
    ...options,
  });
  await github.start();
}

function credentials(files: Record<string, string>): string {
  const folder = join(dir, `credentials-${randomUUID()}`);
  mkdirSync(folder);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), `${content}\n`);
  return folder;
}

const appCredentials = () => credentials({ github_app_id: APP_ID, github_app_installation_id: INSTALLATION, github_app_private_key: PEM });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'launcher-mint-'));
  kubeToken = `token-${randomUUID()}`;
  writeFileSync(join(dir, 'token'), `${kubeToken}\n`);
  writeFileSync(join(dir, 'vmi.json'), JSON.stringify(VMI_TEMPLATE));
  api = new FakeKube({ token: kubeToken, role: { namespace: NS, serviceAccount: 'keda-launcher', rules: MINT_RULES } });
  await api.start();
  github = new FakeGitHubApi({ basePath: '' });
  await github.start();
  await startGitHub();
  runs = [];
  secrets = [kubeToken, PEM, ...PEM.split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----'))];
});

afterEach(async () => {
  for (const run of runs) if (run.running) run.kill('SIGKILL');
  await api.stop();
  await github.stop();
  rmSync(dir, { recursive: true, force: true });
  // No credential (App key, JWT, installation token, PAT) and no JIT config in any output; the JIT
  // config only in the one Secret create; nothing either fake API refused.
  const everything = [...secrets, ...github.issued, ...github.jitRunners.map((r) => r.encodedJitConfig)];
  for (const run of runs) {
    for (const output of [run.stdout, run.stderr]) for (const value of everything) expect(output).not.toContain(value);
  }
  for (const request of github.requests) for (const config of github.jitRunners.map((r) => r.encodedJitConfig)) expect(JSON.stringify(request)).not.toContain(config);
  for (const runner of github.jitRunners) {
    const carriers = api.requests.filter((r) => r.body.includes(Buffer.from(runner.encodedJitConfig).toString('base64')) || r.body.includes(runner.encodedJitConfig));
    // At most the one Secret create (none for a registration whose answer was lost).
    expect(carriers.map((r) => `${r.method} ${r.url}`)).toEqual(carriers.length === 0 ? [] : [`POST /api/v1/namespaces/${NS}/secrets`]);
  }
  expect(api.violations).toEqual([]);
  expect(github.violations).toEqual([]);
});

type Overrides = Partial<Record<keyof MintLauncherConfig, unknown>> & { readonly githubUrl?: string; readonly credentialsDir?: string; readonly proxy?: object };

/** Starts the mint launcher; `overrides` replace fields of its config.json (undefined removes one). */
function launch(overrides: Overrides = {}, env: Record<string, string | undefined> = {}, node = CLUSTER_NODES[0].path): LauncherRun {
  const { githubUrl, credentialsDir, proxy, ...fields } = overrides;
  const config: Record<string, unknown> = {
    vmiTemplateFile: join(dir, 'vmi.json'), bootTimeoutSeconds: 900, jobTimeoutSeconds: 86400,
    kubernetes: { apiUrl: api.url, tokenFile: join(dir, 'token') }, retryBaseDelayMs: 5,
    github: { url: githubUrl ?? `https://github.example.com/${ORG}`, apiUrl: github.url, credentialsDir: credentialsDir ?? appCredentials(), ...(proxy ? { proxy } : {}) },
    runnerLabels: LABELS, idleTimeoutSeconds: 3600, idlePollMs: 20,
    ...fields,
  };
  const podEnv = { PATH: process.env.PATH, POD_NAME: POD.name, POD_NAMESPACE: NS, POD_UID: POD.uid, ...env };
  const run = new LauncherRun(bundleFile('mint-launcher'), writeConfig(dir, JSON.parse(JSON.stringify(config)), `config-${runs.length}.json`),
    Object.fromEntries(Object.entries(podEnv).filter((e): e is [string, string] => e[1] !== undefined)), node);
  runs.push(run);
  return run;
}

const vmi = () => api.object(VMIS, NS, POD.name);
const jitSecret = () => api.object(SECRETS, NS, JIT_SECRET);
const setPhase = (phase: string) => api.setStatus(VMIS, NS, POD.name, { phase });
const created = () => api.until(() => vmi() !== undefined);
const githubDeletes = () => github.requestsOf('DELETE').map((r) => r.url);

describe('mint mode: the launcher registers its own JIT runner', () => {
  test('organization with a runner group: the JIT config is minted for the group, stored in a pod-owned Secret that the VMI mounts; a job that ran is not touched on GitHub', async () => {
    const run = launch({ runnerGroup: 'kubevirt' });
    await created();
    expect(github.jitRunners).toEqual([expect.objectContaining({ name: POD.name, scope: `orgs/${ORG}`, runnerGroupId: 42, labels: LABELS, workFolder: '_work' })]);
    const [runner] = github.jitRunners;
    expect(github.requestsOf('GET', '/runner-groups').map((r) => r.url)).toEqual([
      `/api/v3/orgs/${ORG}/actions/runner-groups?per_page=100`,
      `/api/v3/organizations/9000/actions/runner-groups?per_page=100&page=2`,
    ]);
    expect(JSON.parse(github.requestsOf('POST', 'generate-jitconfig')[0].body)).toEqual({ name: POD.name, runner_group_id: 42, labels: LABELS, work_folder: '_work' });
    expect(github.requestsOf('POST', 'generate-jitconfig')[0].url).toBe(`/api/v3/orgs/${ORG}/actions/runners/generate-jitconfig`);

    expect(jitSecret()).toMatchObject({
      type: 'Opaque',
      metadata: { name: JIT_SECRET, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: POD.name, uid: POD.uid, controller: true }] },
    });
    expect(Buffer.from(jitSecret().data.jitToken, 'base64').toString('utf8')).toBe(runner.encodedJitConfig);
    expect(vmi().spec.volumes.find((v: any) => v.name === 'jit')).toEqual({ name: 'jit', secret: { secretName: JIT_SECRET } });
    expect(vmi().metadata.ownerReferences[0].uid).toBe(POD.uid);

    setPhase('Running');
    github.setBusy(`orgs/${ORG}`, runner.id, true);
    await run.untilOutput(/took a job/);
    // The job ends: GitHub removes the JIT runner, the guest powers off.
    github.removeRunner(`orgs/${ORG}`, runner.id);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(vmi()).toBeUndefined();
    expect(jitSecret()).toBeUndefined();
    expect(githubDeletes()).toEqual([]);
    expect(run.stdout).toContain(`registered the JIT runner ${POD.name} (id ${runner.id}) in runner group "kubevirt" (id 42) of https://github.example.com/${ORG}, labels kubevirt,docker`);
    expect(run.stdout).toContain(`the runner ${POD.name} is gone from GitHub`);
    expect(run.stderr).toBe('');
  });

  test.each([
    ['a repository (App)', `https://github.example.com/${REPO}`, 'repos/acme/app', undefined, undefined],
    ['an enterprise (PAT) with a group', `https://github.example.com/enterprises/${ENTERPRISE}`, `enterprises/${ENTERPRISE}`, 'kubevirt', 7],
    ['an organization without a group', `https://github.example.com/${ORG}`, `orgs/${ORG}`, undefined, undefined],
  ])('%s: the scope\'s endpoint, group id; a VM that powered off with its runner still idle on GitHub: the runner is removed', async (_name, url, scope, group, groupId) => {
    const pat = `ghp_${opaqueToken()}`;
    secrets.push(pat);
    await startGitHub({ pats: { [pat]: ['repo', 'admin:org', 'manage_runners:enterprise'] } });
    const run = launch({
      githubUrl: url,
      runnerGroup: group,
      ...(scope.startsWith('enterprises') ? { credentialsDir: credentials({ github_token: pat }) } : {}),
    });
    await created();
    expect(github.requestsOf('POST', 'generate-jitconfig').map((r) => r.url)).toEqual([`/api/v3/${scope}/actions/runners/generate-jitconfig`]);
    expect(github.jitRunners).toEqual([expect.objectContaining({ scope, runnerGroupId: groupId ?? 1, labels: LABELS })]);
    expect(github.requestsOf('GET', 'runner-groups')).toHaveLength(group ? 1 : 0);
    const [runner] = github.jitRunners;
    setPhase('Running');
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(githubDeletes()).toEqual([`/api/v3/${scope}/actions/runners/${runner.id}`]);
    expect(github.runners(scope)).toEqual([]);
    expect(vmi()).toBeUndefined();
    expect(jitSecret()).toBeUndefined();
    expect(run.stdout).toContain(`removed the runner ${POD.name} from GitHub`);
  });
});

describe.each(CLUSTER_NODES.map((node) => [node.label, node.path]))('the mint launcher under %s', (_label, node) => {
  test('registers, runs the VM, and removes a runner still idle when the guest powered off, exit 0', async () => {
    const run = launch({}, {}, node);
    await created();
    const [runner] = github.jitRunners;
    expect(runner).toEqual(expect.objectContaining({ name: POD.name, scope: `orgs/${ORG}`, runnerGroupId: 1, labels: LABELS }));
    setPhase('Running');
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(githubDeletes()).toEqual([`/api/v3/orgs/${ORG}/actions/runners/${runner.id}`]);
    expect(vmi()).toBeUndefined();
    expect(jitSecret()).toBeUndefined();
    // Per job on GitHub: an installation token, the registration, the state at the end, the removal.
    expect(github.requests.map((r) => `${r.method} ${r.url.replace(/runners\/\d+$/, 'runners/ID')}`)).toEqual([
      `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`, `POST /api/v3/orgs/${ORG}/actions/runners/generate-jitconfig`,
      `GET /api/v3/orgs/${ORG}/actions/runners/ID`, `DELETE /api/v3/orgs/${ORG}/actions/runners/ID`,
    ]);
  });
});

describe('mint mode: a runner whose version is deprecated (exit 7 on the serial console)', () => {
  test('logged, a Warning Event RunnerOutdated on the pod and on its VMI, exit 7; the VMI and Secret deleted all the same', async () => {
    const run = launch({ readRunnerExit: true });
    await created();
    const vmiUid = vmi().metadata.uid;
    api.put('pods', {
      metadata: { name: `virt-launcher-${POD.name}-q2w7z`, namespace: NS, labels: { 'kubevirt.io/created-by': vmiUid } },
      spec: { initContainers: [{ name: 'guest-console-log', image: 'virt-launcher' }], containers: [{ name: 'compute', image: 'virt-launcher' }] },
    });
    api.setContainerLog(NS, `virt-launcher-${POD.name}-q2w7z`, 'guest-console-log', `${RUNNER_EXIT_LINE}7\n[  OK  ] Reached target Power-Off.\n`);
    setPhase('Running');
    setPhase('Succeeded');
    expect(await run.exit).toBe(7);
    const message = 'the runner exited 7: its version is deprecated and GitHub gives it no jobs; bake the runner image again with a current runner release (RunnerImage release or refresh)';
    expect(run.stderr).toBe(`mint-launcher: ${message}\n`);
    // VmiCreated and VmiRunning on the pod, then RunnerOutdated on the pod and on the VMI: four Events, the most a job records.
    const pod = { apiVersion: 'v1', kind: 'Pod', namespace: NS, name: POD.name, uid: POD.uid };
    expect(events().map((e) => [e.type, e.reason, e.involvedObject])).toEqual([['Normal', 'VmiCreated', pod], ['Normal', 'VmiRunning', pod], ['Warning', 'RunnerOutdated', pod],
      ['Warning', 'RunnerOutdated', { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', namespace: NS, name: POD.name, uid: vmiUid }]]);
    for (const event of events()) {
      expect(event).toMatchObject({ source: { component: 'mint-launcher' }, reportingComponent: 'mint-launcher', reportingInstance: POD.name, count: 1 });
      expect(event.metadata.name).toMatch(new RegExp(`^${POD.name}\\.[0-9a-f]{16}$`));
    }
    expect(events().slice(2).map((e) => e.message)).toEqual([message, message]);
    expect(vmi()).toBeUndefined();
    expect(jitSecret()).toBeUndefined();
  });

  test('a Role without events: one warning line, no Event after the first refusal, and the exit is still 7', async () => {
    await api.stop();
    api = new FakeKube({ token: kubeToken, role: { namespace: NS, serviceAccount: 'keda-launcher', rules: MINT_RULES.filter((r) => r.resources[0] !== 'events') }, contract: MINT_RULES });
    await api.start();
    const run = launch({ readRunnerExit: true });
    await created();
    api.put('pods', {
      metadata: { name: 'virt-launcher-x', namespace: NS, labels: { 'kubevirt.io/created-by': vmi().metadata.uid } },
      spec: { initContainers: [{ name: 'guest-console-log', image: 'virt-launcher' }], containers: [{ name: 'compute', image: 'virt-launcher' }] },
    });
    api.setContainerLog(NS, 'virt-launcher-x', 'guest-console-log', `${RUNNER_EXIT_LINE}7\n`);
    setPhase('Running');
    setPhase('Succeeded');
    expect(await run.exit).toBe(7);
    expect(run.stderr.split('\n').filter((l) => l.includes('events'))).toEqual([expect.stringMatching(
      /^mint-launcher: cannot create Event \S+: HTTP 403 Forbidden: .*: the Role needs create on events; no Event VmiCreated on Pod ci\/\S+, nor any later Event of this run$/,
    )]);
    expect(api.requestsOf('POST', '/events')).toHaveLength(1);
    expect(vmi()).toBeUndefined();
  });
});

describe('mint mode: a registration whose answer was lost (GitHub answers the retry 409)', () => {
  test('the leftover runner of the pod\'s name is found, removed, and the registration made again; exit 0', async () => {
    github.inject('generate-jitconfig', { lostAnswer: true });
    const run = launch({ requestTimeoutMs: 500 });
    await created();
    expect(github.jitRunners.map((r) => r.name)).toEqual([POD.name, POD.name]);
    const [lost, kept] = github.jitRunners;
    expect(github.requestsOf('GET', '/actions/runners?').map((r) => r.url)).toEqual([`/api/v3/orgs/${ORG}/actions/runners?name=${POD.name}&per_page=100`]);
    expect(githubDeletes()).toEqual([`/api/v3/orgs/${ORG}/actions/runners/${lost.id}`]);
    expect(Buffer.from(jitSecret().data.jitToken, 'base64').toString('utf8')).toBe(kept.encodedJitConfig);
    expect(run.stdout).toContain(`removed the runner ${POD.name} (id ${lost.id}) that a registration of this pod whose answer was lost left on GitHub`);
    expect(run.stderr).toMatch(/generate a JIT runner config for \S+: no complete answer within 0.5s; retry 1 of 5/);
    setPhase('Running');
    github.removeRunner(`orgs/${ORG}`, kept.id);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(github.runners(`orgs/${ORG}`)).toEqual([]);
  });

  test('a runner of that name that is running a job is not removed: exit 1, nothing created', async () => {
    github.setRunners(`orgs/${ORG}`, [{ id: 123, name: POD.name, status: 'online', busy: true }]);
    const run = launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`a runner named ${POD.name} (id 123) is on https://github.example.com/${ORG} already and running a job`);
    expect(github.runners(`orgs/${ORG}`)).toHaveLength(1);
    expect([kubeCalls(), events().map((e) => [e.type, e.reason, e.involvedObject.kind])]).toEqual([[], [['Warning', 'JobFailed', 'Pod']]]);
  });

  test('SIGTERM while GitHub registers it: the runner GitHub made is found by name and removed, exit 143', async () => {
    github.inject('generate-jitconfig', { lostAnswer: true });
    const run = launch();
    while (github.jitRunners.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    run.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(githubDeletes()).toEqual([`/api/v3/orgs/${ORG}/actions/runners/${github.jitRunners[0].id}`]);
    expect(github.runners(`orgs/${ORG}`)).toEqual([]);
    expect([kubeCalls(), events().map((e) => [e.reason, e.message])]).toEqual([[], [['JobStopped', expect.stringMatching(/^stopped by SIGTERM [\d.]+s after the launcher started/)]]]);
  });
});

describe('mint mode: the idle timeout', () => {
  test('a runner never busy within the idle timeout: removed from GitHub, VMI and Secret deleted, exit 0', async () => {
    const run = launch({ idleTimeoutSeconds: 1 });
    await created();
    const [runner] = github.jitRunners;
    setPhase('Running');
    expect(await run.exit).toBe(0);
    expect(githubDeletes()).toEqual([`/api/v3/orgs/${ORG}/actions/runners/${runner.id}`]);
    expect(github.runners(`orgs/${ORG}`)).toEqual([]);
    expect(vmi()).toBeUndefined();
    expect(jitSecret()).toBeUndefined();
    expect(github.requestsOf('GET', `/actions/runners/${runner.id}`).length).toBeGreaterThan(0);
    expect(run.stdout).toContain(`the runner ${POD.name} (id ${runner.id}) took no job within 1s of its VM running (idleTimeoutSeconds): removed it from GitHub`);
  });

  test('a runner that got busy is never removed by the idle timeout: the job runs to the end', async () => {
    const run = launch({ idleTimeoutSeconds: 1 });
    await created();
    const [runner] = github.jitRunners;
    github.setBusy(`orgs/${ORG}`, runner.id, true);
    setPhase('Running');
    await run.untilOutput(/took a job/);
    // Past the idle timeout (a wait, not an assertion on time), the VMI is still there: no more polls.
    const polls = github.requestsOf('GET', `/actions/runners/${runner.id}`).length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(vmi()).toBeDefined();
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(github.requestsOf('GET', `/actions/runners/${runner.id}`).length).toBe(polls + 1);
    // Still busy at the end (GitHub has not removed it yet): left alone.
    expect(githubDeletes()).toEqual([]);
    expect(run.stdout).toContain('is running a job: left to GitHub');
  });

  test('a runner that takes a job as the idle timeout deletes it (422): kept, and the job runs to the end', async () => {
    const run = launch({ idleTimeoutSeconds: 1 });
    await created();
    const [runner] = github.jitRunners;
    github.inject('delete', { status: 422, message: `Bad request - Runner "${POD.name}" is still running a job` });
    setPhase('Running');
    await run.untilOutput(/took a job just before the idle timeout: keeping it/);
    expect(vmi()).toBeDefined();
    github.removeRunner(`orgs/${ORG}`, runner.id);
    setPhase('Succeeded');
    expect(await run.exit).toBe(0);
    expect(githubDeletes()).toEqual([`/api/v3/orgs/${ORG}/actions/runners/${runner.id}`]);
  });

  test('SIGTERM while the VM runs: the idle runner is removed from GitHub, the VMI deleted, exit 143', async () => {
    const run = launch();
    await created();
    const [runner] = github.jitRunners;
    setPhase('Running');
    await run.untilOutput(/phase Running/);
    run.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(githubDeletes()).toEqual([`/api/v3/orgs/${ORG}/actions/runners/${runner.id}`]);
    expect(vmi()).toBeUndefined();
    expect(jitSecret()).toBeUndefined();
  });
});

describe('mint mode: GitHub refuses', () => {
  test.each([
    ['401: a key of another App', () => ({ app: app({ publicKey: otherKey.publicKey }) }), {}, /cannot create an access token for installation 99001 of GitHub App 424242: HTTP 401: .*GitHub does not accept the App's JWT/],
    ['403: no permission on self-hosted runners', () => ({ app: app({ permissions: { administration: 'write' } }) }), {},
      /cannot generate a JIT runner config for https:\/\/github.example.com\/acme: HTTP 403: Resource not accessible by integration.*lacks the permission: the organization permission "Self-hosted runners: read and write"/],
    ['404: the App is not installed on that organization', () => ({ organizations: [ORG, 'other'] }), { githubUrl: 'https://github.example.com/other' },
      /cannot generate a JIT runner config for https:\/\/github.example.com\/other: HTTP 404: Not Found.*Either github.url is wrong \(no the organization other .*\) or the GitHub App is not installed there \(installation 99001 belongs to another account\)/],
    ['404: no such runner group', () => ({}), { runnerGroup: 'nope' }, /the runner group "nope" \(runnerGroup\) does not exist in https:\/\/github.example.com\/acme/],
  ])('%s: exit 1 with a clear message, nothing created', async (_name, options, config: Overrides, message) => {
    await startGitHub(options());
    const run = launch(config);
    expect(await run.exit).toBe(1);
    expect(run.stderr).toMatch(message);
    // A refusal registered nothing: no search for a leftover runner.
    expect(run.stderr).not.toContain('may stay on GitHub');
    expect(github.requestsOf('GET', '/actions/runners?')).toEqual([]);
    expect(kubeCalls()).toEqual([]);
    // Why the job never started, on its pod: GitHub's refusal and what it means.
    expect(events()).toEqual([expect.objectContaining({ type: 'Warning', reason: 'JobFailed', involvedObject: expect.objectContaining({ kind: 'Pod' }), message: expect.stringMatching(message) })]);
    expect(github.jitRunners).toEqual([]);
  });

  test('a 500 then a rate limit on generate-jitconfig are retried', async () => {
    github.inject('generate-jitconfig', { status: 500 });
    github.inject('generate-jitconfig', { status: 403, message: 'API rate limit exceeded', headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '0' } });
    const run = launch();
    await created();
    expect(github.requestsOf('POST', 'generate-jitconfig')).toHaveLength(3);
    setPhase('Failed');
    expect(await run.exit).toBe(1);
    expect(run.stderr).toMatch(/generate a JIT runner config for .*: HTTP 500.*retry 1 of 5/);
  });

  test('the Secret cannot be created (403): the runner is removed from GitHub, exit 1', async () => {
    api.inject('POST', SECRETS, { status: 403, message: 'secrets is forbidden' });
    const run = launch();
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`cannot create Secret ${NS}/${JIT_SECRET}: HTTP 403 Forbidden: secrets is forbidden. The API server refused the pod's ServiceAccount: see its message`);
    expect(github.jitRunners).toHaveLength(1);
    expect(githubDeletes()).toEqual([`/api/v3/orgs/${ORG}/actions/runners/${github.jitRunners[0].id}`]);
    expect(vmi()).toBeUndefined();
  });
});

describe('mint mode: bad configuration exits 2 before any request', () => {
  test.each([
    ['no labels', { runnerLabels: [] }, 'runnerLabels must be a list of 1 to 100 entries'],
    ['a label too long', { runnerLabels: ['x'.repeat(257)] }, 'runnerLabels[0] must be a runner label of 1 to 256 characters'],
    ['no GitHub URL', { github: { credentialsDir: '/etc/github-credentials' } }, 'github.url is required'],
    ['a runner group for a repository', { githubUrl: `https://github.com/${REPO}`, runnerGroup: 'x' }, 'runnerGroup is set but github.url https://github.com/acme/app is a repository: runner groups belong to organizations and enterprises'],
    ['no credentials folder', { credentialsDir: '/nonexistent' }, 'the GitHub credentials folder /nonexistent (github.credentialsDir) cannot be read'],
    ['no idle timeout', { idleTimeoutSeconds: undefined }, 'idleTimeoutSeconds must be a whole number from 1 to 2147483'],
    ['an unknown field', { mintJit: true } as Overrides, 'mintJit is not a known field'],
  ])('%s', async (_name, config: Overrides, message) => {
    const run = launch(config);
    expect(await run.exit).toBe(2);
    expect(run.stderr).toContain(message);
    expect(api.requests).toEqual([]);
    expect(github.requests).toEqual([]);
  });
});

describe('mint mode behind a proxy, GHES with a private CA', () => {
  const proxyTest = hasOpenssl ? test : test.skip;
  const GHES = 'github.test';

  proxyTest('GitHub through the CONNECT tunnel (trusted through NODE_EXTRA_CA_CERTS), the Kubernetes API directly; no proxy userinfo in the output', async () => {
    const pki = makeServerPki(dir, GHES);
    await startGitHub({ tls: { key: pki.key, cert: pki.cert } });
    const proxy = new ConnectProxy({ [GHES]: '127.0.0.1' });
    await proxy.start();
    try {
      const config: Overrides = {
        github: {
          url: `https://${GHES}:${github.port}/${ORG}`, apiUrl: `https://${GHES}:${github.port}/api/v3`, credentialsDir: appCredentials(),
          proxy: { url: proxy.url.replace('http://', 'http://corp-user:S3cretProxyPass@'), noProxy: ['localhost', '127.0.0.1', '::1', '.svc', '.cluster.local'] },
        },
      };
      const run = launch(config, { NODE_EXTRA_CA_CERTS: pki.caFile });
      await created();
      const [runner] = github.jitRunners;
      expect(runner).toEqual(expect.objectContaining({ name: POD.name, scope: `orgs/${ORG}` }));
      expect(proxy.connects.length).toBeGreaterThanOrEqual(2);
      expect(new Set(proxy.connects)).toEqual(new Set([`${GHES}:${github.port}`]));
      expect(proxy.authorizations).toEqual([]);
      expect(api.requests.length).toBeGreaterThan(0);
      setPhase('Running');
      github.setBusy(`orgs/${ORG}`, runner.id, true);
      await run.untilOutput(/took a job/);
      github.removeRunner(`orgs/${ORG}`, runner.id);
      setPhase('Succeeded');
      expect(await run.exit).toBe(0);
      expect(run.stdout).toContain(`mint-launcher: GitHub's API: ${GHES}:${github.port} through the proxy ${proxy.url}\n`);
      for (const output of [run.stdout, run.stderr]) expect(output).not.toMatch(/S3cretProxyPass|corp-user/);

      // Without the CA: the first call fails on TLS, clearly, and nothing is created.
      const untrusted = launch(config, { POD_UID: randomUUID() });
      expect(await untrusted.exit).not.toBe(0);
      expect(untrusted.stderr).toBe(`mint-launcher: TLS: GitHub's API at https://${GHES}:${github.port}/api/v3 is not trusted (a server with a private CA needs NODE_EXTRA_CA_CERTS): unable to verify the first certificate\n`);
    } finally {
      await proxy.stop();
    }
  });
});
