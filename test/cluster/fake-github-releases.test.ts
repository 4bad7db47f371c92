import { releaseFacts } from '../../lib/cluster/runtime/runner-releases';
import { fakeSha256, FakeReleases, runnerReleaseBody, startFakeReleases } from './fake-github-releases';

// The fake releases API answers as GitHub does for an unauthenticated caller: the endpoints, the
// visibility of drafts and pre-releases, pages, the 404 body, the rate limit's headers and refusal,
// and release bodies whose checksums lib/cluster/runtime/runner-releases.ts reads.

let fake: FakeReleases;
afterEach(() => fake.close());

const get = async (path: string) => {
  const answer = await fetch(`${fake.url}${path}`, { headers: { 'accept': 'application/vnd.github+json', 'user-agent': 'test' } });
  return { status: answer.status, headers: answer.headers, body: await answer.json() as any };
};

test('latest is the newest release that is neither a draft nor a pre-release; tags name published ones only; 404 in GitHub\'s words', async () => {
  fake = await startFakeReleases({ releases: [{ version: '2.334.0' }, { version: '2.335.0' }, { version: '2.336.0', prerelease: true }, { version: '2.337.0', draft: true }] });
  const latest = await get('/latest');
  expect(latest.status).toBe(200);
  expect(latest.body).toMatchObject({ tag_name: 'v2.335.0', name: 'v2.335.0', draft: false, prerelease: false, published_at: expect.stringMatching(/Z$/) });
  expect(Object.keys(latest.body)).toEqual(expect.arrayContaining(['id', 'node_id', 'html_url', 'assets', 'created_at', 'tarball_url', 'body', 'author']));
  expect((await get('/tags/v2.336.0')).body.prerelease).toBe(true);
  const draft = await get('/tags/v2.337.0');
  expect(draft).toMatchObject({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name', status: '404' } });
  expect((await get('')).body.map((r: any) => r.tag_name)).toEqual(['v2.336.0', 'v2.335.0', 'v2.334.0']);
  expect(fake.violations).toEqual([]);
});

test('the body publishes each package\'s checksum in the marked blocks, as actions/runner does; a missing one keeps the placeholder', async () => {
  fake = await startFakeReleases({ releases: [{ version: '2.335.0' }, { version: '2.336.0', body: runnerReleaseBody('2.336.0', { 'linux-arm64': fakeSha256('2.336.0', 'linux-arm64') }) }] });
  const facts = releaseFacts((await get('/tags/v2.335.0')).body, ['linux-x64', 'linux-arm64']);
  expect(facts).toEqual({ version: '2.335.0', publishedAt: expect.any(String), sha256: { 'linux-x64': fakeSha256('2.335.0', 'linux-x64'), 'linux-arm64': fakeSha256('2.335.0', 'linux-arm64') } });
  const body: string = (await get('/latest')).body.body;
  expect(body).toContain('- actions-runner-linux-x64-2.336.0.tar.gz <!-- BEGIN SHA linux-x64 --><LINUX_X64_SHA><!-- END SHA linux-x64 -->\r\n');
  expect(releaseFacts((await get('/latest')).body, ['linux-x64'])).toEqual({ refused: expect.stringContaining('publish no SHA-256 for actions-runner-linux-x64-2.336.0.tar.gz') });
});

test('pages with per_page, a Link header naming the repository by id, which the fake also serves', async () => {
  fake = await startFakeReleases({ releases: ['2.330.0', '2.331.0', '2.332.0'].map((version) => ({ version })) });
  const first = await get('?per_page=2');
  expect(first.body.map((r: any) => r.tag_name)).toEqual(['v2.332.0', 'v2.331.0']);
  const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link')!)![1];
  expect(next).toMatch(/\/repositories\/\d+\/releases\?per_page=2&page=2$/);
  const second = await fetch(next, { headers: { accept: 'application/vnd.github+json', 'user-agent': 'test' } });
  expect((await second.json() as any[]).map((r) => r.tag_name)).toEqual(['v2.330.0']);
});

test('the unauthenticated rate limit: x-ratelimit-* on every answer, GitHub\'s 403 when it runs out', async () => {
  fake = await startFakeReleases({ releases: [{ version: '2.335.0' }], remaining: 2 });
  const first = await get('/latest');
  expect(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-used', 'x-ratelimit-resource'].map((h) => first.headers.get(h))).toEqual(['60', '1', '59', 'core']);
  await get('/latest');
  const refused = await get('/latest');
  expect(refused.status).toBe(403);
  expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  expect(refused.body.message).toMatch(/^API rate limit exceeded for 127\.0\.0\.1\. \(But here's the good news: Authenticated requests get a higher rate limit/);
});
