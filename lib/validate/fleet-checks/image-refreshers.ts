import { checkDataVolumeSpec } from '../admission/data-volume';
import { CloudConfigSchema } from '../cloud-config';
import { Finding, ManifestObject } from '../finding';
import { KubernetesSchemas } from '../kubernetes-schemas';
import { arrayAt, isObject, namespaceOf } from '../manifest-values';
import { Report, reporterFor } from '../report';
import { SHIPPED_SCHEMA_DIR } from '../schema-dir';

// A RunnerImage's refresher (lib/cluster/entries/image-refresher.ts) bakes from the templates in its
// ConfigMap, beside config.json: the bake's DataVolume and VirtualMachine and its cloud-config. It
// reads and checks them before its first request and exits 2 on one it cannot bake from (every
// refresh then fails and the fleet goes stale): the DataVolume must be the synthesized volume
// (`volumeName`), the VirtualMachine its bake VM `<volumeName>-bake` with that volume as `rootdisk`
// and the Secret of that name as its cloud-init, and the cloud-config must hold the synthesized
// runner package, which the refresher swaps for the new one. What it creates from them must pass the
// API server (the JSON schemas, CDI's DataVolume rules) and cloud-init. The warm pools it re-points
// must exist, or every refresh fails at the pool's 404 after its bake.

type Json = Record<string, any>;

let schemas: KubernetesSchemas | undefined;
let cloudConfigSchema: CloudConfigSchema | undefined;

export function checkImageRefreshers(items: readonly ManifestObject[]): Finding[] {
  const objects = items.map((i) => i.object);
  const findings: Finding[] = [];
  for (const item of items) {
    const data = item.object?.apiVersion === 'v1' && item.object?.kind === 'ConfigMap' && isObject(item.object.data) ? item.object.data : undefined;
    if (typeof data?.['image-refresher.js'] !== 'string') continue;
    const config = parse(data['config.json']);
    if (!isObject(config)) continue; // a config that is not JSON is the entry's own refusal, reported by no rule here
    const report = reporterFor(findings, item);
    const volumeName = String(config.volumeName);
    const bake = `${volumeName}-bake`;
    const file = (field: string) => (typeof config.templates?.[field] === 'string' ? config.templates[field].slice(config.templates[field].lastIndexOf('/') + 1) : undefined);
    const template = (field: string, kind: string): [Json, string] | undefined => {
      const name = file(field);
      const at = `/data/${name}#`;
      const object = name === undefined ? undefined : parse(data[name]);
      if (!isObject(object)) {
        report(name === undefined ? `/data/config.json#/templates/${field}` : at, `the image refresher's ${kind} template ${name ?? `(templates.${field})`} is missing or not JSON: every refresh fails`);
        return undefined;
      }
      if (object.kind !== kind) {
        report(`${at}/kind`, `the image refresher's template must be a ${kind}, got ${JSON.stringify(object.kind)}: every refresh fails`);
        return undefined;
      }
      schemas ??= new KubernetesSchemas(SHIPPED_SCHEMA_DIR);
      for (const finding of schemas.validate({ file: item.file, object })) report(`${at}${finding.path === '/' ? '' : finding.path}`, finding.message);
      return [object, at];
    };

    const dataVolume = template('dataVolumeFile', 'DataVolume');
    if (dataVolume) {
      const [object, at] = dataVolume;
      if (object.metadata?.name !== volumeName) report(`${at}/metadata/name`, `the image refresher bakes from the DataVolume ${volumeName} (its volumeName), this is ${JSON.stringify(object.metadata?.name)}: every refresh fails`);
      checkDataVolumeSpec(object.spec ?? {}, `${at}/spec`, report);
    }
    const bakeVm = template('bakeVmFile', 'VirtualMachine');
    if (bakeVm) checkBakeVm(bakeVm[0], bakeVm[1], volumeName, bake, report);
    checkUserData(data, file('userDataFile'), config, report);

    arrayAt(config.warmPools).forEach((pool: unknown, i: number) => {
      if (!objects.some((o) => o?.kind === 'VirtualMachinePool' && o.metadata?.name === pool && namespaceOf(o) === namespaceOf(item.object))) {
        report(`/data/config.json#/warmPools/${i}`, `the image refresher re-points VirtualMachinePool '${namespaceOf(item.object)}/${String(pool)}', which is not in the output: every refresh fails with 404 after its bake`);
      }
    });
  }
  return findings;
}

function checkBakeVm(vm: Json, at: string, volumeName: string, bake: string, report: Report): void {
  if (vm.metadata?.name !== bake) report(`${at}/metadata/name`, `the image refresher's bake VirtualMachine must be ${bake} (the bake of volumeName), got ${JSON.stringify(vm.metadata?.name)}: every refresh fails`);
  const volumes = arrayAt(vm.spec?.template?.spec?.volumes);
  if (volumes.find((v: any) => v?.name === 'rootdisk')?.dataVolume?.name !== volumeName) {
    report(`${at}/spec/template/spec/volumes`, `the image refresher's bake VirtualMachine needs a volume 'rootdisk' of dataVolume ${volumeName}: every refresh fails`);
  }
  if (!volumes.some((v: any) => v?.cloudInitNoCloud?.secretRef?.name === bake)) {
    report(`${at}/spec/template/spec/volumes`, `the image refresher's bake VirtualMachine needs a cloudInitNoCloud volume with secretRef ${bake}: every refresh fails`);
  }
}

function checkUserData(data: Json, name: string | undefined, config: Json, report: Report): void {
  const text = name === undefined ? undefined : data[name];
  const at = `/data/${name}#`;
  if (typeof text !== 'string' || !text.startsWith('#cloud-config\n')) {
    report(name === undefined ? '/data/config.json#/templates/userDataFile' : at, "the image refresher's bake cloud-config is missing or does not start with #cloud-config: every refresh fails");
    return;
  }
  const missing = ['downloadUrl', 'sha256', 'version'].filter((field) => typeof config.release?.[field] !== 'string' || !text.includes(config.release[field]));
  if (missing.length > 0) {
    report(at, `the image refresher's bake cloud-config does not hold release.${missing.join(', release.')} of its config.json: the refresher swaps that package for the new one, and refuses to bake`);
  }
  cloudConfigSchema ??= new CloudConfigSchema(SHIPPED_SCHEMA_DIR);
  for (const problem of cloudConfigSchema.validate(text)) report(`${at}${problem.path}`, problem.message);
}

function parse(text: unknown): unknown {
  try {
    return typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
