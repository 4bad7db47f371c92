import { checkDataVolumeSpec } from '../admission/data-volume';
import { CloudConfigSchema } from '../cloud-config';
import { checkVmiTemplate, rebased } from '../admission/vm-templates';
import { Finding, ManifestObject } from '../finding';
import { KubernetesSchemas } from '../kubernetes-schemas';
import { arrayAt, isObject } from '../manifest-values';
import { Report, reporterFor } from '../report';
import { SHIPPED_SCHEMA_DIR } from '../schema-dir';
import { FleetCheckOptions } from './options';
import { checkCloneSource, checkVirtualMachine } from './virtual-machine';

/** One template a launcher creates objects from, as its ConfigMap holds it. */
export interface LauncherTemplate {
  /** What the launcher creates from it. */
  readonly kind: 'VirtualMachineInstance' | 'DataVolume';
  /** Where it is in the ConfigMap, as a finding path: `/data/vmi.json#`. */
  readonly at: string;
  /** The template, parsed. @default - none: it is not JSON (`problem` says why) */
  readonly object?: any;
  /** Why the template cannot be read. @default - none: it was read */
  readonly problem?: string;
}

// The names the launcher sets per job (the JIT Secret, a per-job DataVolume): placeholders here.
const SET_BY_LAUNCHER = 'set-by-launcher';

/**
 * The templates in a launcher's ConfigMap: the files its config.json names (`vmiTemplateFile`,
 * `dataVolumeTemplateFile`; `vmi.json` and `datavolume.json` by default), or templates held inside
 * the config.json itself (`vmiTemplate`, `dataVolumeTemplate`). The one place that knows where a
 * launcher keeps them.
 */
export function launcherTemplatesOf(configMap: any): LauncherTemplate[] {
  const data = isObject(configMap?.data) ? configMap.data : {};
  // An image refresher's templates (a bake's DataVolume and VM) are checkImageRefreshers'.
  if (typeof data['image-refresher.js'] === 'string') return [];
  let config: any;
  try {
    config = typeof data['config.json'] === 'string' ? JSON.parse(data['config.json']) : undefined;
  } catch {
    config = undefined; // not a launcher's config: other entry points' configs are not this check's
  }
  const fileOf = (field: string, fallback: string) => (typeof config?.[field] === 'string' ? config[field].slice(config[field].lastIndexOf('/') + 1) : fallback);
  const templates: LauncherTemplate[] = [];
  for (const [file, kind] of [[fileOf('vmiTemplateFile', 'vmi.json'), 'VirtualMachineInstance'], [fileOf('dataVolumeTemplateFile', 'datavolume.json'), 'DataVolume']] as const) {
    if (typeof data[file] === 'string') templates.push(parsed(data[file], `/data/${file}#`, kind));
  }
  for (const [field, kind] of [['vmiTemplate', 'VirtualMachineInstance'], ['dataVolumeTemplate', 'DataVolume']] as const) {
    if (config?.[field] !== undefined) templates.push({ kind, at: `/data/config.json#/${field}`, object: config[field] });
  }
  return templates;
}

function parsed(text: string, at: string, kind: LauncherTemplate['kind']): LauncherTemplate {
  try {
    return { kind, at, object: JSON.parse(text) };
  } catch (error) {
    return { kind, at, problem: `not JSON: ${(error as Error).message}` };
  }
}

let schemas: KubernetesSchemas | undefined;
let cloudConfigSchema: CloudConfigSchema | undefined;

/**
 * The launcher's templates are objects the launcher creates per job: each is checked as its kind
 * (the JSON schema, then KubeVirt's VMI or CDI's DataVolume admission rules), its references (the
 * baked image, Secrets) must exist, its inline cloud-config is checked as cloud-init reads it, and the VMI needs the `jit` secret volume the launcher fills in
 * (the launcher refuses a template without it). A template that cannot be read fails every job.
 */
export function checkLauncherTemplates(items: readonly ManifestObject[], present: Set<string>, options: FleetCheckOptions): Finding[] {
  const findings: Finding[] = [];
  for (const item of items) {
    if (item.object?.apiVersion !== 'v1' || item.object?.kind !== 'ConfigMap') continue;
    const report = reporterFor(findings, item);
    for (const template of launcherTemplatesOf(item.object)) {
      if (template.problem !== undefined) {
        report(template.at, `the launcher's ${template.kind} template is ${template.problem}: every job fails`);
        continue;
      }
      const object = template.object;
      if (object?.kind !== template.kind) {
        report(`${template.at}/kind`, `the launcher's template must be a ${template.kind}, got ${JSON.stringify(object?.kind)}`);
        continue;
      }
      schemas ??= new KubernetesSchemas(SHIPPED_SCHEMA_DIR);
      for (const finding of schemas.validate({ file: item.file, object })) report(`${template.at}${finding.path === '/' ? '' : finding.path}`, finding.message);
      if (template.kind === 'VirtualMachineInstance') checkVmi(item.object, object, template.at, present, options, report);
      else {
        checkDataVolumeSpec(object.spec ?? {}, `${template.at}/spec`, report);
        checkCloneSource(item.object, object.spec, `${template.at}/spec`, present, options, report);
      }
    }
  }
  return findings;
}

function checkVmi(configMap: any, vmi: any, at: string, present: Set<string>, options: FleetCheckOptions, report: Report): void {
  checkVmiTemplate(vmi, at, report);
  // Inline user-data of the template is read by cloud-init in every job's guest, as a Secret's is.
  arrayAt(vmi.spec?.volumes).forEach((volume: any, i: number) => {
    for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
      const userData = volume?.[source]?.userData;
      if (typeof userData !== 'string' || !userData.startsWith('#cloud-config')) continue;
      cloudConfigSchema ??= new CloudConfigSchema(SHIPPED_SCHEMA_DIR);
      for (const problem of cloudConfigSchema.validate(userData)) report(`${at}/spec/volumes/${i}/${source}/userData#${problem.path}`, problem.message);
    }
  });
  const jit = arrayAt(vmi.spec?.volumes).find((v: any) => v?.name === 'jit');
  if (!isObject(jit?.secret)) report(`${at}/spec/volumes`, "the launcher's VMI template needs a volume named 'jit' of kind secret (the disk that carries the runner's JIT config)");
  // The references, as a VM's are checked, with the launcher's per-job names left out.
  const volumes = arrayAt(vmi.spec?.volumes).map((v: any) => (v?.secret?.secretName === SET_BY_LAUNCHER || v?.dataVolume?.name === SET_BY_LAUNCHER ? { name: v.name } : v));
  const vm = { metadata: configMap.metadata, spec: { template: { spec: { ...vmi.spec, volumes } } } };
  checkVirtualMachine(vm, present, options, rebased(report, '/spec/template', at));
}
