import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubError, RateLimitedError, RetriesExhaustedError } from '../../../lib/cluster/runtime/errors';
import { GitHubClient } from '../../../lib/cluster/runtime/github';
import { apiUrlOf, GitHubAuth, readGitHubAuth, scopeOf } from '../../../lib/cluster/runtime/github-access';
import { Logger } from '../../../lib/cluster/runtime/log';
import { json, ScriptedServer } from './scripted-server';

// The GitHub client against a server on 127.0.0.1 that answers as GitHub's REST API does: the App
// JWT and the installation token, the PAT, GitHub's rate limits (Retry-After, x-ratelimit-*), pages
// through the Link header, and no credential in any line.

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

let dir: string;
let server: ScriptedServer | undefined;
let lines: string[];
let log: Logger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runtime-github-'));
  lines = [];
  log = new Logger('test', (t) => lines.push(t), (t) => lines.push(t));
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
  for (const line of lines) expect(line).not.toMatch(/ghs_|ghp_|eyJ/);
});

function credentials(files: Record<string, string>): GitHubAuth {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return readGitHubAuth(dir, log);
}

const app = () => credentials({ github_app_id: '123', github_app_installation_id: '456', github_app_private_key: PEM });

async function client(auth: GitHubAuth, handler: ConstructorParameters<typeof ScriptedServer>[0], retryBaseDelayMs = 2): Promise<GitHubClient> {
  server = new ScriptedServer(handler);
  const apiUrl = await server.start();
  return new GitHubClient({ apiUrl, auth, log, retryBaseDelayMs, client: 'test' });
}

describe('GitHubClient', () => {
  test('App: a JWT signed with the App\'s key (RS256, iss = App ID, 9 minutes) buys an installation token, kept for later calls', async () => {
    const github = await client(app(), (req, res) => (req.url.startsWith('/app/') ? json(res, 201, { token: 'ghs_installation', expires_at: '2026-12-07T20:00:00Z' }) : json(res, 200, { ok: true })));
    expect(await github.bearer()).toBe('ghs_installation');
    await github.scoped('read it', 'GET', '/orgs/acme/actions/runners');
    const [mint, call] = server!.requests;
    expect([mint.method, mint.url, call.url]).toEqual(['POST', '/app/installations/456/access_tokens', '/orgs/acme/actions/runners']);
    expect(mint.headers['x-github-api-version']).toBe('2022-11-28');
    expect(call.headers.authorization).toBe('Bearer ghs_installation');
    const jwt = mint.headers.authorization!.replace('Bearer ', '');
    const [header, claims, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    const { iat, exp, iss } = JSON.parse(Buffer.from(claims, 'base64url').toString());
    expect([iss, exp - iat]).toEqual(['123', 600]);
    expect(verify('sha256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(log.redact(`${jwt} ghs_installation`)).toBe('[redacted] [redacted]');
  });

  test('PAT: the bearer as it is; refusals are the caller\'s (GitHubError with a hint for the installation)', async () => {
    const pat = credentials({ github_token: 'ghp_personal' });
    const github = await client(pat, (_req, res) => json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com' }, { 'x-github-request-id': 'AB:CD' }));
    const answer = await github.scoped('read it', 'GET', '/repos/acme/app/actions/runners/1');
    expect(answer.status).toBe(404);
    expect(server!.requests[0].headers.authorization).toBe('Bearer ghp_personal');

    rmSync(join(dir, 'github_token'));
    await server!.stop();
    const installation = await client(app(), (_req, res) => json(res, 404, { message: 'Not Found' }));
    const error = await installation.bearer().catch((e) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error.message).toBe('cannot create an access token for installation 456 of GitHub App 123: HTTP 404: Not Found. '
      + 'GitHub App 123 has no installation 456: check github_app_installation_id (the number in the URL of the installation\'s settings page)');
  });

  test('rate limits: a short one (429, Retry-After: 0; 403 with x-ratelimit-remaining 0 and a reset now) is waited out; a long one is not', async () => {
    const now = Math.floor(Date.now() / 1000);
    const pat = credentials({ github_token: 'ghp_personal' });
    const github = await client(pat, (_req, res, i) => {
      if (i === 0) return json(res, 429, { message: 'You have exceeded a secondary rate limit' }, { 'Retry-After': '0' });
      if (i === 1) return json(res, 403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now) });
      if (i === 2) return json(res, 200, { ok: true });
      return json(res, 403, { message: 'API rate limit exceeded for installation' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now + 3600) });
    });
    expect((await github.scoped('read it', 'GET', '/x')).status).toBe(200);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^test: read it: HTTP 429: You have exceeded a secondary rate limit; retry 1 of 5 in /);
    const error = await github.scoped('read it', 'GET', '/x').catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.message).toMatch(/^cannot read it: HTTP 403: API rate limit exceeded for installation; the rate limit lifts in \d+s, later than this run waits: the next run will try again$/);
    expect(server!.requests).toHaveLength(4);
  });

  test('5xx and a 403 that is no rate limit: retried, and not', async () => {
    const pat = credentials({ github_token: 'ghp_personal' });
    const github = await client(pat, (_req, res, i) => (i < 10 ? json(res, 503, { message: 'Service Unavailable' }) : json(res, 403, { message: 'Resource not accessible by integration' })));
    const error = await github.scoped('read it', 'GET', '/x').catch((e) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.message).toBe('cannot read it: HTTP 503: Service Unavailable; gave up after 6 attempts');
  });

  test('pages: follows Link rel="next" under the API; a next page elsewhere is refused (the token stays with its API)', async () => {
    const pat = credentials({ github_token: 'ghp_personal' });
    let base = '';
    const github = await client(pat, (req, res) => {
      const page = new URL(req.url, 'http://x').searchParams.get('page');
      if (!page) return json(res, 200, { runners: [{ id: 1 }] }, { Link: `<${base}/orgs/acme/actions/runners?per_page=100&page=2>; rel="next", <${base}/x?page=9>; rel="last"` });
      if (page === '2') return json(res, 200, { runners: [{ id: 2 }] }, { Link: '<http://127.0.0.2:1/orgs/acme/actions/runners?page=3>; rel="next"' });
      return json(res, 200, { runners: [] });
    });
    base = github.options.apiUrl;
    const pick = (body: any) => (Array.isArray(body?.runners) ? body.runners : undefined);
    const error = await github.pages('list the runners', '/orgs/acme/actions/runners', pick, () => new Error('refused')).catch((e) => e);
    expect(error.message).toBe('cannot list the runners: GitHub\'s next page "http://127.0.0.2:1/orgs/acme/actions/runners?page=3" is not under '
      + `${base}; not sending the token there`);
    expect(server!.requests.map((r) => r.url)).toEqual(['/orgs/acme/actions/runners?per_page=100', '/orgs/acme/actions/runners?per_page=100&page=2']);
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
