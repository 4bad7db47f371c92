import { namespaceOf, quantity } from '../manifest-values';
import { add, Amount, compare, known, sameAmount, sortedAmount, times, unknownTerm } from './amount';
import { Group, PerRunnerVolume, Runner, SharedVolume } from './model';
import { FleetEntry, FleetSummary, StorageEntry, StorageLocation } from './types';
import { sourceOf, storageOf, storageRequest } from './volumes';

export function summaryOf(groups: readonly Group[], sharedVolumes: readonly SharedVolume[]): Omit<FleetSummary, 'versions' | 'warnings'> {
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
    const size = quantity(storageRequest(v.object));
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
