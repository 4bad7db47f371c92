import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubError, RateLimitedError, RetriesExhaustedError } from '../../../lib/cluster/runtime/errors';
import { GitHubClient } from '../../../lib/cluster/runtime/github';
import { apiUrlOf, GitHubAuth, readGitHubAuth, scopeOf } from '../../../lib/cluster/runtime/github-access';
import { Logger } from '../../../lib/cluster/runtime/log';
import { MAX_ATTEMPTS } from '../../../lib/cluster/runtime/retry';
import { FakeGitHubApi, FakeGitHubOptions, Runner } from '../fake-github-api';

// The GitHub client against the fake GitHub API (../fake-github-api.ts), at the root as
// api.github.com serves it and under /api/v3 as GHES does: the App JWT and the installation token
// (made again when it gets old), the PAT, GitHub's rate limits (Retry-After, x-ratelimit-*), pages
// through the Link header, and no credential in any line.

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PAT = 'ghp_personal';

let dir: string;
let github: FakeGitHubApi | undefined;
let lines: string[];
let log: Logger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runtime-github-'));
  lines = [];
  log = new Logger('test', (t) => lines.push(t), (t) => lines.push(t));
});

afterEach(async () => {
  await github?.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const line of lines) {
    expect(line).not.toMatch(/ghs_|ghp_|eyJ/);
    for (const credential of github?.issued ?? []) expect(line).not.toContain(credential);
  }
  expect(github?.violations ?? []).toEqual([]);
  github = undefined;
});

function credentials(files: Record<string, string>): GitHubAuth {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return readGitHubAuth(dir, log);
}

const app = (installationId = '456') => credentials({ github_app_id: '123', github_app_installation_id: installationId, github_app_private_key: PEM });
const pat = () => credentials({ github_token: PAT });

/** GitHub with the organization acme and its repository app; the App 123 installed on acme as 456; the PAT with repo and admin:org. */
async function client(auth: GitHubAuth, options: Partial<FakeGitHubOptions> = {}, retryBaseDelayMs = 2): Promise<GitHubClient> {
  await github?.stop();
  github = new FakeGitHubApi({
    basePath: '', repositories: ['acme/app'], pats: { [PAT]: ['repo', 'admin:org'] },
    app: { issuer: '123', publicKey, installationId: '456', account: 'acme', permissions: { administration: 'write', organization_self_hosted_runners: 'write' } },
    ...options,
  });
  const apiUrl = await github.start();
  return new GitHubClient({ apiUrl, auth, log, retryBaseDelayMs, client: 'test' });
}

const runners = (count: number): Runner[] => Array.from({ length: count }, (_, i) => ({ id: i + 1, name: `r-${i + 1}`, status: 'online', busy: false }));

