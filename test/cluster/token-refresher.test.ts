import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApp, FakeGitHubApi, FakeGitHubOptions, jwtProblem, opaqueToken, Runner } from './fake-github-api';
import { ConnectProxy, makeServerPki } from './connect-proxy';
import { FakeKube, FakeKubeOptions, PolicyRule } from './fake-kube';
import { testIf } from '../util';
import { freePort } from './fake-http';
import { hasOpenssl, makePki } from './fake-tls';

// lib/cluster/token-refresher.cjs runs as node runs it in the CronJob's pod: a child process with only
// its environment, against a fake GitHub (./fake-github-api.ts) and a fake Kubernetes API
// (./fake-kube.ts) on 127.0.0.1. Retries are configured small; the tests assert on exit
// codes, requests, stored Secrets and log lines, never on how long anything took. After every test,
// no credential that any fake issued or the test made may appear in the refresher's output.

jest.setTimeout(30_000);

const SCRIPT = join(__dirname, '..', '..', 'lib', 'cluster', 'token-refresher.cjs');
const NS = 'ci';
const SECRET = 'ci-runner-token';
const APP_ID = '123456';
const CLIENT_ID = 'Iv23liQ9xYz0AbCdEfGh';
const INSTALLATION = '48151623';
const ORG = 'my-org';
const REPO = 'my-org/app';
const ENTERPRISE = 'acme';
const ALL_PERMISSIONS = { administration: 'write', organization_self_hosted_runners: 'write' } as const;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PKCS1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PKCS8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let kubeTokenFile: string;
let kube: FakeKube;
/** The refresher's Role as RunnerTokenRefresher synthesizes it (lib/runner-token-refresher.ts). */
const REFRESHER_RULES: PolicyRule[] = [{ apiGroups: [''], resources: ['secrets'], resourceNames: [SECRET], verbs: ['get', 'patch', 'update'] }];
/** The API server, with RBAC from the refresher's Role, or one with other `verbs`. */
const newKube = (token: string, { verbs, ...options }: Partial<FakeKubeOptions> & { verbs?: string[] } = {}) => new FakeKube({
  token, role: { namespace: NS, serviceAccount: 'token-refresher', rules: verbs ? [{ ...REFRESHER_RULES[0], verbs }] : REFRESHER_RULES },
  contract: REFRESHER_RULES, ...options,
});
const SECRETS = 'secrets';
/** The stored token Secret. */
const tokenSecret = () => kube.object(SECRETS, NS, SECRET);
let github: FakeGitHubApi | undefined;
const secrets: string[] = [];
const runs: Run[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'token-refresher-'));
  const kubeToken = `sa-${randomUUID()}`;
  secrets.push(kubeToken, PKCS1, PKCS8, ...pemLines(PKCS1), ...pemLines(PKCS8));
  kubeTokenFile = join(dir, 'sa-token');
  writeFileSync(kubeTokenFile, `${kubeToken}\n`);
  kube = newKube(kubeToken);
  await kube.start();
  kube.put(SECRETS, synthesizedSecret());
});

afterEach(async () => {
  await kube.stop();
  if (github) await github.stop();
  rmSync(dir, { recursive: true, force: true });
  // Every scenario: no credential in any output, only the refresher's own lines, nothing the APIs refused for its form.
  const issued = [...secrets, ...(github?.issued ?? []), ...(github?.registrationTokens ?? []).map((t) => Buffer.from(t.token).toString('base64'))];
  for (const run of runs) {
    for (const output of [run.stdout, run.stderr]) {
      expect(leaks(output, issued)).toEqual([]);
      expect(output.split('\n').filter((l) => l !== '' && !l.startsWith('token-refresher: '))).toEqual([]);
    }
  }
  expect(kube.violations).toEqual([]);
  expect(github?.violations ?? []).toEqual([]);
  github = undefined;
  secrets.length = 0;
  runs.length = 0;
});

/** Each credential that `output` holds a piece of (16 characters or more), shown by its first 4 characters. */
function leaks(output: string, values: string[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    for (let i = 0; i + 16 <= value.length; i++) {
      if (output.includes(value.slice(i, i + 16))) found.add(`${value.slice(0, 4)}… (at ${i})`);
    }
  }
  return [...found];
}

/** The token Secret as the library synthesizes it: no data. */
function synthesizedSecret(extra: object = {}) {
  return {
    metadata: { name: SECRET, namespace: NS, annotations: { 'cdk8s-kubevirt-runners/filled-by': 'runners (RunnerTokenRefresher)' } },
    type: 'Opaque',
    ...extra,
  };
}

/** The base64 lines of a PEM's body: none of them may leak either. */
function pemLines(pem: string): string[] {
  return pem.split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----'));
}

