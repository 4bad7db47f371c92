import { ManifestObject } from '../finding';
import { launcherTemplatesOf } from './launcher-templates';

/** A fleet's runner VM template: its metadata and where it is, and its VMI spec and where that is. */
export interface RunnerTemplate {
  /** The object that holds the template. */
  readonly item: ManifestObject;
  /** Where the template's metadata is in the object. */
  readonly path: string;
  /** The template's metadata. */
  readonly metadata: any;
  /** The template's VMI spec. */
  readonly spec: any;
  /** Where the VMI spec is in the object. */
  readonly specPath: string;
}

// Where runner VMs are templated: a VirtualMachine, a VirtualMachinePool, and the VMI template in a
// launcher ConfigMap (lib/render/launcher-pod.ts) that the scale sets' launcher creates VMIs from.
export function runnerTemplates(items: readonly ManifestObject[]): RunnerTemplate[] {
  const templates: RunnerTemplate[] = [];
  for (const item of items) {
    const object = item.object;
    if (object?.apiVersion === 'kubevirt.io/v1' && object?.kind === 'VirtualMachine' && object.spec?.template) {
      templates.push({ item, path: '/spec/template/metadata', metadata: object.spec.template.metadata, spec: object.spec.template.spec, specPath: '/spec/template/spec' });
    } else if (typeof object?.apiVersion === 'string' && object.apiVersion.startsWith('pool.kubevirt.io/') && object?.kind === 'VirtualMachinePool') {
      const template = object.spec?.virtualMachineTemplate?.spec?.template;
      if (template) {
        templates.push({
          item, path: '/spec/virtualMachineTemplate/spec/template/metadata', metadata: template.metadata,
          spec: template.spec, specPath: '/spec/virtualMachineTemplate/spec/template/spec',
        });
      }
    } else if (object?.apiVersion === 'v1' && object?.kind === 'ConfigMap') {
      for (const { object: vmi, at } of launcherTemplatesOf(object)) {
        if (vmi?.kind === 'VirtualMachineInstance') templates.push({ item, path: `${at}/metadata`, metadata: vmi.metadata, spec: vmi.spec, specPath: `${at}/spec` });
      }
    }
  }
  return templates;
}
