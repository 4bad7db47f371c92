import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  toJson_VirtualMachineSpecTemplateSpec, VirtualMachineSpecDataVolumeTemplatesSpecStorageResourcesRequests as StorageQuantity,
} from '../../imports/kubevirt.io';
import { EvictionStrategy } from '../kubevirt-options';
import { JIT_DISK_SERIAL } from '../private/token-disk';
import { ImageSharing, IRunnerImage } from '../spec/image';
import type { ResolvedVmOptions } from '../spec/resolved';
import { resolveSizing } from '../spec/vm-options';
import { renderJobCloudConfig } from './cloud-config';
import { dataVolumeSpec } from './data-volume';
import { RunnerVmDisk, runnerVmiSpec } from './vmi-spec';

// What the per-job constructs (RunnerScaleSet on ARC, RunnerKedaScaleSet on KEDA) share: the
// launcher's pod, its ConfigMap (lib/cluster/launcher.cjs and the templates of what it creates), its Role.

export const CONFIG_MOUNT = '/etc/kubevirt-runner';
// Names the launcher replaces per job (pod name): valid names, so that the template is a valid object.
const SET_BY_LAUNCHER = 'set-by-launcher';

/** Where and how the per-job VMs run, and the labels that select the fleet's VMIs (for the spread). */
export interface LauncherVmOptions {
  readonly options: ResolvedVmOptions;
  readonly fleetSelector: Readonly<Record<string, string>>;
}

/** The VirtualMachineInstance the launcher creates for each job (it fills in the name, owner and JIT Secret). */
export function vmiTemplate(image: IRunnerImage, sizing: ReturnType<typeof resolveSizing>, evictionStrategy: EvictionStrategy, labels: Record<string, string>,
  vm: LauncherVmOptions, annotations?: Record<string, string>) {
  const rootdisk: RunnerVmDisk = image.sharing === ImageSharing.SHARED
    // A copy-on-write layer over the baked volume: each VMI starts from the image as baked.
    ? { name: 'rootdisk', volume: { ephemeral: { persistentVolumeClaim: { claimName: image.volumeName, readOnly: true } } } }
    : { name: 'rootdisk', volume: { dataVolume: { name: SET_BY_LAUNCHER } } };
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { labels, ...(annotations ? { annotations } : {}) },
    spec: toJson_VirtualMachineSpecTemplateSpec(runnerVmiSpec({
      sizing,
      arch: image.arch,
      evictionStrategy,
      options: vm.options,
      fleetSelector: vm.fleetSelector,
      sshUser: image.setup.user,
      disks: [
        rootdisk,
        { name: 'cloudinitdisk', volume: { cloudInitNoCloud: { userData: renderJobCloudConfig() } } },
        // ARC's per-runner Secret (named after the runner's pod), read by the guest by this serial.
        { name: 'jit', serial: JIT_DISK_SERIAL, readonly: true, volume: { secret: { secretName: SET_BY_LAUNCHER } } },
      ],
    })),
  };
}

/** The per-job clone of the baked volume (clone mode; the launcher names it and makes its pod the owner). */
export function dataVolumeTemplate(image: IRunnerImage, labels: Record<string, string>) {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { labels },
    spec: dataVolumeSpec({ ...image.storage, osImage: image.asCloneSource() }, (size) => StorageQuantity.fromString(size).value),
  };
}

/** The launcher ConfigMap's files: the script and the templates. */
export function launcherConfigData(image: IRunnerImage, sizing: ReturnType<typeof resolveSizing>, evictionStrategy: EvictionStrategy,
  labels: Record<string, string>, vm: LauncherVmOptions, annotations?: Record<string, string>): Record<string, string> {
  return {
    'launcher.cjs': readFileSync(join(__dirname, '..', 'cluster', 'launcher.cjs'), 'utf8'),
    // Required by launcher.cjs (HTTPS to GitHub through a proxy, in mint mode).
    'https-proxy.cjs': readFileSync(join(__dirname, '..', 'cluster', 'https-proxy.cjs'), 'utf8'),
    'vmi.json': `${JSON.stringify(vmiTemplate(image, sizing, evictionStrategy, labels, vm, annotations), null, 2)}\n`,
    ...(image.sharing === ImageSharing.CLONE_PER_JOB ? { 'datavolume.json': `${JSON.stringify(dataVolumeTemplate(image, labels), null, 2)}\n` } : {}),
  };
}

/** The launcher's rights on what it creates: VMIs (and, cloning per job, DataVolumes). */
export function launcherRules(clone: boolean) {
  return [
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
    ...(clone ? [
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes'], verbs: ['create', 'get', 'delete'] },
      // CDI authorizes a clone by `create` on the source namespace's `datavolumes/source`.
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] },
    ] : []),
  ];
}

export interface LauncherPodInput {
  readonly serviceAccountName: string;
  readonly configMapName: string;
  readonly launcherImage: string;
  readonly clone: boolean;
  readonly bootTimeout: number;
  readonly jobTimeout: number;
  readonly readyVmiName: string;
  /** More environment variables of the launcher container. */
  readonly env?: readonly Record<string, unknown>[];
  /** More volumes, and where the container mounts them (read-only). */
  readonly mounts?: readonly { readonly volume: Record<string, unknown> & { readonly name: string }; readonly mountPath: string }[];
  /** The pod's fsGroup (mounted Secrets readable by the launcher's group). */
  readonly fsGroup?: number;
}

/** The runner pod: ARC injects its JIT config into the container named `runner`, which is the launcher. */
export function launcherPodSpec(input: LauncherPodInput) {
  const field = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  const mounts = input.mounts ?? [];
  return {
    serviceAccountName: input.serviceAccountName,
    automountServiceAccountToken: true,
    restartPolicy: 'Never',
    // Time to delete the VMI when ARC stops a runner.
    terminationGracePeriodSeconds: 60,
    securityContext: {
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000,
      ...(input.fsGroup !== undefined ? { fsGroup: input.fsGroup } : {}),
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [{
      name: 'runner',
      image: input.launcherImage,
      command: ['node', `${CONFIG_MOUNT}/launcher.cjs`],
      env: [
        { name: 'LAUNCHER_POD_NAME', ...field('metadata.name') },
        { name: 'LAUNCHER_POD_NAMESPACE', ...field('metadata.namespace') },
        { name: 'LAUNCHER_POD_UID', ...field('metadata.uid') },
        { name: 'LAUNCHER_VMI_TEMPLATE', value: `${CONFIG_MOUNT}/vmi.json` },
        ...(input.clone ? [{ name: 'LAUNCHER_DATAVOLUME_TEMPLATE', value: `${CONFIG_MOUNT}/datavolume.json` }] : []),
        { name: 'LAUNCHER_IMAGE_READY_VMI', value: input.readyVmiName },
        { name: 'LAUNCHER_BOOT_TIMEOUT_SECONDS', value: String(input.bootTimeout) },
        { name: 'LAUNCHER_JOB_TIMEOUT_SECONDS', value: String(input.jobTimeout) },
        ...(input.env ?? []),
      ],
      resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      volumeMounts: [
        { name: 'launcher', mountPath: CONFIG_MOUNT, readOnly: true },
        ...mounts.map((m) => ({ name: m.volume.name, mountPath: m.mountPath, readOnly: true })),
      ],
    }],
    volumes: [{ name: 'launcher', configMap: { name: input.configMapName } }, ...mounts.map((m) => m.volume)],
  };
}
