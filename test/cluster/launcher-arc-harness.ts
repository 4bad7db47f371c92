import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArcLauncherConfig } from '../../lib/cluster/contract';
import { launcherRules } from '../../lib/render/launcher-pod';
import { FakeKube, FakeKubeOptions, Plural } from './fake-kube';
import { bundleFile, LauncherRun, writeConfig } from './launcher-run';
import { CLUSTER_NODES } from './node-binaries';

// The ARC launcher's tests share this: its bundle run with a config.json against the fake Kubernetes
// API (./fake-kube.ts) with RBAC from the launcher's synthesized Role, on a fake VMI that the tests
// drive through its phases. Timeouts and backoff are small; the tests assert on exit codes, requests
// and log lines, never on how long anything took. After every test: no credential in any output, the
// JIT config of ARC's environment nowhere, nothing the API refused.

export const VMIS: Plural = 'virtualmachineinstances';
export const DVS: Plural = 'datavolumes';
export const NS = 'ci';
export const POD = { name: 'arc-runners-x7k2p-runner-9qv4d', uid: randomUUID() };
export const DV_NAME = `${POD.name}-root`;
export const RUNNER_LABEL = 'cdk8s-kubevirt-runners/runner';
export const VMI_REF = `VirtualMachineInstance ${NS}/${POD.name}`;
// ARC puts the runner's JIT config in the container's environment: it must reach nothing.
export const JIT_SENTINEL = `JITCONFIG-SENTINEL-${randomUUID()}`;

export const VMI_TEMPLATE = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { labels: { 'app.kubernetes.io/name': 'actions-runner', 'cdk8s-kubevirt-runners/scale-set': 'arc-runners' } },
  spec: {
    domain: {
      cpu: { cores: 2 },
      resources: { requests: { cpu: '2', memory: '4Gi' } },
      devices: {
        disks: [
          { name: 'rootdisk', disk: { bus: 'virtio' } },
          { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
          { name: 'jit', disk: { bus: 'virtio' }, serial: 'RUNNERJIT' },
        ],
      },
    },
    terminationGracePeriodSeconds: 30,
    volumes: [
      { name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName: 'baked-image' } } },
      { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '#cloud-config\n{}' } },
      { name: 'jit', secret: { secretName: 'placeholder' } },
    ],
  },
};

export const DATAVOLUME_TEMPLATE = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { labels: { 'app.kubernetes.io/name': 'actions-runner' } },
  spec: {
    source: { pvc: { namespace: NS, name: 'baked-image' } },
    storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
  },
};

/** The test's state; `api` may be replaced by a test (a restarted or TLS server). */
export interface ArcHarness {
  dir: string;
  token: string;
  tokenFile: string;
  api: FakeKube;
  readonly runs: LauncherRun[];
  /** A new API server (not started) with the launcher's Role (clone mode: with DataVolumes). */
  newApi(options?: Partial<FakeKubeOptions>): FakeKube;
  /** The config.json of a run: the fake's URL and token, small delays, and `overrides` (undefined removes). */
  config(overrides?: Partial<Record<keyof ArcLauncherConfig, unknown>>): Record<string, unknown>;
  /** The pod's environment (downward API and ARC's JIT config), with `overrides` (undefined removes). */
  env(overrides?: Record<string, string | undefined>): Record<string, string>;
  /** Starts the launcher with `config(overrides)`. */
  launch(overrides?: Partial<Record<keyof ArcLauncherConfig, unknown>>, env?: Record<string, string | undefined>, node?: string): LauncherRun;
  /** Starts the launcher and waits until it has created its VMI and logged the VMI Running. */
  launchRunning(): Promise<LauncherRun>;
  vmi(): any;
  setPhase(phase: string, extra?: object): void;
  created(plural: Plural, name?: string): Promise<void>;
  deletes(): { path: string; options: any }[];
  /** An object as an earlier run left it, owned by the Pod `owner`. */
  leftover(plural: Plural, name: string, owner: { name: string; uid: string }, extra?: object): any;
}

/** Registers the hooks of an ARC launcher test file and returns its state. */
export function arcHarness(): ArcHarness {
  const h = {} as ArcHarness;
  Object.assign(h, {
    runs: [] as LauncherRun[],
    newApi: (options: Partial<FakeKubeOptions> = {}) => new FakeKube({ token: h.token, role: { namespace: NS, serviceAccount: 'arc-launcher', rules: launcherRules(true) }, ...options }),
    config: (overrides = {}) => strip({
      vmiTemplateFile: join(h.dir, 'vmi.json'), bootTimeoutSeconds: 900, jobTimeoutSeconds: 86400,
      kubernetes: { apiUrl: h.api.url, tokenFile: h.tokenFile }, retryBaseDelayMs: 5, ...overrides,
    }),
    env: (overrides = {}) => strip({
      PATH: process.env.PATH, ACTIONS_RUNNER_INPUT_JITCONFIG: JIT_SENTINEL, POD_NAME: POD.name, POD_NAMESPACE: NS, POD_UID: POD.uid, ...overrides,
    }) as Record<string, string>,
    launch: (overrides = {}, env = {}, node = CLUSTER_NODES[0].path) => {
      const run = new LauncherRun(bundleFile('arc-launcher'), writeConfig(h.dir, h.config(overrides), `config-${h.runs.length}.json`), h.env(env), node);
      h.runs.push(run);
      return run;
    },
    launchRunning: async () => {
      const run = h.launch();
      await h.created(VMIS);
      h.setPhase('Running');
      await run.untilOutput(/phase Running after/);
      return run;
    },
    vmi: () => h.api.object(VMIS, NS, POD.name),
    setPhase: (phase: string, extra: object = {}) => h.api.setStatus(VMIS, NS, POD.name, { phase, ...extra }),
    created: (plural: Plural, name = POD.name) => h.api.until(() => h.api.object(plural, NS, name) !== undefined),
    deletes: () => h.api.requestsOf('DELETE').map((r) => ({ path: r.url, options: JSON.parse(r.body) })),
    leftover: (plural: Plural, name: string, owner: { name: string; uid: string }, extra: object = {}) => {
      const template: any = plural === VMIS ? VMI_TEMPLATE : DATAVOLUME_TEMPLATE;
      return h.api.put(plural, {
        ...template,
        metadata: {
          name, namespace: NS,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
          ...extra,
        },
      });
    },
  });

  beforeEach(async () => {
    h.dir = mkdtempSync(join(tmpdir(), 'arc-launcher-'));
    h.token = `token-${randomUUID()}`;
    h.tokenFile = join(h.dir, 'token');
    writeFileSync(h.tokenFile, `${h.token}\n`);
    writeFileSync(join(h.dir, 'vmi.json'), JSON.stringify(VMI_TEMPLATE));
    writeFileSync(join(h.dir, 'datavolume.json'), JSON.stringify(DATAVOLUME_TEMPLATE));
    h.api = h.newApi();
    await h.api.start();
    h.runs.length = 0;
  });

  afterEach(async () => {
    for (const run of h.runs) if (run.running) run.kill('SIGKILL');
    await h.api.stop();
    rmSync(h.dir, { recursive: true, force: true });
    for (const run of h.runs) {
      for (const output of [run.stdout, run.stderr]) {
        expect(output).not.toContain(h.token);
        expect(output).not.toContain(JIT_SENTINEL);
      }
      expect(run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('arc-launcher: '))).toEqual([]);
    }
    expect(JSON.stringify(h.api.requests)).not.toContain(JIT_SENTINEL);
    expect(h.api.violations).toEqual([]);
  });
  return h;
}

/** Drops the undefined values (a way to remove a field or variable). */
function strip(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
