import { k8s } from 'cdk8s-plus-28';
import {
  toJson_VirtualMachineSpecTemplateSpec, VirtualMachineSpecDataVolumeTemplatesSpecStorageResourcesRequests as StorageQuantity,
} from '../../imports/kubevirt.io';
import { CONFIG_FILE, type ClusterEntryConfigs, type LauncherVmSettings } from '../cluster/contract';
import { EvictionStrategy } from '../kubevirt-options';
import { JIT_DISK_SERIAL } from '../private/token-disk';
import { ImageSharing, IRunnerImage } from '../spec/image';
import type { ResolvedVmOptions } from '../spec/resolved';
import { resolveSizing } from '../spec/vm-options';
import { renderJobCloudConfig } from './cloud-config';
import { clusterConfigMapData, clusterMount, clusterPodSpec, type ClusterPodMount } from './cluster-pod';
import { dataVolumeSpec } from './data-volume';
import { RunnerVmDisk, runnerVmiSpec } from './vmi-spec';

// What the per-job constructs (RunnerScaleSet on ARC, RunnerKedaScaleSet on KEDA) share: the
// launcher's pod, its ConfigMap (the arc-launcher or mint-launcher bundle, its config.json rendered
// through the contract's types, and the templates of what it creates), its Role.

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
      logSerialConsole: true,
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

/** The two launchers: ARC's runner pod, KEDA's Job pod. */
export type LauncherEntry = 'arc-launcher' | 'mint-launcher';

const VMI_TEMPLATE_FILE = 'vmi.json';
const DATA_VOLUME_TEMPLATE_FILE = 'datavolume.json';

/** What the launcher makes per job: the VMI template, and the DataVolume template when cloning per job. */
export interface LauncherTemplates {
  readonly vmi: ReturnType<typeof vmiTemplate>;
  readonly dataVolume?: ReturnType<typeof dataVolumeTemplate>;
}

/** The templates of a scale set's jobs. */
export function launcherTemplates(image: IRunnerImage, sizing: ReturnType<typeof resolveSizing>, evictionStrategy: EvictionStrategy,
  labels: Record<string, string>, vm: LauncherVmOptions, annotations?: Record<string, string>): LauncherTemplates {
  return {
    vmi: vmiTemplate(image, sizing, evictionStrategy, labels, vm, annotations),
    ...(image.sharing === ImageSharing.CLONE_PER_JOB ? { dataVolume: dataVolumeTemplate(image, labels) } : {}),
  };
}

/** The settings both launchers share, as their config.json holds them (the templates are files beside it). */
export function launcherVmSettings(entry: LauncherEntry, image: IRunnerImage, templates: LauncherTemplates,
  timeouts: { readonly bootTimeout: number; readonly jobTimeout: number }): LauncherVmSettings {
  const mount = clusterMount(entry);
  return {
    vmiTemplateFile: `${mount}/${VMI_TEMPLATE_FILE}`,
    ...(templates.dataVolume ? { dataVolumeTemplateFile: `${mount}/${DATA_VOLUME_TEMPLATE_FILE}` } : {}),
    imageReadyVmi: image.readyVmiName,
    bootTimeoutSeconds: timeouts.bootTimeout,
    jobTimeoutSeconds: timeouts.jobTimeout,
    ...(image.refresher ? { imagePointer: { configMap: image.refresher.pointerConfigMap, source: image.refresher.source } } : {}),
    // The runner's exit status, from the VMI's serial console (an exit 7 makes the launcher exit 7).
    readRunnerExit: true,
  };
}

/** The launcher ConfigMap's data: the bundle, config.json and the templates. */
export function launcherConfigData<E extends LauncherEntry>(entry: E, config: ClusterEntryConfigs[E], templates: LauncherTemplates): Record<string, string> {
  return {
    ...clusterConfigMapData(entry, { [CONFIG_FILE]: config }),
    [VMI_TEMPLATE_FILE]: `${JSON.stringify(templates.vmi, null, 2)}\n`,
    ...(templates.dataVolume ? { [DATA_VOLUME_TEMPLATE_FILE]: `${JSON.stringify(templates.dataVolume, null, 2)}\n` } : {}),
  };
}

/**
 * The launcher's rights on what it creates: VMIs (and, cloning per job, DataVolumes), and `update`
 * on pods/finalizers: each object is owned by the pod with blockOwnerDeletion, which clusters with
 * the OwnerReferencesPermissionEnforcement admission plugin (OpenShift) allow only with that right.
 * To read the runner's exit status (readRunnerExit): `list` pods (the VMI's virt-launcher pod, by
 * its label kubevirt.io/created-by) and `get` pods/log (its guest-console-log container).
 * No resourceNames: the pods are per job. With a refreshed image, `get` on its pointer ConfigMap (by name).
 * `create` on events (no get, list or patch: each Event is new): the job's steps in `kubectl get events`.
 */
export function launcherRules(clone: boolean, pointerConfigMap?: string) {
  return [
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
    ...(clone ? [
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes'], verbs: ['create', 'get', 'delete'] },
      // CDI authorizes a clone by `create` on the source namespace's `datavolumes/source`.
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] },
    ] : []),
    { apiGroups: [''], resources: ['pods/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    // A refreshed image: which volume is current, read once per job.
    ...(pointerConfigMap ? [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [pointerConfigMap], verbs: ['get'] }] : []),
  ];
}

export interface LauncherPodInput {
  readonly entry: LauncherEntry;
  readonly serviceAccountName: string;
  readonly configMapName: string;
  readonly launcherImage: string;
  /** More environment variables of the launcher container. @default none */
  readonly env?: readonly k8s.EnvVar[];
  /** More volumes, and where the container mounts them (read-only). @default none */
  readonly mounts?: readonly ClusterPodMount[];
  /** The pod's fsGroup (mounted Secrets readable by the launcher's group). @default none */
  readonly fsGroup?: number;
}

/** The runner pod: ARC injects its JIT config into the container named `runner`, which is the launcher (and never reads it). */
export function launcherPodSpec(input: LauncherPodInput): Record<string, any> {
  return {
    ...k8s.toJson_PodSpec(clusterPodSpec({
      entry: input.entry, containerName: 'runner', image: input.launcherImage, serviceAccountName: input.serviceAccountName,
      configMapName: input.configMapName, identity: ['name', 'namespace', 'uid'], env: input.env, mounts: input.mounts, fsGroup: input.fsGroup,
    })),
    // Time to delete the VMI (and remove the runner from GitHub) when ARC or KEDA stops a runner.
    terminationGracePeriodSeconds: 60,
  };
}
