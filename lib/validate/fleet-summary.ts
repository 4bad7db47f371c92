import { posix } from 'node:path';
import { parseQuantity } from '../private/quantity';
import { ManifestObject } from './finding';

// The fleet at a glance: how many runners each fleet runs, how big each runner is, what the fleet
// needs at its maximum, and the storage behind it, read from the synthesized objects alone (so it
// works as well for hand-edited YAML). `npm run synth` writes it to dist/FLEET.md.

/**
 * A sum of what the objects size (cores or bytes) and of what they do not (an instancetype, a
 * volume that is not in the output), counted by name: `16 + 2 × instancetype u1.large`.
 */
export interface Amount {
  /** The part the objects size. */
  readonly known: number;
  /** What the objects do not size, with how many times it counts. */
  readonly unknown: Readonly<Record<string, number>>;
  /** True when a fleet has no maximum (an AutoscalingRunnerSet without maxRunners): the sum is unbounded. @default false */
  readonly unbounded?: boolean;
}

/** A fleet's runners: a count, or the range an autoscaler moves in. */
export interface RunnerCount {
  /** The fewest runners. */
  readonly min: number;
  /** The most runners. @default - unbounded */
  readonly max?: number;
}

/** One fleet: the runners one object (or one group of VirtualMachines) makes. */
export interface FleetEntry {
  /** `namespace/name`: the VirtualMachines' `app.kubernetes.io/instance` label (else the VM's name), or the pool's, scale set's or ScaledJob's name. */
  readonly name: string;
  /** The kind that makes the runners: VirtualMachine, VirtualMachinePool, AutoscalingRunnerSet or ScaledJob. */
  readonly kind: string;
  /** How many runners. */
  readonly runners: RunnerCount;
  /** Each runner's vCPUs. @default - none: its runners differ (hand-edited VMs) */
  readonly vcpu?: Amount;
  /** Each runner's guest memory in bytes. @default - none: its runners differ */
  readonly memory?: Amount;
  /** Each runner's own disks in bytes (volumes made per runner, and node disk). @default - none: its runners differ */
  readonly disk?: Amount;
  /** vCPUs of all runners at the maximum. */
  readonly vcpuAtMost: Amount;
  /** Guest memory of all runners at the maximum, in bytes. */
  readonly memoryAtMost: Amount;
  /** Disks of all runners at the maximum, in bytes. */
  readonly diskAtMost: Amount;
}

/** Where a volume lives. */
export enum StorageLocation {
  /** A PersistentVolumeClaim (a DataVolume's, or one of its own), from a StorageClass. */
  VOLUME = 'volume',
  /** The node's own storage (a copy-on-write layer over an image, an emptyDisk), in the VM's pod. */
  NODE = 'node',
}

/** One line of storage: a shared volume, or one kind of volume each runner of a fleet has. */
export interface StorageEntry {
  /** `namespace/name` of a shared volume; a per-runner volume's name (`<vm>` stands for the VM's name). */
  readonly volume: string;
  /** What the volume is and holds. */
  readonly what: string;
  /** The fleets that use it, sorted. */
  readonly usedBy: readonly string[];
  /** Where it lives. */
  readonly location: StorageLocation;
  /** Access modes and StorageClass of a PVC (empty for node storage). */
  readonly storage: string;
  /** Size of one, in bytes. */
  readonly size: Amount;
  /** How many at most: 1 for a shared volume, the fleet's maximum for a per-runner one. @default - unbounded */
  readonly count?: number;
}

/** The whole output at a glance. */
export interface FleetSummary {
  /** Every fleet, sorted by name and kind. */
  readonly fleets: readonly FleetEntry[];
  /** Every volume, shared ones first. */
  readonly storage: readonly StorageEntry[];
  /** All runners. */
  readonly runners: RunnerCount;
  /** vCPUs of all fleets at their maximum. */
  readonly vcpuAtMost: Amount;
  /** Guest memory of all fleets at their maximum, in bytes. */
  readonly memoryAtMost: Amount;
  /** Disks of all runners at their maximum, in bytes. */
  readonly diskAtMost: Amount;
  /** All PVCs (shared volumes once, per-runner volumes at the maximum), in bytes. */
  readonly volumesAtMost: Amount;
  /** All node storage at the maximum, in bytes. */
  readonly nodeStorageAtMost: Amount;
}