function app(overrides: Partial<FakeApp> = {}): FakeApp {
  return { issuer: APP_ID, publicKey, installationId: INSTALLATION, account: ORG, permissions: ALL_PERMISSIONS, ...overrides };
}

async function startGitHub(options: Partial<FakeGitHubOptions> = {}): Promise<FakeGitHubApi> {
  github = new FakeGitHubApi({
    basePath: '',
    app: app(),
    repositories: [REPO, 'my-org/other'],
    organizations: [ORG],
    enterprises: [ENTERPRISE],
    ...options,
  });
  await github.start();
  return github;
}

/** A credentials folder as the mounted Secret makes it: one file per key. */
function credentials(files: Record<string, string>): string {
  const folder = join(dir, `credentials-${randomUUID()}`);
  mkdirSync(folder);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  return folder;
}

function appCredentials({ id = APP_ID, installation = INSTALLATION, key = PKCS1 } = {}): string {
  return credentials({ github_app_id: id, github_app_installation_id: installation, github_app_private_key: key });
}

function patCredentials(pat: string): string {
  secrets.push(pat);
  return credentials({ github_token: `${pat}\n` });
}

/** A classic PAT with `scopes`, known to the fake GitHub. */
function pat(...scopes: string[]): { token: string; pats: Record<string, string[]> } {
  const token = `ghp_${opaqueToken()}`;
  secrets.push(token);
  return { token, pats: { [token]: scopes } };
}

function refresherEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    REFRESHER_GITHUB_URL: `https://github.com/${ORG}`,
    REFRESHER_API_URL: github?.url,
    REFRESHER_NAMESPACE: NS,
    REFRESHER_SECRET_NAME: SECRET,
    REFRESHER_KUBE_API: kube.url,
    REFRESHER_KUBE_TOKEN_FILE: kubeTokenFile,
    REFRESHER_RETRY_BASE_MS: '5',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Runs the refresher to its end. */
function refresh(overrides: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT], { env: refresherEnv(overrides), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('close', (code) => {
      const run = { code, stdout, stderr };
      runs.push(run);
      resolve(run);
    });
  });
}

