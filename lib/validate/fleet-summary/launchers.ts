import { posix } from 'node:path';
import { arrayAt, isObject, namespaceOf } from '../manifest-values';
import { unknownTerm } from './amount';
import { Context, PerRunnerVolume, Runner } from './model';
import { memoryOf, vcpuOf } from './runner-size';
import { StorageLocation } from './types';
import { cloneOf, diskRole, sizeOf, storageOf, vmiVolumes } from './volumes';

/**
 * A per-job runner of a launcher pod (RunnerScaleSet, RunnerKedaScaleSet): the VMI (and, cloning
 * per job, the DataVolume) templates the pod's container reads from files of a mounted ConfigMap.
 */
export function launcherRunner(podSpec: any, namespace: string, fleet: string, context: Context): Runner {
  const vmiTemplate = launcherFile(podSpec, 'vmiTemplateFile', namespace, context);
  const dataVolumeTemplate = launcherFile(podSpec, 'dataVolumeTemplateFile', namespace, context);
  if (!isObject(vmiTemplate)) {
    const none = unknownTerm('no VM template');
    return { vcpu: none, memory: none, volumes: [] };
  }
  const vmi = vmiTemplate.spec ?? {};
  const volumes: PerRunnerVolume[] = [];
  // The launcher names each job's DataVolume: the VMI template's reference to it is a placeholder.
  const perJob = (name: string) => isObject(dataVolumeTemplate) && !context.has(namespace, name);
  if (isObject(dataVolumeTemplate)) {
    const attached = arrayAt(vmi.volumes).find((v: any) => typeof v?.dataVolume?.name === 'string' && perJob(v.dataVolume.name));
    volumes.push({
      volume: '<job>',
      what: [attached ? diskRole(vmi, attached.dataVolume.name, attached.name) : '', `DataVolume per job, ${cloneOf(dataVolumeTemplate.spec, namespace, fleet, context, 'cloned per job')}`]
        .filter(Boolean).join(', '),
      location: StorageLocation.VOLUME,
      storage: storageOf(dataVolumeTemplate.spec),
      size: sizeOf(dataVolumeTemplate.spec, 'size of the per-job DataVolume'),
    });
  }
  volumes.push(...vmiVolumes(vmi, namespace, fleet, context, perJob));
  return { vcpu: vcpuOf(undefined, vmi), memory: memoryOf(undefined, vmi), volumes };
}

/**
 * A template file of a launcher pod: its container runs `node <bundle> <config.json>`, and the config
 * names the template files (`vmiTemplateFile`, `dataVolumeTemplateFile`); all are in a mounted ConfigMap.
 */
function launcherFile(podSpec: any, field: 'vmiTemplateFile' | 'dataVolumeTemplateFile', namespace: string, context: Context): unknown {
  for (const container of arrayAt(podSpec?.containers)) {
    const config = mountedJson(podSpec, container, Array.isArray(container?.command) ? container.command[2] : undefined, namespace, context);
    const file = mountedJson(podSpec, container, isObject(config) ? config[field] : undefined, namespace, context);
    if (file !== undefined) return file;
  }
  return undefined;
}

/** The parsed JSON of the file at `path` in a ConfigMap the container mounts. */
function mountedJson(podSpec: any, container: any, path: unknown, namespace: string, context: Context): unknown {
  if (typeof path !== 'string') return undefined;
  for (const mount of arrayAt(container?.volumeMounts)) {
    if (typeof mount?.mountPath !== 'string' || posix.dirname(path) !== posix.normalize(mount.mountPath)) continue;
    const configMapName = arrayAt(podSpec.volumes).find((v: any) => v?.name === mount?.name)?.configMap?.name;
    const configMap = context.objects.find((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap'
      && o.metadata?.name === configMapName && namespaceOf(o) === namespace);
    const text = configMap?.data?.[posix.basename(path)];
    if (typeof text !== 'string') continue;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
