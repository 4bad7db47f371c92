import { ARC_RELEASES, compareVersions, KEDA_MINIMUM_VERSION, KEDA_RELEASE, OS_RELEASES, RUNNER_RELEASES } from '../../private/versions';
import { SECURITY_UPDATES_APT_CONF_PATH } from '../../render/cloud-config';
import { arrayAt, isObject, namespaceOf } from '../manifest-values';
import { runnerSettingsOf, userDataOf } from '../fleet-checks/user-data';
import { compare } from './amount';
import { Group, SharedVolume } from './model';
import { FleetVersions, VersionWarning } from './types';

// What each fleet runs, read from the objects: the runner release (from the cloud-config of its VMs,
// or of the bake that made the image it boots), the image at the root of its volumes, and the
// controller that scales it. Dates come from the library's table (lib/private/versions.ts): a runner
// older than the newest release the library knows is a warning, since GitHub stops sending jobs to
// a runner that has not installed a release within 30 days of its publication.

const RUNNER_PACKAGE = /actions-runner-linux-(?:x64|arm64)-(\d+\.\d+\.\d+)\.tar\.gz$/;
const BAKE_COMPONENT = 'runner-image-bake';
const OS_CODENAME = /^https?:\/\/(?:cloud-images\.ubuntu\.com|cloud\.debian\.org\/images\/cloud)\/([a-z]+)\//;

/** The newest runner release in the library's table. */
export const NEWEST_KNOWN_RUNNER = Object.keys(RUNNER_RELEASES).sort(compareVersions).pop()!;

/** The versions of every group, and a warning for each runner older than the newest the library knows. */
export function versionsOf(groups: readonly Group[], shared: readonly SharedVolume[], objects: readonly any[]): { versions: FleetVersions[]; warnings: VersionWarning[] } {
  const secrets = new Map<string, any>(objects.filter((o) => o.apiVersion === 'v1' && o.kind === 'Secret').map((o) => [`${namespaceOf(o)}/${o.metadata?.name}`, o]));
  const volumes = new Map(shared.map((v) => [v.key, v]));
  // The runner each bake VM installs, by the volume it bakes.
  const baked = new Map<string, Set<string>>();
  for (const vm of objects.filter((o) => o.kind === 'VirtualMachine' && o.metadata?.labels?.['app.kubernetes.io/component'] === BAKE_COMPONENT)) {
    const vmi = vm.spec?.template?.spec;
    for (const volume of arrayAt(vmi?.volumes)) {
      const name = volume?.dataVolume?.name ?? volume?.persistentVolumeClaim?.claimName;
      if (typeof name !== 'string') continue;
      const key = `${namespaceOf(vm)}/${name}`;
      for (const version of runnersOfVmi(vmi, namespaceOf(vm), secrets)) baked.set(key, new Set([...(baked.get(key) ?? []), version]));
    }
  }
  const refreshers = imageRefreshers(objects);
  const versions: FleetVersions[] = [];
  const warnings: VersionWarning[] = [];
  for (const group of groups) {
    const runners = new Set<string>(group.vmis.flatMap((v) => runnersOfVmi(v.spec, v.namespace, secrets)));
    const updates = new Set<string>(group.vmis.flatMap((v) => guestUpdatesOf(v.spec, v.namespace, secrets)));
    const baseImages = new Set<string>();
    for (const volume of shared.filter((v) => v.usedBy.has(group.name))) {
      // Up the clone chain to the volume the content was imported into.
      const seen = new Set<string>();
      for (let current: SharedVolume | undefined = volume; current && !seen.has(current.key);) {
        seen.add(current.key);
        const refresher = refreshers.get(current.key);
        if (refresher) updates.add(refresher);
        for (const version of baked.get(current.key) ?? []) runners.add(version);
        const spec = current.object.spec ?? {};
        const pvc = spec.source?.pvc;
        if (pvc) {
          const parent = `${pvc.namespace ?? namespaceOf(current.object)}/${pvc.name}`;
          if (!volumes.has(parent)) baseImages.add(`PVC ${parent}`);
          current = volumes.get(parent);
        } else {
          const image = imageOf(spec, namespaceOf(current.object));
          if (image) baseImages.add(image);
          current = undefined;
        }
      }
    }
    const sortedRunners = [...runners].sort(compareVersions);
    versions.push({
      fleet: group.name,
      kind: group.kind,
      runners: sortedRunners.map((version) => ({ version, ...dateOf(RUNNER_RELEASES[version]?.published) })),
      baseImages: [...baseImages].sort(compare),
      updates: [...updates].sort(compare),
      ...(group.controller ? { controller: controllerOf(group.controller) } : {}),
    });
    for (const version of sortedRunners.filter((v) => compareVersions(v, NEWEST_KNOWN_RUNNER) < 0)) {
      warnings.push({ fleet: group.name, runner: version, newest: NEWEST_KNOWN_RUNNER });
    }
  }
  return { versions, warnings };
}

