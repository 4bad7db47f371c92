import { CpuVendor, NestedCpuModel, RunnerVmOptions, TaintEffect, TolerationOperator } from '../lib';

// The VM options every kind of runner takes, all set, and what every kind's VMI spec must then hold.

/** Every scheduling option, dedicated CPUs, nested virtualization (AMD, host-model) and SSH keys from a Secret. */
export const ALL_VM_OPTIONS = {
  nodeSelector: { 'node-role.kubernetes.io/ci': '' },
  tolerations: [
    { key: 'dedicated', operator: TolerationOperator.EQUAL, value: 'ci', effect: TaintEffect.NO_SCHEDULE },
    { key: 'node.kubernetes.io/unreachable', operator: TolerationOperator.EXISTS, effect: TaintEffect.NO_EXECUTE, tolerationSeconds: 60 },
  ],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }],
      },
    },
  },
  priorityClassName: 'ci-runners',
  dedicatedCpus: true,
  nestedVirtualization: { cpuModel: NestedCpuModel.HOST_MODEL, cpuVendor: CpuVendor.AMD },
  sshPublicKeysSecret: 'ci-ssh-keys',
} satisfies RunnerVmOptions;

/** Checks a runner VMI spec (wire form) rendered with ALL_VM_OPTIONS, cpu 4 and memory 16Gi. */
export function expectAllVmOptions(vmi: any, fleet: string, user: string): void {
  expect(vmi.nodeSelector).toEqual({ 'node-role.kubernetes.io/ci': '' });
  expect(vmi.tolerations).toEqual(ALL_VM_OPTIONS.tolerations);
  expect(vmi.affinity).toEqual(ALL_VM_OPTIONS.affinity);
  expect(vmi.priorityClassName).toBe('ci-runners');
  expect(vmi.topologySpreadConstraints).toEqual([{
    maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { 'cdk8s-kubevirt-runners/fleet': fleet } },
  }]);
  expect(vmi.domain.cpu).toEqual({ cores: 4, dedicatedCpuPlacement: true, model: 'host-model', features: [{ name: 'svm', policy: 'require' }] });
  expect(vmi.domain.resources).toEqual({ requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '4', memory: '16Gi' } });
  expect(vmi.readinessProbe).toMatchObject({ guestAgentPing: {} });
  expect(vmi.accessCredentials).toEqual([{
    sshPublicKey: { source: { secret: { secretName: 'ci-ssh-keys' } }, propagationMethod: { qemuGuestAgent: { users: [user] } } },
  }]);
}

/** Checks that a one-job VMI has Docker's emptyDisk, attached by serial DOCKERDATA. */
export function expectDockerEmptyDisk(vmi: any, size: string): void {
  expect(vmi.domain.devices.disks).toContainEqual({ name: 'dockerdata', serial: 'DOCKERDATA', disk: { bus: 'virtio' } });
  expect(vmi.volumes).toContainEqual({ name: 'dockerdata', emptyDisk: { capacity: size } });
}