describe('GitHubClient', () => {
  test('App: a JWT signed with the App\'s key (RS256, iss = App ID, 9 minutes) buys an installation token, kept for 50 minutes, then bought again', async () => {
    const api = await client(app());
    github!.setRunners('orgs/acme', runners(1));
    const token = await api.bearer();
    expect(token).toBe(github!.issued[1]);
    expect((await api.scoped('read it', 'GET', '/orgs/acme/actions/runners')).status).toBe(200);
    expect((await api.scoped('read it', 'GET', '/repos/acme/app/actions/runners')).status).toBe(200);
    const [mint, ...calls] = github!.requests;
    expect([mint.method, mint.url, ...calls.map((c) => c.url)]).toEqual(['POST', '/app/installations/456/access_tokens', '/orgs/acme/actions/runners', '/repos/acme/app/actions/runners']);
    expect(calls.map((c) => c.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    const jwt = mint.headers.authorization!.replace('Bearer ', '');
    const [header, claims] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    const { iat, exp, iss } = JSON.parse(Buffer.from(claims, 'base64url').toString());
    expect([iss, exp - iat]).toEqual(['123', 600]);
    expect(log.redact(`${jwt} ${token}`)).toBe('[redacted] [redacted]');

    // 51 minutes on, a new JWT buys a new token (GitHub's last an hour).
    const now = Date.now();
    const later = jest.spyOn(Date, 'now').mockReturnValue(now + 51 * 60_000);
    try {
      expect((await api.scoped('read it', 'GET', '/orgs/acme/actions/runners')).status).toBe(200);
    } finally {
      later.mockRestore();
    }
    const renewed = github!.requestsOf('POST', '/access_tokens');
    expect(renewed).toHaveLength(2);
    expect(renewed[1].headers.authorization).not.toBe(mint.headers.authorization);
    expect(github!.requests.at(-1)!.headers.authorization).toBe(`Bearer ${github!.issued[3]}`);
    expect(github!.issued[3]).not.toBe(token);
  });

  test('PAT: the bearer as it is; refusals are the caller\'s (GitHubError with a hint for the installation)', async () => {
    const personal = await client(pat());
    const answer = await personal.scoped('read it', 'GET', '/repos/acme/app/actions/runners/1');
    expect(answer.status).toBe(404);
    expect(github!.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${PAT}`]);

    rmSync(join(dir, 'github_token'));
    const installation = await client(app('457'));
    const error = await installation.bearer().catch((e) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error.message).toBe('cannot create an access token for installation 457 of GitHub App 123: HTTP 404: Not Found [GitHub request C0DE:1234:5678:9ABC:DEF0]. '
      + 'GitHub App 123 has no installation 457: check github_app_installation_id (the number in the URL of the installation\'s settings page)');
    // A key of another App: GitHub cannot verify the JWT (401).
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const wrongKey = await client(credentials({ github_app_installation_id: '456', github_app_private_key: other }));
    expect((await wrongKey.bearer().catch((e) => e)).message).toMatch(/^cannot create an access token for installation 456 of GitHub App 123: HTTP 401: A JSON web token could not be decoded .*GitHub does not accept the App's JWT/);
    expect(github!.requests).toHaveLength(1);
  });

  test('rate limits: a short one (429 with Retry-After: 0; 403 with x-ratelimit-remaining 0 and a reset now) is waited out; a long one is not', async () => {
    const personal = await client(pat());
    github!.inject('list', { rateLimit: 'secondary', status: 429, seconds: 0 });
    github!.inject('list', { rateLimit: 'primary', seconds: 0 });
    expect((await personal.scoped('read it', 'GET', '/orgs/acme/actions/runners')).status).toBe(200);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^test: read it: HTTP 429: You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\. \[GitHub request [^\]]+\]; retry 1 of 5 in /);
    expect(lines[1]).toMatch(/^test: read it: HTTP 403: API rate limit exceeded for user ID \d+\. \[GitHub request [^\]]+\]; retry 2 of 5 in /);
    github!.inject('list', { rateLimit: 'primary', seconds: 3600 });
    const error = await personal.scoped('read it', 'GET', '/orgs/acme/actions/runners').catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.message).toMatch(/^cannot read it: HTTP 403: API rate limit exceeded for user ID \d+\. \[GitHub request [^\]]+\]; the rate limit lifts in 3(599|600)s, later than this run waits: the next run will try again$/);
    expect(github!.requests).toHaveLength(4);
  });

  test('a secondary rate limit without Retry-After (GitHub: wait at least a minute) is a rate limit, not a refusal', async () => {
    const personal = await client(pat());
    github!.inject('list', { rateLimit: 'secondary' });
    const error = await personal.scoped('read it', 'GET', '/orgs/acme/actions/runners').catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.message).toMatch(/^cannot read it: HTTP 403: You have exceeded a secondary rate limit\..*; the rate limit lifts in 60s, later than this run waits: the next run will try again$/);
    expect(github!.requests).toHaveLength(1);
  });

  test('5xx is retried until the attempts are used up; a 403 that is no rate limit is not retried', async () => {
    const personal = await client(pat());
    github!.inject('list', { status: 503, message: 'Service Unavailable' }, MAX_ATTEMPTS);
    const error = await personal.scoped('read it', 'GET', '/orgs/acme/actions/runners').catch((e) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.message).toBe(`cannot read it: HTTP 503: Service Unavailable [GitHub request C0DE:1234:5678:9ABC:DEF0]; gave up after ${MAX_ATTEMPTS} attempts`);
    // The installation lacks the organization permission: 403 with what GitHub accepts, handed to the caller at once.
    rmSync(join(dir, 'github_token'));
    const installation = await client(app(), { app: { issuer: '123', publicKey, installationId: '456', account: 'acme', permissions: { administration: 'write' } } });
    const refused = await installation.scoped('read it', 'GET', '/orgs/acme/actions/runners');
    expect([refused.status, refused.headers['x-accepted-github-permissions']]).toEqual([403, 'organization_self_hosted_runners=write']);
    expect(github!.requestsOf('GET')).toHaveLength(1);
  });

  test.each(['', '/api/v3'] as const)('pages (API at "%s"): follows Link rel="next" under the API to the last page', async (basePath) => {
    const api = await client(pat(), { basePath });
    github!.setRunners('orgs/acme', runners(250));
    const pick = (body: any) => (Array.isArray(body?.runners) ? body.runners : undefined);
    const all = await api.pages('list the runners', '/orgs/acme/actions/runners', pick, () => new Error('refused'));
    expect(all.map((r: any) => r.id)).toEqual(runners(250).map((r) => r.id));
    // GitHub's Link names the organization by id.
    expect(github!.requests.map((r) => r.url)).toEqual([
      `${basePath}/orgs/acme/actions/runners?per_page=100`,
      `${basePath}/organizations/9000/actions/runners?per_page=100&page=2`,
      `${basePath}/organizations/9000/actions/runners?per_page=100&page=3`,
    ]);
  });

  test('pages: a next page elsewhere is refused (the token stays with its API)', async () => {
    const api = await client(pat(), { linkOrigin: 'http://127.0.0.2:1' });
    github!.setRunners('orgs/acme', runners(150));
    const error = await api.pages('list the runners', '/orgs/acme/actions/runners', (body: any) => body.runners, () => new Error('refused')).catch((e) => e);
    expect(error.message).toBe('cannot list the runners: GitHub\'s next page "http://127.0.0.2:1/organizations/9000/actions/runners?per_page=100&page=2" is not under '
      + `${api.options.apiUrl}; not sending the token there`);
    expect(github!.requests.map((r) => r.url)).toEqual(['/orgs/acme/actions/runners?per_page=100']);
  });
});

describe('GitHub access', () => {
  test.each([
    ['https://github.com/acme', 'https://api.github.com', 'organization', '/orgs/acme'],
    ['https://github.com/acme/app', 'https://api.github.com', 'repository', '/repos/acme/app'],
    ['https://github.com/enterprises/big', 'https://api.github.com', 'enterprise', '/enterprises/big'],
    ['https://octo.ghe.com/acme', 'https://api.octo.ghe.com', 'organization', '/orgs/acme'],
    ['https://ghes.corp:8443/acme/app', 'https://ghes.corp:8443/api/v3', 'repository', '/repos/acme/app'],
  ])('%s: API %s, %s %s', (url, api, kind, path) => {
    expect(apiUrlOf({ url })).toBe(api);
    expect(scopeOf(url)).toMatchObject({ kind, path });
  });

  test('not a fleet URL; an explicit API URL wins', () => {
    for (const url of ['http://github.com/acme', 'https://github.com/', 'https://github.com/a/b/c', 'https://u:p@github.com/acme', 'https://github.com/acme?x=1']) {
      expect(scopeOf(url)).toBeUndefined();
    }
    expect(apiUrlOf({ url: 'https://github.com/acme', apiUrl: 'http://127.0.0.1:9/api/v3/' })).toBe('http://127.0.0.1:9/api/v3');
  });

  test('credentials: exactly one of App and PAT; errors name the file, never its content', () => {
    expect(() => credentials({})).toThrow(`${dir} holds neither: it must hold either a GitHub App (github_app_id, github_app_installation_id, github_app_private_key) or a PAT (github_token)`);
    expect(() => credentials({ github_token: 'ghp_x', github_app_id: '1' })).toThrow('holds both a PAT (github_token) and GitHub App keys (github_app_id)');
    rmSync(join(dir, 'github_token'));
    expect(() => credentials({})).toThrow('holds a GitHub App without github_app_installation_id and github_app_private_key');
    expect(() => credentials({ github_app_installation_id: 'one', github_app_private_key: 'hunter2' })).toThrow(`${join(dir, 'github_app_installation_id')} must be the installation's number`);
    const error = (() => {
      try {
        return credentials({ github_app_installation_id: '1', github_app_private_key: 'hunter2' });
      } catch (e) {
        return e as Error;
      }
    })() as Error;
    expect(error.message).toBe(`${join(dir, 'github_app_private_key')} must be the App's private key as GitHub issues it (PEM, PKCS#1 or PKCS#8, unencrypted): it does not parse (ERR_OSSL_UNSUPPORTED)`);
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => credentials({ github_app_private_key: ec })).toThrow('must be an RSA private key (GitHub App keys are RSA), got a ec key');
  });
});
