import { Finding, ManifestObject, objectLabel } from '../finding';
import { namespaceOf, objectKey } from '../manifest-values';
import { placeOf } from '../report';
import { runnerSettingsOf, userDataOf } from './user-data';

// The registration script registers each VM under its hostname with `config.sh --replace`: two VMs
// with the same hostname for the same GitHub URL (two pools of the same name, even in two namespaces
// or clusters) take the runner over from each other, again and again.
export function checkRunnerNames(items: readonly ManifestObject[]): Finding[] {
  const urls = new Map<string, string>();
  for (const { object } of items) {
    if (object?.apiVersion !== 'v1' || object?.kind !== 'Secret') continue;
    const url = userDataOf(object).map(([, userData]) => runnerSettingsOf(userData)?.settings.url).find(Boolean);
    if (url) urls.set(objectKey('Secret', namespaceOf(object), object.metadata?.name), url);
  }
  const findings: Finding[] = [];
  const registered = new Map<string, { place: string; identity: string }>();
  for (const { file, object } of items) {
    if (object?.kind !== 'VirtualMachine' || typeof object.metadata?.name !== 'string') continue;
    const vmi = object.spec?.template?.spec ?? {};
    const url = (Array.isArray(vmi.volumes) ? vmi.volumes : [])
      .map((v: any) => v?.cloudInitNoCloud?.secretRef?.name ?? v?.cloudInitConfigDrive?.secretRef?.name)
      .map((name: unknown) => urls.get(objectKey('Secret', namespaceOf(object), String(name))))
      .find(Boolean);
    if (!url) continue;
    const runner = hostnameOf(object);
    const path = vmi.hostname ? '/spec/template/spec/hostname' : '/metadata/name';
    const identity = `${namespaceOf(object)}/${object.metadata.name}`;
    const id = `${url.replace(/\/+$/, '').toLowerCase()} ${runner.toLowerCase()}`;
    const seen = registered.get(id);
    if (!seen) registered.set(id, { place: placeOf(file, object, path), identity });
    else if (seen.identity !== identity) { // the same VM twice is a duplicate object, reported as such
      findings.push({
        file, object: objectLabel(object), path,
        message: `runner '${runner}' of ${url} is also registered by ${seen.place}: with config.sh --replace each VM takes the runner over from the other; give the pools different names`,
      });
    }
  }
  return findings;
}

// KubeVirt names the guest after spec.hostname, else the VM name up to its first '.', cut to 63
// characters (pkg/util/net/dns/sanitize.go SanitizeHostname); the runner takes the guest's hostname.
function hostnameOf(vm: any): string {
  return vm.spec?.template?.spec?.hostname || String(vm.metadata.name).split('.')[0].slice(0, 63);
}