/** The file `npm run synth` writes beside the manifests. */
export const FLEET_SUMMARY_FILE = 'FLEET.md';

const GI = 2 ** 30;
const BAKE_COMPONENT = 'runner-image-bake';
const INSTANCE_LABEL = 'app.kubernetes.io/instance';
const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** KEDA's default maxReplicaCount of a ScaledJob. */
const KEDA_DEFAULT_MAX_REPLICAS = 100;

const ZERO: Amount = { known: 0, unknown: {} };

/** Sums amounts. */
function add(...amounts: Amount[]): Amount {
  const unknown: Record<string, number> = {};
  let known = 0;
  let unbounded = false;
  for (const a of amounts) {
    known += a.known;
    unbounded ||= a.unbounded === true;
    for (const [term, n] of Object.entries(a.unknown)) unknown[term] = (unknown[term] ?? 0) + n;
  }
  return { known, unknown, ...(unbounded ? { unbounded } : {}) };
}

/** An amount `count` times; undefined count is unbounded (unless the amount is zero). */
function times(amount: Amount, count: number | undefined): Amount {
  if (count === undefined) {
    const nothing = amount.known === 0 && Object.keys(amount.unknown).length === 0;
    return nothing ? ZERO : { ...amount, unbounded: true };
  }
  return {
    known: amount.known * count,
    unknown: Object.fromEntries(Object.entries(amount.unknown).map(([t, n]) => [t, n * count])),
    ...(amount.unbounded ? { unbounded: true } : {}),
  };
}

const known = (value: number): Amount => ({ known: value, unknown: {} });
const unknownTerm = (term: string): Amount => ({ known: 0, unknown: { [term]: 1 } });
const sameAmount = (a: Amount, b: Amount) => JSON.stringify(sortedAmount(a)) === JSON.stringify(sortedAmount(b));
const sortedAmount = (a: Amount) => ({ ...a, unknown: Object.fromEntries(Object.entries(a.unknown).sort(([x], [y]) => x.localeCompare(y))) });

// ---------------------------------------------------------------------------------------------
// Reading the objects.

interface Runner {
  readonly vcpu: Amount;
  readonly memory: Amount;
  /** Each runner's own disks. */
  readonly volumes: readonly PerRunnerVolume[];
}

interface PerRunnerVolume {
  readonly volume: string;
  readonly what: string;
  readonly location: StorageLocation;
  readonly storage: string;
  readonly size: Amount;
}

interface Group {
  readonly name: string;
  readonly kind: string;
  readonly runners: RunnerCount;
  /** Each runner (or runner shape) and how many of it at most (undefined: unbounded). */
  readonly shapes: Array<{ runner: Runner; count: number | undefined }>;
}

interface SharedVolume {
  readonly key: string;
  readonly object: any;
  readonly usedBy: Set<string>;
  readonly roles: Set<string>;
}

const namespaceOf = (object: any): string => object?.metadata?.namespace ?? 'default';
const isObject = (x: unknown): x is Record<string, any> => typeof x === 'object' && x !== null && !Array.isArray(x);
const apiGroupOf = (object: any) => String(object?.apiVersion ?? '').split('/')[0];

function bytes(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? parseQuantity(value) : undefined;
}

