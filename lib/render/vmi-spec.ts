import {
  VirtualMachineSpecTemplateSpec, VirtualMachineSpecTemplateSpecDomainResourcesLimits as DomainLimit,
  VirtualMachineSpecTemplateSpecDomainResourcesRequests as DomainQuantity, VirtualMachineSpecTemplateSpecVolumes,
  VirtualMachineSpecTemplateSpecVolumesEmptyDiskCapacity as EmptyDiskCapacity,
} from '../../imports/kubevirt.io';
import { EvictionStrategy } from '../kubevirt-options';
import { ARCH_NAME, RunnerArch } from '../platform';
import { deepFreeze } from '../private/freeze';
import { vcpusFor } from '../private/quantity';
import { DOCKER_DATA_DISK_SERIAL } from '../private/token-disk';
import type { ResolvedSizing, ResolvedVmOptions } from '../spec/resolved';

// The spec of a runner's VirtualMachineInstance, shared by the long-lived VMs (a VirtualMachine's
// template) and the per-job VMs (the template the launcher creates VMIs from): one place decides
// how a runner VM is sized, attached and networked.

/** A disk of the runner VM and the volume behind it. */
export interface RunnerVmDisk {
  /** Name of the disk and its volume. */
  readonly name: string;
  /** The volume source (`dataVolume`, `ephemeral`, `secret`, `cloudInitNoCloud`, ...). */
  readonly volume: Omit<VirtualMachineSpecTemplateSpecVolumes, 'name'>;
  /** The disk's serial: the guest finds it as /dev/disk/by-id/virtio-<serial>. @default - none */
  readonly serial?: string;
  /** Attach read-only. @default false */
  readonly readonly?: boolean;
}

/** What a runner VMI is made of. */
export interface RunnerVmiInput {
  readonly sizing: ResolvedSizing;
  readonly arch: RunnerArch;
  readonly evictionStrategy: EvictionStrategy;
  /** The disks, boot disk first. */
  readonly disks: readonly RunnerVmDisk[];
  /** The guest's hostname. @default - set by whoever creates the VMI */
  readonly hostname?: string;
  /** Scheduling, CPUs, Docker's disk, probe and SSH. @default - none of them (a bake VM) */
  readonly options?: ResolvedVmOptions;
  /** Labels that select the VMIs of this VM's fleet, for spreading them across nodes. @default - no fleet: not spread */
  readonly fleetSelector?: Readonly<Record<string, string>>;
  /** The guest user that `sshPublicKeysSecret`'s keys are for. @default - no SSH keys from a Secret */
  readonly sshUser?: string;
  /** The DataVolume of Docker's disk (long-lived VMs); without one, Docker's disk is an emptyDisk. @default - an emptyDisk */
  readonly dockerDataVolume?: string;
  /**
   * Log the serial console (KubeVirt's `guest-console-log` container of the virt-launcher pod): a
   * one-job VM writes its runner's exit status there, for after it powered off. @default false
   */
  readonly logSerialConsole?: boolean;
}

/** A label on every runner VMI of a fleet, `<kind>.<name>`, which its topology spread selects. */
export const FLEET_LABEL = 'cdk8s-kubevirt-runners/fleet';

/** The kinds of fleet, as the fleet label names them. */
export type FleetKind = 'pool' | 'warm-pool' | 'scale-set' | 'keda';

/** The fleet label of a fleet's VMIs (at most 63 characters: fleet names are at most 56). */
export function fleetLabel(kind: FleetKind, name: string): Record<string, string> {
  return { [FLEET_LABEL]: `${kind}.${name}` };
}

// The guest agent connects once the guest has booted (and, on a long-lived VM's first boot, once
// cloud-init installed it): the VM is not Ready before. Readiness never restarts a VM.
const READINESS_PROBE = { guestAgentPing: {}, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };

