import { selectorMatches } from '../../private/network-policy';
import { isObject } from '../manifest-values';
import { Report } from '../report';
import { checkObjectMeta } from './object-meta';
import { checkVirtualMachine } from './virtual-machine';

/** A Report that moves each finding's path from below `from` to below `to`. */
export function rebased(report: Report, from: string, to: string): Report {
  return (path, message) => report(path === from || path.startsWith(`${from}/`) ? `${to}${path.slice(from.length)}` : `${to}${path}`, message);
}

// KubeVirt pkg/virt-api/webhooks/validating-webhook/admitters/vmpool-admitter.go ValidateVMPoolSpec:
// a selector is required and must match the labels of virtualMachineTemplate ("selector does not
// match labels"); the template's spec goes through ValidateVirtualMachineSpec, the VM admission rules.
export function checkVirtualMachinePool(pool: any, report: Report): void {
  const spec = pool.spec ?? {};
  const template = spec.virtualMachineTemplate;
  if (!isObject(spec.selector)) {
    report('/spec/selector', 'a VirtualMachinePool needs a selector');
  } else if (isObject(template) && !selectorMatches(spec.selector, template.metadata?.labels ?? {})) {
    report('/spec/selector', 'the selector does not match the labels of virtualMachineTemplate (KubeVirt rejects the pool)');
  }
  if (!isObject(template)) {
    report('/spec/virtualMachineTemplate', 'a VirtualMachinePool needs a virtualMachineTemplate');
    return;
  }
  checkObjectMeta(template.metadata, '/spec/virtualMachineTemplate/metadata', report, { nameless: true });
  checkVirtualMachine({ metadata: template.metadata, spec: template.spec }, rebased(report, '', '/spec/virtualMachineTemplate'));
}

/**
 * A VirtualMachineInstance template (a launcher's), at `at`: the VM admission rules on its spec, as
 * the VMI the launcher creates from it meets them (vmi-create-admitter.go), the run strategy aside.
 */
export function checkVmiTemplate(vmi: any, at: string, report: Report): void {
  checkVirtualMachine({ spec: { runStrategy: 'Once', template: { metadata: vmi?.metadata, spec: vmi?.spec } } }, rebased(report, '/spec/template', at));
}
