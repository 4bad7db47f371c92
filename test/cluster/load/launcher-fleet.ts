import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNNER_EXIT_LINE } from '../../../lib/cluster/contract';
import { launcherRules } from '../../../lib/render/launcher-pod';
import { clock } from '../fake-kube-load';
import { FakeKube, LoadOptions } from '../fake-kube';
import { DATAVOLUME_TEMPLATE, JIT_SENTINEL, NS, VMI_TEMPLATE, VMIS } from '../launcher-arc-harness';
import { bundleFile } from '../launcher-run';

// Many ARC launcher bundles at once, each as its EphemeralRunner pod runs it (its own pod name, uid,
// ServiceAccount token and JIT Secret name), against one fake Kubernetes API with latency and faults.
// The fleet plays KubeVirt: each VMI created gets its virt-launcher pod (with the guest's serial
// console, for readRunnerExit), reaches phase Running and, after its "job", Succeeded; in clone mode
// it plays CDI too, and a VMI stays Pending until its DataVolume is there and populated (as
// virt-controller delays the virt-launcher pod: vmi/lifecycle.go areDataVolumesReady). Shared by the
// load test (./launchers.test.ts) and `npm run bench:launcher` (test/bench/launcher.ts).

const BAKE_VMI = 'baked-image-bake';
const POINTER = 'baked-image-pointer';
const REFRESHED = 'baked-image-20261207';
const SOURCE = 'abcdef0123';

export interface FleetOptions {
  readonly jobs: number;
  readonly load: LoadOptions;
  /** Launchers started together; the next wave `waveGapMs` later. @default all at once */
  readonly waveSize?: number;
  /** @default 0 */
  readonly waveGapMs?: number;
  /** After its VMI is created, a job's VMI reaches Running within this range (ms). */
  readonly runningAfterMs: readonly [number, number];
  /** Then the guest powers off after this long (ms). */
  readonly jobMs: readonly [number, number];
  /** The runner image's bake VMI succeeds this long after the fleet starts (ms); until then it runs. @default 0: baked already */
  readonly bakeMs?: number;
  /** Clone mode: CDI populates a DataVolume this long after it is created (ms). @default [0, 0] */
  readonly cloneMs?: readonly [number, number];
  readonly bootTimeoutSeconds: number;
  readonly jobTimeoutSeconds: number;
  readonly retryBaseDelayMs: number;
  /** What the synthesized config adds to the bare launcher. @default the shipped ARC config: imageReadyVmi and readRunnerExit */
  readonly features?: { readonly imageReadyVmi?: boolean; readonly readRunnerExit?: boolean; readonly imagePointer?: boolean; readonly clone?: boolean };
  /** Kills what still runs after this long (ms); the test then fails on its exit code. */
  readonly deadlineMs: number;
  /** @default the project's node */
  readonly node?: string;
  /** The launchers' scheduling priority (os.setPriority). @default 0, this process's */
  readonly nice?: number;
}

/** One launcher's run, on the fake's clock (ms). */
export interface JobRun {
  readonly name: string;
  readonly podUid: string;
  /** Its token's client name in the fake's exchanges (= name). */
  readonly client: string;
  spawnedAt?: number;
  /** Clone mode: its DataVolume populated. */
  clonedAt?: number;
  runningAt?: number;
  succeededAt?: number;
  exitedAt?: number;
  code?: number | null;
  stdout: string;
  stderr: string;
  peakRssKb: number;
}

