import { ManifestObject } from '../finding';
import { isObject, namespaceOf, quantity } from '../manifest-values';
import { Amount, compare, known, unknownTerm } from './amount';
import { launcherRunner } from './launchers';
import { Context, Group, SharedVolume } from './model';
import { summaryOf } from './totals';
import { FleetSummary } from './types';
import { recordBake, vmRunner } from './virtual-machines';
import { versionsOf } from './versions';
import { storageRequest } from './volumes';

const BAKE_COMPONENT = 'runner-image-bake';
const INSTANCE_LABEL = 'app.kubernetes.io/instance';
const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** KEDA's default maxReplicaCount of a ScaledJob. */
const KEDA_DEFAULT_MAX_REPLICAS = 100;

const apiGroupOf = (object: any) => String(object?.apiVersion ?? '').split('/')[0];

/** Reads the objects of a synthesized (or hand-written) fleet into a summary. */
export function summarizeFleet(items: readonly ManifestObject[]): FleetSummary {
  const objects = items.map((i) => i.object).filter(isObject);
  const shared = new Map<string, SharedVolume>();
  for (const object of objects) {
    const isDataVolume = apiGroupOf(object) === 'cdi.kubevirt.io' && object.kind === 'DataVolume';
    const isClaim = object.apiVersion === 'v1' && object.kind === 'PersistentVolumeClaim';
    if (!isDataVolume && !isClaim) continue;
    const key = `${namespaceOf(object)}/${object.metadata?.name}`;
    // A DataVolume and the PVC it makes share a name: one volume.
    if (!shared.has(key) || isDataVolume) shared.set(key, { key, object, usedBy: shared.get(key)?.usedBy ?? new Set(), roles: shared.get(key)?.roles ?? new Set() });
  }
  const use = (namespace: string, name: unknown, fleet: string | undefined, role: string) => {
    const volume = typeof name === 'string' ? shared.get(`${namespace}/${name}`) : undefined;
    if (fleet && volume) volume.usedBy.add(fleet);
    volume?.roles.add(role);
  };
  const has = (namespace: string, name: unknown) => typeof name === 'string' && shared.has(`${namespace}/${name}`);
  const sizeOfShared = (namespace: string, name: unknown): Amount => {
    const volume = typeof name === 'string' ? shared.get(`${namespace}/${name}`) : undefined;
    const size = volume ? quantity(storageRequest(volume.object)) : undefined;
    return size !== undefined ? known(size) : unknownTerm(`size of ${namespace}/${String(name)}`);
  };
  const context: Context = { objects, use, has, sizeOfShared };

  const groups: Group[] = [];
  const vmGroups = new Map<string, { name: string; vms: any[] }>();
  for (const object of objects) {
    const namespace = namespaceOf(object);
    if (apiGroupOf(object) === 'kubevirt.io' && object.kind === 'VirtualMachine') {
      if (object.metadata?.labels?.[COMPONENT_LABEL] === BAKE_COMPONENT) {
        recordBake(object, context);
        continue;
      }
      const name = `${namespace}/${object.metadata?.labels?.[INSTANCE_LABEL] ?? object.metadata?.name}`;
      if (!vmGroups.has(name)) vmGroups.set(name, { name, vms: [] });
      vmGroups.get(name)!.vms.push(object);
    } else if (apiGroupOf(object) === 'pool.kubevirt.io' && object.kind === 'VirtualMachinePool') {
      const name = `${namespace}/${object.metadata?.name}`;
      const replicas = typeof object.spec?.replicas === 'number' ? object.spec.replicas : 1;
      const runner = vmRunner(object.spec?.virtualMachineTemplate?.spec, namespace, name, undefined, context);
      groups.push({ name, kind: object.kind, runners: { min: replicas, max: replicas }, shapes: [{ runner, count: replicas }],
        vmis: [{ spec: object.spec?.virtualMachineTemplate?.spec?.template?.spec, namespace }] });
    } else if (apiGroupOf(object) === 'actions.github.com' && object.kind === 'AutoscalingRunnerSet') {
      const name = `${namespace}/${object.metadata?.name}`;
      const min = typeof object.spec?.minRunners === 'number' ? object.spec.minRunners : 0;
      const max = typeof object.spec?.maxRunners === 'number' ? object.spec.maxRunners : undefined;
      const runner = launcherRunner(object.spec?.template?.spec, namespace, name, context);
      const version = object.metadata?.labels?.['app.kubernetes.io/version'];
      groups.push({ name, kind: object.kind, runners: { min, max }, shapes: [{ runner, count: max }], vmis: [],
        controller: { kind: 'arc', ...(typeof version === 'string' ? { version } : {}) } });
    } else if (apiGroupOf(object) === 'keda.sh' && object.kind === 'ScaledJob') {
      const name = `${namespace}/${object.metadata?.name}`;
      const min = typeof object.spec?.minReplicaCount === 'number' ? object.spec.minReplicaCount : 0;
      const max = typeof object.spec?.maxReplicaCount === 'number' ? object.spec.maxReplicaCount : KEDA_DEFAULT_MAX_REPLICAS;
      const runner = launcherRunner(object.spec?.jobTargetRef?.template?.spec, namespace, name, context);
      groups.push({ name, kind: object.kind, runners: { min, max }, shapes: [{ runner, count: max }], vmis: [], controller: { kind: 'keda' } });
    }
  }
  for (const { name, vms } of vmGroups.values()) {
    const shapes = vms.map((vm) => ({ runner: vmRunner(vm.spec, namespaceOf(vm), name, vm.metadata?.name, context), count: 1 }));
    groups.push({ name, kind: 'VirtualMachine', runners: { min: vms.length, max: vms.length }, shapes,
      vmis: vms.map((vm) => ({ spec: vm.spec?.template?.spec, namespace: namespaceOf(vm) })) });
  }
  groups.sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind));
  return { ...summaryOf(groups, [...shared.values()]), ...versionsOf(groups, [...shared.values()], objects) };
}
