import { createHash } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { RecordedRequest, RecordingServer } from './fake-http';

// GitHub's releases API for actions/runner, unauthenticated, as the image refresher and `npm run
// pins` read it: a real HTTP(S) server on 127.0.0.1 serving
//   GET /repos/actions/runner/releases              newest first, ?per_page (max 100) & ?page, Link header
//   GET /repos/actions/runner/releases/latest       the newest published release that is neither a draft nor a pre-release
//   GET /repos/actions/runner/releases/tags/{tag}   one published release by tag (drafts are invisible without push access)
//   GET /repos/actions/runner/releases/{id}
// Release objects carry GitHub's fields (id, tag_name, name, body, draft, prerelease, created_at,
// published_at, assets, html_url...); a body as actions/runner's release workflow publishes it, with
// the `<!-- BEGIN SHA <platform> -->…<!-- END SHA <platform> -->` lines (`runnerReleaseBody`).
// Every answer carries the unauthenticated core rate limit's x-ratelimit-* headers (60 an hour);
// when it runs out, or when a rate limit is injected, the answer is GitHub's 403 (or 429). A missing
// release is 404 `{"message":"Not Found","documentation_url":…,"status":"404"}`.

const REPO = 'actions/runner';
const REPO_ID = 95125616;
const DOCS = 'https://docs.github.com/rest/releases/releases';
/** GitHub's unauthenticated core limit, per hour and address. */
export const UNAUTHENTICATED_LIMIT = 60;
/** The package platforms actions/runner publishes, in the order of its release notes. */
export const RUNNER_PLATFORMS = ['win-x64', 'win-arm64', 'osx-x64', 'osx-arm64', 'linux-x64', 'linux-arm64', 'linux-arm'] as const;

/** One release to serve. */
export interface FakeRelease {
  /** x.y.z; the tag is `v<version>` unless `tag` says otherwise. */
  readonly version: string;
  readonly tag?: string;
  /** RFC 3339; null for a draft. @default a date derived from the version (later versions later) */
  readonly publishedAt?: string | null;
  /** The release notes. @default runnerReleaseBody(version, checksums) */
  readonly body?: string | null;
  /** SHA-256 by platform, for the default body. @default a fixed fake checksum for every platform */
  readonly sha256?: Readonly<Partial<Record<(typeof RUNNER_PLATFORMS)[number], string>>>;
  /** @default false */
  readonly draft?: boolean;
  /** @default false */
  readonly prerelease?: boolean;
}

/** What an injected fault does to the next request instead of answering it. */
export type ReleasesFault =
  /** GitHub's primary rate limit, lifting in `seconds` (x-ratelimit-reset). */
  | { readonly rateLimit: 'primary'; readonly seconds: number; readonly status?: 403 | 429 }
  /** A secondary rate limit, with Retry-After when `seconds` is given. */
  | { readonly rateLimit: 'secondary'; readonly seconds?: number; readonly status?: 403 | 429 }
  /** An error answer in GitHub's form (500, 502, 503...). */
  | { readonly status: number; readonly message?: string }
  /** The connection is closed with no answer. */
  | { readonly reset: true };

export interface FakeReleasesOptions {
  readonly releases: readonly FakeRelease[];
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Requests left in the hour. @default UNAUTHENTICATED_LIMIT */
  readonly remaining?: number;
  /**
   * A token the caller may send (`Authorization: Bearer <token>`, as `npm run pins` does with
   * GITHUB_TOKEN); another one is GitHub's 401 "Bad credentials". @default none: any Authorization
   * header is a violation (the image refresher reads the public API unauthenticated)
   */
  readonly token?: string;
}

export interface FakeReleases {
  /** The releases API of actions/runner: `http://127.0.0.1:PORT/repos/actions/runner/releases`. */
  readonly url: string;
  readonly port: number;
  /** Every request, in order. */
  readonly requests: RecordedRequest[];
  /** Requests GitHub would refuse for their form, and why. */
  readonly violations: string[];
  /** The next `times` requests get `fault`. */
  inject(fault: ReleasesFault, times?: number): void;
  /** Replaces the releases served (a new release is published). */
  setReleases(releases: readonly FakeRelease[]): void;
  close(): Promise<void>;
}

/** A fake checksum of `platform`'s package of `version`: 64 hex digits, the same on every call. */
export function fakeSha256(version: string, platform: string): string {
  return createHash('sha256').update(`fake actions-runner-${platform}-${version}`).digest('hex');
}

/**
 * A release body as actions/runner publishes it (releaseNote.md filled by .github/workflows/release.yml):
 * the changes, the download snippets, and the checksum lines. A platform missing from `sha256`
 * keeps the template's placeholder, as a release whose workflow did not fill it would.
 */
