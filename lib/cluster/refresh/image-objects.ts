import { createHash } from 'node:crypto';
import type { KubeResource } from '../runtime/kube';

// The image refresher's names and marks: which objects are its own, what went into each refreshed
// image, and the kinds it reads and writes. A refreshed image is three objects of one name stem: the
// DataVolume `<name>-<hash>` (its PVC is the image), the bake VirtualMachine and its cloud-config
// Secret, both `<name>-<hash>-bake`; KubeVirt's VMI of the bake VM has that name too.

export { DATA_VOLUME, VMI } from '../launcher/vm-objects';
export const CONFIG_MAP: KubeResource = { kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps' };
export const VIRTUAL_MACHINE: KubeResource = { kind: 'VirtualMachine', group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines' };
export const POOL: KubeResource = { kind: 'VirtualMachinePool', group: 'pool.kubevirt.io', version: 'v1beta1', plural: 'virtualmachinepools' };
export const EVENT: KubeResource = { kind: 'Event', group: '', version: 'v1', plural: 'events' };

/** app.kubernetes.io/managed-by of every object the refresher creates: the only objects it ever deletes. */
export const MANAGED_BY = 'kubevirt-runners-image-refresher';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** The RunnerImage's name prefix (ImageRefresherConfig.name): which image a refreshed volume belongs to. */
export const IMAGE_LABEL = 'cdk8s-kubevirt-runners/image';
/** The synthesized image's input hash it was refreshed from (ImagePointer.source). */
export const SOURCE_LABEL = 'cdk8s-kubevirt-runners/image-source';
export const RUNNER_VERSION_LABEL = 'cdk8s-kubevirt-runners/runner-version';
/** The bake date, YYYY-MM-DD (UTC). */
export const BAKE_DATE_LABEL = 'cdk8s-kubevirt-runners/baked-on';
/** When the bake started (RFC 3339, UTC): orders refreshed images for garbage collection. */
export const BAKE_STARTED_ANNOTATION = 'cdk8s-kubevirt-runners/bake-started-at';
/** The runner package's SHA-256, from the release notes. */
export const RUNNER_SHA256_ANNOTATION = 'cdk8s-kubevirt-runners/runner-sha256';
/** The first 10 hex digits of a SHA-256: as long as the synthesized image's hash (IMAGE_HASH_LENGTH). */
const HASH_LENGTH = 10;

/** What one bake puts into its volume's name. */
export interface BakeInputs {
  readonly source: string;
  readonly runnerVersion: string;
  /** YYYY-MM-DD, UTC. */
  readonly bakeDate: string;
}

/** `<name>-<first 10 hex of sha256(source, runner version, bake date)>`: the same inputs on the same day make the same name. */
export function refreshedVolumeName(name: string, inputs: BakeInputs): string {
  const hash = createHash('sha256').update(JSON.stringify([inputs.source, inputs.runnerVersion, inputs.bakeDate])).digest('hex');
  return `${name}-${hash.slice(0, HASH_LENGTH)}`;
}

/** The bake VM (and its VMI and cloud-config Secret) of a volume. */
export const bakeName = (volumeName: string): string => `${volumeName}-bake`;

/** The label selector of the refreshed images of `name` (their DataVolumes). */
export const refreshedImagesSelector = (name: string): string => `${MANAGED_BY_LABEL}=${MANAGED_BY},${IMAGE_LABEL}=${name}`;

/** Whether `object` was created by the image refresher for the image `name`. */
export function isRefreshed(object: Record<string, any>, name: string): boolean {
  const labels = object.metadata?.labels ?? {};
  return labels[MANAGED_BY_LABEL] === MANAGED_BY && labels[IMAGE_LABEL] === name;
}
