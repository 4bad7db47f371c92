import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_DOCS_FILE, DEFAULT_TABLE_FILE, main, nextLink, readTable, renderTable, rewriteDocs, RunnerTable } from '../scripts/pins';
import { DEFAULT_RUNNER_VERSION, RUNNER_RELEASES } from '../lib';

// `npm run pins` against a local server that answers as GitHub's releases API does for actions/runner:
// the list newest first, at most per_page (<= 100) a page, a Link header to the next page, /latest for
// the newest published release, and bodies as actions/runner's release workflow writes them.
// (A minimal server of this file's own: the shared fake of the releases API, test/cluster/
// fake-github-releases.ts, was not on main when this was written.)

const sha = (version: string, platform: string) => createHash('sha256').update(`${platform}-${version}`).digest('hex');

interface Release { version: string; body?: string; published?: string; prerelease?: boolean }

/** Release notes as actions/runner publishes them: one line per package, the hash between the markers. */
function notes(version: string, platforms = ['win-x64', 'osx-x64', 'linux-x64', 'linux-arm64', 'linux-arm']): string {
  return ['## What\'s Changed', '* Fix things by @someone', '', '## SHA-256 Checksums', '',
    ...platforms.map((p) => `- actions-runner-${p}-${version}.tar.gz <!-- BEGIN SHA ${p} -->${sha(version, p)}<!-- END SHA ${p} -->`)].join('\r\n');
}

interface Fake { url: string; requests: Array<{ url: string; headers: IncomingHttpHeaders }>; failNext: number[]; close(): Promise<void> }