/** Reads the objects of a synthesized (or hand-written) fleet into a summary. */
export function summarizeFleet(items: readonly ManifestObject[]): FleetSummary {
  const objects = items.map((i) => i.object).filter(isObject);
  const shared = new Map<string, SharedVolume>();
  for (const object of objects) {
    const isDataVolume = apiGroupOf(object) === 'cdi.kubevirt.io' && object.kind === 'DataVolume';
    const isClaim = object.apiVersion === 'v1' && object.kind === 'PersistentVolumeClaim';
    if (!isDataVolume && !isClaim) continue;
    const key = `${namespaceOf(object)}/${object.metadata?.name}`;
    // A DataVolume and the PVC it makes share a name: one volume.
    if (!shared.has(key) || isDataVolume) shared.set(key, { key, object, usedBy: shared.get(key)?.usedBy ?? new Set(), roles: shared.get(key)?.roles ?? new Set() });
  }
  const use = (namespace: string, name: unknown, fleet: string | undefined, role: string) => {
    const volume = typeof name === 'string' ? shared.get(`${namespace}/${name}`) : undefined;
    if (fleet && volume) volume.usedBy.add(fleet);
    volume?.roles.add(role);
  };
  const has = (namespace: string, name: unknown) => typeof name === 'string' && shared.has(`${namespace}/${name}`);
  const sizeOfShared = (namespace: string, name: unknown): Amount => {
    const volume = typeof name === 'string' ? shared.get(`${namespace}/${name}`) : undefined;
    const size = volume ? bytes(storageRequest(volume.object)) : undefined;
    return size !== undefined ? known(size) : unknownTerm(`size of ${namespace}/${String(name)}`);
  };
  const context: Context = { objects, use, has, sizeOfShared };

  const groups: Group[] = [];
  const vmGroups = new Map<string, { name: string; vms: any[] }>();
  for (const object of objects) {
    const namespace = namespaceOf(object);
    if (apiGroupOf(object) === 'kubevirt.io' && object.kind === 'VirtualMachine') {
      if (object.metadata?.labels?.[COMPONENT_LABEL] === BAKE_COMPONENT) {
        recordBake(object, context);
        continue;
      }
      const name = `${namespace}/${object.metadata?.labels?.[INSTANCE_LABEL] ?? object.metadata?.name}`;
      if (!vmGroups.has(name)) vmGroups.set(name, { name, vms: [] });
      vmGroups.get(name)!.vms.push(object);
    } else if (apiGroupOf(object) === 'pool.kubevirt.io' && object.kind === 'VirtualMachinePool') {
      const name = `${namespace}/${object.metadata?.name}`;
      const replicas = typeof object.spec?.replicas === 'number' ? object.spec.replicas : 1;
      const runner = vmRunner(object.spec?.virtualMachineTemplate?.spec, namespace, name, undefined, context);
      groups.push({ name, kind: object.kind, runners: { min: replicas, max: replicas }, shapes: [{ runner, count: replicas }] });
    } else if (apiGroupOf(object) === 'actions.github.com' && object.kind === 'AutoscalingRunnerSet') {
      const name = `${namespace}/${object.metadata?.name}`;
      const min = typeof object.spec?.minRunners === 'number' ? object.spec.minRunners : 0;
      const max = typeof object.spec?.maxRunners === 'number' ? object.spec.maxRunners : undefined;
      const runner = launcherRunner(object.spec?.template?.spec, namespace, name, context);
      groups.push({ name, kind: object.kind, runners: { min, max }, shapes: [{ runner, count: max }] });
    } else if (apiGroupOf(object) === 'keda.sh' && object.kind === 'ScaledJob') {
      const name = `${namespace}/${object.metadata?.name}`;
      const min = typeof object.spec?.minReplicaCount === 'number' ? object.spec.minReplicaCount : 0;
      const max = typeof object.spec?.maxReplicaCount === 'number' ? object.spec.maxReplicaCount : KEDA_DEFAULT_MAX_REPLICAS;
      const runner = launcherRunner(object.spec?.jobTargetRef?.template?.spec, namespace, name, context);
      groups.push({ name, kind: object.kind, runners: { min, max }, shapes: [{ runner, count: max }] });
    }
  }
  for (const { name, vms } of vmGroups.values()) {
    const shapes = vms.map((vm) => ({ runner: vmRunner(vm.spec, namespaceOf(vm), name, vm.metadata?.name, context), count: 1 }));
    groups.push({ name, kind: 'VirtualMachine', runners: { min: vms.length, max: vms.length }, shapes });
  }
  groups.sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind));
  return summaryOf(groups, [...shared.values()]);
}