export interface FleetResult {
  readonly api: FakeKube;
  readonly jobs: readonly JobRun[];
  readonly startedAt: number;
  readonly endedAt: number;
  /** The most resident memory of the launchers together (kB, sampled). */
  readonly peakRssKb: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

const DEFAULT_FEATURES = { imageReadyVmi: true, readRunnerExit: true, imagePointer: false, clone: false };
const between = ([low, high]: readonly [number, number]) => low + Math.random() * (high - low);

/** Runs the fleet to its end (every launcher exited, or killed at the deadline); the API is stopped. */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const features = { ...DEFAULT_FEATURES, ...options.features };
  const dir = mkdtempSync(join(tmpdir(), 'launcher-fleet-'));
  const api = new FakeKube({
    token: `token-${randomUUID()}`, load: options.load,
    role: { namespace: NS, serviceAccount: 'arc-launcher', rules: launcherRules(features.clone, features.imagePointer ? POINTER : undefined) },
  });
  await api.start();
  writeFileSync(join(dir, 'vmi.json'), JSON.stringify(VMI_TEMPLATE));
  writeFileSync(join(dir, 'datavolume.json'), JSON.stringify(DATAVOLUME_TEMPLATE));
  if (features.imagePointer) {
    api.put('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: POINTER, namespace: NS },
      data: { volumeName: REFRESHED, source: SOURCE, runnerVersion: '2.338.0', bakedAt: '2026-12-07T03:17:00Z' } });
  }
  const bakes = features.imageReadyVmi ? [BAKE_VMI, `${REFRESHED}-bake`] : [];
  for (const bake of bakes) {
    api.put(VMIS, { ...VMI_TEMPLATE, metadata: { name: bake, namespace: NS } });
    api.setStatus(VMIS, NS, bake, { phase: options.bakeMs ? 'Running' : 'Succeeded' });
  }
  const baked = options.bakeMs ? setTimeout(() => bakes.forEach((bake) => api.setStatus(VMIS, NS, bake, { phase: 'Succeeded' })), options.bakeMs) : undefined;
  const bundle = bundleFile('arc-launcher');
  const jobs: JobRun[] = Array.from({ length: options.jobs }, (_, i) => {
    const name = `arc-runners-load-runner-${String(i).padStart(4, '0')}`;
    return { name, podUid: randomUUID(), client: name, stdout: '', stderr: '', peakRssKb: 0 };
  });
  const children = new Map<JobRun, ChildProcess>();
  const exits: Promise<void>[] = [];
  const start = (job: JobRun) => {
    const jobDir = join(dir, job.name);
    mkdirSync(jobDir);
    const token = `token-${randomUUID()}`;
    api.addToken(token, job.client);
    writeFileSync(join(jobDir, 'token'), `${token}\n`);
    const config = {
      vmiTemplateFile: join(dir, 'vmi.json'),
      ...(features.clone ? { dataVolumeTemplateFile: join(dir, 'datavolume.json') } : {}),
      ...(features.imageReadyVmi ? { imageReadyVmi: BAKE_VMI } : {}),
      ...(features.imagePointer ? { imagePointer: { configMap: POINTER, source: SOURCE } } : {}),
      ...(features.readRunnerExit ? { readRunnerExit: true } : {}),
      bootTimeoutSeconds: options.bootTimeoutSeconds, jobTimeoutSeconds: options.jobTimeoutSeconds,
      kubernetes: { apiUrl: api.url, tokenFile: join(jobDir, 'token') }, retryBaseDelayMs: options.retryBaseDelayMs,
    };
    writeFileSync(join(jobDir, 'config.json'), JSON.stringify(config));
    const env = { PATH: process.env.PATH ?? '', ACTIONS_RUNNER_INPUT_JITCONFIG: JIT_SENTINEL, POD_NAME: job.name, POD_NAMESPACE: NS, POD_UID: job.podUid };
    job.spawnedAt = clock();
    const child = spawn(options.node ?? process.execPath, [bundle, join(jobDir, 'config.json')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(job, child);
    // The API server and KubeVirt (this process) run on machines of their own in a cluster: here the
    // launchers must not starve them of the CPU. Nice 10: the launchers get what this process leaves.
    if (options.nice) setPriority(child.pid!, options.nice);
    child.stdout!.on('data', (chunk: Buffer) => { job.stdout += chunk.toString('utf8'); });
    child.stderr!.on('data', (chunk: Buffer) => { job.stderr += chunk.toString('utf8'); });
    exits.push(new Promise((resolve) => child.on('close', (code) => {
      job.code = code;
      resolve();
    })));
    child.on('exit', () => {
      job.exitedAt = clock();
      children.delete(job);
    });
  };

  const driven = new Set<string>();
  const cloning = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };
  // CDI's part: a DataVolume just created is populated after a while.
  const clone = (job: JobRun) => {
    const name = `${job.name}-root`;
    if (cloning.has(name) || !api.object('datavolumes', NS, name)) return;
    cloning.add(name);
    api.setStatus('datavolumes', NS, name, { phase: 'CloneInProgress' });
    later(between(options.cloneMs ?? [0, 0]), () => {
      if (!api.object('datavolumes', NS, name)) return;
      api.setStatus('datavolumes', NS, name, { phase: 'Succeeded' });
      job.clonedAt = clock();
    });
  };
  // KubeVirt's part: a VMI just created runs (in clone mode once its DataVolume is populated), then its guest powers off.
  const drive = () => {
    for (const job of jobs) {
      if (features.clone) clone(job);
      if (driven.has(job.name)) continue;
      const vmi = api.object(VMIS, NS, job.name);
      if (!vmi) continue;
      if (features.clone && api.object('datavolumes', NS, `${job.name}-root`)?.status?.phase !== 'Succeeded') {
        if (!vmi.status?.phase) api.setStatus(VMIS, NS, job.name, { phase: 'Pending' });
        continue;
      }
      driven.add(job.name);
      const uid = vmi.metadata.uid;
      if (features.readRunnerExit) putVirtLauncherPod(api, job.name, uid);
      api.setStatus(VMIS, NS, job.name, { phase: 'Pending' });
      later(between(options.runningAfterMs), () => {
        if (!alive(api, job.name, uid)) return;
        api.setStatus(VMIS, NS, job.name, { phase: 'Running' });
        job.runningAt = clock();
        later(between(options.jobMs), () => {
          if (!alive(api, job.name, uid)) return;
          api.setStatus(VMIS, NS, job.name, { phase: 'Succeeded' });
          job.succeededAt = clock();
        });
      });
    }
  };
  const driver = setInterval(drive, 20);
  let peakRssKb = 0;
  const sampler = setInterval(() => {
    let total = 0;
    for (const [job, child] of children) {
      const rss = rssKb(child.pid);
      job.peakRssKb = Math.max(job.peakRssKb, rss);
      total += rss;
    }
    peakRssKb = Math.max(peakRssKb, total);
  }, 200);

  const loadBefore = loadavg();
  const startedAt = clock();
  const waveSize = options.waveSize ?? options.jobs;
  for (let i = 0; i < jobs.length; i += waveSize) {
    if (i > 0 && options.waveGapMs) await new Promise((resolve) => setTimeout(resolve, options.waveGapMs));
    jobs.slice(i, i + waveSize).forEach(start);
  }
  const deadline = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, options.deadlineMs);
  await Promise.all(exits);
  const endedAt = clock();
  const loadAfter = loadavg();
  clearTimeout(deadline);
  clearTimeout(baked);
  clearInterval(driver);
  clearInterval(sampler);
  for (const timer of timers) clearTimeout(timer);
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
  return { api, jobs, startedAt, endedAt, peakRssKb, loadBefore, loadAfter };
}

