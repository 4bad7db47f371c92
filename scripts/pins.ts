// `npm run pins [-- --write]`: is the library's table of runner releases (lib/private/runner-releases.json)
// behind GitHub's? Reads the releases API of actions/runner (the latest release, and every release newer
// than the table's newest, paging with the Link header), takes each one's SHA-256 from its release notes
// (releaseFacts: only the marked `<!-- BEGIN SHA linux-x64 -->` blocks count) and prints what is newer.
// A release whose notes publish no checksum for linux-x64 or linux-arm64 is refused, never guessed.
// With --write it adds the usable ones to the table, whose newest entry is the library's default runner
// (lib/private/versions.ts), and renders the table into docs/20-versions.md; both files are rewritten
// byte-for-byte the same way for the same answers.
//
// Environment: PINS_RELEASES_URL (default https://api.github.com/repos/actions/runner/releases; tests
// point it at a local fake), GITHUB_TOKEN (optional: 5000 requests an hour instead of 60; sent only to
// that URL, never printed). Exit: 0 up to date (or all written), 1 a newer release not written (or refused),
// 2 failure (network, API, arguments).
// Named after what it maintains: the versions the library pins.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, GitHubRelease, releaseFacts, RunnerReleaseFacts } from '../lib/cluster/runtime/runner-releases';
import { RunnerReleaseRecord } from '../lib/private/versions';

export const DEFAULT_RELEASES_URL = 'https://api.github.com/repos/actions/runner/releases';
export const DEFAULT_TABLE_FILE = join(__dirname, '..', 'lib', 'private', 'runner-releases.json');
/** The page that shows the table; its block between the markers is rendered from the table. */
export const DEFAULT_DOCS_FILE = join(__dirname, '..', 'docs', '20-versions.md');
const DOCS_BEGIN = '<!-- BEGIN RUNNER RELEASES: `npm run pins -- --write` renders this table from lib/private/runner-releases.json -->';
const DOCS_END = '<!-- END RUNNER RELEASES -->';
/** The packages the library installs: a release must publish both checksums. */
const PLATFORMS = ['linux-x64', 'linux-arm64'] as const;
/** At most this many pages of 100 releases (actions/runner publishes about one a month). */
const MAX_PAGES = 10;
const ATTEMPTS = 3;

export type RunnerTable = Record<string, RunnerReleaseRecord>;

/** What the API says beyond the table: the releases that can be pinned, and those refused with the reason. */
export interface PinsReport {
  readonly newest: string;
  readonly usable: readonly RunnerReleaseFacts[];
  readonly refused: ReadonlyArray<{ readonly tag: string; readonly reason: string }>;
}

export interface PinsOptions {
  readonly releasesUrl: string;
  readonly token?: string;
  /** Milliseconds between attempts after a transient failure. @default 1000 */
  readonly retryDelayMs?: number;
}

/** Reads the table file. */
export function readTable(file: string): RunnerTable {
  return JSON.parse(readFileSync(file, 'utf8')) as RunnerTable;
}

/** The table as written: versions oldest first, two-space JSON, a final newline. */
export function renderTable(table: RunnerTable): string {
  const sorted = Object.fromEntries(Object.keys(table).sort(compareVersions).map((v) => [v, table[v]]));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** The runner table as docs/20-versions.md shows it: newest first, the default marked, checksums shortened. */
export function renderDocsTable(table: RunnerTable): string {
  const versions = Object.keys(table).sort(compareVersions).reverse();
  const defaultVersion = versions.find((v) => table[v].sha256 !== undefined);
  const short = (sha: string) => `\`${sha.slice(0, 12)}…\``;
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    DOCS_BEGIN,
    '| release | published | SHA-256 (linux-x64, linux-arm64) | source |',
    '|---|---|---|---|',
    ...versions.map((v) => {
      const r = table[v];
      const sums = r.sha256 ? `${short(r.sha256['linux-x64'])}, ${short(r.sha256['linux-arm64'])}` : 'not pinned: give `sha256`';
      return `| ${v}${v === defaultVersion ? ' (default)' : ''} | ${r.published} | ${sums} | ${cell(r.source)} |`;
    }),
    DOCS_END,
  ].join('\n');
}