/** The token stored in the Secret, decoded; undefined when it has none. */
function storedToken(key = 'token'): string | undefined {
  const value = tokenSecret().data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** The Secret holds exactly what it held before: no write happened. */
function expectUnchanged(before: any): void {
  expect(tokenSecret()).toEqual(before);
  expect(kube.requestsOf('PATCH')).toEqual([]);
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const githubCalls = () => github!.requests.map((r) => `${r.method} ${r.url}`);

describe('the token refresher: a fresh registration token in the fleet\'s Secret', () => {
  test('GitHub App, organization: JWT -> installation token -> registration token -> merge patch of the Secret; one line with the expiry', async () => {
    await startGitHub();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [registration] = github!.registrationTokens;
    expect(storedToken()).toBe(registration.token);
    expect(run.stdout).toBe(`token-refresher: stored a new registration token for https://github.com/${ORG} in Secret ${NS}/${SECRET} (key token); `
      + `it expires at ${registration.expiresAt}\n`);

    expect(githubCalls()).toEqual([
      `POST /app/installations/${INSTALLATION}/access_tokens`,
      `POST /orgs/${ORG}/actions/runners/registration-token`,
    ]);
    const [jwt, installationToken] = github!.issued;
    expect(github!.requests[0].headers.authorization).toBe(`Bearer ${jwt}`);
    expect(jwtProblem(jwt, app())).toBeUndefined();
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(600);
    expect(github!.requests[1].headers.authorization).toBe(`Bearer ${installationToken}`);

    // The Role's verbs only: read the Secret, then one merge patch of its data.
    expect(kube.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /api/v1/namespaces/${NS}/secrets/${SECRET}`,
      `PATCH /api/v1/namespaces/${NS}/secrets/${SECRET}`,
    ]);
    const patch = kube.requestsOf('PATCH')[0];
    expect(patch.headers['content-type']).toBe('application/merge-patch+json');
    expect(JSON.parse(patch.body)).toEqual({ data: { token: Buffer.from(registration.token, 'utf8').toString('base64') } });
    expect(tokenSecret().metadata.annotations).toEqual(synthesizedSecret().metadata.annotations);
  });

  test('GitHub App, repository, client ID as issuer and a PKCS#8 key: replaces the old token and keeps the Secret\'s other keys', async () => {
    await stopAndPut(synthesizedSecret({ data: { token: b64('old-token'), ca: b64('keep me') } }));
    await startGitHub({ app: app({ issuer: CLIENT_ID, repositories: ['app'] }) });
    const run = await refresh({ REFRESHER_GITHUB_URL: `https://github.com/${REPO}`, REFRESHER_CREDENTIALS_DIR: appCredentials({ id: CLIENT_ID, key: PKCS8 }) });

    expect(run.code).toBe(0);
    expect(githubCalls()[1]).toBe(`POST /repos/${REPO}/actions/runners/registration-token`);
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
    expect(storedToken('ca')).toBe('keep me');
    const claims = JSON.parse(Buffer.from(github!.issued[0].split('.')[1], 'base64url').toString());
    expect(claims.iss).toBe(CLIENT_ID);
  });

  test('PAT, repository: the PAT is the bearer; each run stores a new token', async () => {
    const { token, pats } = pat('repo');
    await startGitHub({ pats });
    const env = { REFRESHER_GITHUB_URL: `https://github.com/${REPO}`, REFRESHER_CREDENTIALS_DIR: patCredentials(token) };
    expect((await refresh(env)).code).toBe(0);
    expect((await refresh(env)).code).toBe(0);

    expect(githubCalls()).toEqual(Array(2).fill(`POST /repos/${REPO}/actions/runners/registration-token`));
    expect(github!.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    expect(github!.registrationTokens[0].token).not.toBe(github!.registrationTokens[1].token);
    expect(storedToken()).toBe(github!.registrationTokens[1].token);
  });

  test('PAT with manage_runners:enterprise, enterprise; another Secret key', async () => {
    const { token, pats } = pat('manage_runners:enterprise');
    await startGitHub({ pats });
    const run = await refresh({
      REFRESHER_GITHUB_URL: `https://github.com/enterprises/${ENTERPRISE}`,
      REFRESHER_CREDENTIALS_DIR: patCredentials(token),
      REFRESHER_SECRET_KEY: 'registration.token',
    });
    expect(run.code).toBe(0);
    expect(githubCalls()).toEqual([`POST /enterprises/${ENTERPRISE}/actions/runners/registration-token`]);
    expect(storedToken('registration.token')).toBe(github!.registrationTokens[0].token);
    expect(run.stdout).toContain(`for https://github.com/enterprises/${ENTERPRISE} in Secret ${NS}/${SECRET} (key registration.token)`);
  });

  test('GitHub Enterprise Server: the API under /api/v3', async () => {
    await startGitHub({ basePath: '/api/v3' });
    const run = await refresh({
      REFRESHER_GITHUB_URL: `https://ghes.example.com/${ORG}`,
      REFRESHER_API_URL: github!.url,
      REFRESHER_CREDENTIALS_DIR: appCredentials(),
    });
    expect(run.code).toBe(0);
    expect(githubCalls()).toEqual([
      `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`,
      `POST /api/v3/orgs/${ORG}/actions/runners/registration-token`,
    ]);
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
    expect(run.stdout).toContain(`for https://ghes.example.com/${ORG} in Secret`);
  });
});

describe('the token refresher: GitHub refuses (exit 1, the old token stays)', () => {
  const OLD = synthesizedSecret({ data: { token: b64('old-token') } });

  beforeEach(async () => {
    await stopAndPut(OLD);
  });

  test('401: a JWT GitHub cannot verify (a key of another App)', async () => {
    await startGitHub({ app: app({ publicKey: otherKey.publicKey }) });
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`token-refresher: cannot create an access token for installation ${INSTALLATION} of GitHub App ${APP_ID}: `
      + 'HTTP 401: A JSON web token could not be decoded');
    expect(run.stderr).toContain('github_app_id (App ID or client ID) and github_app_private_key must belong to the same App');
    expect(run.stderr).not.toContain('retry');
    expectUnchanged(before);
  });

  test('401: a PAT GitHub does not know', async () => {
    await startGitHub();
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: patCredentials(`ghp_${opaqueToken()}`) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot create a registration token for https://github.com/${ORG}: HTTP 401: Bad credentials`);
    expect(run.stderr).toContain('GitHub does not accept the PAT in github_token: it is wrong, expired or revoked');
    expectUnchanged(before);
  });

  test.each([
    ['a repository, App without Administration', `https://github.com/${REPO}`, 'app', { administration: 'read' },
      'the repository permission "Administration: read and write"', '(GitHub says it accepts: administration=write)'],
    ['an organization, App without Self-hosted runners', `https://github.com/${ORG}`, 'app', { administration: 'write' },
      'the organization permission "Self-hosted runners: read and write"', '(GitHub says it accepts: organization_self_hosted_runners=write)'],
    ['an enterprise, App (enterprise runner endpoints take classic PATs)', `https://github.com/enterprises/${ENTERPRISE}`, 'app', ALL_PERMISSIONS,
      'a classic PAT with the scope manage_runners:enterprise', 'GitHub App installation tokens are not accepted there'],
    ['an enterprise, PAT without manage_runners:enterprise', `https://github.com/enterprises/${ENTERPRISE}`, 'pat', {},
      'a classic PAT with the scope manage_runners:enterprise', 'HTTP 403: Must have admin rights'],
  ] as const)('403 for %s: the message names the permission', async (_, url, kind, permissions, permission, detail) => {
    const { token, pats } = pat('repo', 'admin:org');
    await startGitHub({ app: app({ permissions }), pats });
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_GITHUB_URL: url, REFRESHER_CREDENTIALS_DIR: kind === 'app' ? appCredentials() : patCredentials(token) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot create a registration token for ${url}: HTTP 403`);
    expect(run.stderr).toContain(`lacks the permission: ${permission}`);
    expect(run.stderr).toContain(detail);
    expectUnchanged(before);
  });

  test('404: an installation the App does not have', async () => {
    await startGitHub();
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials({ installation: '1' }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`GitHub App ${APP_ID} has no installation 1: check github_app_installation_id`);
    expectUnchanged(before);
  });

  test.each([
    ['a repository that does not exist', 'my-org/nope', undefined],
    ['a repository the installation cannot access', 'my-org/other', ['app']],
  ])('404: %s', async (_, repository, repositories) => {
    await startGitHub({ app: app({ repositories }) });
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_GITHUB_URL: `https://github.com/${repository}`, REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot create a registration token for https://github.com/${repository}: HTTP 404: Not Found`);
    expect(run.stderr).toContain(`Either REFRESHER_GITHUB_URL is wrong (no the repository ${repository}) or the GitHub App is not installed there `
      + `(installation ${INSTALLATION} has no access to that repository)`);
    expectUnchanged(before);
  });

  test('422: not retried; GitHub\'s message is shown', async () => {
    await startGitHub();
    github!.inject('registration-token', { status: 422, message: 'Validation Failed' }, 10);
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`token-refresher: cannot create a registration token for https://github.com/${ORG}: HTTP 422: Validation Failed `
      + '[GitHub request C0DE:1234:5678:9ABC:DEF0]. GitHub refused the request as invalid\n');
    expect(github!.requestsOf('POST', 'registration-token')).toHaveLength(1);
    expectUnchanged(before);
  });

  test('500, then success: retried', async () => {
    await startGitHub();
    github!.inject('registration-token', { status: 500 });
    github!.inject('access_tokens', { reset: true });
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^token-refresher: create an access token for installation \d+ of GitHub App \d+: .*; retry 1 of 5 in \d+\.\ds\n/);
    expect(run.stderr).toContain(`token-refresher: create a registration token for https://github.com/${ORG}: HTTP 500: Server Error `);
    expect(github!.requestsOf('POST', 'access_tokens')).toHaveLength(2);
    expect(github!.requestsOf('POST', 'registration-token')).toHaveLength(2);
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
  });

  test('a short rate limit (429, Retry-After: 0) is waited out', async () => {
    await startGitHub();
    github!.inject('registration-token', { status: 429, message: 'You have exceeded a secondary rate limit', headers: { 'Retry-After': '0' } });
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('HTTP 429: You have exceeded a secondary rate limit');
  });

  test('a rate limit that lifts only in an hour: not waited for, one request', async () => {
    await startGitHub();
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    github!.inject('registration-token', { status: 403, message: 'API rate limit exceeded', headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset } });
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 403: API rate limit exceeded .*; the rate limit lifts in \d+s, later than this run waits: the next run will try again/);
    expect(github!.requestsOf('POST', 'registration-token')).toHaveLength(1);
    expectUnchanged(before);
  });

  test('5xx that persists: gives up after 6 attempts', async () => {
    await startGitHub();
    github!.inject('registration-token', { status: 503, message: 'Service Unavailable' }, 100);
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`token-refresher: cannot create a registration token for https://github.com/${ORG}: HTTP 503: Service Unavailable `
      + '[GitHub request C0DE:1234:5678:9ABC:DEF0]; gave up after 6 attempts\n');
    expect(run.stderr.match(/retry \d of 5/g)).toEqual(['retry 1 of 5', 'retry 2 of 5', 'retry 3 of 5', 'retry 4 of 5', 'retry 5 of 5']);
    expect(github!.requestsOf('POST', 'registration-token')).toHaveLength(6);
    expectUnchanged(before);
  });

  test('network: nothing listens at the API URL', async () => {
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_API_URL: `http://127.0.0.1:${await freePort()}`, REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot create an access token for installation \d+ of GitHub App \d+: connect ECONNREFUSED 127\.0\.0\.1:\d+; gave up after 6 attempts\n$/);
    expectUnchanged(before);
  });
});

