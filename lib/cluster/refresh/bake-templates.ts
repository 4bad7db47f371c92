import { readFileSync } from 'node:fs';
import type { ImageRefresherConfig, RunnerPackage } from '../contract';
import { ConfigError } from '../runtime/errors';
import { isObject } from '../runtime/http';
import {
  BAKE_DATE_LABEL, BAKE_STARTED_ANNOTATION, bakeName, IMAGE_LABEL, MANAGED_BY, MANAGED_BY_LABEL, RUNNER_SHA256_ANNOTATION, RUNNER_VERSION_LABEL, SOURCE_LABEL,
} from './image-objects';
import { swapRunnerPackage } from './runner-package';

// A refresh bakes from the synthesized image's own bake objects (the library renders them into the
// refresher's ConfigMap): its DataVolume, which imports the base image, its bake VirtualMachine, and
// its bake cloud-config (rendered with the distribution's updates on). The refresher renames the
// three for the new volume and swaps the runner package in the cloud-config; everything else (base
// image, storage, sizing, scheduling, proxy, CA) is what the manifests say. The templates are read
// and checked before the first request, so that a bad ConfigMap is exit 2.

type Json = Record<string, any>;

export interface BakeTemplates {
  readonly dataVolume: Json;
  readonly bakeVm: Json;
  readonly userData: string;
}

/** One refreshed image's bake objects, ready to create. */
export interface BakeObjects {
  readonly secret: Json;
  readonly dataVolume: Json;
  readonly bakeVm: Json;
}

/** What makes a refreshed image: its volume, the package swapped in, and its marks. */
export interface BakeSpec {
  readonly volumeName: string;
  readonly namespace: string;
  readonly runnerPackage: RunnerPackage;
  readonly source: string;
  /** YYYY-MM-DD. */
  readonly bakeDate: string;
  /** RFC 3339. */
  readonly startedAt: string;
}

/** Reads and checks the three templates of `config` (ConfigError naming the file otherwise). */
export function readBakeTemplates(config: ImageRefresherConfig): BakeTemplates {
  const { dataVolumeFile, bakeVmFile, userDataFile } = config.templates;
  const dataVolume = readJson('templates.dataVolumeFile', dataVolumeFile, 'cdi.kubevirt.io/v1beta1', 'DataVolume');
  const bakeVm = readJson('templates.bakeVmFile', bakeVmFile, 'kubevirt.io/v1', 'VirtualMachine');
  const userData = readText('templates.userDataFile', userDataFile);
  const bake = bakeName(config.volumeName);
  if (dataVolume.metadata?.name !== config.volumeName) {
    throw new ConfigError(`templates.dataVolumeFile ${dataVolumeFile}`, `must be the DataVolume ${config.volumeName} (volumeName), found ${JSON.stringify(dataVolume.metadata?.name)}`);
  }
  const where = `templates.bakeVmFile ${bakeVmFile}`;
  if (bakeVm.metadata?.name !== bake) throw new ConfigError(where, `must be the VirtualMachine ${bake}, found ${JSON.stringify(bakeVm.metadata?.name)}`);
  const volumes: unknown = bakeVm.spec?.template?.spec?.volumes;
  if (!Array.isArray(volumes) || !volumes.every(isObject)) throw new ConfigError(where, 'must have spec.template.spec.volumes, a list of volumes');
  if ((volumes as Json[]).find((v) => v.name === 'rootdisk')?.dataVolume?.name !== config.volumeName) {
    throw new ConfigError(where, `must have a volume 'rootdisk' of dataVolume ${config.volumeName}`);
  }
  if (!(volumes as Json[]).some((v) => v.cloudInitNoCloud?.secretRef?.name === bake)) throw new ConfigError(where, `must have a cloudInitNoCloud volume with secretRef ${bake}`);
  const missing = (['downloadUrl', 'sha256', 'version'] as const).filter((field) => !userData.includes(config.release[field]));
  if (!userData.startsWith('#cloud-config\n') || missing.length > 0) {
    throw new ConfigError(`templates.userDataFile ${userDataFile}`, `must be the bake cloud-config of release ${config.release.version}`
      + `${missing.length > 0 ? `: it does not contain release.${missing.join(', release.')}` : ': it does not start with #cloud-config'}`);
  }
  renameBakeVm(bakeVm, config.volumeName, `${config.name}-refreshed`);
  return { dataVolume, bakeVm, userData };
}

