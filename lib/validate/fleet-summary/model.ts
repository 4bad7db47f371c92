import { Amount } from './amount';
import { RunnerCount, StorageLocation } from './types';

// What reading the objects yields, before totals.ts adds it up.

/** One runner (or one shape of runner): its size and the volumes it has for itself. */
export interface Runner {
  readonly vcpu: Amount;
  readonly memory: Amount;
  /** Each runner's own disks. */
  readonly volumes: readonly PerRunnerVolume[];
}

export interface PerRunnerVolume {
  readonly volume: string;
  readonly what: string;
  readonly location: StorageLocation;
  readonly storage: string;
  readonly size: Amount;
}

/** One fleet's runners, as read. */
export interface Group {
  readonly name: string;
  readonly kind: string;
  readonly runners: RunnerCount;
  /** Each runner (or runner shape) and how many of it at most (undefined: unbounded). */
  readonly shapes: Array<{ runner: Runner; count: number | undefined }>;
}

/** A DataVolume or PVC in the output, the fleets that use it, and how. */
export interface SharedVolume {
  readonly key: string;
  readonly object: any;
  readonly usedBy: Set<string>;
  readonly roles: Set<string>;
}

/** What the readers of each kind share: the objects, and the shared volumes they record uses of. */
export interface Context {
  readonly objects: readonly any[];
  /** Records that a fleet (or a bake VM, without one) uses a volume, when it is in the output, and how. */
  readonly use: (namespace: string, name: unknown, fleet: string | undefined, role: string) => void;
  /** Whether a volume is in the output. */
  readonly has: (namespace: string, name: unknown) => boolean;
  readonly sizeOfShared: (namespace: string, name: unknown) => Amount;
}