describe('the token refresher: the token Secret', () => {
  test('a Secret that does not exist is not created; GitHub is not asked', async () => {
    await startGitHub();
    await stopAndPut(undefined);
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`token-refresher: cannot get Secret ${NS}/${SECRET}: HTTP 404 NotFound: secrets "${SECRET}" not found. `
      + 'The refresher only fills the token Secret, it never creates it: apply the manifests that create it (the library synthesizes it empty) '
      + `in namespace ${NS}\n`);
    expect(github!.requests).toEqual([]);
    expect(kube.requests.map((r) => r.method)).toEqual(['GET']);
  });

  test('a Role without patch: the token made is not stored, the message names the Role\'s verbs', async () => {
    await startGitHub();
    await stopAndPut(synthesizedSecret({ data: { token: b64('old-token') } }), { verbs: ['get'] });
    const before = tokenSecret();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot patch Secret ${NS}/${SECRET}: HTTP 403 Forbidden: secrets "${SECRET}" is forbidden: `
      + `User "system:serviceaccount:${NS}:token-refresher" cannot patch resource "secrets" in API group "" in the namespace "${NS}". `
      + `The pod's ServiceAccount may not patch it: its Role needs the verbs get and patch on secrets with resourceNames [${SECRET}] in namespace ${NS}`);
    expect(tokenSecret()).toEqual(before);
  });

  test('a ServiceAccount token the API server refuses', async () => {
    await startGitHub();
    kube.token = 'rotated-away';
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot get Secret ${NS}/${SECRET}: HTTP 401 Unauthorized: Unauthorized. The API server does not accept the pod's ServiceAccount token`);
    expect(github!.requests).toEqual([]);
  });

  test('an immutable Secret: refused before GitHub is asked', async () => {
    await startGitHub();
    await stopAndPut(synthesizedSecret({ immutable: true }));
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Secret ${NS}/${SECRET} is immutable`);
    expect(github!.requests).toEqual([]);
  });

  test('transient API server trouble (a reset GET, a 500 and a 429 on PATCH) is retried', async () => {
    await startGitHub();
    kube.inject('GET', SECRETS, { reset: true });
    kube.inject('PATCH', SECRETS, { status: 500, message: 'etcdserver: request timed out' });
    kube.inject('PATCH', SECRETS, { status: 429, message: 'too many requests', retryAfter: '0' });
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials() });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`patch Secret ${NS}/${SECRET}: HTTP 500 InternalError: etcdserver: request timed out; retry 1 of 5`);
    expect(kube.requestsOf('PATCH')).toHaveLength(3);
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
  });
});

describe('the token refresher: configuration errors exit 2 before any request', () => {
  const files = () => ({ github_app_id: APP_ID, github_app_installation_id: INSTALLATION, github_app_private_key: PKCS1 });
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();

  test.each<[string, () => Record<string, string | undefined>, string]>([
    ['both a PAT and an App', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ ...files(), github_token: 'ghp_x' }) }),
      'holds both a PAT (github_token) and GitHub App keys (github_app_id, github_app_installation_id, github_app_private_key): it must hold either'],
    ['neither', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ 'other-key': 'x' }) }),
      'holds neither: it must hold either a GitHub App (github_app_id, github_app_installation_id, github_app_private_key) or a PAT (github_token)'],
    ['an App without its key', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ github_app_id: APP_ID, github_app_installation_id: INSTALLATION }) }),
      'holds a GitHub App without github_app_private_key'],
    ['an App without its installation', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ github_app_id: APP_ID, github_app_private_key: PKCS1 }) }),
      'holds a GitHub App without github_app_installation_id'],
    ['no credentials folder', () => ({ REFRESHER_CREDENTIALS_DIR: join(dir, 'absent') }),
      'cannot be read: ENOENT; is the credentials Secret mounted there?'],
    ['an empty PAT', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ github_token: '\n' }) }), 'github_token is empty'],
    ['a key that is not PEM', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ ...files(), github_app_private_key: 'not a key' }) }),
      'github_app_private_key must be the App\'s private key as GitHub issues it (PEM, PKCS#1 or PKCS#8, unencrypted): it does not parse'],
    ['an encrypted key', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ ...files(), github_app_private_key: encrypted }) }),
      'it is encrypted with a passphrase'],
    ['an EC key', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ ...files(), github_app_private_key: ecKey }) }),
      'must be an RSA private key (GitHub App keys are RSA), got a ec key'],
    ['an installation id that is not a number', () => ({ REFRESHER_CREDENTIALS_DIR: credentials({ ...files(), github_app_installation_id: 'my-org' }) }),
      'github_app_installation_id must be the installation\'s number'],
    ['no GitHub URL', () => ({ REFRESHER_GITHUB_URL: undefined }), 'REFRESHER_GITHUB_URL is not set'],
    ['a GitHub URL with a path too deep', () => ({ REFRESHER_GITHUB_URL: 'https://github.com/a/b/c' }),
      'REFRESHER_GITHUB_URL must be https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG, got "https://github.com/a/b/c"'],
    ['a GitHub URL with credentials', () => ({ REFRESHER_GITHUB_URL: 'https://user:hunter2@github.com/a' }), 'REFRESHER_GITHUB_URL must be an https URL'],
    ['no namespace', () => ({ REFRESHER_NAMESPACE: undefined }), 'REFRESHER_NAMESPACE is not set'],
    ['a Secret key with a slash', () => ({ REFRESHER_SECRET_KEY: 'a/b' }), 'REFRESHER_SECRET_KEY must be a Secret key'],
    ['no Kubernetes API', () => ({ REFRESHER_KUBE_API: undefined }), 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set'],
    ['no ServiceAccount token', () => ({ REFRESHER_KUBE_TOKEN_FILE: join(dir, 'absent') }), 'cannot be read: ENOENT'],
    ['a bad retry base', () => ({ REFRESHER_RETRY_BASE_MS: 'soon' }), 'REFRESHER_RETRY_BASE_MS must be a whole number of milliseconds'],
  ])('%s', async (_, overrides, message) => {
    await startGitHub();
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials(), ...overrides() });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^token-refresher: configuration error: [^\n]*\n$/);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('hunter2');
    expect(github!.requests).toEqual([]);
    expect(kube.requests).toEqual([]);
  });
});

describe('the token refresher: deleting the fleet\'s offline runners', () => {
  /** 148 runners over two pages: the fleet's offline idle ones (one on each page) and every near miss. */
  function fleet(): Runner[] {
    const others: Runner[] = Array.from({ length: 140 }, (_, i) => ({ id: 1000 + i, name: `team-${i}`, status: i % 2 ? 'online' : 'offline', busy: false }));
    return [
      { id: 1, name: 'ci-0', status: 'offline', busy: false },
      { id: 2, name: 'ci-1', status: 'offline', busy: true },
      { id: 3, name: 'ci-2', status: 'online', busy: false },
      { id: 4, name: 'ci', status: 'offline', busy: false },
      { id: 8, name: 'ci-gpu-0', status: 'offline', busy: false },
      { id: 5, name: 'cix-0', status: 'offline', busy: false },
      ...others.slice(0, 95),
      { id: 6, name: 'other-ci-0', status: 'offline', busy: false },
      { id: 7, name: 'ci-7', status: 'offline', busy: false },
      { id: 8, name: 'ci-8', status: 'online', busy: true },
      ...others.slice(95),
    ];
  }

  test('after storing the token: deletes only offline, idle runners named <prefix>-<N>, across two pages', async () => {
    await startGitHub();
    github!.setRunners(`orgs/${ORG}`, fleet());
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials(), REFRESHER_DELETE_OFFLINE_PREFIX: 'ci' });

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
    expect(githubCalls().slice(2)).toEqual([
      `GET /orgs/${ORG}/actions/runners?per_page=100`,
      'GET /organizations/9000/actions/runners?per_page=100&page=2',
      `DELETE /orgs/${ORG}/actions/runners/1`,
      `DELETE /orgs/${ORG}/actions/runners/7`,
    ]);
    const installationToken = github!.issued[1];
    expect(github!.requests.slice(2).map((r) => r.headers.authorization)).toEqual(Array(4).fill(`Bearer ${installationToken}`));
    expect(github!.runners(`orgs/${ORG}`).map((r) => r.id)).toEqual(fleet().map((r) => r.id).filter((id) => id !== 1 && id !== 7));
    expect(run.stdout.split('\n').slice(1)).toEqual([
      'token-refresher: deleted offline runner "ci-0" (id 1)',
      'token-refresher: deleted offline runner "ci-7" (id 7)',
      'token-refresher: offline runners named ci-<N>: 2 of 149 runners',
      '',
    ]);
  });

  test('on GitHub Enterprise Server, with a PAT: the next pages stay under /api/v3; a runner that took a job meanwhile is left', async () => {
    const { token, pats } = pat('repo');
    await startGitHub({ basePath: '/api/v3', pats });
    github!.setRunners(`repos/${REPO}`, fleet());
    github!.inject('delete', { status: 422, message: 'Bad request - Runner "ci-0" is still running a job' });
    const run = await refresh({
      REFRESHER_GITHUB_URL: `https://ghes.example.com/${REPO}`,
      REFRESHER_CREDENTIALS_DIR: patCredentials(token),
      REFRESHER_DELETE_OFFLINE_PREFIX: 'ci',
    });
    expect(run.code).toBe(0);
    expect(githubCalls().slice(1)).toEqual([
      `GET /api/v3/repos/${REPO}/actions/runners?per_page=100`,
      'GET /api/v3/repositories/4000/actions/runners?per_page=100&page=2',
      `DELETE /api/v3/repos/${REPO}/actions/runners/1`,
      `DELETE /api/v3/repos/${REPO}/actions/runners/7`,
    ]);
    expect(run.stdout).toContain('token-refresher: left runner "ci-0" (id 1): GitHub would not delete it (HTTP 422: Bad request - Runner "ci-0" is still running a job');
    expect(run.stdout).toContain('token-refresher: deleted offline runner "ci-7" (id 7)');
  });

  test('a cleanup that fails keeps the new token, and exits 1', async () => {
    await startGitHub();
    github!.setRunners(`orgs/${ORG}`, fleet());
    github!.inject('list', { status: 403, message: 'Resource not accessible by integration', headers: { 'X-Accepted-GitHub-Permissions': 'organization_self_hosted_runners=read' } });
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials(), REFRESHER_DELETE_OFFLINE_PREFIX: 'ci' });
    expect(run.code).toBe(1);
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
    expect(run.stdout).toContain('stored a new registration token');
    expect(run.stderr).toBe(`token-refresher: the new registration token is stored, but deleting offline runners failed: cannot list the self-hosted runners of https://github.com/${ORG}: `
      + 'HTTP 403: Resource not accessible by integration [GitHub request C0DE:1234:5678:9ABC:DEF0]. The GitHub App (installation 48151623) lacks the permission: '
      + 'the organization permission "Self-hosted runners: read and write" (GitHub App or fine-grained PAT; a classic PAT needs the scope admin:org) '
      + '(GitHub says it accepts: organization_self_hosted_runners=read)\n');
    expect(github!.requestsOf('DELETE')).toEqual([]);
  });

  test('a next page on another host is not followed: the token stays with the API it was issued for', async () => {
    await startGitHub({ linkOrigin: 'http://127.0.0.2:1' });
    github!.setRunners(`orgs/${ORG}`, fleet());
    const run = await refresh({ REFRESHER_CREDENTIALS_DIR: appCredentials(), REFRESHER_DELETE_OFFLINE_PREFIX: 'ci' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`GitHub's next page "http://127.0.0.2:1/organizations/9000/actions/runners?per_page=100&page=2" is not under ${github!.url}; not sending the token there`);
    expect(github!.requestsOf('DELETE')).toEqual([]);
  });
});