/** The page with its table block replaced by the rendering of `table`. */
export function rewriteDocs(page: string, table: RunnerTable): string {
  const start = page.indexOf(DOCS_BEGIN);
  const end = page.indexOf(DOCS_END);
  if (start < 0 || end < start) throw new Error(`the page has no block between ${DOCS_BEGIN} and ${DOCS_END}`);
  return page.slice(0, start) + renderDocsTable(table) + page.slice(end + DOCS_END.length);
}

/** The table with `releases` added, each sourced to the release notes it was read from. */
export function withReleases(table: RunnerTable, releases: readonly RunnerReleaseFacts[]): RunnerTable {
  const next: RunnerTable = { ...table };
  for (const release of releases) {
    next[release.version] = {
      published: release.publishedAt.slice(0, 10),
      sha256: { 'linux-x64': release.sha256['linux-x64'], 'linux-arm64': release.sha256['linux-arm64'] },
      source: `GitHub releases API: the SHA blocks of the v${release.version} release notes, published ${release.publishedAt} (npm run pins)`,
    };
  }
  return next;
}

/** The releases newer than the table's newest pinned one: the latest release, and the list pages down to it. */
export async function findNewer(table: RunnerTable, options: PinsOptions): Promise<PinsReport> {
  // A release the table only dates (no checksums evidenced then) is looked up again.
  const newest = Object.keys(table).filter((v) => table[v].sha256 !== undefined).sort(compareVersions).pop() ?? '0.0.0';
  const seen = new Map<string, GitHubRelease>();
  const latest = (await getJson(`${options.releasesUrl}/latest`, options)).body as GitHubRelease;
  seen.set(latest.tag_name, latest);
  let url: string | undefined = `${options.releasesUrl}?per_page=100`;
  for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
    const { body, next }: { body: unknown; next?: string } = await getJson(url, options);
    if (!Array.isArray(body)) throw new Error(`GET ${redact(url)}: expected a list of releases, got ${typeof body}`);
    for (const release of body as GitHubRelease[]) seen.set(release.tag_name, release);
    // Newest first: once a page reaches the table's newest, older pages hold nothing new.
    const reached = (body as GitHubRelease[]).some((r) => {
      const version = /^v?(\d+\.\d+\.\d+)$/.exec(r.tag_name)?.[1];
      return version !== undefined && compareVersions(version, newest) <= 0;
    });
    url = reached ? undefined : next;
  }
  const usable: RunnerReleaseFacts[] = [];
  const refused: Array<{ tag: string; reason: string }> = [];
  for (const release of seen.values()) {
    const version = /^v?(\d+\.\d+\.\d+)$/.exec(release.tag_name)?.[1];
    if (version !== undefined && compareVersions(version, newest) <= 0) continue;
    if (release.draft || release.prerelease) continue;
    const facts = releaseFacts(release, PLATFORMS);
    if ('refused' in facts) refused.push({ tag: release.tag_name, reason: facts.refused });
    else usable.push(facts);
  }
  usable.sort((a, b) => compareVersions(a.version, b.version));
  refused.sort((a, b) => a.tag.localeCompare(b.tag));
  return { newest, usable, refused };
}

