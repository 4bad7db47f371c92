import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_DOCS_FILE, DEFAULT_TABLE_FILE, main, nextLink, readTable, renderTable, rewriteDocs, RunnerTable } from '../scripts/pins';
import { DEFAULT_RUNNER_VERSION, RUNNER_RELEASES } from '../lib';
import { FakeRelease, FakeReleases, fakeSha256, runnerReleaseBody, startFakeReleases } from './cluster/fake-github-releases';

// `npm run pins` against the shared fake of GitHub's releases API for actions/runner
// (test/cluster/fake-github-releases.ts): the list newest first, at most per_page (<= 100) a page,
// Link headers that name the repository by id as GitHub's do, /latest for the newest published
// release, bodies as actions/runner's release workflow writes them, and the requests GitHub would
// refuse (no User-Agent, a wrong Accept) recorded as violations.

const sha = fakeSha256;

interface Release { version: string; published?: string; prerelease?: boolean; body?: string; sha256?: FakeRelease['sha256'] }

const fakeRelease = (r: Release): FakeRelease => ({
  version: r.version, prerelease: r.prerelease, body: r.body, sha256: r.sha256, publishedAt: r.published,
});

async function startReleases(releases: Release[], token?: string): Promise<FakeReleases> {
  return startFakeReleases({ releases: releases.map(fakeRelease), remaining: 5000, token });
}

/** The paths and queries asked, in order. */
const asked = (fake: FakeReleases) => fake.requests.map((r) => r.url);

/** Copies of the table and its page, in a folder of their own. */
function tableCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pins-'));
  const file = join(dir, 'runner-releases.json');
  copyFileSync(DEFAULT_TABLE_FILE, file);
  copyFileSync(DEFAULT_DOCS_FILE, join(dir, '20-versions.md'));
  return file;
}
const docsOf = (file: string) => join(dirname(file), '20-versions.md');

async function run(fake: FakeReleases, args: string[], file: string, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const code = await main(args, { PINS_RELEASES_URL: fake.url, ...env }, (line) => lines.push(line), { table: file, docs: docsOf(file) }, 1);
  return { code, lines };
}

/** The library's default for a table: its newest release with both checksums (lib/private/versions.ts). */
const defaultOf = (table: RunnerTable) => Object.keys(table).filter((v) => table[v].sha256).pop();

const KNOWN = ['2.336.0', '2.337.0', '2.338.0'].map((version) => ({ version }));
let fake: FakeReleases | undefined;
let file: string;
beforeEach(() => {
  file = tableCopy();
});
afterEach(async () => {
  // Every request as GitHub would take it (User-Agent, Accept, no credential it was not given).
  expect(fake?.violations ?? []).toEqual([]);
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
    expect(asked(fake)).toEqual(['/repos/actions/runner/releases/latest', '/repos/actions/runner/releases?per_page=100']);
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
      // No arm64 line at all, and the template's placeholder where the workflow did not fill the hash.
      { version: '2.339.0', body: runnerReleaseBody('2.339.0', { 'linux-x64': sha('2.339.0', 'linux-x64') }).split('\r\n').filter((l) => !l.includes('BEGIN SHA linux-arm64')).join('\r\n') },
      { version: '2.339.1', sha256: { 'linux-x64': sha('2.339.1', 'linux-x64') } }]);
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
    // GitHub's Link headers name the repository by its id: the script follows them as given.
    expect(asked(fake)).toEqual([
      '/repos/actions/runner/releases/latest',
      '/repos/actions/runner/releases?per_page=100',
      '/repositories/95125616/releases?per_page=100&page=2',
      '/repositories/95125616/releases?per_page=100&page=3',
    ]);
    expect(defaultOf(readTable(file))).toBe('2.568.0');
    expect(Object.keys(readTable(file))).toHaveLength(Object.keys(RUNNER_RELEASES).length + 230);
  });

  test('a 502 is retried; a 404 is a failure (exit 2) that changes nothing; GITHUB_TOKEN is sent and never printed', async () => {
    const token = 'ghp_' + 'x'.repeat(36);
    fake = await startReleases([...KNOWN, { version: '2.339.0' }], token);
    fake.inject({ status: 502 });
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