export function runnerReleaseBody(version: string, sha256: Readonly<Partial<Record<string, string>>>): string {
  const file = (platform: string) => `actions-runner-${platform}-${version}.${platform.startsWith('win') ? 'zip' : 'tar.gz'}`;
  const download = (platform: string) => `https://github.com/${REPO}/releases/download/v${version}/${file(platform)}`;
  const placeholder = (platform: string) => `<${platform.replace('-', '_').toUpperCase()}_SHA>`;
  return [
    '## What\'s Changed',
    `* Bump runner version to ${version} by @github-actions in https://github.com/${REPO}/pull/9999`,
    '',
    '_Note: Actions Runner follows a progressive release policy, so the latest release might not be available to your enterprise, organization, or repository yet.',
    'To confirm which version of the Actions Runner you should expect, please view the download instructions for your enterprise, organization, or repository.',
    'See https://docs.github.com/en/enterprise-cloud@latest/actions/hosting-your-own-runners/adding-self-hosted-runners_',
    '',
    // The release notes' one install section per Linux architecture.
    ...(['x64', 'arm64'] as const).flatMap((arch) => [
      `## Linux ${arch}`,
      '',
      '``` bash',
      '# Create a folder',
      'mkdir actions-runner && cd actions-runner',
      '# Download the latest runner package',
      `curl -O -L ${download(`linux-${arch}`)}`,
      '# Extract the installer',
      `tar xzf ./${file(`linux-${arch}`)}`,
      '```',
      '',
    ]),
    '## Using your self hosted runner',
    '',
    'For additional details about configuring, running, or shutting down the runner please check out our [product docs.](https://help.github.com/en/actions/automating-your-workflow-with-github-actions/adding-self-hosted-runners)',
    '',
    '## SHA-256 Checksums',
    '',
    'The SHA-256 checksums for the packages included in this build are shown below:',
    '',
    ...RUNNER_PLATFORMS.map((platform) => `- ${file(platform)} <!-- BEGIN SHA ${platform} -->${sha256[platform] ?? placeholder(platform)}<!-- END SHA ${platform} -->`),
    '',
  ].join('\r\n');
}

