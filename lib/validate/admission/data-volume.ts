import { arrayAt, quantity } from '../manifest-values';
import { Report } from '../report';

// A DataVolume's spec, standalone or as a VM's dataVolumeTemplate: what CDI's webhook admits.

const MIB = 2 ** 20;
const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const DATA_VOLUME_SOURCES = ['http', 's3', 'gcs', 'registry', 'pvc', 'upload', 'blank', 'imageio', 'vddk', 'snapshot'];
const URL_SCHEMES = ['http:', 'https:', 'gs:'];
const REGISTRY_SCHEMES = ['docker:', 'oci-archive:'];
const CHECKSUM_HEX_LENGTH: Record<string, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

// CDI pkg/apiserver/webhooks/datavolume-validate.go validateDataVolumeSpec (storage or pvc, the size
// rules of validateStorageSize, validateStorageClassName, access modes, external population, exactly
// one of source and sourceRef, validateSourceRef, and the source checks in util.go:
// validateNumberOfSources, validateHTTPSource / validateSourceURL / validateChecksum,
// validateDataVolumeSourceRegistry, validateBlankSource; the schema requires a clone source's
// namespace and name).
// KubeVirt's ValidateDataVolumeTemplate repeats the first of these for templates.
export function checkDataVolumeSpec(spec: any, at: string, report: Report): void {
  if (spec.pvc === undefined && spec.storage === undefined) {
    report(at, 'a DataVolume needs storage (or pvc)');
    return;
  }
  if (spec.pvc !== undefined && spec.storage !== undefined) {
    report(at, 'set storage or pvc, not both');
    return;
  }
  const target = spec.storage !== undefined ? 'storage' : 'pvc';
  const claim = spec[target] ?? {};
  const source = spec.source;
  const isClone = spec.sourceRef !== undefined || source?.pvc !== undefined || source?.snapshot !== undefined;
  const sizeText = claim.resources?.requests?.storage;
  const size = quantity(sizeText);
  const sizeAt = `${at}/${target}/resources/requests/storage`;
  if (sizeText === undefined) {
    if (target === 'pvc' || !isClone) report(sizeAt, 'the size is missing (only a clone with storage may leave it out)');
  } else if (size !== undefined && size <= 0) {
    report(sizeAt, `size ${sizeText} must be more than zero`);
  } else if (size !== undefined && Math.ceil(size) < MIB) {
    report(sizeAt, `size ${sizeText} is below CDI's minimum of 1Mi`);
  }
  if (typeof claim.storageClassName === 'string' && claim.storageClassName.length > 253) {
    report(`${at}/${target}/storageClassName`, 'storageClassName is longer than 253 characters');
  }
  const modes = arrayAt(claim.accessModes);
  if (target === 'pvc' && modes.length !== 1) report(`${at}/pvc/accessModes`, `pvc needs exactly one access mode, got ${modes.length}`);
  modes.forEach((mode, i) => {
    if (!ACCESS_MODES.includes(mode)) report(`${at}/${target}/accessModes/${i}`, `access mode ${JSON.stringify(mode)} is not one of ${ACCESS_MODES.join(', ')}`);
  });
  if (claim.dataSource !== undefined || claim.dataSourceRef !== undefined) {
    if (source !== undefined || spec.sourceRef !== undefined) report(at, 'an externally populated DataVolume (dataSource/dataSourceRef) cannot have source or sourceRef');
    return;
  }
  if ((source === undefined) === (spec.sourceRef === undefined)) {
    report(at, source === undefined ? 'a DataVolume needs source or sourceRef' : 'set source or sourceRef, not both');
    return;
  }
  if (spec.sourceRef !== undefined) {
    if (spec.sourceRef.kind !== 'DataSource') report(`${at}/sourceRef/kind`, `sourceRef kind ${JSON.stringify(spec.sourceRef.kind)} is not DataSource, the only kind CDI supports`);
    else if (!spec.sourceRef.name) report(`${at}/sourceRef/name`, 'sourceRef needs a name');
    return;
  }
  const kinds = DATA_VOLUME_SOURCES.filter((kind) => source?.[kind] !== undefined && source[kind] !== null);
  if (kinds.length !== 1) {
    report(`${at}/source`, kinds.length === 0 ? 'source names no source (http, registry, pvc, blank, ...)' : `source has exactly one kind, this one has ${kinds.join(' and ')}`);
    return;
  }
  checkDataVolumeSource(kinds[0], source[kinds[0]] ?? {}, spec.contentType, `${at}/source/${kinds[0]}`, report);
}

function checkDataVolumeSource(kind: string, source: any, contentType: unknown, at: string, report: Report): void {
  if (kind === 'http' || kind === 's3' || kind === 'gcs' || kind === 'imageio' || kind === 'vddk') {
    const problem = sourceUrlProblem(source.url);
    if (problem) report(`${at}/url`, problem);
  }
  if (kind === 'http' && source.checksum) {
    const problem = checksumProblem(String(source.checksum));
    if (problem) report(`${at}/checksum`, problem);
  }
  if (kind === 'blank' && contentType === 'archive') report(at, 'a blank disk cannot have contentType archive');
  if (kind === 'registry') {
    if (contentType !== undefined && contentType !== '' && contentType !== 'kubevirt') report(at, 'a registry source needs contentType kubevirt');
    if ((source.url === undefined) === (source.imageStream === undefined)) report(at, 'a registry source has url or imageStream, exactly one');
    else if (source.url !== undefined && !REGISTRY_SCHEMES.includes(schemeOf(source.url) ?? '')) {
      report(`${at}/url`, `registry url ${JSON.stringify(source.url)} must start with docker:// or oci-archive://`);
    }
    if (source.pullMethod !== undefined && source.pullMethod !== 'pod' && source.pullMethod !== 'node') {
      report(`${at}/pullMethod`, `pullMethod ${JSON.stringify(source.pullMethod)} is neither pod nor node`);
    } else if (source.imageStream !== undefined && source.pullMethod !== 'node') {
      report(`${at}/pullMethod`, 'an imageStream source needs pullMethod node');
    }
  }
}

// CDI util.go validateSourceURL: url.ParseRequestURI with an http, https or gs scheme.
function sourceUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return 'the source URL is empty';
  const scheme = schemeOf(url);
  if (scheme === undefined) return `${JSON.stringify(url)} is not a valid URL`;
  return URL_SCHEMES.includes(scheme) ? undefined : `URL scheme of ${JSON.stringify(url)} is not http, https or gs`;
}

// CDI pkg/util/checksum/checksum.go ParseAndValidate.
function checksumProblem(checksum: string): string | undefined {
  const separator = checksum.indexOf(':');
  if (separator < 0) return `checksum ${JSON.stringify(checksum)} is not 'algorithm:hash'`;
  const algorithm = checksum.slice(0, separator).trim().toLowerCase();
  const hash = checksum.slice(separator + 1).trim().toLowerCase();
  const length = CHECKSUM_HEX_LENGTH[algorithm];
  if (length === undefined) return `checksum algorithm ${JSON.stringify(algorithm)} is not one of md5, sha1, sha256, sha512`;
  if (hash.length !== length || !/^[0-9a-f]*$/.test(hash)) return `a ${algorithm} checksum is ${length} hex characters`;
  return undefined;
}

function schemeOf(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}
