import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import {
  ImageSharing, ResourceScope, RunnerChart, RunnerImage, RunnerKedaScaleSet, RunnerPool, RunnerScaleSet, RunnerWarmPool,
} from '../../lib';
import { ARC_RELEASES, ARC_VERSION, DEFAULT_RUNNER_VERSION, KEDA_RELEASE, OsImage, RUNNER_RELEASES, RunnerRelease } from '../../lib';
import { Amount, FleetSummary, fleetMarkdown, formatAmount, formatGi, StorageLocation, summarizeFleet } from '../../lib/validate/fleet-summary';

// The fleet at a glance is read from the synthesized objects only: every kind of fleet, its runners
// (a count, or min/max), each runner's size, its total at the maximum, and the storage behind it.

const GI = 2 ** 30;
const gi = (n: number): Amount => ({ known: n * GI, unknown: {} });
const n = (value: number): Amount => ({ known: value, unknown: {} });

const summaryOf = (...charts: Chart[]): FleetSummary =>
  summarizeFleet(charts.flatMap((c) => Testing.synth(c)).map((object) => ({ file: 'test.yaml', object })));
const fleet = (summary: FleetSummary, name: string) => summary.fleets.find((f) => f.name === name)!;
const storage = (summary: FleetSummary, usedBy: string, volume: string) =>
  summary.storage.find((s) => s.usedBy.includes(usedBy) && s.volume === volume)!;

function perJobCharts() {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
  const shared = new RunnerImage(chart, 'image', { name: 'shared-image', size: '40Gi' });
  const cloned = new RunnerImage(chart, 'cloned', { name: 'cloned-image', size: '30Gi', sharing: ImageSharing.CLONE_PER_JOB, bakeCpu: 4, bakeMemory: '8Gi' });
  new RunnerWarmPool(chart, 'warm', { url: 'https://github.com/acme', runnerImage: shared, replicas: 3, tokenSecretName: 'token', name: 'warm', cpu: 2, memory: '6Gi' });
  new RunnerScaleSet(chart, 'arc', {
    url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: shared, name: 'arc', minRunners: 1, maxRunners: 5, cpu: 2, memory: '8Gi',
  });
  new RunnerKedaScaleSet(chart, 'keda', {
    url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: cloned, name: 'keda', runnerLabels: ['kubevirt'], maxRunners: 4,
  });
  return { chart, shared, cloned };
}

