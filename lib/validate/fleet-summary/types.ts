import { Amount } from './amount';

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

/** A release a fleet runs, and its date where the library's table knows it. */
export interface VersionEntry {
  /** x.y.z. */
  readonly version: string;
  /** Release date, YYYY-MM-DD. @default - not in the library's table */
  readonly released?: string;
}

/** What one fleet runs. */
export interface FleetVersions {
  /** The fleet's name, as in FleetEntry. */
  readonly fleet: string;
  /** Its kind, as in FleetEntry. */
  readonly kind: string;
  /** The runner releases its VMs install (their cloud-config's, or the bake's of the image they boot), oldest first. */
  readonly runners: readonly VersionEntry[];
  /** The images at the root of its volumes (a URL, with the OS release of a preset; a DataSource; a PVC outside the output). */
  readonly baseImages: readonly string[];
  /** How it stays current by itself: the runner's self-update and security updates of long-lived VMs, the image refresher of a baked image. */
  readonly updates: readonly string[];
  /** The controller that scales it: actions-runner-controller (its version label) or KEDA. @default - none */
  readonly controller?: VersionEntry & { readonly name: string };
}

/** A fleet whose runner is older than the newest release the library knows. */
export interface VersionWarning {
  /** The fleet. */
  readonly fleet: string;
  /** Its runner release. */
  readonly runner: string;
  /** The newest release the library knows. */
  readonly newest: string;
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
  /** What each fleet runs, in the order of `fleets`. */
  readonly versions: readonly FleetVersions[];
  /** Fleets whose runner is older than the newest release the library knows. */
  readonly warnings: readonly VersionWarning[];
}
