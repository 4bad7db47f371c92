import type { ImagePointerSettings, LauncherVmSettings } from '../contract';
import { DNS_LABEL, DNS_SUBDOMAIN, type Fields } from '../runtime/config';
import { ConfigError, KubeStatusError } from '../runtime/errors';
import { KubeClient } from '../runtime/kube';
import type { Logger } from '../runtime/log';
import { readPointer } from '../refresh/pointer';
import { CONFIG_MAP } from '../refresh/image-objects';
import type { Templates } from './vm-objects';

// A refreshed RunnerImage (RunnerImage `refresh`): the image refresher bakes new volumes and names
// the current one in a pointer ConfigMap; the launcher reads it once per job, before the VM, and boots
// that volume instead of the templates' own. The templates' image is used while there is no pointer,
// when it was refreshed from other manifests (`source` differs: the manifests changed since), and when
// it cannot be read (with a warning: the manifests' image is older, never broken; the refresher never
// deletes it).

export function readImagePointerSettings(fields: Fields): ImagePointerSettings | undefined {
  return fields.optionalObject('imagePointer', (pointer) => ({
    configMap: pointer.string('configMap', { describe: 'a ConfigMap name (a DNS subdomain)', pattern: DNS_SUBDOMAIN }),
    source: pointer.string('source', { describe: 'the image\'s input hash (lower-case hex, 1 to 63 characters)', pattern: /^[0-9a-f]{1,63}$/ }),
  }));
}

/** The volume the templates boot: the shared image's claim, or the clone's source PVC. */
export function templateImage(templates: Templates): string | undefined {
  if (templates.dataVolume) return templates.dataVolume.spec?.source?.pvc?.name;
  const rootdisk = templates.vmi.spec.volumes.find((v: Record<string, any>) => v.name === 'rootdisk');
  return rootdisk?.ephemeral?.persistentVolumeClaim?.claimName;
}

/** With `imagePointer`, the templates must name the image the pointer replaces: checked with the other config errors. */
export function checkPointerTemplates(settings: LauncherVmSettings, templates: Templates): void {
  if (settings.imagePointer && typeof templateImage(templates) !== 'string') {
    throw new ConfigError('imagePointer', templates.dataVolume
      ? 'needs a DataVolume template cloning a PVC (spec.source.pvc.name)'
      : 'needs a rootdisk volume of kind ephemeral.persistentVolumeClaim in the VMI template');
  }
}

/** The image this job boots. */
export interface JobImage {
  readonly templates: Templates;
  /** The bake VMI that must have succeeded, when the launcher waits for one. */
  readonly readyVmi?: string;
}

function retarget(templates: Templates, volumeName: string): Templates {
  if (templates.dataVolume) {
    const dataVolume = structuredClone(templates.dataVolume);
    dataVolume.spec.source.pvc.name = volumeName;
    return { ...templates, dataVolume };
  }
  const vmi = structuredClone(templates.vmi);
  vmi.spec.volumes.find((v: Record<string, any>) => v.name === 'rootdisk').ephemeral.persistentVolumeClaim.claimName = volumeName;
  return { ...templates, vmi };
}

/** One read of the pointer (none without `imagePointer`): the templates pointed at the current image. */
export async function jobImage(kube: KubeClient, namespace: string, settings: LauncherVmSettings, templates: Templates, log: Logger, signal: AbortSignal): Promise<JobImage> {
  const unchanged: JobImage = { templates, readyVmi: settings.imageReadyVmi };
  const pointerSettings = settings.imagePointer;
  if (!pointerSettings) return unchanged;
  const ref = KubeClient.describe(CONFIG_MAP, namespace, pointerSettings.configMap);
  let state;
  try {
    state = await readPointer(kube, namespace, pointerSettings.configMap, signal, log);
  } catch (error) {
    if (!(error instanceof KubeStatusError)) throw error;
    const why = error.code === 403
      ? `the pod's ServiceAccount may not read it (its Role needs get on configmaps with resourceNames [${pointerSettings.configMap}])`
      : error.message;
    log.warn(`cannot read the image pointer ${ref}: ${why}; this job boots the manifests' image ${templateImage(templates)}`);
    return unchanged;
  }
  const pointer = state.pointer;
  if (!pointer) return unchanged;
  if (pointer.source !== pointerSettings.source) {
    log.info(`the image pointer ${ref} was refreshed from other manifests (source ${pointer.source}, these are ${pointerSettings.source}): booting the manifests' image`);
    return unchanged;
  }
  if (!DNS_LABEL.test(pointer.volumeName) || pointer.volumeName.length > 63 - '-bake'.length) {
    log.warn(`the image pointer ${ref} names ${JSON.stringify(pointer.volumeName)}, not a volume name: booting the manifests' image`);
    return unchanged;
  }
  if (pointer.volumeName === templateImage(templates)) return unchanged;
  log.info(`booting the refreshed image ${pointer.volumeName} (runner ${pointer.runnerVersion}, baked ${pointer.bakedAt})`);
  return { templates: retarget(templates, pointer.volumeName), readyVmi: settings.imageReadyVmi ? `${pointer.volumeName}-bake` : undefined };
}
