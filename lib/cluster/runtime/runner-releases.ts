// What GitHub's releases API says about actions/runner: the versions, and the SHA-256 of each
// package as the release body publishes it. actions/runner's release workflow fills its
// releaseNote.md template, whose lines read
//   - actions-runner-linux-x64-2.334.0.tar.gz <!-- BEGIN SHA linux-x64 -->048024cd…<!-- END SHA linux-x64 -->
// (.github/workflows/release.yml; the committed template holds placeholders such as <LINUX_X64_SHA>).
// The checksum is only trusted from that marked block: a release without it is refused, never
// guessed. Used by the image refresher in the cluster and by `npm run pins` in the repository.

/** A runner release version: x.y.z, no pre-release. */
export const RUNNER_VERSION_PATTERN = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The fields of a release object of GitHub's REST API that matter here (GET /repos/{owner}/{repo}/releases[/latest|/tags/{tag}]). */
export interface GitHubRelease {
  readonly tag_name: string;
  readonly name?: string | null;
  readonly body?: string | null;
  readonly draft: boolean;
  readonly prerelease: boolean;
  readonly published_at: string | null;
}

/** A runner release with the checksums its body publishes. */
export interface RunnerReleaseFacts {
  readonly version: string;
  /** RFC 3339, as GitHub publishes it. */
  readonly publishedAt: string;
  /** By package platform ('linux-x64', 'linux-arm64', ...): only the ones the body publishes. */
  readonly sha256: Readonly<Record<string, string>>;
}

/** The version a release tag names ('v2.334.0' -> '2.334.0'), or undefined when it is not a plain release version. */
export function versionOfTag(tag: string): string | undefined {
  const version = tag.startsWith('v') ? tag.slice(1) : tag;
  return RUNNER_VERSION_PATTERN.test(version) ? version : undefined;
}

/**
 * -1, 0 or 1 as version a is older than, equal to or newer than b (both x.y.z). lib/private/versions.ts
 * has the same 8 lines on purpose: a bundle holds only lib/cluster sources (its cache is keyed on them),
 * and lib/private, the layering's floor, imports nothing above it.
 */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

/** The SHA-256 in the body's `<!-- BEGIN SHA <platform> -->…<!-- END SHA <platform> -->` block, or undefined. */
export function checksumInBody(body: string, platform: string): string | undefined {
  const begin = `<!-- BEGIN SHA ${platform} -->`;
  const start = body.indexOf(begin);
  if (start < 0) return undefined;
  const end = body.indexOf(`<!-- END SHA ${platform} -->`, start + begin.length);
  if (end < 0) return undefined;
  const value = body.slice(start + begin.length, end).trim();
  return SHA256.test(value) ? value : undefined;
}

/**
 * The facts of one release, or the reason it cannot be used: a draft or pre-release, a tag that is no
 * version, no publication date, or no published checksum for one of `platforms`.
 */
export function releaseFacts(release: GitHubRelease, platforms: readonly string[]): RunnerReleaseFacts | { readonly refused: string } {
  const version = versionOfTag(release.tag_name);
  if (version === undefined) return { refused: `its tag ${JSON.stringify(release.tag_name)} is not a release version x.y.z` };
  if (release.draft || release.prerelease) return { refused: `${version} is a ${release.draft ? 'draft' : 'pre-release'}` };
  if (!release.published_at) return { refused: `${version} has no publication date` };
  const sha256: Record<string, string> = {};
  for (const platform of platforms) {
    const value = checksumInBody(release.body ?? '', platform);
    if (value === undefined) {
      return { refused: `the release notes of ${version} publish no SHA-256 for actions-runner-${platform}-${version}.tar.gz (no <!-- BEGIN SHA ${platform} --> block with 64 hex digits)` };
    }
    sha256[platform] = value;
  }
  return { version, publishedAt: release.published_at, sha256 };
}