const dateOf = (date: string | undefined) => (date !== undefined ? { released: date } : {});

/** The cloud-configs a VMI boots with (inline, or from its Secret). */
function userDataOfVmi(vmi: any, namespace: string, secrets: Map<string, any>): string[] {
  return arrayAt(vmi?.volumes).flatMap((volume: any) => {
    const source = volume?.cloudInitNoCloud ?? volume?.cloudInitConfigDrive;
    if (!isObject(source)) return [];
    return typeof source.userData === 'string' ? [source.userData]
      : userDataOf(secrets.get(`${namespace}/${source.secretRef?.name}`)).map(([, text]) => text);
  });
}

/** The runner releases a VMI's cloud-config installs (its settings file's package URL). */
function runnersOfVmi(vmi: any, namespace: string, secrets: Map<string, any>): string[] {
  return userDataOfVmi(vmi, namespace, secrets).flatMap((text) => RUNNER_PACKAGE.exec(runnerSettingsOf(text)?.settings.downloadUrl ?? '')?.[1] ?? []);
}

/** How a long-lived VM stays current by itself: the runner's self-update, the distribution's security updates. */
function guestUpdatesOf(vmi: any, namespace: string, secrets: Map<string, any>): string[] {
  return userDataOfVmi(vmi, namespace, secrets).flatMap((text) => {
    const settings = runnerSettingsOf(text)?.settings;
    if (!settings || settings.ephemeral) return [];
    return [
      settings.disableUpdate ? 'runner self-update off' : 'runner self-update',
      // The path alone: the apt settings file only long-lived VMs with automaticSecurityUpdates write.
      text.includes(SECURITY_UPDATES_APT_CONF_PATH) ? 'security updates daily, reboot when idle' : 'no automatic security updates',
    ];
  });
}

/** The image refreshers of the output, by the volume they re-bake: `image refresher <CronJob> (<schedule>)`. */
function imageRefreshers(objects: readonly any[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const configMap of objects.filter((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap' && isObject(o.data) && 'image-refresher.js' in o.data)) {
    let config: any;
    try {
      config = JSON.parse(String(configMap.data['config.json']));
    } catch {
      continue; // the launcher-templates and image-refresher rules report it
    }
    if (typeof config?.volumeName !== 'string') continue;
    const namespace = namespaceOf(configMap);
    const cronJob = objects.find((o) => o.kind === 'CronJob' && namespaceOf(o) === namespace
      && arrayAt(o.spec?.jobTemplate?.spec?.template?.spec?.volumes).some((v: any) => v?.configMap?.name === configMap.metadata?.name));
    const name = cronJob?.metadata?.name ?? configMap.metadata?.name;
    found.set(`${namespace}/${config.volumeName}`, `image refresher \`${name}\`${cronJob?.spec?.schedule ? ` (${cronJob.spec.schedule})` : ''}`);
  }
  return found;
}

/** What a DataVolume imports: the URL (with the OS release when it is a preset's), a registry image, a DataSource. */
function imageOf(spec: any, namespace: string): string | undefined {
  const url = spec.source?.http?.url ?? spec.source?.registry?.url;
  if (typeof url === 'string') {
    const os = OS_RELEASES[OS_CODENAME.exec(url)?.[1] ?? ''];
    return os ? `${os.name} (${os.released}): ${url}` : url;
  }
  if (spec.sourceRef?.name) return `DataSource ${spec.sourceRef.namespace ?? namespace}/${spec.sourceRef.name}`;
  return undefined;
}

function controllerOf(controller: NonNullable<Group['controller']>): FleetVersions['controller'] {
  if (controller.kind === 'arc') {
    return { name: 'actions-runner-controller', version: controller.version ?? 'unlabelled', ...dateOf(ARC_RELEASES[controller.version ?? '']?.released) };
  }
  // KEDA's version is not in the output: the current release, which the documentation asks for.
  return { name: `KEDA (${KEDA_MINIMUM_VERSION} or later), current release`, version: KEDA_RELEASE.version, released: KEDA_RELEASE.released };
}