const alive = (api: FakeKube, name: string, uid: string) => api.object(VMIS, NS, name)?.metadata.uid === uid;

/** The VMI's virt-launcher pod, as KubeVirt labels it, with the guest's serial console: the runner exited 0. */
function putVirtLauncherPod(api: FakeKube, vmi: string, uid: string): void {
  const pod = `virt-launcher-${vmi}-${uid.slice(0, 5)}`;
  api.put('pods', {
    metadata: { name: pod, namespace: NS, labels: { 'kubevirt.io/created-by': uid, 'kubevirt.io': 'virt-launcher' } },
    spec: {
      initContainers: [{ name: 'guest-console-log', image: 'virt-launcher', restartPolicy: 'Always' }],
      containers: [{ name: 'compute', image: 'virt-launcher' }],
    },
  });
  api.setContainerLog(NS, pod, 'guest-console-log', `actions-runner-jit: starting the just-in-time runner\n${RUNNER_EXIT_LINE}0\n[   97.771012] reboot: Power down\n`);
}

function rssKb(pid: number | undefined): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** `POST virtualmachineinstances`, `GET pods/log`, `WATCH virtualmachineinstances`: a request's verb and resource. */
export function verbAndResource(method: string, url: string, watch: boolean): string {
  const path = url.split('?')[0];
  const parts = /\/namespaces\/[^/]+\/([^/]+)(?:\/[^/]+(?:\/([^/]+))?)?$/.exec(path);
  const resource = parts ? `${parts[1]}${parts[2] ? `/${parts[2]}` : ''}` : path;
  const named = parts !== null && /\/namespaces\/[^/]+\/[^/]+\/[^/]+/.test(path);
  const verb = watch ? 'WATCH' : method === 'GET' && !named ? 'LIST' : method;
  return `${verb} ${resource}`;
}