/** The release object GitHub serves for `release` (its id is `id`). */
function releaseObject(origin: string, release: FakeRelease, id: number): Record<string, unknown> {
  const tag = release.tag ?? `v${release.version}`;
  // Later versions later: a week per minor version from 2020-01-06, a day per patch.
  const [, minor, patch] = release.version.split(/[.-]/).map(Number);
  const derived = new Date(Date.UTC(2020, 0, 6) + ((minor - 280) * 7 + patch) * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const publishedAt = release.draft ? null : release.publishedAt === undefined ? derived : release.publishedAt;
  const sha256 = release.sha256 ?? Object.fromEntries(RUNNER_PLATFORMS.map((p) => [p, fakeSha256(release.version, p)]));
  const api = `${origin}/repos/${REPO}/releases/${id}`;
  const user = { login: 'github-actions[bot]', id: 41898282, node_id: 'MDM6Qm90NDE4OTgyODI=', type: 'Bot', site_admin: false };
  return {
    url: api,
    assets_url: `${api}/assets`,
    upload_url: `https://uploads.github.com/repos/${REPO}/releases/${id}/assets{?name,label}`,
    html_url: `https://github.com/${REPO}/releases/tag/${tag}`,
    id,
    author: user,
    node_id: `RE_kwDODTfKpc4${id}`,
    tag_name: tag,
    target_commitish: 'main',
    name: `v${release.version}`,
    draft: release.draft ?? false,
    immutable: false,
    prerelease: release.prerelease ?? false,
    created_at: publishedAt ?? derived,
    updated_at: publishedAt ?? derived,
    published_at: publishedAt,
    assets: RUNNER_PLATFORMS.filter((p) => p.startsWith('linux')).map((platform, i) => ({
      url: `${origin}/repos/${REPO}/releases/assets/${id * 10 + i}`,
      id: id * 10 + i,
      name: `actions-runner-${platform}-${release.version}.tar.gz`,
      label: '',
      uploader: user,
      content_type: 'application/octet-stream',
      state: 'uploaded',
      size: 200_000_000 + i,
      digest: sha256[platform] ? `sha256:${sha256[platform]}` : null,
      download_count: 1000,
      created_at: publishedAt ?? derived,
      updated_at: publishedAt ?? derived,
      browser_download_url: `https://github.com/${REPO}/releases/download/${tag}/actions-runner-${platform}-${release.version}.tar.gz`,
    })),
    tarball_url: `${origin}/repos/${REPO}/tarball/${tag}`,
    zipball_url: `${origin}/repos/${REPO}/zipball/${tag}`,
    body: release.body === undefined ? runnerReleaseBody(release.version, sha256) : release.body,
  };
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeReleases(options: FakeReleasesOptions): Promise<FakeReleases> {
  let releases = [...options.releases];
  let remaining = options.remaining ?? UNAUTHENTICATED_LIMIT;
  const reset = Math.floor(Date.now() / 1000) + 3600;
  const faults: { fault: ReleasesFault; remaining: number }[] = [];
  const violations: string[] = [];

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text),
      'X-GitHub-Media-Type': 'github.v3; format=json', 'X-GitHub-Request-Id': `F00D:${Math.floor(Math.random() * 0xffff).toString(16).toUpperCase()}`,
      'X-RateLimit-Limit': String(UNAUTHENTICATED_LIMIT), 'X-RateLimit-Remaining': String(Math.max(0, remaining)),
      'X-RateLimit-Reset': String(reset), 'X-RateLimit-Used': String(UNAUTHENTICATED_LIMIT - Math.max(0, remaining)), 'X-RateLimit-Resource': 'core',
      ...headers,
    });
    res.end(text);
  };
  const notFound = (res: ServerResponse, documentation: string) => send(res, 404, { message: 'Not Found', documentation_url: documentation, status: '404' });
  const rateLimited = (res: ServerResponse, fault: Extract<ReleasesFault, { rateLimit: string }>) => {
    const documentation_url = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
    const status = fault.status ?? 403;
    if (fault.rateLimit === 'secondary') {
      return send(res, status, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url, status: String(status) },
        fault.seconds === undefined ? {} : { 'Retry-After': String(fault.seconds) });
    }
    remaining = 0;
    send(res, status, {
      message: 'API rate limit exceeded for 127.0.0.1. (But here\'s the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)',
      documentation_url, status: String(status),
    }, { 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + fault.seconds) });
  };

  const server = new RecordingServer(options.tls, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!req.headers['user-agent']) violations.push(`${req.method} ${req.url}: no User-Agent (GitHub answers 403)`);
    if (req.headers.authorization && options.token === undefined) violations.push(`${req.method} ${req.url}: sent an Authorization header to a public endpoint`);
    if (req.headers.authorization && options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    const accept = req.headers.accept ?? '';
    if (accept !== 'application/vnd.github+json' && accept !== 'application/json') violations.push(`${req.method} ${req.url}: Accept is ${accept || 'missing'}`);
    const rule = faults.find((f) => f.remaining > 0);
    if (rule) {
      rule.remaining--;
      const { fault } = rule;
      if ('reset' in fault) return void req.socket.destroy();
      if ('rateLimit' in fault) return rateLimited(res, fault);
      return send(res, fault.status, { message: fault.message ?? 'Server Error', documentation_url: DOCS, status: String(fault.status) });
    }
    if (remaining <= 0) return rateLimited(res, { rateLimit: 'primary', seconds: reset - Math.floor(Date.now() / 1000) });
    remaining--;
    // GitHub serves the repository under its name and under its id (the form its Link headers use).
    const base = [`/repos/${REPO}/releases`, `/repositories/${REPO_ID}/releases`].find((b) => url.pathname === b || url.pathname.startsWith(`${b}/`));
    if (req.method !== 'GET' || base === undefined) return notFound(res, 'https://docs.github.com/rest');
    const origin = server.origin;
    // Newest first, as GitHub lists them; ids in publication order.
    const served = releases.map((release, i) => ({ release, object: releaseObject(origin, release, 200_000_000 + i) }))
      .sort((a, b) => String(b.object.created_at).localeCompare(String(a.object.created_at)));
    // An unauthenticated caller never sees drafts.
    const visible = served.filter(({ release }) => !release.draft);
    const rest = url.pathname.slice(base.length);
    if (rest === '' || rest === '/') return list(res, url, visible.map((s) => s.object));
    if (rest === '/latest') {
      const latest = visible.find(({ release }) => !release.prerelease);
      return latest ? send(res, 200, latest.object) : notFound(res, `${DOCS}#get-the-latest-release`);
    }
    const tag = /^\/tags\/(.+)$/.exec(rest);
    if (tag) {
      const found = visible.find(({ object }) => object.tag_name === decodeURIComponent(tag[1]));
      return found ? send(res, 200, found.object) : notFound(res, `${DOCS}#get-a-release-by-tag-name`);
    }
    const id = /^\/(\d+)$/.exec(rest);
    const byId = id && visible.find(({ object }) => object.id === Number(id[1]));
    return byId ? send(res, 200, byId.object) : notFound(res, `${DOCS}#get-a-release`);
  });

  const list = (res: ServerResponse, url: URL, objects: Record<string, unknown>[]) => {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(objects.length / perPage));
    // GitHub's Link headers name the repository by id.
    const link = (n: number, rel: string) => `<${server.origin}/repositories/${REPO_ID}/releases?per_page=${perPage}&page=${n}>; rel="${rel}"`;
    const links = [...(page > 1 ? [link(page - 1, 'prev')] : []), ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []), ...(page > 1 ? [link(1, 'first')] : [])];
    send(res, 200, objects.slice((page - 1) * perPage, page * perPage), links.length > 0 ? { Link: links.join(', ') } : {});
  };

  await server.start();
  return {
    get url() {
      return `${server.origin}/repos/${REPO}/releases`;
    },
    get port() {
      return server.port;
    },
    requests: server.requests,
    violations,
    inject: (fault, times = 1) => void faults.push({ fault, remaining: times }),
    setReleases: (next) => void (releases = [...next]),
    close: () => server.stop(),
  };
}
