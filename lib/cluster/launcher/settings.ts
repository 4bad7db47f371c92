import { readFileSync } from 'node:fs';
import type { LauncherVmSettings } from '../contract';
import { DNS_LABEL, type Fields } from '../runtime/config';
import { ConfigError } from '../runtime/errors';
import { isObject } from '../runtime/http';
import { readRuntimeSettings } from '../runtime/kube-connection';
import { readImagePointerSettings } from './image-pointer';
import { DATA_VOLUME, type Template, type Templates, VMI } from './vm-objects';

// The settings both launchers share (LauncherVmSettings in ../contract.ts), and the templates they
// name: read and checked before the first request, so that a bad ConfigMap is exit 2, not a job
// that fails half-way.

/** setTimeout fires at once for delays above 2^31-1 ms (24.8 days). */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const FILE = { describe: 'an absolute file path', pattern: /^\/./ };

export function readLauncherVmSettings(fields: Fields): LauncherVmSettings {
  return {
    vmiTemplateFile: fields.string('vmiTemplateFile', FILE),
    dataVolumeTemplateFile: fields.optionalString('dataVolumeTemplateFile', FILE),
    imageReadyVmi: fields.optionalString('imageReadyVmi', { describe: 'a VirtualMachineInstance name (a DNS label)', pattern: DNS_LABEL }),
    bootTimeoutSeconds: fields.integer('bootTimeoutSeconds', 1, MAX_TIMEOUT_SECONDS),
    jobTimeoutSeconds: fields.integer('jobTimeoutSeconds', 1, MAX_TIMEOUT_SECONDS),
    requestTimeoutMs: fields.optionalInteger('requestTimeoutMs', 1, 600_000),
    imagePointer: readImagePointerSettings(fields),
    readRunnerExit: fields.has('readRunnerExit') ? fields.boolean('readRunnerExit') : undefined,
    ...readRuntimeSettings(fields),
  };
}

/** The VMI template (with its `jit` secret volume, and a `rootdisk` in clone mode) and the DataVolume template. */
export function readTemplates(settings: LauncherVmSettings): Templates {
  const vmi = readTemplate('vmiTemplateFile', settings.vmiTemplateFile, VMI);
  const volumes = vmi.spec.volumes;
  const where = `vmiTemplateFile ${settings.vmiTemplateFile}`;
  if (!Array.isArray(volumes) || !volumes.every(isObject)) throw new ConfigError(where, 'must have spec.volumes, a list of volumes');
  const jit = volumes.find((v) => v.name === 'jit');
  if (!jit || !isObject(jit.secret)) {
    throw new ConfigError(where, 'has no volume named \'jit\' of kind secret in spec.volumes (the disk that carries the runner\'s JIT config)');
  }
  if (!settings.dataVolumeTemplateFile) return { vmi };
  if (!volumes.some((v) => v.name === 'rootdisk')) throw new ConfigError(where, 'has no volume named \'rootdisk\' for the DataVolume of dataVolumeTemplateFile');
  return { vmi, dataVolume: readTemplate('dataVolumeTemplateFile', settings.dataVolumeTemplateFile, DATA_VOLUME) };
}

function readTemplate(field: string, path: string, { group, version, kind }: { group: string; version: string; kind: string }): Template {
  const where = `${field} ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(where, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(where, `is not JSON: ${(error as Error).message}`);
  }
  const apiVersion = `${group}/${version}`;
  if (!isObject(object) || object.apiVersion !== apiVersion || object.kind !== kind) {
    const found = isObject(object) ? `apiVersion ${JSON.stringify(object.apiVersion)} kind ${JSON.stringify(object.kind)}` : `a JSON ${Array.isArray(object) ? 'array' : typeof object}`;
    throw new ConfigError(where, `must hold a ${apiVersion} ${kind}, found ${found}`);
  }
  if (object.metadata !== undefined && (!isObject(object.metadata) || (object.metadata.labels !== undefined && !isObject(object.metadata.labels)))) {
    throw new ConfigError(where, 'must have metadata (and metadata.labels) as objects');
  }
  if (!isObject(object.spec)) throw new ConfigError(where, 'has no spec');
  return object;
}
