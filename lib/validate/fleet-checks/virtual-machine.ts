import { RunStrategy } from '../../kubevirt-options';
import { annotationReferences, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from '../../private/external-references';
import { arrayAt, namespaceOf, objectKey } from '../manifest-values';
import { Report } from '../report';
import { FleetCheckOptions } from './options';

/** KubeVirt rejects inline cloud-init user-data longer than this (virt-api cloudInitUserMaxLen); larger goes in a Secret. */
export const INLINE_USER_DATA_MAX_BYTES = 2048;

const RUN_STRATEGIES: readonly string[] = Object.values(RunStrategy);

export function checkVirtualMachine(vm: any, present: Set<string>, options: FleetCheckOptions, report: Report): void {
  const spec = vm.spec ?? {};
  if (spec.runStrategy !== undefined && !RUN_STRATEGIES.includes(spec.runStrategy)) {
    report('/spec/runStrategy', `runStrategy ${JSON.stringify(spec.runStrategy)} is not one of ${RUN_STRATEGIES.join(', ')}`);
  }
  if (spec.running !== undefined && spec.runStrategy !== undefined) {
    report('/spec/running', "'running' and 'runStrategy' are mutually exclusive; set only runStrategy");
  }
  const vmi = spec.template?.spec ?? {};
  const volumes = arrayAt(vmi.volumes);
  const devices = vmi.domain?.devices ?? {};
  const attached = new Set<string>([...arrayAt(devices.disks), ...arrayAt(devices.filesystems)].map((d: any) => d?.name));
  const volumeNames = new Set(volumes.map((v) => v.name));
  arrayAt(devices.disks).forEach((disk: any, i: number) => {
    if (!volumeNames.has(disk.name)) report(`/spec/template/spec/domain/devices/disks/${i}`, `disk '${disk.name}' has no volume of that name`);
  });
  const networkNames = new Set(arrayAt(vmi.networks).map((n: any) => n?.name));
  arrayAt(devices.interfaces).forEach((iface: any, i: number) => {
    if (!networkNames.has(iface.name)) report(`/spec/template/spec/domain/devices/interfaces/${i}`, `interface '${iface.name}' has no network of that name`);
  });

  const namespace = namespaceOf(vm);
  const templates = new Set(arrayAt(spec.dataVolumeTemplates).map((t: any) => t?.metadata?.name));
  const externalSecrets = new Set([...annotationReferences(vm, EXTERNAL_SECRETS_ANNOTATION), ...(options.externalSecrets ?? [])]);
  const externalVolumes = new Set(options.externalVolumes ?? []);
  const secretExists = (name: string) => externalSecrets.has(name) || present.has(objectKey('Secret', namespace, name));
  const volumeExists = (name: string) => externalVolumes.has(name) || templates.has(name)
    || present.has(objectKey('DataVolume', namespace, name)) || present.has(objectKey('PersistentVolumeClaim', namespace, name));

  volumes.forEach((volume, i) => {
    const at = `/spec/template/spec/volumes/${i}`;
    if (!attached.has(volume.name)) report(at, `volume '${volume.name}' is not attached: no disk or filesystem of that name`);
    if (volume.dataVolume && !volumeExists(volume.dataVolume.name)) {
      report(`${at}/dataVolume/name`, `DataVolume '${volume.dataVolume.name}' is neither a dataVolumeTemplate, in the output, nor declared external`);
    }
    if (volume.persistentVolumeClaim && !volumeExists(volume.persistentVolumeClaim.claimName)) {
      report(`${at}/persistentVolumeClaim/claimName`, `PVC '${volume.persistentVolumeClaim.claimName}' is neither in the output nor declared external`);
    }
    const ephemeral = volume.ephemeral?.persistentVolumeClaim?.claimName;
    if (typeof ephemeral === 'string' && !volumeExists(ephemeral)) {
      report(`${at}/ephemeral/persistentVolumeClaim/claimName`, `PVC '${ephemeral}' (the ephemeral root's base image) is neither in the output nor declared external: the VM never starts`);
    }
    for (const [field, name] of secretReferences(volume)) {
      if (!secretExists(name)) {
        report(`${at}/${field}`, `Secret '${name}' is neither in the output nor declared external (annotation ${EXTERNAL_SECRETS_ANNOTATION})`);
      }
    }
    for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
      const cloudInit = volume[source];
      const inline = cloudInit?.userData ?? (cloudInit?.userDataBase64 ? Buffer.from(cloudInit.userDataBase64, 'base64').toString() : undefined);
      if (inline !== undefined && Buffer.byteLength(inline) > INLINE_USER_DATA_MAX_BYTES) {
        report(`${at}/${source}`, `inline user-data is ${Buffer.byteLength(inline)} bytes; KubeVirt accepts at most ${INLINE_USER_DATA_MAX_BYTES}: put it in a Secret (secretRef)`);
      }
    }
  });
}

// A DataVolume (standalone or a VM's template) that clones a PVC or a DataSource needs that source:
// in the output, or declared external, or CDI waits for it forever.
export function checkCloneSource(owner: any, spec: any, at: string, present: Set<string>, options: FleetCheckOptions, report: Report): void {
  const declared = new Set([...annotationReferences(owner, EXTERNAL_VOLUMES_ANNOTATION), ...(options.externalVolumes ?? [])]);
  const pvc = spec?.source?.pvc;
  if (pvc?.name) {
    const namespace = pvc.namespace ?? namespaceOf(owner);
    const found = present.has(objectKey('DataVolume', namespace, pvc.name)) || present.has(objectKey('PersistentVolumeClaim', namespace, pvc.name))
      || declared.has(`${namespace}/${pvc.name}`) || declared.has(pvc.name);
    if (!found) {
      report(`${at}/source/pvc`, `clone source PVC '${namespace}/${pvc.name}' is neither in the output nor declared external (annotation ${EXTERNAL_VOLUMES_ANNOTATION})`);
    }
  }
  const ref = spec?.sourceRef;
  if (ref?.kind === 'DataSource' && ref.name) {
    const namespace = ref.namespace ?? namespaceOf(owner);
    if (!present.has(objectKey('DataSource', namespace, ref.name)) && !declared.has(`DataSource/${namespace}/${ref.name}`)) {
      report(`${at}/sourceRef`, `DataSource '${namespace}/${ref.name}' is neither in the output nor declared external (annotation ${EXTERNAL_VOLUMES_ANNOTATION})`);
    }
  }
}

function secretReferences(volume: any): Array<[string, string]> {
  const refs: Array<[string, string]> = [];
  if (volume.secret?.secretName) refs.push(['secret/secretName', volume.secret.secretName]);
  for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
    if (volume[source]?.secretRef?.name) refs.push([`${source}/secretRef/name`, volume[source].secretRef.name]);
    if (volume[source]?.networkDataSecretRef?.name) refs.push([`${source}/networkDataSecretRef/name`, volume[source].networkDataSecretRef.name]);
  }
  return refs;
}