describe('the token refresher: TLS, as in the cluster', () => {
  const tlsTest = testIf(hasOpenssl, 'openssl (to make a test CA; apt-get install openssl)');

  tlsTest('the API server through KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount CA; GHES at https://HOST/api/v3 trusted through NODE_EXTRA_CA_CERTS', async () => {
    const pki = makePki(dir);
    const token = kube.token;
    await kube.stop();
    kube = newKube(token, { tls: { key: pki.serverKey, cert: pki.serverCert } });
    await kube.start();
    kube.put(SECRETS, synthesizedSecret());
    await startGitHub({ basePath: '/api/v3', tls: { key: pki.serverKey, cert: pki.serverCert } });
    const inCluster = {
      REFRESHER_KUBE_API: undefined,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(kube.port),
      REFRESHER_KUBE_CA_FILE: pki.caFile,
      // No REFRESHER_API_URL: the API base comes from the GHES URL.
      REFRESHER_API_URL: undefined,
      REFRESHER_GITHUB_URL: `https://127.0.0.1:${github!.port}/${ORG}`,
      REFRESHER_CREDENTIALS_DIR: appCredentials(),
    };

    const run = await refresh({ ...inCluster, NODE_EXTRA_CA_CERTS: pki.caFile });
    expect(run.code).toBe(0);
    expect(githubCalls()).toEqual([
      `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`,
      `POST /api/v3/orgs/${ORG}/actions/runners/registration-token`,
    ]);
    expect(storedToken()).toBe(github!.registrationTokens[0].token);

    const untrustedGitHub = await refresh(inCluster);
    expect(untrustedGitHub.code).toBe(1);
    expect(untrustedGitHub.stderr).toMatch(new RegExp(`^token-refresher: TLS: GitHub's API at https://127\\.0\\.0\\.1:${github!.port}/api/v3 is not trusted `
      + '\\(a server with a private CA needs NODE_EXTRA_CA_CERTS\\): '));
    expect(untrustedGitHub.stderr).not.toContain('retry');

    const untrustedKube = await refresh({ ...inCluster, NODE_EXTRA_CA_CERTS: pki.caFile, REFRESHER_KUBE_CA_FILE: pki.otherCaFile });
    expect(untrustedKube.code).toBe(1);
    expect(untrustedKube.stderr).toMatch(new RegExp(`^token-refresher: TLS: the API server at https://127\\.0\\.0\\.1:${kube.port} is not trusted with the CA certificate ${pki.otherCaFile}: `));
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
  });
});

