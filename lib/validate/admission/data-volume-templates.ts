import { isDnsSubdomain } from '../../private/names';
import { arrayAt } from '../manifest-values';
import { Report } from '../report';
import { checkDataVolumeSpec } from './data-volume';
import { checkObjectMeta } from './object-meta';

// KubeVirt pkg/storage/admitters/data-volume-template.go ValidateDataVolumeTemplate and
// validateVirtualMachineDataVolumeTemplateNamespace; each template also becomes a DataVolume that CDI
// admits when the VM starts (checkDataVolumeSpec).
export function checkDataVolumeTemplates(vm: any, report: Report): void {
  const templates: any[] = Array.isArray(vm.spec?.dataVolumeTemplates) ? vm.spec.dataVolumeTemplates : [];
  if (templates.length === 0) return;
  const referenced = new Set<string>();
  for (const volume of arrayAt(vm.spec?.template?.spec?.volumes)) {
    if (volume?.dataVolume?.name) referenced.add(volume.dataVolume.name);
    if (volume?.persistentVolumeClaim?.claimName) referenced.add(volume.persistentVolumeClaim.claimName);
  }
  templates.forEach((template, i) => {
    const at = `/spec/dataVolumeTemplates/${i}`;
    const name = template?.metadata?.name;
    if (!name) {
      report(`${at}/metadata/name`, 'a dataVolumeTemplate needs a name');
      return;
    }
    if (!isDnsSubdomain(name)) report(`${at}/metadata/name`, `name ${JSON.stringify(name)} is not a DNS-1123 subdomain: the DataVolume and its PVC cannot be created`);
    const namespace = template.metadata.namespace;
    if (namespace !== undefined && namespace !== '' && namespace !== (vm.metadata?.namespace ?? namespace)) {
      report(`${at}/metadata/namespace`, `dataVolumeTemplate namespace ${namespace} differs from the VM's namespace ${vm.metadata.namespace}`);
    }
    checkObjectMeta(template.metadata, `${at}/metadata`, report, { nameless: true });
    if (!referenced.has(name)) {
      report(at, `dataVolumeTemplate '${name}' is not used by any volume of the VM (KubeVirt requires each one in spec.template.spec.volumes)`);
    }
    checkDataVolumeSpec(template.spec ?? {}, `${at}/spec`, report);
  });
}
