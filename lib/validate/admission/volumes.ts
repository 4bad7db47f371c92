import { arrayAt, isObject } from '../manifest-values';
import { Report } from '../report';
import { isBase64, VMI } from './vmi-values';

const VOLUME_SOURCES = [
  'persistentVolumeClaim', 'sysprep', 'cloudInitNoCloud', 'cloudInitConfigDrive', 'containerDisk', 'ephemeral', 'emptyDisk', 'hostDisk',
  'dataVolume', 'configMap', 'secret', 'downwardAPI', 'serviceAccount', 'downwardMetrics', 'memoryDump', 'containerPath',
];
const CLOUD_INIT_NETWORK_MAX_BYTES = 2048;

// KubeVirt vmi-create-admitter.go validateVolumes: unique names, exactly one source, a DataVolume
// name, a secretName, and for cloud-init volumes one user-data source (inline, base64 or Secret),
// valid base64, at most 2048 bytes of inline network data, and some data at all. (Inline user-data
// over 2048 bytes is checkFleet's.)
export function checkVolumes(vmi: any, report: Report): void {
  const seen = new Map<string, number>();
  arrayAt(vmi.volumes).forEach((volume: any, i: number) => {
    const at = `${VMI}/volumes/${i}`;
    const name = volume?.name;
    if (seen.has(name)) report(`${at}/name`, `volume name '${name}' is already used by volumes/${seen.get(name)}`);
    else seen.set(name, i);
    const sources = VOLUME_SOURCES.filter((s) => volume?.[s] !== undefined && volume[s] !== null);
    if (sources.length !== 1) {
      report(at, sources.length === 0 ? 'a volume needs a source (dataVolume, cloudInitNoCloud, secret, ...)' : `a volume has exactly one source, this one has ${sources.join(' and ')}`);
    }
    if (volume?.dataVolume && !volume.dataVolume.name) report(`${at}/dataVolume/name`, 'a dataVolume volume needs the DataVolume\'s name');
    if (volume?.secret && !volume.secret.secretName) report(`${at}/secret/secretName`, 'a secret volume needs a secretName');
    for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
      if (isObject(volume?.[source])) checkCloudInitSource(volume[source], `${at}/${source}`, report);
    }
  });
}

function checkCloudInitSource(source: any, at: string, report: Report): void {
  const userData = [Boolean(source.userData), Boolean(source.userDataBase64), Boolean(source.secretRef?.name)].filter(Boolean).length;
  const networkData = [Boolean(source.networkData), Boolean(source.networkDataBase64), Boolean(source.networkDataSecretRef?.name)].filter(Boolean).length;
  if (userData > 1) report(at, 'set one user-data source: userData, userDataBase64 or secretRef');
  if (networkData > 1) report(at, 'set one network-data source: networkData, networkDataBase64 or networkDataSecretRef');
  if (userData === 0 && networkData === 0) report(at, 'a cloud-init volume needs user-data or network data');
  for (const field of ['userDataBase64', 'networkDataBase64']) {
    if (source[field] && !isBase64(source[field])) report(`${at}/${field}`, `${field} is not valid base64`);
  }
  const network = source.networkData ?? (source.networkDataBase64 && isBase64(source.networkDataBase64) ? Buffer.from(source.networkDataBase64, 'base64').toString() : undefined);
  if (typeof network === 'string' && Buffer.byteLength(network) > CLOUD_INIT_NETWORK_MAX_BYTES) {
    report(at, `inline network data is ${Buffer.byteLength(network)} bytes; KubeVirt accepts at most ${CLOUD_INIT_NETWORK_MAX_BYTES}: use networkDataSecretRef`);
  }
}