/** The VMI spec of a runner: its disks on virtio, the pod network (masquerade), an entropy source. */
export function runnerVmiSpec(input: RunnerVmiInput): VirtualMachineSpecTemplateSpec {
  const options = input.options;
  const disks = [...input.disks, ...dockerDataDisk(input)];
  return {
    ...(input.hostname ? { hostname: input.hostname } : {}),
    evictionStrategy: input.evictionStrategy,
    architecture: ARCH_NAME[input.arch],
    ...scheduling(input),
    ...(options?.guestAgentReadinessProbe ? { readinessProbe: READINESS_PROBE } : {}),
    ...(options?.sshPublicKeysSecret && input.sshUser ? {
      accessCredentials: [{
        sshPublicKey: {
          source: { secret: { secretName: options.sshPublicKeysSecret } },
          propagationMethod: { qemuGuestAgent: { users: [input.sshUser] } },
        },
      }],
    } : {}),
    domain: {
      ...domainCpu(input.sizing, options),
      devices: {
        disks: disks.map((d) => ({
          name: d.name,
          ...(d.serial ? { serial: d.serial } : {}),
          disk: { bus: 'virtio', ...(d.readonly ? { readonly: true } : {}) },
        })),
        interfaces: [{ name: 'default', masquerade: {} }],
        rng: {},
        // Set either way on a one-job VM: the cluster's default (disableSerialConsoleLog) must not decide it.
        ...(input.logSerialConsole ? { logSerialConsole: true } : {}),
      },
    },
    networks: [{ name: 'default', pod: {} }],
    volumes: disks.map((d) => ({ name: d.name, ...d.volume })),
  };
}

// KubeVirt copies these to the VM's virt-launcher pod. The spread is soft (ScheduleAnyway): with
// fewer nodes than runners, or a node full, VMs still start, only less evenly.
function scheduling(input: RunnerVmiInput) {
  const options = input.options;
  if (!options) return {};
  const spread = options.spreadAcrossNodes && input.fleetSelector;
  return {
    ...(Object.keys(options.nodeSelector).length > 0 ? { nodeSelector: { ...options.nodeSelector } } : {}),
    ...(options.tolerations.length > 0 ? { tolerations: options.tolerations.map((t) => ({ ...t })) } : {}),
    ...(options.affinity ? { affinity: options.affinity } : {}),
    ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
    ...(spread ? {
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { ...input.fleetSelector } },
      }],
    } : {}),
  };
}

// With an instancetype, the VirtualMachine is sized by it, and the VMI spec says nothing of the
// size. Dedicated CPUs: requests equal limits (the Guaranteed QoS class the CPU manager pins).
function domainCpu(sizing: ResolvedSizing, options: ResolvedVmOptions | undefined) {
  const nested = options?.nestedVirtualization;
  const sized = sizing.cpu !== undefined && sizing.memory !== undefined;
  const cpu = {
    ...(sized ? { cores: vcpusFor(sizing.cpu!) } : {}),
    ...(options?.dedicatedCpus ? { dedicatedCpuPlacement: true } : {}),
    ...(nested ? { model: nested.cpuModel, features: [{ name: nested.feature, policy: 'require' }] } : {}),
  };
  return {
    ...(Object.keys(cpu).length > 0 ? { cpu } : {}),
    ...(sized ? {
      resources: {
        requests: { cpu: DomainQuantity.fromString(sizing.cpu!), memory: DomainQuantity.fromString(sizing.memory!) },
        ...(options?.dedicatedCpus ? { limits: { cpu: DomainLimit.fromString(sizing.cpu!), memory: DomainLimit.fromString(sizing.memory!) } } : {}),
      },
    } : {}),
  };
}

// Docker's disk: a long-lived VM's own DataVolume, or for a one-job VM an emptyDisk (a sparse file
// on the node, deleted with the VM: every job starts with an empty /var/lib/docker).
function dockerDataDisk(input: RunnerVmiInput): RunnerVmDisk[] {
  const storage = input.options?.dockerDataDisk;
  if (!storage) return [];
  return [{
    name: 'dockerdata',
    serial: DOCKER_DATA_DISK_SERIAL,
    volume: input.dockerDataVolume
      ? { dataVolume: { name: input.dockerDataVolume } }
      : { emptyDisk: { capacity: EmptyDiskCapacity.fromString(storage.size) } },
  }];
}

/** The library's own Kubernetes labels on every VM and its pods, for selectors and cost reports. */
export const RUNNER_KUBERNETES_LABELS: Readonly<Record<string, string>> = deepFreeze({
  'app.kubernetes.io/name': 'github-actions-runner',
  'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
});
