import { RunnerArch } from './platform';
import { brandOf, hasBrand, setBrand } from './private/brand';
import { at, Naming, propLabel } from './private/naming';
import { validateUrl } from './private/url';
import { validateEnum } from './private/validators';
import { compareVersions, DEFAULT_RUNNER_VERSION, RUNNER_RELEASES } from './private/versions';

export { DEFAULT_RUNNER_VERSION };

/**
 * SHA-256 of the published `actions-runner-linux-<arch>-<version>.tar.gz` packages that the library
 * can pin without being told. actions/runner publishes the hashes only in its release notes; the
 * values, their dates and sources are in lib/private/versions.ts (`npm run pins` adds newer ones).
 */
export const KNOWN_RUNNER_CHECKSUMS: Readonly<Record<string, Readonly<Partial<Record<RunnerArch, string>>>>> = Object.freeze(
  Object.fromEntries(Object.entries(RUNNER_RELEASES).filter(([, r]) => r.sha256 !== undefined).map(([version, r]) =>
    [version, Object.freeze({ [RunnerArch.X64]: r.sha256!['linux-x64'], [RunnerArch.ARM64]: r.sha256!['linux-arm64'] })])));

/**
 * The oldest runner github.com accepts for new registrations (GitHub changelog, enforced from
 * 2026-09-25). GitHub Enterprise Server has its own minimum, so this is only checked for github.com.
 */
export const MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM = '2.329.0';

/** Where GitHub publishes runner packages; a mirror with the same layout can replace it. */
export const DEFAULT_RUNNER_DOWNLOAD_BASE_URL = 'https://github.com/actions/runner/releases/download';

export interface RunnerReleaseOptions {
  /** CPU architecture of the runner package; must match the VM's. @default RunnerArch.X64 */
  readonly arch?: RunnerArch;
  /**
   * SHA-256 of the package (64 hex digits), from the release page. Required for versions whose
   * checksum the library does not know.
   * @default - the library's pinned checksum for this version and arch
   */
  readonly sha256?: string;
  /**
   * Base URL of the downloads; the package is fetched from `<base>/v<version>/actions-runner-linux-<arch>-<version>.tar.gz`.
   * Use it for a mirror or an air-gapped cache: the checksum still decides what is installed.
   * @default 'https://github.com/actions/runner/releases/download'
   */
  readonly downloadBaseUrl?: string;
}

const VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const SHA256 = /^[0-9a-f]{64}$/;
const BRAND = brandOf('RunnerRelease');

/** A pinned, checksum-verified actions/runner package. */
export class RunnerRelease {
  /** The runner `version` (for example '2.334.0') for `options.arch`, with its checksum. */
  public static of(version: string, options: RunnerReleaseOptions = {}): RunnerRelease {
    return RunnerRelease.resolve({ owner: 'RunnerRelease' }, version, options);
  }

  /** The library's default version (DEFAULT_RUNNER_VERSION) for `arch`. */
  public static latestKnown(arch: RunnerArch = RunnerArch.X64): RunnerRelease {
    return RunnerRelease.resolve({ owner: 'RunnerRelease' }, DEFAULT_RUNNER_VERSION, { arch });
  }

  /** Whether `x` is a RunnerRelease (of any copy of this library). */
  public static isRunnerRelease(x: unknown): x is RunnerRelease {
    return hasBrand(x, BRAND);
  }

  /**
   * RunnerRelease.of, with errors in the caller's words (`version` -> `release.version`, or
   * RunnerChart's `runnerVersion`).
   * @internal
   */
  public static resolve(naming: Naming, version: string, options: RunnerReleaseOptions): RunnerRelease {
    if (typeof version !== 'string' || !VERSION.test(version)) {
      throw new Error(`${propLabel(naming, 'version')} must be a release version such as '2.334.0', got ${JSON.stringify(version)}`);
    }
    const arch = validateEnum(...at(naming, 'arch'), RunnerArch, options.arch ?? RunnerArch.X64);
    const sha256 = options.sha256 ?? KNOWN_RUNNER_CHECKSUMS[version]?.[arch];
    const sha256Prop = propLabel(naming, 'sha256');
    if (sha256 === undefined) {
      throw new Error(`${sha256Prop} is required for runner ${version} (${arch}): the library has no pinned checksum `
        + `for it; copy the SHA-256 of actions-runner-linux-${arch}-${version}.tar.gz from https://github.com/actions/runner/releases/tag/v${version}`);
    }
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
      throw new Error(`${sha256Prop} must be 64 lower-case hex digits, got ${JSON.stringify(sha256)}`);
    }
    const base = validateUrl(...at(naming, 'downloadBaseUrl'), options.downloadBaseUrl ?? DEFAULT_RUNNER_DOWNLOAD_BASE_URL,
      { protocols: ['https:', 'http:'], base: true }).text;
    return new RunnerRelease(version, arch, sha256, `${base}/v${version}/actions-runner-linux-${arch}-${version}.tar.gz`);
  }

  private constructor(
    /** Version such as '2.334.0'. */
    public readonly version: string,
    /** CPU architecture of the package. */
    public readonly arch: RunnerArch,
    /** Expected SHA-256 of the package, lower-case hex. */
    public readonly sha256: string,
    /** Full download URL of the package. */
    public readonly downloadUrl: string,
  ) {
    setBrand(this, BRAND);
    Object.freeze(this);
  }

  /** True when this version is older than `other` (both 'x.y.z'). */
  public isOlderThan(other: string): boolean {
    return compareVersions(this.version, other) < 0;
  }
}
