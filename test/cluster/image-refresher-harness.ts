import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage, RunnerWarmPool } from '../../lib';
import type { ImageRefresherConfig } from '../../lib/cluster/contract';
import { FakeKube, PolicyRule } from './fake-kube';
import { FakeRelease, FakeReleases, startFakeReleases } from './fake-github-releases';
import type { ClusterNode } from './node-binaries';
import { BundleRun, runBundle } from './run-bundle';
import { K8sObject, synth } from '../util';

// One image refresher run as its CronJob's pod runs it (`node image-refresher.js config.json`, with
// POD_NAMESPACE, POD_NAME and POD_UID), against a fake Kubernetes API holding what the library
// synthesizes for a RunnerImage and a RunnerWarmPool (the image's DataVolume, its bake VM with a
// succeeded VMI, the pool), and a fake of GitHub's releases API. The templates are the synthesized
// image's own bake objects; KubeVirt's part (the bake VM's VMI going through its phases) is played
// by `bake()`. RBAC is the least-privilege Role the refresher needs (REFRESHER_RULES): a request
// outside it is a violation.

export const NS = 'ci';
export const POOL = 'warm';
export const POINTER = 'ci-image-current';
export const POD = 'ci-image-refresh-29012345-abcde';
export const POD_UID = '0f7c5a52-6b5e-4c1e-9d43-2f0d6e0b7a11';
export const VMIS = 'virtualmachineinstances';
export const VMS = 'virtualmachines';
export const DVS = 'datavolumes';
export const POOLS = 'virtualmachinepools';

/** What the library synthesizes: the image (with its bake objects) and a warm pool on it. */
export const synthesized = (() => {
  const chart = new Chart(Testing.app(), 'ci', { namespace: NS });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', sharing: ImageSharing.SHARED });
  new RunnerWarmPool(chart, 'warm', { url: 'https://github.com/acme', runnerImage: image, replicas: 2, tokenSecretName: 'warm-token', name: POOL });
  const objects = synth(chart);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const bakeSecret = find('Secret', image.readyVmiName);
  const pool = find('VirtualMachinePool', POOL);
  pool.spec.updateStrategy = { opportunistic: {} };
  return {
    name: 'ci-image',
    source: image.hash,
    volumeName: image.volumeName,
    bakeVmName: image.readyVmiName,
    release: { version: image.release.version, sha256: image.release.sha256, downloadUrl: image.release.downloadUrl },
    dataVolume: find('DataVolume', image.volumeName),
    bakeVm: find('VirtualMachine', image.readyVmiName),
    userData: bakeSecret.stringData.userdata as string,
    pool: pool as K8sObject,
  };
})();

/** The synthesized runner version and the ones after it. */
export const V0 = synthesized.release.version;
const [major, minor] = V0.split('.').map(Number);
export const V1 = `${major}.${minor + 1}.0`;
export const V2 = `${major}.${minor + 2}.0`;
export const OLDER = `${major}.${minor - 1}.0`;