describe('summarizeFleet', () => {
  test('RunnerChart: a count of VMs, their size, the golden image once and a root disk per runner', () => {
    const app = Testing.app();
    const chart = new RunnerChart(app, 'fleet', {
      url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 3, cpu: 8, memory: '16Gi', diskSize: '50Gi', storageClassName: 'fast',
    });
    const summary = summaryOf(chart);
    expect(summary.fleets).toEqual([{
      name: 'default/actions-runner', kind: 'VirtualMachine', runners: { min: 3, max: 3 },
      vcpu: n(8), memory: gi(16), disk: gi(50), vcpuAtMost: n(24), memoryAtMost: gi(48), diskAtMost: gi(150),
    }]);
    expect(summary.storage).toEqual([
      {
        volume: 'default/actions-runner-image', what: 'DataVolume, import from http; golden image, cloned for each runner',
        usedBy: ['default/actions-runner'], location: StorageLocation.VOLUME, storage: 'ReadWriteOnce, class fast', size: gi(50), count: 1,
      },
      {
        volume: '<vm>-root', what: 'boot disk, DataVolume template, clone of default/actions-runner-image',
        usedBy: ['default/actions-runner'], location: StorageLocation.VOLUME, storage: 'ReadWriteOnce, class fast', size: gi(50), count: 3,
      },
    ]);
    expect(summary.volumesAtMost).toEqual(gi(200));
    expect(summary.nodeStorageAtMost).toEqual(n(0));
    expect(summary.runners).toEqual({ min: 3, max: 3 });
    expect(summary.versions).toEqual([{
      fleet: 'default/actions-runner', kind: 'VirtualMachine', runners: [{ version: DEFAULT_RUNNER_VERSION, released: RUNNER_RELEASES[DEFAULT_RUNNER_VERSION].published }],
      baseImages: ['Ubuntu 24.04 LTS (2024-04-25): https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img'],
      updates: ['runner self-update', 'security updates daily, reboot when idle'],
    }]);
    expect(summary.warnings).toEqual([]);
  });

  test('versions: how each fleet stays current, and a fleet that does not', () => {
    const chart = new Chart(Testing.app(), 'updates', { namespace: 'ci' });
    new RunnerPool(chart, 'frozen', { url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 1, name: 'frozen', automaticSecurityUpdates: false, disableUpdate: true });
    const image = new RunnerImage(chart, 'image', { name: 'fixed-image', refresh: { enabled: false } });
    new RunnerScaleSet(chart, 'arc', { url: 'https://github.com/acme', githubCredentialsSecret: 'app', runnerImage: image, name: 'arc' });
    const summary = summaryOf(chart);
    expect(summary.versions.map((v) => [v.fleet, v.updates])).toEqual([
      ['ci/arc', []],
      ['ci/frozen', ['no automatic security updates', 'runner self-update off']],
    ]);
    expect(fleetMarkdown(summary)).toContain('| nothing: change the image to re-bake it |');
  });

  test('versions: a pinned runner older than the newest the library knows is a warning; an unknown release has no date', () => {
    const chart = new Chart(Testing.app(), 'pins', { namespace: 'ci' });
    new RunnerPool(chart, 'old', { url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 1, name: 'old', release: RunnerRelease.of('2.334.0') });
    new RunnerPool(chart, 'next', {
      url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 1, name: 'next', osImage: OsImage.ubuntu2604(),
      release: RunnerRelease.of('2.400.0', { sha256: 'a'.repeat(64) }),
    });
    const image = new RunnerImage(chart, 'image', { name: 'old-image', release: RunnerRelease.of('2.334.0') });
    new RunnerScaleSet(chart, 'arc', { url: 'https://github.com/acme', githubCredentialsSecret: 'app', runnerImage: image, name: 'arc', arcVersion: '0.14.2' });
    const summary = summaryOf(chart);
    expect(summary.versions.map((v) => [v.fleet, v.runners, v.baseImages.map((b) => b.split(':')[0]), v.controller])).toEqual([
      ['ci/arc', [{ version: '2.334.0', released: '2026-04-21' }], ['Ubuntu 24.04 LTS (2024-04-25)'], { name: 'actions-runner-controller', version: '0.14.2', released: '2026-05-22' }],
      ['ci/next', [{ version: '2.400.0' }], ['Ubuntu 26.04 LTS (2026-04-23)'], undefined],
      ['ci/old', [{ version: '2.334.0', released: '2026-04-21' }], ['Ubuntu 24.04 LTS (2024-04-25)'], undefined],
    ]);
    const newest = Object.keys(RUNNER_RELEASES).pop()!;
    expect(summary.warnings).toEqual([{ fleet: 'ci/arc', runner: '2.334.0', newest }, { fleet: 'ci/old', runner: '2.334.0', newest }]);
    const markdown = fleetMarkdown(summary);
    expect(markdown).toContain('| `ci/next` | VirtualMachine | 2.400.0 (not in the library\'s table) | Ubuntu 26.04 LTS (2026-04-23): '
      + 'https://cloud-images.ubuntu.com/resolute/current/resolute-server-cloudimg-amd64.img | — |');
    expect(markdown).toContain(`> **Warning:** \`ci/old\` runs runner 2.334.0 (2026-04-21), older than ${newest} (${RUNNER_RELEASES[newest].published}), the newest release this library knows`);
  });

  test('RunnerPool with an instancetype: the size is named, not guessed, and totals carry it', () => {
    const chart = new Chart(Testing.app(), 'pool', { namespace: 'ci' });
    new RunnerPool(chart, 'pool', {
      url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 2, name: 'big',
      instancetype: { name: 'u1.2xlarge' }, rootDisk: { size: '80Gi' }, goldenImage: { size: '10Gi' },
    });
    new RunnerPool(chart, 'small', {
      url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 1, name: 'small', instancetype: { name: 'u1.small', scope: ResourceScope.NAMESPACED },
    });
    const summary = summaryOf(chart);
    const big = fleet(summary, 'ci/big');
    expect(big.vcpu).toEqual({ known: 0, unknown: { 'instancetype u1.2xlarge': 1 } });
    expect(big.vcpuAtMost).toEqual({ known: 0, unknown: { 'instancetype u1.2xlarge': 2 } });
    expect(big.diskAtMost).toEqual(gi(160));
    expect(storage(summary, 'ci/big', 'ci/big-image').size).toEqual(gi(10));
    expect(formatAmount(summary.memoryAtMost, 'bytes')).toBe('2 × instancetype u1.2xlarge + instancetype u1.small');
    const markdown = fleetMarkdown(summary);
    expect(markdown).toContain('| `ci/big` | VirtualMachine | 2 | instancetype u1.2xlarge | instancetype u1.2xlarge | 80Gi | 2 × instancetype u1.2xlarge |');
  });

  test('RunnerWarmPool, RunnerScaleSet, RunnerKedaScaleSet and RunnerImage: replicas, min/max, per-job VMs, baked images', () => {
    const { chart, shared, cloned } = perJobCharts();
    const summary = summaryOf(chart);
    expect(summary.fleets.map((f) => [f.name, f.kind, f.runners])).toEqual([
      ['ci/arc', 'AutoscalingRunnerSet', { min: 1, max: 5 }],
      ['ci/keda', 'ScaledJob', { min: 0, max: 4 }],
      ['ci/warm', 'VirtualMachinePool', { min: 3, max: 3 }],
    ]);
    // The warm pool's VMs: their size, and a copy-on-write layer over the baked volume on the node.
    expect(fleet(summary, 'ci/warm')).toMatchObject({ vcpu: n(2), memory: gi(6), disk: gi(40), vcpuAtMost: n(6), memoryAtMost: gi(18), diskAtMost: gi(120) });
    // ARC: the launcher's VMI template, sized by the scale set; at most maxRunners of it.
    expect(fleet(summary, 'ci/arc')).toMatchObject({ vcpu: n(2), memory: gi(8), disk: gi(40), vcpuAtMost: n(10), memoryAtMost: gi(40), diskAtMost: gi(200) });
    // KEDA: the default size (4 vCPU, 16Gi), a clone of the baked volume per job.
    expect(fleet(summary, 'ci/keda')).toMatchObject({ vcpu: n(4), memory: gi(16), disk: gi(30), vcpuAtMost: n(16), memoryAtMost: gi(64), diskAtMost: gi(120) });

    const sharedImage = storage(summary, 'ci/arc', `ci/${shared.volumeName}`);
    expect(sharedImage).toMatchObject({ usedBy: ['ci/arc', 'ci/warm'], size: gi(40), count: 1, storage: 'ReadWriteMany, default class' });
    expect(sharedImage.what).toContain(`baked by VM ${shared.readyVmiName} (2 vCPU, 4Gi memory, once)`);
    const clonedImage = storage(summary, 'ci/keda', `ci/${cloned.volumeName}`);
    expect(clonedImage.what).toBe(`DataVolume, import from http; baked by VM ${cloned.readyVmiName} (4 vCPU, 8Gi memory, once); cloned per job`);
    expect(storage(summary, 'ci/keda', '<job>')).toMatchObject({ location: StorageLocation.VOLUME, size: gi(30), count: 4 });
    expect(storage(summary, 'ci/arc', 'rootdisk')).toMatchObject({ location: StorageLocation.NODE, size: gi(40), count: 5 });
    expect(storage(summary, 'ci/warm', 'rootdisk')).toMatchObject({ location: StorageLocation.NODE, size: gi(40), count: 3 });

    expect(summary.runners).toEqual({ min: 4, max: 12 });
    expect(summary.vcpuAtMost).toEqual(n(6 + 10 + 16));
    expect(summary.memoryAtMost).toEqual(gi(18 + 40 + 64));
    // The baked volumes once, the per-job clones at the maximum; the layers on the nodes.
    expect(summary.volumesAtMost).toEqual(gi(40 + 30 + 4 * 30));
    expect(summary.nodeStorageAtMost).toEqual(gi(5 * 40 + 3 * 40));
    // Each fleet's runner is the bake's, through the clone per job too; KEDA's version is not in the output.
    const noble = 'Ubuntu 24.04 LTS (2024-04-25): https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img';
    const runner = [{ version: DEFAULT_RUNNER_VERSION, released: RUNNER_RELEASES[DEFAULT_RUNNER_VERSION].published }];
    // Each baked image re-bakes itself (refresh on by default): its CronJob and schedule.
    const refreshedBy = (image: string) => [`image refresher \`${image}-refresh\` (17 3 * * *)`];
    expect(summary.versions).toEqual([
      { fleet: 'ci/arc', kind: 'AutoscalingRunnerSet', runners: runner, baseImages: [noble], updates: refreshedBy('shared-image'), controller: { name: 'actions-runner-controller', version: ARC_VERSION, released: ARC_RELEASES[ARC_VERSION].released } },
      { fleet: 'ci/keda', kind: 'ScaledJob', runners: runner, baseImages: [noble], updates: refreshedBy('cloned-image'), controller: { name: 'KEDA (2.17.0 or later), current release', version: '2.21.0', released: '2026-09-23' } },
      { fleet: 'ci/warm', kind: 'VirtualMachinePool', runners: runner, baseImages: [noble], updates: refreshedBy('shared-image') },
    ]);
    expect(fleetMarkdown(summary)).toContain('| image refresher `cloned-image-refresh` (17 3 * * *) |');
  });

  test('a docker data disk: every DataVolume template and emptyDisk counts, by its serial', () => {
    // What the VM options' dockerDataDisk renders, added to the synthesized objects: a blank
    // DataVolume template per long-lived VM, an emptyDisk for one-job VMs, serial DOCKERDATA.
    const chart = new RunnerChart(Testing.app(), 'fleet', { url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 2, diskSize: '50Gi' });
    const { chart: perJob } = perJobCharts();
    const objects = [...Testing.synth(chart), ...Testing.synth(perJob)];
    for (const vm of objects.filter((o) => o.kind === 'VirtualMachine' && o.metadata.labels['app.kubernetes.io/instance'] === 'actions-runner')) {
      vm.spec.dataVolumeTemplates.push({
        metadata: { name: `${vm.metadata.name}-docker` },
        spec: { source: { blank: {} }, storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } },
      });
      vm.spec.template.spec.domain.devices.disks.push({ name: 'docker', serial: 'DOCKERDATA', disk: { bus: 'virtio' } });
      vm.spec.template.spec.volumes.push({ name: 'docker', dataVolume: { name: `${vm.metadata.name}-docker` } });
    }
    const warm = objects.find((o) => o.kind === 'VirtualMachinePool').spec.virtualMachineTemplate.spec.template.spec;
    warm.domain.devices.disks.push({ name: 'docker', serial: 'DOCKERDATA', disk: { bus: 'virtio' } });
    warm.volumes.push({ name: 'docker', emptyDisk: { capacity: '20Gi' } });
    const summary = summarizeFleet(objects.map((object) => ({ file: 'test.yaml', object })));
    expect(storage(summary, 'default/actions-runner', '<vm>-docker')).toEqual({
      volume: '<vm>-docker', what: 'disk serial DOCKERDATA, DataVolume template, blank', usedBy: ['default/actions-runner'],
      location: StorageLocation.VOLUME, storage: 'ReadWriteOnce, default class', size: gi(100), count: 2,
    });
    expect(fleet(summary, 'default/actions-runner')).toMatchObject({ disk: gi(150), diskAtMost: gi(300) });
    expect(storage(summary, 'ci/warm', 'docker')).toEqual({
      volume: 'docker', what: 'disk serial DOCKERDATA, emptyDisk', usedBy: ['ci/warm'], location: StorageLocation.NODE, storage: '', size: gi(20), count: 3,
    });
    expect(fleet(summary, 'ci/warm')).toMatchObject({ disk: gi(60), diskAtMost: gi(180) });
  });

  test('hand-written YAML: VMs grouped by instance label, mixed sizes, unbounded scale sets, volumes not in the output', () => {
    const docs = parseAllDocuments(`
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: a, namespace: ci, labels: {app.kubernetes.io/instance: mixed}}
spec:
  template:
    spec:
      domain: {cpu: {sockets: 2, cores: 2}, memory: {guest: 3Gi}, devices: {disks: [{name: root, disk: {}}]}}
      volumes: [{name: root, ephemeral: {persistentVolumeClaim: {claimName: external}}}]
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: b, namespace: ci, labels: {app.kubernetes.io/instance: mixed}}
spec:
  template:
    spec:
      domain: {resources: {requests: {cpu: 500m, memory: 1536Mi}}, devices: {disks: [{name: cache, disk: {}}]}}
      volumes: [{name: cache, persistentVolumeClaim: {claimName: cache}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: cache, namespace: ci}
spec: {accessModes: [ReadWriteMany], storageClassName: nfs, resources: {requests: {storage: 1Ti}}}
---
apiVersion: actions.github.com/v1alpha1
kind: AutoscalingRunnerSet
metadata: {name: pods, namespace: ci}
spec: {minRunners: 2, template: {spec: {containers: [{name: runner, image: runner:1}]}}}
`).map((d) => ({ file: 'hand.yaml', object: d.toJS() }));
    const summary = summarizeFleet(docs);
    const mixed = fleet(summary, 'ci/mixed');
    expect(mixed).toMatchObject({ runners: { min: 2, max: 2 }, vcpuAtMost: n(5), memoryAtMost: gi(4.5) });
    expect(mixed.vcpu).toBeUndefined();
    expect(mixed.diskAtMost).toEqual({ known: 0, unknown: { 'size of ci/external': 1 } });
    // A volume the runners share is counted once, and not in each runner's disk.
    expect(summary.storage[0]).toEqual({
      volume: 'ci/cache', what: 'PersistentVolumeClaim; attached to the runners', usedBy: ['ci/mixed'], location: StorageLocation.VOLUME,
      storage: 'ReadWriteMany, class nfs', size: gi(1024), count: 1,
    });
    expect(fleet(summary, 'ci/pods')).toMatchObject({ runners: { min: 2 }, vcpuAtMost: { unbounded: true } });
    expect(summary.runners).toEqual({ min: 4 });
    const markdown = fleetMarkdown(summary);
    expect(markdown).toContain('| `ci/mixed` | VirtualMachine | 2 | mixed | mixed | mixed | 5 | 4.5Gi | size of ci/external |');
    expect(markdown).toContain('| `ci/pods` | AutoscalingRunnerSet | 2–unbounded | no VM template | no VM template | 0Gi | unbounded | unbounded | 0Gi |');
    expect(markdown).toContain('| **total** |  | 4–unbounded |  |  |  | unbounded | unbounded | size of ci/external |');
  });

  test('the Markdown: sorted, no date but the releases\' from the library\'s table, the same for the same objects in any order', () => {
    const { chart, shared, cloned } = perJobCharts();
    const objects = Testing.synth(chart).map((object) => ({ file: 'x.yaml', object }));
    const markdown = fleetMarkdown(summarizeFleet(objects));
    expect(fleetMarkdown(summarizeFleet([...objects].reverse()))).toBe(markdown);
    const tableDates = new Set([...Object.values(RUNNER_RELEASES).map((r) => r.published), ...Object.values(ARC_RELEASES).map((r) => r.released), KEDA_RELEASE.released,
      '2024-04-25']);
    expect((markdown.match(/20\d\d-\d\d-\d\d/g) ?? []).filter((date) => !tableDates.has(date))).toEqual([]);
    expect(markdown).toContain('| `ci/arc` | AutoscalingRunnerSet | 1–5 | 2 | 8Gi | 40Gi | 10 | 40Gi | 200Gi |');
    expect(markdown).toContain('| **total** |  | 4–12 |  |  |  | 32 | 122Gi | 440Gi |');
    // The images' hashes change with every change of the guest set-up; the snapshot is about the tables.
    expect(markdown.split(shared.hash).join('<hash>').split(cloned.hash).join('<hash>')).toMatchSnapshot();
  });

  test('an output without runners says so', () => {
    const markdown = fleetMarkdown(summarizeFleet([]));
    expect(markdown).toContain('No runners');
    expect(markdown).toContain('No volumes.');
  });

  test('formatGi shows binary units', () => {
    expect(formatGi(16 * GI)).toBe('16Gi');
    expect(formatGi(512 * 2 ** 20)).toBe('0.5Gi');
    expect(formatGi(1.5e9)).toBe('1.4Gi');
    expect(formatAmount(undefined, 'vcpu')).toBe('mixed');
  });
});

