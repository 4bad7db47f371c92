import { Finding, ManifestObject, objectLabel } from '../finding';
import { namespaceOf } from '../manifest-values';
import { placeOf } from '../report';

// Two objects with the same group, kind, namespace and name are one object to the cluster: kubectl
// apply keeps the last one it reads, silently. A VM's dataVolumeTemplates are DataVolumes too.
export function checkDuplicateObjects(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  const first = new Map<string, string>();
  const see = (identity: string, what: string, file: string, object: any, path: string) => {
    const seen = first.get(identity);
    if (seen === undefined) first.set(identity, placeOf(file, object, path));
    else findings.push({ file, object: objectLabel(object), path, message: `${what} is also defined at ${seen}: only one of them can exist in the cluster` });
  };
  for (const { file, object } of items) {
    const name = object?.metadata?.name;
    if (typeof object?.kind !== 'string' || typeof object?.apiVersion !== 'string' || typeof name !== 'string') continue;
    const namespace = namespaceOf(object);
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    see(`${group} ${object.kind} ${namespace}/${name}`, `${object.kind} ${namespace}/${name}`, file, object, '/metadata/name');
    if (object.kind !== 'VirtualMachine' || !Array.isArray(object.spec?.dataVolumeTemplates)) continue;
    object.spec.dataVolumeTemplates.forEach((template: any, i: number) => {
      const dataVolume = template?.metadata?.name;
      if (typeof dataVolume === 'string') {
        see(`cdi.kubevirt.io DataVolume ${namespace}/${dataVolume}`, `DataVolume ${namespace}/${dataVolume}`, file, object, `/spec/dataVolumeTemplates/${i}/metadata/name`);
      }
    });
  }
  return findings;
}
