import { Amount } from './amount';
import { FleetEntry, StorageEntry } from './types';

// What reading the objects yields, before totals.ts adds it up.

/** One runner (or one shape of runner): its size and the volumes it has for itself. */
export interface Runner {
  /** Its vCPUs. */
  readonly vcpu: Amount;
  /** Its guest memory, in bytes. */
  readonly memory: Amount;
  /** Each runner's own disks. */
  readonly volumes: readonly PerRunnerVolume[];
}

/** A volume each runner has for itself: a storage line before it knows its fleet and count. */
export type PerRunnerVolume = Pick<StorageEntry, 'volume' | 'what' | 'location' | 'storage' | 'size'>;

/** One fleet's runners, as read. */
export interface Group extends Pick<FleetEntry, 'name' | 'kind' | 'runners'> {
  /** Each runner (or runner shape) and how many of it at most (undefined: unbounded). */
  readonly shapes: Array<{ runner: Runner; count: number | undefined }>;
  /** The VMI specs of its VMs (their cloud-config names the runner), where the output holds them. */
  readonly vmis: ReadonlyArray<{ readonly spec: any; readonly namespace: string }>;
  /** The controller that scales it, and the version an AutoscalingRunnerSet is labelled for. @default - none: VMs and pools */
  readonly controller?: { readonly kind: 'arc' | 'keda'; readonly version?: string };
}

/** A DataVolume or PVC in the output, the fleets that use it, and how. */
export interface SharedVolume {
  /** `namespace/name`. */
  readonly key: string;
  /** The DataVolume (or, without one of that name, the PVC). */
  readonly object: any;
  /** The fleets that use it. */
  readonly usedBy: Set<string>;
  /** How it is used: base of copy-on-write layers, cloned, attached, baked. */
  readonly roles: Set<string>;
}

/** What the readers of each kind share: the objects, and the shared volumes they record uses of. */
export interface Context {
  /** Every object of the output. */
  readonly objects: readonly any[];
  /** Records that a fleet (or a bake VM, without one) uses a volume, when it is in the output, and how. */
  readonly use: (namespace: string, name: unknown, fleet: string | undefined, role: string) => void;
  /** Whether a volume is in the output. */
  readonly has: (namespace: string, name: unknown) => boolean;
  /** The size of a shared volume, or a term that names it when the output does not size it. */
  readonly sizeOfShared: (namespace: string, name: unknown) => Amount;
}
