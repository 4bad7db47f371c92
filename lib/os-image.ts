import { validateEnum } from './enum-value';
import { validateDnsLabel, validateDnsSubdomain } from './names';
import { RunnerArch } from './runner-release';

/** Guest distributions whose package manager and Docker repository the cloud-config knows. */
export enum Distribution {
  UBUNTU = 'ubuntu',
  DEBIAN = 'debian',
}

/** A CDI DataVolume source, in the wire format shared by DataVolumes and `dataVolumeTemplates`. */
export interface DataVolumeSourceJson {
  /** Import over http(s), optionally verified by CDI against a checksum. @default - not an http source */
  readonly http?: { readonly url: string; readonly checksum?: string };
  /** Import a containerdisk from a registry. @default - not a registry source */
  readonly registry?: { readonly url: string; readonly pullMethod?: string };
  /** Clone a PersistentVolumeClaim. @default - not a clone */
  readonly pvc?: { readonly namespace: string; readonly name: string };
  /** An empty disk. @default - not blank */
  readonly blank?: Record<string, never>;
}

/** An indirect DataVolume source (`spec.sourceRef`). */
export interface DataVolumeSourceRefJson {
  /** The only kind CDI accepts here. */
  readonly kind: 'DataSource';
  /** Name of the DataSource. */
  readonly name: string;
  /** Namespace of the DataSource. @default - the DataVolume's namespace */
  readonly namespace?: string;
}

/** Options common to every OS image. */
export interface OsImageOptions {
  /** The distribution inside the image: decides which Docker apt repository the cloud-config adds. */
  readonly distribution: Distribution;
  /** CPU architecture of the image. @default RunnerArch.X64 */
  readonly arch?: RunnerArch;
}

/** Options of an image imported over HTTP(S). */
export interface HttpImageOptions extends OsImageOptions {
  /**
   * Expected checksum as CDI accepts it, `sha256:<hex>` (also md5, sha1, sha512): the importer
   * refuses a download that does not match.
   * @default - not verified
   */
  readonly checksum?: string;
}

/** Options of an image pulled from a container registry (a containerdisk). */
export interface RegistryImageOptions extends OsImageOptions {
  /** `node` pulls through the node's container runtime (cached); `pod` through the importer pod. @default - CDI's default ('pod') */
  readonly pullMethod?: 'node' | 'pod';
}

/** Options of the preset cloud images. */
export interface PresetImageOptions {
  /** CPU architecture of the image. @default RunnerArch.X64 */
  readonly arch?: RunnerArch;
}

