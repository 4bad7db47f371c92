import type { ImageRefresherConfig, RunnerPackage } from '../contract';
import { GitHubError } from '../runtime/errors';
import { describeAnswer, settledAnswer } from '../runtime/github';
import { exchange, isObject, type HttpAnswer } from '../runtime/http';
import type { Logger } from '../runtime/log';
import type { Proxy } from '../runtime/proxy';
import { withRetries } from '../runtime/retry';
import { compareVersions, releaseFacts, type GitHubRelease, type RunnerReleaseFacts } from '../runtime/runner-releases';

// Which runner release a refresh bakes: the newest release of actions/runner (or the pinned one),
// read from GitHub's public releases API without a credential (the refresher holds none, and
// GitHubClient always sends one), with the runtime's retry policy and GitHub's rate limits (an unauthenticated caller gets 60 requests an hour
// per address: a run makes one), through the proxy when there is one. The release's checksum comes
// only from its notes' marked SHA block; a release without it is refused, and so is a version older
// than the one in use.

export const DEFAULT_RELEASES_API_URL = 'https://api.github.com/repos/actions/runner/releases';
const API_VERSION = '2022-11-28';

export interface ReleasesAccess {
  /** Without a trailing slash. */
  readonly apiUrl: string;
  readonly log: Logger;
  readonly retryBaseDelayMs: number;
  readonly signal: AbortSignal;
  readonly proxy?: Proxy;
}

/** GET `<apiUrl>/latest`, or `<apiUrl>/tags/v<version>` for a pinned version: the release object. */
export async function fetchRelease(access: ReleasesAccess, version: string | undefined): Promise<GitHubRelease> {
  const { apiUrl, log, retryBaseDelayMs, signal, proxy } = access;
  const url = version === undefined ? `${apiUrl}/latest` : `${apiUrl}/tags/v${encodeURIComponent(version)}`;
  const what = version === undefined ? `read the latest release of actions/runner from ${url}` : `read release v${version} of actions/runner from ${url}`;
  const answer = await withRetries(what, log, { baseDelayMs: retryBaseDelayMs, signal }, async () => {
    const reply = await exchange({
      url, method: 'GET', headers: { 'Accept': 'application/vnd.github+json', 'X-GitHub-Api-Version': API_VERSION }, client: 'image-refresher', signal,
      agent: proxy ? proxy.agentFor(url) : false,
      tlsProblem: `the releases API at ${apiUrl} is not trusted (a mirror with a private CA needs NODE_EXTRA_CA_CERTS)`,
    });
    return settledAnswer(what, reply, retryBaseDelayMs);
  });
  if (answer.status === 404 && version !== undefined) {
    throw new GitHubError(what, 404, describeAnswer(answer), `runnerVersion ${version} is not a published release of actions/runner: pin a version listed at https://github.com/actions/runner/releases`);
  }
  if (answer.status !== 200) throw new GitHubError(what, answer.status, describeAnswer(answer), refusalHint(answer));
  return releaseOf(answer, what);
}

function refusalHint(answer: HttpAnswer): string {
  if (answer.status === 404) return 'actions/runner has no published release there: is releasesApiUrl the releases API of actions/runner (or a mirror with its wire format)?';
  if (answer.status === 401 || answer.status === 403) return 'the releases API of a public repository needs no credential: a proxy or mirror in between refused it';
  return '';
}

function releaseOf(answer: HttpAnswer, what: string): GitHubRelease {
  const json = answer.json;
  const nullableString = (value: unknown) => value === null || value === undefined || typeof value === 'string';
  if (!isObject(json) || typeof json.tag_name !== 'string' || typeof json.draft !== 'boolean' || typeof json.prerelease !== 'boolean'
    || !nullableString(json.published_at) || !nullableString(json.body) || !nullableString(json.name)) {
    throw new GitHubError(what, answer.status, 'the answer is not a release object (tag_name, draft, prerelease, published_at, body)', '');
  }
  return json as unknown as GitHubRelease;
}

/** The release to bake and its package, or why this run bakes nothing. */
export type ReleaseDecision =
  | { readonly bake: true; readonly facts: RunnerReleaseFacts; readonly runnerPackage: RunnerPackage }
  | { readonly bake: false; readonly why: string };

/**
 * What to do with `release` when `inUse` is the version the fleet runs: a release without the
 * published checksum of `linux-<arch>` is refused (an Error), and so is one older than `inUse`; the
 * same version is nothing to do.
 */
export function decide(config: Pick<ImageRefresherConfig, 'arch' | 'downloadBaseUrl' | 'runnerVersion'>, release: GitHubRelease, inUse: string): ReleaseDecision {
  const platform = `linux-${config.arch}`;
  const facts = releaseFacts(release, [platform]);
  const asked = config.runnerVersion === undefined ? 'the latest release of actions/runner' : `the pinned runnerVersion ${config.runnerVersion}`;
  if ('refused' in facts) throw new Error(`refusing ${asked}: ${facts.refused}; nothing was changed`);
  if (config.runnerVersion !== undefined && facts.version !== config.runnerVersion) {
    throw new Error(`refusing ${asked}: the releases API answered the release ${facts.version}; nothing was changed`);
  }
  const order = compareVersions(facts.version, inUse);
  if (order < 0) {
    throw new Error(`refusing ${asked}: ${facts.version} is older than ${inUse}, the runner version in use; nothing was changed (the refresher never rolls a fleet back)`);
  }
  if (order === 0) return { bake: false, why: `nothing newer: ${asked} is ${facts.version}, the runner version in use` };
  const downloadUrl = `${config.downloadBaseUrl}/v${facts.version}/actions-runner-${platform}-${facts.version}.tar.gz`;
  return { bake: true, facts, runnerPackage: { version: facts.version, sha256: facts.sha256[platform], downloadUrl } };
}
