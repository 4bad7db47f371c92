import { ARCH_NAME, Distribution, RunnerArch } from './platform';
import { brandOf, hasBrand, setBrand } from './private/brand';
import { validateEnum } from './private/validators';
import { deepFreeze } from './private/freeze';
import { validateDnsLabel, validateDnsSubdomain } from './private/names';
import { validateUrl } from './private/url';
import { OS_RELEASES } from './private/versions';

/** A CDI DataVolume source, in the wire format shared by DataVolumes and `dataVolumeTemplates`. */
export interface DataVolumeSourceJson {
  /** Import over http(s), optionally verified by CDI against a checksum. @default - not an http source */
  readonly http?: { readonly url: string; readonly checksum?: string; readonly secretRef?: string; readonly certConfigMap?: string };
  /** Import a containerdisk from a registry. @default - not a registry source */
  readonly registry?: { readonly url: string; readonly pullMethod?: string; readonly secretRef?: string; readonly certConfigMap?: string };
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

/** Access to a private image source: credentials and a CA, in objects you create out of band. */
export interface PrivateSourceOptions {
  /**
   * Name of a Secret in the DataVolume's namespace with the source's credentials (CDI `secretRef`:
   * keys `accessKeyId` and `secretKey`). Credentials never go in the URL.
   * @default - no credentials
   */
  readonly secretRef?: string;
  /** Name of a ConfigMap with the CA certificate that signs the source's TLS certificate (CDI `certConfigMap`). @default - the system CAs */
  readonly certConfigMap?: string;
}

/** Options of an image imported over HTTP(S). */
export interface HttpImageOptions extends OsImageOptions, PrivateSourceOptions {
  /**
   * Expected checksum as CDI accepts it, `sha256:<hex>` (also md5, sha1, sha512): the importer
   * refuses a download that does not match.
   * @default - not verified
   */
  readonly checksum?: string;
}

/** Options of an image pulled from a container registry (a containerdisk). */
export interface RegistryImageOptions extends OsImageOptions, PrivateSourceOptions {
  /** `node` pulls through the node's container runtime (cached); `pod` through the importer pod. @default - CDI's default ('pod') */
  readonly pullMethod?: 'node' | 'pod';
}

/** Options of the preset cloud images. */
export interface PresetImageOptions {
  /** CPU architecture of the image. @default RunnerArch.X64 */
  readonly arch?: RunnerArch;
}

/** What kind of source an OsImage is. */
export type OsImageKind = 'http' | 'registry' | 'pvc' | 'dataSource' | 'blank';

const CHECKSUM = /^(md5:[0-9a-f]{32}|sha1:[0-9a-f]{40}|sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
const BRAND = brandOf('OsImage');

/**
 * Where a runner's operating-system disk comes from: an image imported over HTTP, a containerdisk
 * in a registry, an existing PVC or DataSource to clone, or a blank disk.
 */
export class OsImage {
  /**
   * Ubuntu 26.04 LTS (resolute) cloud image, the current daily-built release from cloud-images.ubuntu.com:
   * what GitHub's `ubuntu-latest` runs since November 2026. Its runner must be 2.335.0 or later.
   */
  public static ubuntu2604(options: PresetImageOptions = {}): OsImage {
    return OsImage.ubuntuCloudImage('OsImage.ubuntu2604', 'resolute', options);
  }

  /** Ubuntu 24.04 LTS (noble) cloud image, the current daily-built release from cloud-images.ubuntu.com. */
  public static ubuntu2404(options: PresetImageOptions = {}): OsImage {
    return OsImage.ubuntuCloudImage('OsImage.ubuntu2404', 'noble', options);
  }

  /** Ubuntu 22.04 LTS (jammy) cloud image from cloud-images.ubuntu.com. */
  public static ubuntu2204(options: PresetImageOptions = {}): OsImage {
    return OsImage.ubuntuCloudImage('OsImage.ubuntu2204', 'jammy', options);
  }

  /** Debian 12 (bookworm) generic cloud image from cloud.debian.org. */
  public static debian12(options: PresetImageOptions = {}): OsImage {
    const arch = validateEnum('OsImage.debian12', 'arch', RunnerArch, options.arch ?? RunnerArch.X64);
    return OsImage.http(
      `https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-${ARCH_NAME[arch]}.qcow2`,
      { distribution: Distribution.DEBIAN, arch });
  }

  /** An image (qcow2, raw, optionally compressed) imported by CDI from an http(s) URL. */
  public static http(url: string, options: HttpImageOptions): OsImage {
    const owner = 'OsImage.http';
    validateUrl(owner, 'url', url, { protocols: ['http:', 'https:'], query: true });
    if (options?.checksum !== undefined && !CHECKSUM.test(options.checksum)) {
      throw new Error(`${owner} 'checksum' must be 'sha256:<64 hex>' (or md5:, sha1:, sha512:), got ${JSON.stringify(options.checksum)}`);
    }
    return new OsImage(owner, 'http', options, {
      source: { http: { url, ...(options.checksum ? { checksum: options.checksum } : {}), ...privateSource(owner, options) } },
    }, undefined, options.secretRef);
  }

  /** A containerdisk image in a registry, e.g. `docker://quay.io/containerdisks/ubuntu:24.04`. */
  public static registry(url: string, options: RegistryImageOptions): OsImage {
    const owner = 'OsImage.registry';
    validateUrl(owner, 'url', url, { protocols: ['docker:', 'oci-archive:'] });
    if (options?.pullMethod !== undefined && !['node', 'pod'].includes(options.pullMethod)) {
      throw new Error(`${owner} 'pullMethod' must be 'node' or 'pod', got ${JSON.stringify(options.pullMethod)}`);
    }
    return new OsImage(owner, 'registry', options, {
      source: { registry: { url, ...(options.pullMethod ? { pullMethod: options.pullMethod } : {}), ...privateSource(owner, options) } },
    }, undefined, options.secretRef);
  }

  /** Clones an existing PersistentVolumeClaim that you keep (for example a golden image you maintain). */
  public static pvc(namespace: string, name: string, options: OsImageOptions): OsImage {
    validateDnsLabel('OsImage.pvc', 'namespace', namespace);
    validateDnsSubdomain('OsImage.pvc', 'name', name);
    return new OsImage('OsImage.pvc', 'pvc', options, { source: { pvc: { namespace, name } } }, `${namespace}/${name}`);
  }

  /**
   * Clones a DataVolume synthesized in the same output (`RunnerDisk.asImage()` uses it): unlike
   * `pvc()`, validation then expects that DataVolume in the output.
   */
  public static synthesizedDataVolume(namespace: string, name: string, options: OsImageOptions): OsImage {
    validateDnsLabel('OsImage.synthesizedDataVolume', 'namespace', namespace);
    validateDnsSubdomain('OsImage.synthesizedDataVolume', 'name', name);
    return new OsImage('OsImage.synthesizedDataVolume', 'pvc', options, { source: { pvc: { namespace, name } } });
  }

  /** Clones the volume a CDI DataSource points at (for example one kept fresh by a DataImportCron). */
  public static dataSource(name: string, options: OsImageOptions & { readonly namespace?: string }): OsImage {
    validateDnsSubdomain('OsImage.dataSource', 'name', name);
    if (options?.namespace !== undefined) validateDnsLabel('OsImage.dataSource', 'namespace', options.namespace);
    return new OsImage('OsImage.dataSource', 'dataSource', options, {
      sourceRef: { kind: 'DataSource', name, ...(options.namespace ? { namespace: options.namespace } : {}) },
    }, `DataSource/${options.namespace ?? ''}/${name}`);
  }

  /** An empty disk, for data volumes; it cannot boot a runner. */
  public static blank(): OsImage {
    return new OsImage('OsImage.blank', 'blank', undefined, { source: { blank: {} } });
  }

  /** Whether `x` is an OsImage (of any copy of this library). */
  public static isOsImage(x: unknown): x is OsImage {
    return hasBrand(x, BRAND);
  }

  private static ubuntuCloudImage(owner: string, release: string, options: PresetImageOptions): OsImage {
    const arch = validateEnum(owner, 'arch', RunnerArch, options.arch ?? RunnerArch.X64);
    const url = `https://cloud-images.ubuntu.com/${release}/current/${release}-server-cloudimg-${ARCH_NAME[arch]}.img`;
    return new OsImage(owner, 'http', { distribution: Distribution.UBUNTU, arch }, { source: { http: { url } } }, undefined, undefined,
      OS_RELEASES[release]?.minimumRunnerVersion);
  }

  /** The distribution in the image, undefined for a blank disk. */
  public readonly distribution?: Distribution;
  /** CPU architecture of the image, undefined for a blank disk. */
  public readonly arch?: RunnerArch;

  private constructor(
    owner: string,
    /** What kind of source this is. */
    public readonly kind: OsImageKind,
    options: OsImageOptions | undefined,
    private readonly wire: { readonly source?: DataVolumeSourceJson; readonly sourceRef?: DataVolumeSourceRefJson },
    private readonly externalReference?: string,
    /** The Secret, created out of band, that CDI reads the source's credentials from. */
    public readonly secretRef?: string,
    /** The oldest runner release that supports the image's operating system, when the library knows one. */
    public readonly minimumRunnerVersion?: string,
  ) {
    if (kind !== 'blank') {
      if (typeof options !== 'object' || options === null) {
        throw new Error(`${owner} 'options' must name the image's distribution ({ distribution: Distribution.UBUNTU }), got ${JSON.stringify(options)}`);
      }
      this.distribution = validateEnum(owner, 'distribution', Distribution, options.distribution);
      this.arch = validateEnum(owner, 'arch', RunnerArch, options.arch ?? RunnerArch.X64);
    }
    setBrand(this, BRAND);
    deepFreeze(this.wire);
    Object.freeze(this);
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

function privateSource(owner: string, options: PrivateSourceOptions): { secretRef?: string; certConfigMap?: string } {
  return {
    ...(options.secretRef !== undefined ? { secretRef: validateDnsSubdomain(owner, 'secretRef', options.secretRef) } : {}),
    ...(options.certConfigMap !== undefined ? { certConfigMap: validateDnsSubdomain(owner, 'certConfigMap', options.certConfigMap) } : {}),
  };
}