/** GET with GitHub's headers; retries a 5xx or a broken connection, never a 4xx (a rate limit says when it lifts). */
async function getJson(url: string, options: PinsOptions): Promise<{ body: unknown; next?: string }> {
  const headers: Record<string, string> = {
    'accept': 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'cdk8s-kubevirt-runners-pins',
    // The token goes only to the releases URL's own origin, not to wherever a Link header points.
    ...(options.token && sameOrigin(url, options.releasesUrl) ? { authorization: `Bearer ${options.token}` } : {}),
  };
  let lastError = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { headers, redirect: 'follow' });
    } catch (error) {
      lastError = `GET ${redact(url)}: ${(error as Error).message}`;
      await sleep(options.retryDelayMs ?? 1000);
      continue;
    }
    const text = await response.text();
    if (response.status >= 500) {
      lastError = `GET ${redact(url)}: HTTP ${response.status}`;
      await sleep(options.retryDelayMs ?? 1000);
      continue;
    }
    if (response.status !== 200) {
      const limited = response.headers.get('x-ratelimit-remaining') === '0'
        ? ` (rate limit: resets at ${new Date(Number(response.headers.get('x-ratelimit-reset')) * 1000).toISOString()}; set GITHUB_TOKEN for more)` : '';
      throw new Error(`GET ${redact(url)}: HTTP ${response.status} ${messageOf(text)}${limited}`);
    }
    return { body: JSON.parse(text), next: nextLink(response.headers.get('link')) };
  }
  throw new Error(`${lastError} (after ${ATTEMPTS} attempts)`);
}

/** The rel="next" URL of a Link header. */
export function nextLink(link: string | null): string | undefined {
  for (const part of (link ?? '').split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (match) return match[1];
  }
  return undefined;
}

function messageOf(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text).message ?? '');
  } catch {
    return '';
  }
}

/** A URL without userinfo or query values that could hold a secret. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '<url>';
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The CLI: prints what is newer, writes with --write; resolves the exit code. */
export interface PinsFiles {
  /** The runner table. */
  readonly table: string;
  /** The page that shows it. */
  readonly docs: string;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void = console.log,
  files: PinsFiles = { table: DEFAULT_TABLE_FILE, docs: DEFAULT_DOCS_FILE }, retryDelayMs?: number): Promise<number> {
  const tableFile = files.table;
  const unknown = argv.filter((a) => a !== '--write');
  if (unknown.length > 0) {
    out(`pins: unknown argument ${JSON.stringify(unknown[0])}; usage: npm run pins [-- --write]`);
    return 2;
  }
  const write = argv.includes('--write');
  const table = readTable(tableFile);
  let report: PinsReport;
  try {
    report = await findNewer(table, { releasesUrl: env.PINS_RELEASES_URL ?? DEFAULT_RELEASES_URL, token: env.GITHUB_TOKEN || undefined, retryDelayMs });
  } catch (error) {
    out(`pins: ${(error as Error).message}`);
    return 2;
  }
  for (const { tag, reason } of report.refused) out(`pins: refused ${tag}: ${reason}`);
  for (const r of report.usable) {
    out(`pins: newer: ${r.version} (published ${r.publishedAt}) linux-x64 ${r.sha256['linux-x64']} linux-arm64 ${r.sha256['linux-arm64']}`);
  }
  if (report.usable.length === 0) {
    out(`pins: no release newer than ${report.newest} with published checksums${report.refused.length > 0 ? ': the table cannot move' : ': the table is current'}`);
    return report.refused.length > 0 ? 1 : 0;
  }
  const newest = report.usable[report.usable.length - 1].version;
  if (!write) {
    out(`pins: the table stops at ${report.newest}; npm run pins -- --write adds ${report.usable.length === 1 ? 'it' : 'them'} (the default becomes ${newest})`);
    return 1;
  }
  const next = withReleases(table, report.usable);
  const page = rewriteDocs(readFileSync(files.docs, 'utf8'), next);
  writeFileSync(tableFile, renderTable(next));
  writeFileSync(files.docs, page);
  out(`pins: wrote ${tableFile} and ${files.docs}: the default runner is now ${newest}; run the tests and npm run docs, and commit`);
  return report.refused.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then((code) => { process.exitCode = code; });
}
