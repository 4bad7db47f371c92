import {
  VirtualMachineSpecTemplateSpec,
  VirtualMachineSpecTemplateSpecDomainResourcesRequests as DomainQuantity,
  VirtualMachineSpecTemplateSpecVolumes,
} from '../../imports/kubevirt.io';
import { EvictionStrategy } from '../kubevirt-options';
import { ARCH_NAME, RunnerArch } from '../platform';
import type { ResolvedSizing } from '../runner-spec';
import { vcpusFor } from './quantity';

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
}

/** The VMI spec of a runner: its disks on virtio, the pod network (masquerade), an entropy source. */
export function runnerVmiSpec(input: RunnerVmiInput): VirtualMachineSpecTemplateSpec {
  return {
    ...(input.hostname ? { hostname: input.hostname } : {}),
    evictionStrategy: input.evictionStrategy,
    architecture: ARCH_NAME[input.arch],
    domain: {
      ...domainSizing(input.sizing),
      devices: {
        disks: input.disks.map((d) => ({
          name: d.name,
          ...(d.serial ? { serial: d.serial } : {}),
          disk: { bus: 'virtio', ...(d.readonly ? { readonly: true } : {}) },
        })),
        interfaces: [{ name: 'default', masquerade: {} }],
        rng: {},
      },
    },
    networks: [{ name: 'default', pod: {} }],
    volumes: input.disks.map((d) => ({ name: d.name, ...d.volume })),
  };
}

// With an instancetype the VirtualMachine is sized by it, and the VMI spec says nothing.
function domainSizing(sizing: ResolvedSizing) {
  if (sizing.cpu === undefined || sizing.memory === undefined) return {};
  return {
    cpu: { cores: vcpusFor(sizing.cpu) },
    resources: { requests: { cpu: DomainQuantity.fromString(sizing.cpu), memory: DomainQuantity.fromString(sizing.memory) } },
  };
}
