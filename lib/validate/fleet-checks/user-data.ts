import { MAX_RUNNER_LABELS } from '../../private/github-rules';
import { GuestSettings, parseGuestSettings, RUNNER_SETTINGS_PATH } from '../../render/guest-settings';
import { readCloudConfig } from '../cloud-init-yaml';
import { Finding, ManifestObject, objectLabel } from '../finding';
import { namespaceOf, objectKey } from '../manifest-values';
import { Report } from '../report';

/** The user-data entries (JSON path, text) of a Secret, from stringData or base64 data. */
export function userDataOf(secret: any): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const key of ['userdata', 'userData']) {
    if (typeof secret?.stringData?.[key] === 'string') entries.push([`/stringData/${key}`, secret.stringData[key]]);
    else if (typeof secret?.data?.[key] === 'string') entries.push([`/data/${key}`, Buffer.from(secret.data[key], 'base64').toString('utf8')]);
  }
  return entries;
}

/** The runner settings file a cloud-config writes (lib/render/guest-settings.ts), with its write_files index. */
export function runnerSettingsOf(userData: string): { index: number; settings: Partial<GuestSettings> } | undefined {
  const config: any = readCloudConfig(userData).config; // not YAML: the cloud-config check reports it
  const index = Array.isArray(config?.write_files) ? config.write_files.findIndex((f: any) => f?.path === RUNNER_SETTINGS_PATH) : -1;
  if (index < 0) return undefined;
  return { index, settings: parseGuestSettings(String(config.write_files[index].content ?? '')) };
}

const DEFAULT_LABEL_COUNT = 3; // self-hosted, the OS and the architecture

// A runner needs at least one label to be targeted, and GitHub takes at most 100 custom ones.
export function checkRunnerLabels(secret: any, report: Report): void {
  for (const [path, userData] of userDataOf(secret)) {
    const runner = runnerSettingsOf(userData);
    if (!runner) continue;
    const { index, settings } = runner;
    const labels = settings.labels ?? [];
    const total = labels.length + (settings.noDefaultLabels ? 0 : DEFAULT_LABEL_COUNT);
    const at = `${path}#/write_files/${index}/content`;
    if (labels.length > MAX_RUNNER_LABELS) report(at, `runner has ${labels.length} custom labels; GitHub allows at most ${MAX_RUNNER_LABELS}`);
    if (total < 1) report(at, 'runner has no labels at all (no custom labels and --no-default-labels): no workflow can target it');
  }
}

// KubeVirt (pkg/cloud-init/cloud-init.go resolveNoCloudSecrets, resolveConfigDriveSecrets) reads the
// user-data from a Secret's key `userdata` or `userData`; without either the guest boots without its
// cloud-config (or, when network data is missing too, the VM does not start).
export function checkUserDataSecrets(items: readonly ManifestObject[]): Finding[] {
  const secrets = new Map<string, any>();
  for (const { object } of items) {
    if (object?.apiVersion === 'v1' && object?.kind === 'Secret') secrets.set(objectKey('Secret', namespaceOf(object), object.metadata?.name), object);
  }
  const findings: Finding[] = [];
  for (const { file, object } of items) {
    if (object?.kind !== 'VirtualMachine' || !Array.isArray(object.spec?.template?.spec?.volumes)) continue;
    object.spec.template.spec.volumes.forEach((volume: any, i: number) => {
      for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
        const name = volume?.[source]?.secretRef?.name;
        const secret = name ? secrets.get(objectKey('Secret', namespaceOf(object), name)) : undefined;
        if (secret && userDataOf(secret).length === 0) {
          findings.push({
            file, object: objectLabel(object), path: `/spec/template/spec/volumes/${i}/${source}/secretRef/name`,
            message: `Secret '${name}' has no key userdata or userData: the VM would boot without its cloud-config`,
          });
        }
      }
    });
  }
  return findings;
}