async function startReleases(releases: Release[]): Promise<Fake> {
  const newestFirst = [...releases].reverse();
  const toJson = (r: Release, i: number) => ({
    id: 1000 + i, tag_name: `v${r.version}`, name: `v${r.version}`, draft: false, prerelease: r.prerelease ?? false,
    body: r.body ?? notes(r.version), published_at: r.published ?? `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00Z`,
    html_url: `https://github.com/actions/runner/releases/tag/v${r.version}`, assets: [],
  });
  const requests: Fake['requests'] = [];
  const failNext: number[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const status = failNext.shift();
    if (status !== undefined) {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Server Error' }));
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    const json = (code: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-remaining': '59', ...headers }).end(JSON.stringify(body));
    if (url.pathname === '/repos/actions/runner/releases/latest') {
      const index = newestFirst.findIndex((r) => !r.prerelease);
      return json(200, toJson(newestFirst[index], releases.length - 1 - index));
    }
    if (url.pathname !== '/repos/actions/runner/releases') {
      return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    }
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const items = newestFirst.slice((page - 1) * perPage, page * perPage).map((r) => toJson(r, releases.indexOf(r)));
    const last = Math.max(1, Math.ceil(newestFirst.length / perPage));
    const link = (p: number, rel: string) => `<${origin}/repos/actions/runner/releases?per_page=${perPage}&page=${p}>; rel="${rel}"`;
    const links = [...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []), ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : [])];
    return json(200, items, links.length > 0 ? { link: links.join(', ') } : {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${origin}/repos/actions/runner/releases`, requests, failNext, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Copies of the table and its page, in a folder of their own. */
function tableCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pins-'));
  const file = join(dir, 'runner-releases.json');
  copyFileSync(DEFAULT_TABLE_FILE, file);
  copyFileSync(DEFAULT_DOCS_FILE, join(dir, '20-versions.md'));
  return file;
}
const docsOf = (file: string) => join(dirname(file), '20-versions.md');

async function run(fake: Fake, args: string[], file: string, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const code = await main(args, { PINS_RELEASES_URL: fake.url, ...env }, (line) => lines.push(line), { table: file, docs: docsOf(file) }, 1);
  return { code, lines };
}

/** The library's default for a table: its newest release with both checksums (lib/private/versions.ts). */
const defaultOf = (table: RunnerTable) => Object.keys(table).filter((v) => table[v].sha256).pop();

const KNOWN = ['2.336.0', '2.337.0', '2.338.0'].map((version) => ({ version }));
let fake: Fake | undefined;
let file: string;
beforeEach(() => {
  file = tableCopy();
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  rmSync(dirname(file), { recursive: true, force: true });
});

describe('npm run pins', () => {
  test('nothing newer: exit 0, the table untouched, two requests (latest, one page)', async () => {
    fake = await startReleases(KNOWN);
    const before = readFileSync(file, 'utf8');
    const { code, lines } = await run(fake, ['--write'], file);
    expect(code).toBe(0);
    expect(lines).toEqual([`pins: no release newer than ${DEFAULT_RUNNER_VERSION} with published checksums: the table is current`]);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(fake.requests.map((r) => r.url)).toEqual(['/repos/actions/runner/releases/latest', '/repos/actions/runner/releases?per_page=100']);
    expect(fake.requests[0].headers).toMatchObject({ 'accept': 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' });
    expect(fake.requests[0].headers.authorization).toBeUndefined();
  });

  test('newer releases are found and printed with their checksums; without --write nothing changes and the exit is 1', async () => {
    fake = await startReleases([...KNOWN, { version: '2.339.0', published: '2026-11-03T17:20:00Z' }, { version: '2.340.0-beta.1', prerelease: true }]);
    const before = readFileSync(file, 'utf8');
    const { code, lines } = await run(fake, [], file);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `pins: newer: 2.339.0 (published 2026-11-03T17:20:00Z) linux-x64 ${sha('2.339.0', 'linux-x64')} linux-arm64 ${sha('2.339.0', 'linux-arm64')}`,
      `pins: the table stops at ${DEFAULT_RUNNER_VERSION}; npm run pins -- --write adds it (the default becomes 2.339.0)`,
    ]);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  test('--write adds them, sourced and dated, the default follows, and the same answers write the same bytes', async () => {
    const releases = [...KNOWN, { version: '2.339.0', published: '2026-11-03T17:20:00Z' }, { version: '2.340.0', published: '2026-12-01T09:00:00Z' }];
    fake = await startReleases(releases);
    const { code, lines } = await run(fake, ['--write'], file);
    expect(code).toBe(0);
    expect(lines[lines.length - 1]).toBe(`pins: wrote ${file} and ${docsOf(file)}: the default runner is now 2.340.0; run the tests and npm run docs, and commit`);
    const table = readTable(file);
    expect(table['2.340.0']).toEqual({
      published: '2026-12-01',
      sha256: { 'linux-x64': sha('2.340.0', 'linux-x64'), 'linux-arm64': sha('2.340.0', 'linux-arm64') },
      source: 'GitHub releases API: the SHA blocks of the v2.340.0 release notes, published 2026-12-01T09:00:00Z (npm run pins)',
    });
    expect(Object.keys(table).slice(-3)).toEqual(['2.338.0', '2.339.0', '2.340.0']);
    expect(defaultOf(table)).toBe('2.340.0');
    // What was there stays as it was.
    for (const [version, record] of Object.entries(RUNNER_RELEASES)) expect(table[version]).toEqual(record);
    const written = readFileSync(file, 'utf8');
    expect(renderTable(JSON.parse(written))).toBe(written);
    // The page shows the new table, newest first, the new default marked; the rest of the page is as it was.
    const page = readFileSync(docsOf(file), 'utf8');
    expect(page).toContain(`| 2.340.0 (default) | 2026-12-01 | \`${sha('2.340.0', 'linux-x64').slice(0, 12)}…\`, \`${sha('2.340.0', 'linux-arm64').slice(0, 12)}…\` | GitHub releases API`);
    expect(page).toContain(`| ${DEFAULT_RUNNER_VERSION} | `);
    expect(page.indexOf('| 2.340.0 (default)')).toBeLessThan(page.indexOf('| 2.339.0 |'));
    expect(rewriteDocs(readFileSync(DEFAULT_DOCS_FILE, 'utf8'), table)).toBe(page);
    const again = tableCopy();
    try {
      await run(fake, ['--write'], again);
      expect(readFileSync(again, 'utf8')).toBe(written);
      expect(readFileSync(docsOf(again), 'utf8')).toBe(page);
    } finally {
      rmSync(dirname(again), { recursive: true });
    }
    // Written once, the table is current.
    expect((await run(fake, [], file)).code).toBe(0);
  });

  test('a release the table only dates is looked up again, and pinned once its notes publish the checksums', async () => {
    const dated = { ...readTable(file), '2.339.0': { published: '2026-11-03', source: 'date: a public record; no checksum evidenced' } };
    writeFileSync(file, renderTable(dated));
    fake = await startReleases([...KNOWN, { version: '2.339.0', published: '2026-11-03T17:20:00Z' }]);
    expect((await run(fake, ['--write'], file)).code).toBe(0);
    expect(readTable(file)['2.339.0']).toMatchObject({ sha256: { 'linux-x64': sha('2.339.0', 'linux-x64') }, source: expect.stringContaining('GitHub releases API') });
    expect(defaultOf(readTable(file))).toBe('2.339.0');
  });

  test('a release whose notes publish no arm64 checksum (or only a placeholder) is refused, and never written', async () => {
    fake = await startReleases([...KNOWN,
      { version: '2.339.0', body: notes('2.339.0', ['linux-x64']) },
      { version: '2.339.1', body: notes('2.339.1', ['linux-x64']).replace(/$/, '\r\n- actions-runner-linux-arm64-2.339.1.tar.gz <!-- BEGIN SHA linux-arm64 --><LINUX_ARM64_SHA><!-- END SHA linux-arm64 -->') }]);
    const before = readFileSync(file, 'utf8');
    const { code, lines } = await run(fake, ['--write'], file);
    expect(code).toBe(1);
    expect(lines).toEqual([
      'pins: refused v2.339.0: the release notes of 2.339.0 publish no SHA-256 for actions-runner-linux-arm64-2.339.0.tar.gz (no <!-- BEGIN SHA linux-arm64 --> block with 64 hex digits)',
      'pins: refused v2.339.1: the release notes of 2.339.1 publish no SHA-256 for actions-runner-linux-arm64-2.339.1.tar.gz (no <!-- BEGIN SHA linux-arm64 --> block with 64 hex digits)',
      `pins: no release newer than ${DEFAULT_RUNNER_VERSION} with published checksums: the table cannot move`,
    ]);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  test('a table far behind pages through the list with the Link header, and stops at the page that reaches it', async () => {
    const many = Array.from({ length: 230 }, (_, i) => ({ version: `2.${339 + i}.0` }));
    fake = await startReleases([...KNOWN, ...many]);
    const { code } = await run(fake, ['--write'], file);
    expect(code).toBe(0);
    expect(fake.requests.map((r) => r.url)).toEqual([
      '/repos/actions/runner/releases/latest',
      '/repos/actions/runner/releases?per_page=100',
      '/repos/actions/runner/releases?per_page=100&page=2',
      '/repos/actions/runner/releases?per_page=100&page=3',
    ]);
    expect(defaultOf(readTable(file))).toBe('2.568.0');
    expect(Object.keys(readTable(file))).toHaveLength(Object.keys(RUNNER_RELEASES).length + 230);
  });

  test('a 502 is retried; a 404 is a failure (exit 2) that changes nothing; GITHUB_TOKEN is sent and never printed', async () => {
    fake = await startReleases([...KNOWN, { version: '2.339.0' }]);
    fake.failNext.push(502);
    const token = 'ghp_' + 'x'.repeat(36);
    const ok = await run(fake, [], file, { GITHUB_TOKEN: token });
    expect(ok.code).toBe(1);
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`]);
    expect(ok.lines.join('\n')).not.toContain(token);
    const before = readFileSync(file, 'utf8');
    const missing = await main(['--write'], { PINS_RELEASES_URL: `${fake.url.replace('/runner/', '/nothing/')}` }, () => undefined, { table: file, docs: docsOf(file) }, 1);
    expect(missing).toBe(2);
    const lines: string[] = [];
    expect(await main(['--writ'], {}, (l) => lines.push(l), { table: file, docs: docsOf(file) })).toBe(2);
    expect(lines).toEqual(['pins: unknown argument "--writ"; usage: npm run pins [-- --write]']);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  test('the Link header parser takes rel="next" only', () => {
    expect(nextLink('<https://api.github.com/repositories/1/releases?page=2>; rel="next", <https://api.github.com/repositories/1/releases?page=5>; rel="last"'))
      .toBe('https://api.github.com/repositories/1/releases?page=2');
    expect(nextLink('<https://x/?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });

  test('the table in the repository, and its page, are as --write renders them', () => {
    expect(renderTable(readTable(DEFAULT_TABLE_FILE))).toBe(readFileSync(DEFAULT_TABLE_FILE, 'utf8'));
    const page = readFileSync(DEFAULT_DOCS_FILE, 'utf8');
    expect(rewriteDocs(page, readTable(DEFAULT_TABLE_FILE))).toBe(page);
    expect(() => rewriteDocs('# no table here', {})).toThrow('the page has no block between');
  });

  test('npm run pins runs the script (typescript hook) and reads PINS_RELEASES_URL', async () => {
    fake = await startReleases(KNOWN);
    const root = join(__dirname, '..');
    const out = await new Promise<string>((resolve, reject) => execFile(process.execPath,
      ['--require', './lib/validate/typescript-hook.cjs', 'scripts/pins.ts'], { cwd: root, env: { ...process.env, PINS_RELEASES_URL: fake!.url } },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))));
    expect(out).toBe(`pins: no release newer than ${DEFAULT_RUNNER_VERSION} with published checksums: the table is current\n`);
  }, 60_000);
});