/** The Role the refresher needs; resourceNames where the name is known before the run. */
export const REFRESHER_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps'], resourceNames: [POINTER], verbs: ['get', 'update'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'delete'] },
  { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes'], verbs: ['get', 'list', 'create', 'delete'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: ['get', 'list', 'create', 'delete'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['list', 'watch'] },
  { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], resourceNames: [POOL], verbs: ['get', 'patch'] },
  { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], verbs: ['list'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/** The test's fakes and folder (set by setUp), the runs to check at tearDown, the Node binary of the describe. */
export interface Harness {
  dir: string;
  kubeToken: string;
  kube: FakeKube;
  releases: FakeReleases;
  readonly runs: BundleRun[];
  node: ClusterNode;
}

export const h = { runs: [] as BundleRun[] } as Harness;

/**
 * Before each test: the fake APIs with the synthesized fleet (image baked, pool on it) and `releases`
 * served (over TLS with `tls`); RBAC from `rules` (a Role that differs from REFRESHER_RULES).
 */
export async function setUp(releases: readonly FakeRelease[], { tls, rules = REFRESHER_RULES }: { tls?: { key: string; cert: string }; rules?: PolicyRule[] } = {}): Promise<void> {
  h.dir = mkdtempSync(join(tmpdir(), 'image-refresher-'));
  h.kubeToken = `sa-${randomUUID()}`;
  writeFileSync(join(h.dir, 'token'), `${h.kubeToken}\n`);
  writeFileSync(join(h.dir, 'datavolume.json'), JSON.stringify(synthesized.dataVolume));
  writeFileSync(join(h.dir, 'bake-vm.json'), JSON.stringify(synthesized.bakeVm));
  writeFileSync(join(h.dir, 'userdata'), synthesized.userData);
  h.kube = new FakeKube({ token: h.kubeToken, role: { namespace: NS, serviceAccount: 'ci-image-refresh', rules }, contract: REFRESHER_RULES });
  await h.kube.start();
  h.releases = await startFakeReleases({ releases, tls });
  h.kube.put(DVS, { ...synthesized.dataVolume, status: { phase: 'Succeeded', progress: '100.0%' } });
  const vm = h.kube.put(VMS, synthesized.bakeVm);
  putVmi(vm, 'Succeeded');
  h.kube.put(POOLS, { ...synthesized.pool, status: { replicas: 2, readyReplicas: 2 } });
}

export async function tearDown(): Promise<void> {
  await h.kube.stop();
  await h.releases.close();
  rmSync(h.dir, { recursive: true, force: true });
  for (const run of h.runs) {
    for (const output of [run.stdout, run.stderr]) {
      expect(output).not.toContain(h.kubeToken);
      expect(output.split('\n').filter((l) => l !== '' && !l.startsWith('image-refresher: '))).toEqual([]);
    }
  }
  expect(h.kube.violations).toEqual([]);
  expect(h.releases.violations).toEqual([]);
  h.runs.length = 0;
}

/** The config the library would render, with the fakes' locations and small retries. */
export function refresherConfig(overrides: Partial<Record<keyof ImageRefresherConfig, unknown>> = {}): Record<string, unknown> {
  const config: ImageRefresherConfig = {
    name: synthesized.name,
    source: synthesized.source,
    volumeName: synthesized.volumeName,
    pointerConfigMap: POINTER,
    release: synthesized.release,
    releasesApiUrl: h.releases.url,
    downloadBaseUrl: 'https://github.com/actions/runner/releases/download',
    arch: 'x64',
    templates: { dataVolumeFile: join(h.dir, 'datavolume.json'), bakeVmFile: join(h.dir, 'bake-vm.json'), userDataFile: join(h.dir, 'userdata') },
    keep: 1,
    warmPools: [POOL],
    bakeTimeoutSeconds: 60,
    kubernetes: { apiUrl: h.kube.url, tokenFile: join(h.dir, 'token') },
    retryBaseDelayMs: 5,
  };
  return { ...config, ...overrides };
}

/** The pod's environment (downward API). */
export const POD_ENV = { POD_NAMESPACE: NS, POD_NAME: POD, POD_UID };

/** One run of the bundle. */
export async function refresh(overrides: Partial<Record<keyof ImageRefresherConfig, unknown>> = {}, env: Record<string, string | undefined> = {}): Promise<BundleRun> {
  const run = await runBundle(h.node, 'image-refresher', join(h.dir, 'config.json'), refresherConfig(overrides), { ...POD_ENV, ...env });
  h.runs.push(run);
  return run;
}

/** A VMI of `vm` (as KubeVirt's virt-controller makes it) in `phase`. */
export function putVmi(vm: any, phase: string, extra: Record<string, unknown> = {}): void {
  const { name, uid } = vm.metadata;
  h.kube.put(VMIS, {
    metadata: {
      name, namespace: NS, labels: vm.spec.template.metadata?.labels ?? {},
      ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: vm.spec.template.spec,
  });
  h.kube.setStatus(VMIS, NS, name, { phase, ...extra });
}

/** The names of the objects of `plural` the refresher created (POST bodies), in order. */
export const created = (plural: string): string[] => h.kube.requestsOf('POST', `/${plural}`).filter((r) => r.url.endsWith(`/${plural}`))
  .map((r) => JSON.parse(r.body).metadata.name);

/**
 * KubeVirt and CDI for the refresh's bake: once the bake VM is created, its DataVolume imports and
 * its VMI goes Scheduling -> Running -> `outcome` (or stays Running for 'hang'). Resolves the bake VM's name.
 */
export async function bake(outcome: 'Succeeded' | 'Failed' | 'hang'): Promise<string> {
  await h.kube.until(() => created(VMS).length > 0 && h.kube.object(VMS, NS, created(VMS)[0]) !== undefined);
  const name = created(VMS)[0];
  const vm = h.kube.object(VMS, NS, name);
  const volume = name.replace(/-bake$/, '');
  h.kube.setStatus(DVS, NS, volume, { phase: 'ImportInProgress', progress: '42.00%' });
  putVmi(vm, 'Scheduling');
  await new Promise((resolve) => setTimeout(resolve, 20));
  h.kube.setStatus(DVS, NS, volume, { phase: 'Succeeded', progress: '100.0%' });
  h.kube.setStatus(VMIS, NS, name, { phase: 'Running' });
  if (outcome === 'hang') return name;
  await new Promise((resolve) => setTimeout(resolve, 20));
  h.kube.setStatus(VMIS, NS, name, outcome === 'Failed'
    ? { phase: 'Failed', reason: 'PodFailed', conditions: [{ type: 'Ready', status: 'False', reason: 'PodTerminating', message: 'virt-launcher pod failed' }] }
    : { phase: 'Succeeded' });
  return name;
}

/** The Events the refresher recorded, as stored. */
export const events = (): any[] => created('events').map((name) => h.kube.object('events', NS, name));

/** The pool template's root disk claim. */
export const poolImage = (): string => h.kube.object(POOLS, NS, POOL).spec.virtualMachineTemplate.spec.template.spec.volumes
  .find((v: any) => v.name === 'rootdisk').ephemeral.persistentVolumeClaim.claimName;

/** The pointer ConfigMap's data, or undefined. */
export const pointer = (): Record<string, string> | undefined => h.kube.object('configmaps', NS, POINTER)?.data;

/**
 * Stores a refreshed image as an earlier run left it: its DataVolume (imported), bake VM (whose VMI
 * succeeded) and cloud-config Secret, labelled as the refresher labels them.
 */
export function putRefreshedImage(volume: string, runnerVersion: string, startedAt: string, image = synthesized.name): void {
  const bakeVm = `${volume}-bake`;
  const labels = {
    'app.kubernetes.io/managed-by': 'kubevirt-runners-image-refresher', 'cdk8s-kubevirt-runners/image': image,
    'cdk8s-kubevirt-runners/image-source': synthesized.source, 'cdk8s-kubevirt-runners/runner-version': runnerVersion,
    'cdk8s-kubevirt-runners/baked-on': startedAt.slice(0, 10),
  };
  const metadata = (name: string) => ({ name, namespace: NS, labels, annotations: { 'cdk8s-kubevirt-runners/bake-started-at': startedAt } });
  h.kube.put(DVS, { ...synthesized.dataVolume, metadata: metadata(volume), status: { phase: 'Succeeded', progress: '100.0%' } });
  h.kube.put('secrets', { metadata: metadata(bakeVm), data: { userdata: Buffer.from('#cloud-config\n').toString('base64') } });
  const vm = JSON.parse(JSON.stringify(synthesized.bakeVm).split(synthesized.volumeName).join(volume));
  const stored = h.kube.put(VMS, { ...vm, metadata: metadata(bakeVm) });
  putVmi(stored, 'Succeeded');
}