/**
 * The bake VM of volume `from` made the bake VM of volume `to`: its name, hostname, rootdisk and
 * cloud-config Secret. A template that names `from` anywhere else is refused: the bake would touch
 * the fleet's image.
 */
function renameBakeVm(template: Json, from: string, to: string): Json {
  const vm = structuredClone(template);
  vm.metadata.name = bakeName(to);
  const spec = vm.spec.template.spec;
  if (spec.hostname === bakeName(from)) spec.hostname = bakeName(to);
  for (const volume of spec.volumes) {
    if (volume.name === 'rootdisk') volume.dataVolume.name = to;
    if (volume.cloudInitNoCloud?.secretRef?.name === bakeName(from)) volume.cloudInitNoCloud.secretRef.name = bakeName(to);
  }
  if (JSON.stringify(vm).includes(from)) {
    throw new ConfigError('templates.bakeVmFile', `names ${from} outside its name, hostname, rootdisk and cloudInitNoCloud volumes: refusing to bake from it`);
  }
  return vm;
}

/** The synthesized image's bake objects renamed for `spec.volumeName`, with `spec.runnerPackage` in the cloud-config instead of `synthesized`. */
export function bakeObjects(templates: BakeTemplates, synthesized: { readonly volumeName: string; readonly release: RunnerPackage; readonly name: string }, spec: BakeSpec): BakeObjects {
  const bake = bakeName(spec.volumeName);
  const labels = {
    [MANAGED_BY_LABEL]: MANAGED_BY, [IMAGE_LABEL]: synthesized.name, [SOURCE_LABEL]: spec.source,
    [RUNNER_VERSION_LABEL]: spec.runnerPackage.version, [BAKE_DATE_LABEL]: spec.bakeDate,
  };
  const annotations = { [BAKE_STARTED_ANNOTATION]: spec.startedAt, [RUNNER_SHA256_ANNOTATION]: spec.runnerPackage.sha256 };
  const metadata = (template: Json, name: string) => ({
    name, namespace: spec.namespace,
    labels: { ...withoutInstance(template.metadata?.labels), ...labels },
    annotations: { ...template.metadata?.annotations, ...annotations },
  });
  const userData = swapRunnerPackage(templates.userData, synthesized.release, spec.runnerPackage);
  const secret = {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: metadata({}, bake), data: { userdata: Buffer.from(userData, 'utf8').toString('base64') },
  };
  const dataVolume = { ...structuredClone(templates.dataVolume), metadata: metadata(templates.dataVolume, spec.volumeName) };
  const bakeVm = renameBakeVm(templates.bakeVm, synthesized.volumeName, spec.volumeName);
  bakeVm.metadata = metadata(templates.bakeVm, bake);
  return { secret, dataVolume, bakeVm };
}

/**
 * The manifests' labels without app.kubernetes.io/instance: Argo CD tracks an application's objects by
 * that label, and `kubectl apply --prune -l` selects by it; an object the refresher made must never
 * look like one of the manifests' (to be pruned). The VMI template's labels, which the bake's
 * NetworkPolicy selects, stay as they are.
 */
function withoutInstance(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => key !== 'app.kubernetes.io/instance'));
}

function readText(field: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${field} ${path}`, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readJson(field: string, path: string, apiVersion: string, kind: string): Json {
  let object: unknown;
  try {
    object = JSON.parse(readText(field, path));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${field} ${path}`, `is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(object) || object.apiVersion !== apiVersion || object.kind !== kind || !isObject(object.metadata) || !isObject(object.spec)) {
    const found = isObject(object) ? `apiVersion ${JSON.stringify(object.apiVersion)} kind ${JSON.stringify(object.kind)}` : `a JSON ${Array.isArray(object) ? 'array' : typeof object}`;
    throw new ConfigError(`${field} ${path}`, `must hold a ${apiVersion} ${kind} with metadata and spec, found ${found}`);
  }
  return object;
}
