// The KubeVirt and CDI settings the library speaks, as enums: a leaf module, so that the
// constructs, the runner spec and the validator all read the same values.

/** When KubeVirt runs the VM (`spec.runStrategy`). */
export enum RunStrategy {
  /** Always running; restarted whenever it stops. */
  ALWAYS = 'Always',
  /** Restarted only after a failure. */
  RERUN_ON_FAILURE = 'RerunOnFailure',
  /** Started and stopped by hand (virtctl start/stop). */
  MANUAL = 'Manual',
  /** Never running. */
  HALTED = 'Halted',
  /** Runs once, never restarted. */
  ONCE = 'Once',
}

/** What happens to the VM when its node is drained (`spec.template.spec.evictionStrategy`). */
export enum EvictionStrategy {
  /** Live-migrate when the VM can move (RWX disks), otherwise shut it down: a drain is never blocked. */
  LIVE_MIGRATE_IF_POSSIBLE = 'LiveMigrateIfPossible',
  /** Always live-migrate; a drain waits while the VM cannot move (RWO root disks cannot). */
  LIVE_MIGRATE = 'LiveMigrate',
  /** Shut the VM down. */
  NONE = 'None',
  /** Leave it to an external controller. */
  EXTERNAL = 'External',
}

/** Which kind of instancetype or preference a VM refers to. */
export enum ResourceScope {
  /** A cluster-wide VirtualMachineClusterInstancetype / VirtualMachineClusterPreference. */
  CLUSTER = 'cluster',
  /** A VirtualMachineInstancetype / VirtualMachinePreference in the VM's namespace. */
  NAMESPACED = 'namespaced',
}

/** How a volume may be mounted (PersistentVolumeClaim access modes). */
export enum AccessMode {
  READ_WRITE_ONCE = 'ReadWriteOnce',
  READ_WRITE_MANY = 'ReadWriteMany',
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
  READ_ONLY_MANY = 'ReadOnlyMany',
}

/** Whether the volume is a filesystem holding a disk image, or a raw block device. */
export enum VolumeMode {
  FILESYSTEM = 'Filesystem',
  BLOCK = 'Block',
}

/** What a taint does to pods that do not tolerate it (`tolerations[].effect`). */
export enum TaintEffect {
  /** New pods are not scheduled on the node. */
  NO_SCHEDULE = 'NoSchedule',
  /** The scheduler avoids the node when it can. */
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  /** New pods are not scheduled, and running ones are evicted. */
  NO_EXECUTE = 'NoExecute',
}

/** How a toleration matches a taint's value (`tolerations[].operator`). */
export enum TolerationOperator {
  /** The taint's value must equal the toleration's. */
  EQUAL = 'Equal',
  /** Any value (and, without a key, any taint). */
  EXISTS = 'Exists',
}

/** The guest CPU of a runner VM with nested virtualization (`spec.domain.cpu.model`). */
export enum NestedCpuModel {
  /** The node's CPU as it is: every feature, fastest; the VM can only move to an identical CPU. */
  HOST_PASSTHROUGH = 'host-passthrough',
  /** The libvirt model closest to the node's CPU: migratable between similar nodes. */
  HOST_MODEL = 'host-model',
}

/** The CPU vendor of the nodes, which names the virtualization feature the guest needs. */
export enum CpuVendor {
  /** Intel VT-x: the `vmx` feature (nodes with `kvm_intel nested=1`). */
  INTEL = 'intel',
  /** AMD-V: the `svm` feature (nodes with `kvm_amd nested=1`). */
  AMD = 'amd',
}