const CHECKSUM = /^(md5:[0-9a-f]{32}|sha1:[0-9a-f]{40}|sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
const DEBIAN_ARCH: Record<RunnerArch, string> = { [RunnerArch.X64]: 'amd64', [RunnerArch.ARM64]: 'arm64' };

/**
 * Where a runner's operating-system disk comes from: an image imported over HTTP, a containerdisk
 * in a registry, an existing PVC or DataSource to clone, or a blank disk.
 */
export class OsImage {
  /** Ubuntu 24.04 LTS (noble) cloud image, the current daily-built release from cloud-images.ubuntu.com. */
  public static ubuntu2404(options: PresetImageOptions = {}): OsImage {
    return OsImage.ubuntuCloudImage('noble', options);
  }

  /** Ubuntu 22.04 LTS (jammy) cloud image from cloud-images.ubuntu.com. */
  public static ubuntu2204(options: PresetImageOptions = {}): OsImage {
    return OsImage.ubuntuCloudImage('jammy', options);
  }

  /** Debian 12 (bookworm) generic cloud image from cloud.debian.org. */
  public static debian12(options: PresetImageOptions = {}): OsImage {
    const arch = options.arch ?? RunnerArch.X64;
    return OsImage.http(
      `https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-${DEBIAN_ARCH[arch]}.qcow2`,
      { distribution: Distribution.DEBIAN, arch });
  }

  /** An image (qcow2, raw, optionally compressed) imported by CDI from an http(s) URL. */
  public static http(url: string, options: HttpImageOptions): OsImage {
    checkUrl('OsImage.http', 'url', url, ['http:', 'https:']);
    if (options.checksum !== undefined && !CHECKSUM.test(options.checksum)) {
      throw new Error(`OsImage.http 'checksum' must be 'sha256:<64 hex>' (or md5:, sha1:, sha512:), got ${JSON.stringify(options.checksum)}`);
    }
    return new OsImage('http', options, {
      source: { http: { url, ...(options.checksum ? { checksum: options.checksum } : {}) } },
    });
  }

  /** A containerdisk image in a registry, e.g. `docker://quay.io/containerdisks/ubuntu:24.04`. */
  public static registry(url: string, options: RegistryImageOptions): OsImage {
    checkUrl('OsImage.registry', 'url', url, ['docker:', 'oci-archive:']);
    return new OsImage('registry', options, {
      source: { registry: { url, ...(options.pullMethod ? { pullMethod: options.pullMethod } : {}) } },
    });
  }

  /** Clones an existing PersistentVolumeClaim that you keep (for example a golden image you maintain). */
  public static pvc(namespace: string, name: string, options: OsImageOptions): OsImage {
    validateDnsLabel('OsImage.pvc', 'namespace', namespace);
    validateDnsSubdomain('OsImage.pvc', 'name', name);
    return new OsImage('pvc', options, { source: { pvc: { namespace, name } } }, `${namespace}/${name}`);
  }

  /**
   * Clones a DataVolume synthesized in the same output (`RunnerDisk.asImage()` uses it): unlike
   * `pvc()`, validation then expects that DataVolume in the output.
   */
  public static synthesizedDataVolume(namespace: string, name: string, options: OsImageOptions): OsImage {
    validateDnsLabel('OsImage.synthesizedDataVolume', 'namespace', namespace);
    validateDnsSubdomain('OsImage.synthesizedDataVolume', 'name', name);
    return new OsImage('pvc', options, { source: { pvc: { namespace, name } } });
  }

  /** Clones the volume a CDI DataSource points at (for example one kept fresh by a DataImportCron). */
  public static dataSource(name: string, options: OsImageOptions & { readonly namespace?: string }): OsImage {
    validateDnsSubdomain('OsImage.dataSource', 'name', name);
    if (options.namespace !== undefined) validateDnsLabel('OsImage.dataSource', 'namespace', options.namespace);
    return new OsImage('dataSource', options, {
      sourceRef: { kind: 'DataSource', name, ...(options.namespace ? { namespace: options.namespace } : {}) },
    }, `DataSource/${options.namespace ?? ''}/${name}`);
  }

  /** An empty disk, for data volumes; it cannot boot a runner. */
  public static blank(): OsImage {
    return new OsImage('blank', undefined, { source: { blank: {} } });
  }

  private static ubuntuCloudImage(release: string, options: PresetImageOptions): OsImage {
    const arch = options.arch ?? RunnerArch.X64;
    return OsImage.http(
      `https://cloud-images.ubuntu.com/${release}/current/${release}-server-cloudimg-${DEBIAN_ARCH[arch]}.img`,
      { distribution: Distribution.UBUNTU, arch });
  }

  /** The distribution in the image, undefined for a blank disk. */
  public readonly distribution?: Distribution;
  /** CPU architecture of the image, undefined for a blank disk. */
  public readonly arch?: RunnerArch;

  private constructor(
    /** What kind of source this is. */
    public readonly kind: 'http' | 'registry' | 'pvc' | 'dataSource' | 'blank',
    options: OsImageOptions | undefined,
    private readonly wire: { readonly source?: DataVolumeSourceJson; readonly sourceRef?: DataVolumeSourceRefJson },
    private readonly externalReference?: string,
  ) {
    if (options) {
      this.distribution = validateEnum('OsImage', 'distribution', Distribution, options.distribution);
      this.arch = validateEnum('OsImage', 'arch', RunnerArch, options.arch ?? RunnerArch.X64);
    }
  }

  /** True when CDI must download the image (http, registry): worth importing once and cloning. */
  public get isImport(): boolean {
    return this.kind === 'http' || this.kind === 'registry';
  }

  /**
   * The cluster object this image clones that the output does not create, as the
   * external-volumes annotation lists it (`NAMESPACE/NAME`, `DataSource/NAMESPACE/NAME`); a
   * DataSource without a namespace is in `defaultNamespace`, the DataVolume's.
   */
  public externalVolume(defaultNamespace: string): string | undefined {
    return this.externalReference?.replace(/^DataSource\/\//, `DataSource/${defaultNamespace}/`);
  }

  /** `spec.source` / `spec.sourceRef` of a DataVolume that holds this image. */
  public toDataVolumeSource(): { readonly source?: DataVolumeSourceJson; readonly sourceRef?: DataVolumeSourceRefJson } {
    return this.wire;
  }
}

function checkUrl(owner: string, prop: string, url: string, protocols: string[]): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol) || /\s/.test(url)) {
    throw new Error(`${owner} '${prop}' must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL, got ${JSON.stringify(url)}`);
  }
}