interface Context {
  readonly objects: readonly any[];
  /** Records that a fleet (or a bake VM, without one) uses a volume, when it is in the output, and how. */
  readonly use: (namespace: string, name: unknown, fleet: string | undefined, role: string) => void;
  /** Whether a volume is in the output. */
  readonly has: (namespace: string, name: unknown) => boolean;
  readonly sizeOfShared: (namespace: string, name: unknown) => Amount;
}

/** A bake VM (RunnerImage) is no runner: it says which volume it bakes, and what it takes while it does. */
function recordBake(vm: any, context: Context): void {
  const vmi = vm.spec?.template?.spec ?? {};
  const size = `${formatAmount(vcpuOf(vm.spec, vmi), 'vcpu')} vCPU, ${formatAmount(memoryOf(vm.spec, vmi), 'bytes')} memory`;
  for (const volume of vmi.volumes ?? []) {
    const name = volume?.dataVolume?.name ?? volume?.persistentVolumeClaim?.claimName;
    context.use(namespaceOf(vm), name, undefined, `baked by VM ${vm.metadata?.name} (${size}, once)`);
  }
}

/** A runner from a VirtualMachine spec (a VM's, or a pool's template). */
function vmRunner(vmSpec: any, namespace: string, fleet: string, vmName: string | undefined, context: Context): Runner {
  const vmi = vmSpec?.template?.spec ?? {};
  const templates: any[] = Array.isArray(vmSpec?.dataVolumeTemplates) ? vmSpec.dataVolumeTemplates : [];
  const templateNames = new Set(templates.map((t) => t?.metadata?.name));
  const volumes: PerRunnerVolume[] = templates.map((template) => {
    const name = String(template?.metadata?.name);
    const shown = vmName && name.startsWith(`${vmName}-`) ? `<vm>${name.slice(vmName.length)}` : name;
    return {
      volume: shown,
      what: [diskRole(vmi, name), `DataVolume template, ${cloneOf(template?.spec, namespace, fleet, context, 'golden image, cloned for each runner')}`]
        .filter(Boolean).join(', '),
      location: StorageLocation.VOLUME,
      storage: storageOf(template?.spec),
      size: sizeOf(template?.spec, `size of ${shown}`),
    };
  });
  volumes.push(...vmiVolumes(vmi, namespace, fleet, context, (name) => templateNames.has(name)));
  return { vcpu: vcpuOf(vmSpec, vmi), memory: memoryOf(vmSpec, vmi), volumes };
}

/**
 * A per-job runner of a launcher pod (RunnerScaleSet, RunnerKedaScaleSet): the VMI (and, cloning
 * per job, the DataVolume) templates the pod's container reads from files of a mounted ConfigMap.
 */
function launcherRunner(podSpec: any, namespace: string, fleet: string, context: Context): Runner {
  const vmiTemplate = launcherFile(podSpec, 'vmiTemplateFile', namespace, context);
  const dataVolumeTemplate = launcherFile(podSpec, 'dataVolumeTemplateFile', namespace, context);
  if (!isObject(vmiTemplate)) {
    const none = unknownTerm('no VM template');
    return { vcpu: none, memory: none, volumes: [] };
  }
  const vmi = vmiTemplate.spec ?? {};
  const volumes: PerRunnerVolume[] = [];
  // The launcher names each job's DataVolume: the VMI template's reference to it is a placeholder.
  const perJob = (name: string) => isObject(dataVolumeTemplate) && !context.has(namespace, name);
  if (isObject(dataVolumeTemplate)) {
    const attached = (vmi.volumes ?? []).find((v: any) => typeof v?.dataVolume?.name === 'string' && perJob(v.dataVolume.name));
    volumes.push({
      volume: '<job>',
      what: [attached ? diskRole(vmi, attached.dataVolume.name, attached.name) : '', `DataVolume per job, ${cloneOf(dataVolumeTemplate.spec, namespace, fleet, context, 'cloned per job')}`]
        .filter(Boolean).join(', '),
      location: StorageLocation.VOLUME,
      storage: storageOf(dataVolumeTemplate.spec),
      size: sizeOf(dataVolumeTemplate.spec, 'size of the per-job DataVolume'),
    });
  }
  volumes.push(...vmiVolumes(vmi, namespace, fleet, context, perJob));
  return { vcpu: vcpuOf(undefined, vmi), memory: memoryOf(undefined, vmi), volumes };
}