describe('the token refresher behind a proxy, GHES with a private CA', () => {
  const proxyTest = testIf(hasOpenssl, 'openssl (to make a test CA; apt-get install openssl)');
  // github.test resolves only inside the proxy: a call that reached GitHub went through it.
  const GHES = 'github.test';
  let proxy: ConnectProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  async function corpNetwork(refuse = false) {
    const pki = makeServerPki(dir, GHES);
    if (github) await github.stop();
    await startGitHub({ basePath: '/api/v3', tls: { key: pki.key, cert: pki.cert } });
    proxy = new ConnectProxy({ [GHES]: '127.0.0.1' }, refuse);
    await proxy.start();
    const env = {
      REFRESHER_GITHUB_URL: `https://${GHES}:${github!.port}/${ORG}`,
      REFRESHER_API_URL: undefined,
      REFRESHER_CREDENTIALS_DIR: appCredentials(),
      HTTPS_PROXY: proxy.url,
      // What the library sets: the fleet's noProxy (loopback first) and the cluster's own domains.
      NO_PROXY: 'localhost,127.0.0.1,::1,.svc,.cluster.local',
      NODE_EXTRA_CA_CERTS: pki.caFile,
    };
    return { pki, env };
  }

  proxyTest('GitHub through a CONNECT tunnel, trusted through NODE_EXTRA_CA_CERTS; the Kubernetes API directly', async () => {
    const { env } = await corpNetwork();
    const run = await refresh(env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(proxy!.connects).toEqual([`${GHES}:${github!.port}`, `${GHES}:${github!.port}`]);
    expect(githubCalls()).toEqual([
      `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`,
      `POST /api/v3/orgs/${ORG}/actions/runners/registration-token`,
    ]);
    expect(storedToken()).toBe(github!.registrationTokens[0].token);
    expect(kube.requestsOf('PATCH')).toHaveLength(1);
    expect(run.stdout).toContain(`token-refresher: GitHub's API: ${GHES}:${github!.port} through the proxy ${proxy!.url}\n`);
  });

  proxyTest('without the CA the TLS call fails, not retried, with a clear message; nothing stored', async () => {
    const { env } = await corpNetwork();
    const run = await refresh({ ...env, NODE_EXTRA_CA_CERTS: undefined });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`TLS: GitHub's API at https://${GHES}:${github!.port}/api/v3 is not trusted (a server with a private CA needs NODE_EXTRA_CA_CERTS)`);
    expect(proxy!.connects).toEqual([`${GHES}:${github!.port}`]);
    expect(kube.requestsOf('PATCH')).toEqual([]);
  });

  proxyTest('NO_PROXY exempts the host (here: then unresolvable); a proxy that refuses CONNECT is named without its userinfo', async () => {
    const { env } = await corpNetwork();
    const direct = await refresh({ ...env, NO_PROXY: `localhost,.test` });
    expect(direct.code).toBe(1);
    expect(proxy!.connects).toEqual([]);
    expect(direct.stdout).toContain(`GitHub's API: ${GHES}:${github!.port} directly`);

    await proxy!.stop();
    proxy = new ConnectProxy({ [GHES]: '127.0.0.1' }, true);
    await proxy.start();
    const withUser = proxy.url.replace('http://', 'http://corp-user:S3cretProxyPass@');
    const refused = await refresh({ ...env, HTTPS_PROXY: withUser });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the proxy ${proxy.url} refused CONNECT ${GHES}:${github!.port}: 403 Forbidden`);
    expect(proxy.authorizations).toEqual([]);
    for (const output of [refused.stdout, refused.stderr]) {
      expect(output).not.toContain('S3cretProxyPass');
      expect(output).not.toContain('corp-user');
    }

    const bad = await refresh({ ...env, HTTPS_PROXY: 'socks5://u:S3cretProxyPass@proxy:1080' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('HTTPS_PROXY must be an http(s) proxy URL such as http://proxy.corp:3128, got "socks5://***@proxy:1080"');
  });
});

/** Restarts the fake API server with `secret` stored (or none) and other options. */
async function stopAndPut(secret: ReturnType<typeof synthesizedSecret> | undefined, options: { verbs?: string[] } = {}): Promise<void> {
  const token = kube.token;
  await kube.stop();
  kube = newKube(token, options);
  await kube.start();
  if (secret) kube.put(SECRETS, secret);
}

