import type { PodIdentity } from '../runtime/config';
import { isObject } from '../runtime/http';
import type { KubeResource } from '../runtime/kube';

// The objects a launcher creates for its job, from the templates: each named after the pod, owned by
// it (Kubernetes deletes them with the pod, whatever happens to the launcher), labelled with it.

/** A template as the launcher uses it: an object with metadata and spec. */
export type Template = Record<string, any>;

/** The VMI template and, cloning per job, the DataVolume template (lib/render/launcher-pod.ts renders them). */
export interface Templates {
  readonly vmi: Template;
  readonly dataVolume?: Template;
}

export const VMI: KubeResource = { kind: 'VirtualMachineInstance', group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances' };
export const DATA_VOLUME: KubeResource = { kind: 'DataVolume', group: 'cdi.kubevirt.io', version: 'v1beta1', plural: 'datavolumes' };
export const RUNNER_LABEL = 'cdk8s-kubevirt-runners/runner';
/** The JIT Secret's key (ARC's, which the guest reads). */
export const JIT_SECRET_KEY = 'jitToken';

export type Pod = PodIdentity;

function ownerReference(pod: Pod) {
  return { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid, controller: true, blockOwnerDeletion: true };
}

function withRunnerMetadata(template: Template, name: string, pod: Pod): Template {
  const object = structuredClone(template);
  object.metadata = {
    ...object.metadata,
    name,
    namespace: pod.namespace,
    ownerReferences: [ownerReference(pod)],
    labels: { ...object.metadata?.labels, [RUNNER_LABEL]: pod.name },
  };
  return object;
}

export const dataVolumeName = (pod: Pod): string => `${pod.name}-root`;

/** The job's VMI: the pod's hostname, its JIT Secret as the `jit` disk, the per-job clone as `rootdisk` in clone mode. */
export function buildVmi(templates: Templates, pod: Pod, jitSecretName: string): Template {
  const vmi = withRunnerMetadata(templates.vmi, pod.name, pod);
  vmi.spec.hostname = pod.name;
  vmi.spec.volumes = vmi.spec.volumes.map((volume: Record<string, any>) => {
    if (volume.name === 'jit') return { ...volume, secret: { ...volume.secret, secretName: jitSecretName } };
    if (volume.name === 'rootdisk' && templates.dataVolume) return { name: 'rootdisk', dataVolume: { name: dataVolumeName(pod) } };
    return volume;
  });
  return vmi;
}

export function buildDataVolume(template: Template, pod: Pod): Template {
  return withRunnerMetadata(template, dataVolumeName(pod), pod);
}

/** Mint launcher: the Secret that carries the JIT config to the guest, owned by the pod. */
export function buildJitSecret(pod: Pod, name: string, jitConfig: string): Template {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: pod.namespace, ownerReferences: [ownerReference(pod)], labels: { [RUNNER_LABEL]: pod.name } },
    type: 'Opaque',
    data: { [JIT_SECRET_KEY]: Buffer.from(jitConfig, 'utf8').toString('base64') },
  };
}

const ownersOf = (object: Record<string, any>): Record<string, any>[] =>
  (Array.isArray(object.metadata?.ownerReferences) ? object.metadata.ownerReferences.filter(isObject) : []);

/** Whose an existing object is: 'this pod', 'predecessor' (an earlier pod of the same name) or 'foreign'. */
export function ownership(object: Record<string, any>, pod: Pod): 'this pod' | 'predecessor' | 'foreign' {
  const owners = ownersOf(object);
  if (owners.some((o) => o.uid === pod.uid)) return 'this pod';
  if (owners.some((o) => o.apiVersion === 'v1' && o.kind === 'Pod' && o.name === pod.name)) return 'predecessor';
  return 'foreign';
}

export function describeOwners(object: Record<string, any>): string {
  const owners = ownersOf(object);
  return owners.length === 0 ? 'no owner' : `owned by ${owners.map((o) => `${o.kind} ${o.name} (uid ${o.uid})`).join(', ')}`;
}

/** Why a VMI failed, from its status. */
export function failureReason(vmi: Record<string, any>): string {
  const status = isObject(vmi.status) ? vmi.status : {};
  const parts: string[] = [];
  if (status.reason) parts.push(`reason ${status.reason}`);
  for (const c of Array.isArray(status.conditions) ? status.conditions.filter(isObject) : []) {
    if (c.reason || c.message) parts.push(`condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);
  }
  return parts.length ? parts.join('; ') : 'its status gives no reason';
}