/**
 * A template file of a launcher pod: its container runs `node <bundle> <config.json>`, and the config
 * names the template files (`vmiTemplateFile`, `dataVolumeTemplateFile`); all are in a mounted ConfigMap.
 */
function launcherFile(podSpec: any, field: 'vmiTemplateFile' | 'dataVolumeTemplateFile', namespace: string, context: Context): unknown {
  for (const container of podSpec?.containers ?? []) {
    const config = mountedJson(podSpec, container, Array.isArray(container?.command) ? container.command[2] : undefined, namespace, context);
    const file = mountedJson(podSpec, container, isObject(config) ? config[field] : undefined, namespace, context);
    if (file !== undefined) return file;
  }
  return undefined;
}

/** The parsed JSON of the file at `path` in a ConfigMap the container mounts. */
function mountedJson(podSpec: any, container: any, path: unknown, namespace: string, context: Context): unknown {
  if (typeof path !== 'string') return undefined;
  for (const mount of container.volumeMounts ?? []) {
    if (typeof mount?.mountPath !== 'string' || posix.dirname(path) !== posix.normalize(mount.mountPath)) continue;
    const configMapName = (podSpec.volumes ?? []).find((v: any) => v?.name === mount.name)?.configMap?.name;
    const configMap = context.objects.find((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap'
      && o.metadata?.name === configMapName && namespaceOf(o) === namespace);
    const text = configMap?.data?.[posix.basename(path)];
    if (typeof text !== 'string') continue;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The volumes of a VMI spec that each runner has for itself on the node (copy-on-write layers,
 * emptyDisks); references to shared volumes are recorded as uses. `own` tells the volumes counted
 * elsewhere (DataVolume templates).
 */
function vmiVolumes(vmi: any, namespace: string, fleet: string, context: Context, own: (name: string) => boolean): PerRunnerVolume[] {
  const result: PerRunnerVolume[] = [];
  for (const volume of vmi.volumes ?? []) {
    const name = String(volume?.name);
    const role = diskRole(vmi, name, name);
    if (volume?.ephemeral?.persistentVolumeClaim) {
      const claim = volume.ephemeral.persistentVolumeClaim.claimName;
      context.use(namespace, claim, fleet, 'base of a copy-on-write layer per runner');
      result.push({
        volume: name,
        what: [role, `copy-on-write layer over ${namespace}/${claim}, at most its size`].filter(Boolean).join(', '),
        location: StorageLocation.NODE,
        storage: '',
        size: context.sizeOfShared(namespace, claim),
      });
    } else if (volume?.emptyDisk) {
      const capacity = bytes(volume.emptyDisk.capacity);
      result.push({
        volume: name,
        what: [role, 'emptyDisk'].filter(Boolean).join(', '),
        location: StorageLocation.NODE,
        storage: '',
        size: capacity !== undefined ? known(capacity) : unknownTerm(`capacity of emptyDisk ${name}`),
      });
    } else {
      const reference = volume?.dataVolume?.name ?? volume?.persistentVolumeClaim?.claimName;
      if (typeof reference === 'string' && !own(reference)) context.use(namespace, reference, fleet, 'attached to the runners');
    }
  }
  return result;
}

/** `boot disk` or `disk serial X` for the VMI disk of a volume, when it says so. */
function diskRole(vmi: any, dataVolumeName: string, volumeName?: string): string {
  const volumes: any[] = vmi.volumes ?? [];
  const volume = volumeName !== undefined ? volumes.find((v) => v?.name === volumeName)
    : volumes.find((v) => v?.dataVolume?.name === dataVolumeName || v?.persistentVolumeClaim?.claimName === dataVolumeName);
  if (!volume) return '';
  const disks: any[] = vmi.domain?.devices?.disks ?? [];
  const disk = disks.find((d) => d?.name === volume.name);
  if (!disk) return '';
  if (typeof disk.serial === 'string') return `disk serial ${disk.serial}`;
  const booted = disks.some((d) => typeof d?.bootOrder === 'number') ? disk.bootOrder === 1 : disks[0] === disk;
  return booted ? 'boot disk' : '';
}

/** Where a DataVolume template's content comes from, recording the use of the volume it clones. */
function cloneOf(spec: any, namespace: string, fleet: string, context: Context, role: string): string {
  const pvc = spec?.source?.pvc;
  if (pvc) context.use(pvc.namespace ?? namespace, pvc.name, fleet, role);
  return sourceOf(spec, namespace);
}

/** Where a DataVolume's content comes from. */
function sourceOf(spec: any, namespace: string): string {
  const source = spec?.source ?? {};
  if (source.pvc) return `clone of ${source.pvc.namespace ?? namespace}/${source.pvc.name}`;
  if (spec?.sourceRef) return `clone of ${spec.sourceRef.kind ?? 'DataSource'} ${spec.sourceRef.namespace ?? namespace}/${spec.sourceRef.name}`;
  const kind = Object.keys(source).sort()[0];
  return kind === 'blank' ? 'blank' : kind ? `import from ${kind}` : 'no source';
}

function storageRequest(object: any): unknown {
  const spec = object?.kind === 'PersistentVolumeClaim' ? { pvc: object.spec } : object?.spec;
  return (spec?.storage ?? spec?.pvc)?.resources?.requests?.storage;
}

function sizeOf(spec: any, term: string): Amount {
  const size = bytes((spec?.storage ?? spec?.pvc)?.resources?.requests?.storage);
  return size !== undefined ? known(size) : unknownTerm(term);
}

/** Access modes and StorageClass of a DataVolume spec (or a PVC's spec). */
function storageOf(spec: any): string {
  const storage = spec?.storage ?? spec?.pvc ?? spec ?? {};
  const modes: string[] = Array.isArray(storage.accessModes) ? storage.accessModes : [];
  const klass = typeof storage.storageClassName === 'string' ? `class ${storage.storageClassName}` : 'default class';
  return [...modes, klass].join(', ');
}

/** vCPUs: an instancetype's, else the CPU topology's, else the CPU request or limit rounded up (KubeVirt's rules), else 1. */
function vcpuOf(vmSpec: any, vmi: any): Amount {
  if (vmSpec?.instancetype?.name) return unknownTerm(`instancetype ${vmSpec.instancetype.name}`);
  const cpu = vmi?.domain?.cpu ?? {};
  if (['cores', 'sockets', 'threads'].some((k) => typeof cpu[k] === 'number')) {
    return known((cpu.cores ?? 1) * (cpu.sockets ?? 1) * (cpu.threads ?? 1));
  }
  const resources = vmi?.domain?.resources ?? {};
  const request = bytes(resources.limits?.cpu) ?? bytes(resources.requests?.cpu);
  return known(request !== undefined ? Math.max(1, Math.ceil(request - 1e-9)) : 1);
}

/** Guest memory: an instancetype's, else memory.guest, else the request or limit. */
function memoryOf(vmSpec: any, vmi: any): Amount {
  if (vmSpec?.instancetype?.name) return unknownTerm(`instancetype ${vmSpec.instancetype.name}`);
  const domain = vmi?.domain ?? {};
  const memory = bytes(domain.memory?.guest) ?? bytes(domain.resources?.requests?.memory) ?? bytes(domain.resources?.limits?.memory);
  return memory !== undefined ? known(memory) : unknownTerm('memory not set');
}

// ---------------------------------------------------------------------------------------------
// Adding up.

function summaryOf(groups: readonly Group[], sharedVolumes: readonly SharedVolume[]): FleetSummary {
  const fleets: FleetEntry[] = [];
  const perRunner: StorageEntry[] = [];
  for (const g of groups) {
    const diskOf = (r: Runner) => add(...r.volumes.map((v) => v.size));
    const uniform = <T extends Amount>(pick: (r: Runner) => T) => {
      const first = pick(g.shapes[0].runner);
      return g.shapes.every((s) => sameAmount(pick(s.runner), first)) ? first : undefined;
    };
    const sum = (pick: (r: Runner) => Amount) => add(...g.shapes.map((s) => times(pick(s.runner), s.count)));
    fleets.push({
      name: g.name,
      kind: g.kind,
      runners: g.runners,
      vcpu: uniform((r) => r.vcpu),
      memory: uniform((r) => r.memory),
      disk: uniform(diskOf),
      vcpuAtMost: sum((r) => r.vcpu),
      memoryAtMost: sum((r) => r.memory),
      diskAtMost: sum(diskOf),
    });
    // The same volume of every runner of the fleet is one line.
    const lines = new Map<string, { entry: PerRunnerVolume; count: number | undefined }>();
    for (const shape of g.shapes) {
      for (const volume of shape.runner.volumes) {
        const key = JSON.stringify([volume.volume, volume.what, volume.location, volume.storage, sortedAmount(volume.size)]);
        const line = lines.get(key);
        const count = line === undefined ? shape.count : line.count === undefined || shape.count === undefined ? undefined : line.count + shape.count;
        lines.set(key, { entry: volume, count });
      }
    }
    for (const { entry, count } of lines.values()) perRunner.push({ ...entry, usedBy: [g.name], count });
  }
  const sharedEntries: StorageEntry[] = sharedVolumes.map((v) => {
    const size = bytes(storageRequest(v.object));
    return {
      volume: v.key,
      what: [v.object.kind === 'DataVolume' ? `DataVolume, ${sourceOf(v.object.spec, namespaceOf(v.object))}` : 'PersistentVolumeClaim',
        ...[...v.roles].sort()].join('; '),
      usedBy: [...v.usedBy].sort(compare),
      location: StorageLocation.VOLUME,
      storage: storageOf(v.object.spec),
      size: size !== undefined ? known(size) : unknownTerm(`size of ${v.key}`),
      count: 1,
    };
  });
  // By fleet: a fleet's shared volumes (the images it boots), then what each of its runners has.
  const fleetsOf = (e: StorageEntry) => e.usedBy.join(', ');
  const storage = [...sharedEntries, ...perRunner].sort((a, b) => compare(fleetsOf(a), fleetsOf(b))
    || Number(perRunner.includes(a)) - Number(perRunner.includes(b))
    || compare(a.volume, b.volume) || compare(a.what, b.what));
  const at = (entries: StorageEntry[]) => add(...entries.map((e) => times(e.size, e.count)));
  const max = fleets.some((f) => f.runners.max === undefined) ? undefined : fleets.reduce((n, f) => n + f.runners.max!, 0);
  return {
    fleets,
    storage,
    runners: { min: fleets.reduce((n, f) => n + f.runners.min, 0), ...(max !== undefined ? { max } : {}) },
    vcpuAtMost: add(...fleets.map((f) => f.vcpuAtMost)),
    memoryAtMost: add(...fleets.map((f) => f.memoryAtMost)),
    diskAtMost: add(...fleets.map((f) => f.diskAtMost)),
    volumesAtMost: at(storage.filter((e) => e.location === StorageLocation.VOLUME)),
    nodeStorageAtMost: at(storage.filter((e) => e.location === StorageLocation.NODE)),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Markdown.

/** A number of bytes in Gi (binary units): `16Gi`, `0.5Gi`, `1.46Gi`. */
export function formatGi(value: number): string {
  return `${Number((value / GI).toFixed(2))}Gi`;
}

/** An amount as text: `16`, `32Gi`, `16 + 2 × instancetype u1.large`, `unbounded`. */
export function formatAmount(amount: Amount | undefined, unit: 'vcpu' | 'bytes'): string {
  if (amount === undefined) return 'mixed';
  if (amount.unbounded) return 'unbounded';
  const terms = Object.entries(amount.unknown).sort(([a], [b]) => compare(a, b)).map(([term, n]) => (n === 1 ? term : `${n} × ${term}`));
  if (amount.known !== 0 || terms.length === 0) terms.unshift(unit === 'bytes' ? formatGi(amount.known) : String(amount.known));
  return terms.join(' + ');
}

function formatCount(count: RunnerCount): string {
  if (count.max === count.min) return String(count.min);
  return `${count.min}–${count.max ?? 'unbounded'}`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text}\``;
const row = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;

/** FLEET.md: the runners and the storage of every fleet, and the totals, as Markdown tables (deterministic: sorted, no dates). */
export function fleetMarkdown(summary: FleetSummary): string {
  const lines = [
    '# The fleet at a glance',
    '',
    'Computed from the synthesized objects by `npm run synth` (`kubevirt-runners-validate --summary` reads any manifests).',
    'Sizes are in binary units (1Gi = 1024Mi); "at most" is every fleet at its maximum number of runners.',
    'Memory is the guest\'s (KubeVirt adds an overhead per VM); a runner\'s disk is what it has for itself: volumes made',
    'per runner and, on the node\'s own storage, copy-on-write layers (at most the size of the image below them) and emptyDisks.',
    '',
    '## Runners',
    '',
  ];
  if (summary.fleets.length === 0) {
    lines.push('No runners: no VirtualMachine, VirtualMachinePool, AutoscalingRunnerSet or ScaledJob in the output.');
  } else {
    lines.push(
      row(['fleet', 'kind', 'runners', 'vCPU each', 'memory each', 'disk each', 'vCPU at most', 'memory at most', 'disk at most']),
      '|---|---|--:|--:|--:|--:|--:|--:|--:|',
      ...summary.fleets.map((f) => row([code(f.name), f.kind, formatCount(f.runners), formatAmount(f.vcpu, 'vcpu'), formatAmount(f.memory, 'bytes'),
        formatAmount(f.disk, 'bytes'), formatAmount(f.vcpuAtMost, 'vcpu'), formatAmount(f.memoryAtMost, 'bytes'), formatAmount(f.diskAtMost, 'bytes')])),
      row(['**total**', '', formatCount(summary.runners), '', '', '', formatAmount(summary.vcpuAtMost, 'vcpu'),
        formatAmount(summary.memoryAtMost, 'bytes'), formatAmount(summary.diskAtMost, 'bytes')]),
    );
  }
  lines.push('', '## Storage', '');
  if (summary.storage.length === 0) {
    lines.push('No volumes.');
  } else {
    lines.push(
      row(['used by', 'volume', 'what', 'on', 'size', 'count at most', 'at most']),
      '|---|---|---|---|--:|--:|--:|',
      ...summary.storage.map((s) => row([
        s.usedBy.length > 0 ? s.usedBy.map(code).join(', ') : '—', code(s.volume), s.what,
        s.location === StorageLocation.NODE ? 'node' : `PVC (${s.storage})`,
        formatAmount(s.size, 'bytes'), s.count === undefined ? 'unbounded' : String(s.count), formatAmount(times(s.size, s.count), 'bytes'),
      ])),
      row(['**total**', '', '', 'PVC', '', '', formatAmount(summary.volumesAtMost, 'bytes')]),
      row(['**total**', '', '', 'node', '', '', formatAmount(summary.nodeStorageAtMost, 'bytes')]),
    );
  }
  return `${lines.join('\n')}\n`;
}
