import { randomUUID } from 'node:crypto';
import { jwtProblem, opaqueToken, Runner } from './fake-github-api';
import { freePort } from './fake-http';
import { CLUSTER_NODES } from './node-binaries';
import {
  ALL_PERMISSIONS, app, APP_ID, appCredentials, b64, CLIENT_ID, ENTERPRISE, expectUnchanged, github, githubCalls, INSTALLATION, kube, NS, ORG, otherKey, pat,
  patCredentials, PKCS8, refresh, REPO, SECRET, SECRETS, startGitHub, stopAndPut, storedToken, synthesizedSecret, tokenSecret, useNode, useRefresherHarness,
} from './token-refresher-harness';

// The token-refresher bundle (lib/cluster/entries/token-refresher.ts) runs as its CronJob's pod runs
// it: `node token-refresher.js config.json`, a child process with only POD_NAMESPACE (and what node
// reads: NODE_EXTRA_CA_CERTS) in its environment, under the project's Node and the pinned image's
// major, against a fake GitHub (./fake-github-api.ts) and a fake Kubernetes API
// (./fake-kube.ts) on 127.0.0.1. Retries are configured small; the tests assert on exit
// codes, requests, stored Secrets and log lines, never on how long anything took. After every test,
// no credential that any fake issued or the test made may appear in the refresher's output.
// This file: a new token, GitHub's refusals, the token Secret, deleting offline runners;
// token-refresher-network.test.ts: bad configurations, TLS and the proxy.

jest.setTimeout(30_000);

useRefresherHarness();

describe.each(CLUSTER_NODES)('under $label', (clusterNode) => {
  useNode(clusterNode);

  describe('the token refresher: a fresh registration token in the fleet\'s Secret', () => {
    test('GitHub App, organization: JWT -> installation token -> registration token -> merge patch of the Secret; one line with the expiry', async () => {
      await startGitHub();
      const run = await refresh({ credentialsDir: appCredentials() });

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
      const run = await refresh({ url: `https://github.com/${REPO}`, credentialsDir: appCredentials({ id: CLIENT_ID, key: PKCS8 }) });

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
      const env = { url: `https://github.com/${REPO}`, credentialsDir: patCredentials(token) };
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
        url: `https://github.com/enterprises/${ENTERPRISE}`,
        credentialsDir: patCredentials(token),
        secretKey: 'registration.token',
      });
      expect(run.code).toBe(0);
      expect(githubCalls()).toEqual([`POST /enterprises/${ENTERPRISE}/actions/runners/registration-token`]);
      expect(storedToken('registration.token')).toBe(github!.registrationTokens[0].token);
      expect(run.stdout).toContain(`for https://github.com/enterprises/${ENTERPRISE} in Secret ${NS}/${SECRET} (key registration.token)`);
    });

    test('GitHub Enterprise Server: the API under /api/v3', async () => {
      await startGitHub({ basePath: '/api/v3' });
      const run = await refresh({
        url: `https://ghes.example.com/${ORG}`,
        apiUrl: github!.url,
        credentialsDir: appCredentials(),
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
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`token-refresher: cannot create an access token for installation ${INSTALLATION} of GitHub App ${APP_ID}: `
        + 'HTTP 401: A JSON web token could not be decoded');
      expect(run.stderr).toContain('github_app_id (App ID or client ID) and github_app_private_key must belong to the same App');
      expect(run.stderr).not.toContain('retry');
      expectUnchanged(before);
    });

    test('a failure, the pod named by the downward API: a Warning Event TokenRefreshFailed on the pod, with what to fix and no credential', async () => {
      await startGitHub();
      const pat = `ghp_${opaqueToken()}`;
      const pod = { name: 'tokens-29412345-x7k2p', uid: randomUUID() };
      const run = await refresh({ credentialsDir: patCredentials(pat), env: { POD_NAME: pod.name, POD_UID: pod.uid } });
      expect(run.code).toBe(1);
      const events = kube.requestsOf('POST', '/events').map((r) => kube.object('events', NS, JSON.parse(r.body).metadata.name));
      expect(events).toEqual([expect.objectContaining({
        type: 'Warning', reason: 'TokenRefreshFailed', involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: NS, ...pod },
        source: { component: 'token-refresher' }, reportingComponent: 'token-refresher', reportingInstance: pod.name,
      })]);
      expect(events[0].message).toContain('GitHub does not accept the PAT in github_token: it is wrong, expired or revoked');
      expect(JSON.stringify(kube.requests.map((r) => r.body))).not.toContain(pat);
    });

    test('401: a PAT GitHub does not know', async () => {
      await startGitHub();
      const before = tokenSecret();
      const run = await refresh({ credentialsDir: patCredentials(`ghp_${opaqueToken()}`) });
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
      const run = await refresh({ url: url, credentialsDir: kind === 'app' ? appCredentials() : patCredentials(token) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot create a registration token for ${url}: HTTP 403`);
      expect(run.stderr).toContain(`lacks the permission: ${permission}`);
      expect(run.stderr).toContain(detail);
      expectUnchanged(before);
    });

    test('404: an installation the App does not have', async () => {
      await startGitHub();
      const before = tokenSecret();
      const run = await refresh({ credentialsDir: appCredentials({ installation: '1' }) });
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
      const run = await refresh({ url: `https://github.com/${repository}`, credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot create a registration token for https://github.com/${repository}: HTTP 404: Not Found`);
      expect(run.stderr).toContain(`Either github.url is wrong (no the repository ${repository}) or the GitHub App is not installed there `
        + `(installation ${INSTALLATION} has no access to that repository)`);
      expectUnchanged(before);
    });

    test('422: not retried; GitHub\'s message is shown', async () => {
      await startGitHub();
      github!.inject('registration-token', { status: 422, message: 'Validation Failed' }, 10);
      const before = tokenSecret();
      const run = await refresh({ credentialsDir: appCredentials() });
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
      const run = await refresh({ credentialsDir: appCredentials() });
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
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('HTTP 429: You have exceeded a secondary rate limit');
    });

    test('a rate limit that lifts only in an hour: not waited for, one request', async () => {
      await startGitHub();
      const reset = String(Math.floor(Date.now() / 1000) + 3600);
      github!.inject('registration-token', { status: 403, message: 'API rate limit exceeded', headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset } });
      const before = tokenSecret();
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/HTTP 403: API rate limit exceeded .*; the rate limit lifts in \d+s, later than this run waits: the next run will try again/);
      expect(github!.requestsOf('POST', 'registration-token')).toHaveLength(1);
      expectUnchanged(before);
    });

    test('5xx that persists: gives up after 6 attempts', async () => {
      await startGitHub();
      github!.inject('registration-token', { status: 503, message: 'Service Unavailable' }, 100);
      const before = tokenSecret();
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`token-refresher: cannot create a registration token for https://github.com/${ORG}: HTTP 503: Service Unavailable `
        + '[GitHub request C0DE:1234:5678:9ABC:DEF0]; gave up after 6 attempts\n');
      expect(run.stderr.match(/retry \d of 5/g)).toEqual(['retry 1 of 5', 'retry 2 of 5', 'retry 3 of 5', 'retry 4 of 5', 'retry 5 of 5']);
      expect(github!.requestsOf('POST', 'registration-token')).toHaveLength(6);
      expectUnchanged(before);
    });

    test('network: nothing listens at the API URL', async () => {
      const before = tokenSecret();
      const run = await refresh({ apiUrl: `http://127.0.0.1:${await freePort()}`, credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/cannot create an access token for installation \d+ of GitHub App \d+: connect ECONNREFUSED 127\.0\.0\.1:\d+; gave up after 6 attempts\n$/);
      expectUnchanged(before);
    });
  });

  describe('the token refresher: the token Secret', () => {
    test('a Secret that does not exist is not created; GitHub is not asked', async () => {
      await startGitHub();
      await stopAndPut(undefined);
      const run = await refresh({ credentialsDir: appCredentials() });
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
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot patch Secret ${NS}/${SECRET}: HTTP 403 Forbidden: secrets "${SECRET}" is forbidden: `
        + `User "system:serviceaccount:${NS}:token-refresher" cannot patch resource "secrets" in API group "" in the namespace "${NS}". `
        + `The pod's ServiceAccount may not patch it: its Role needs the verbs get and patch on secrets with resourceNames [${SECRET}] in namespace ${NS}`);
      expect(tokenSecret()).toEqual(before);
    });

    test('a ServiceAccount token the API server refuses', async () => {
      await startGitHub();
      kube.token = 'rotated-away';
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot get Secret ${NS}/${SECRET}: HTTP 401 Unauthorized: Unauthorized. The API server does not accept the pod's ServiceAccount token`);
      expect(github!.requests).toEqual([]);
    });

    test('an immutable Secret: refused before GitHub is asked', async () => {
      await startGitHub();
      await stopAndPut(synthesizedSecret({ immutable: true }));
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Secret ${NS}/${SECRET} is immutable`);
      expect(github!.requests).toEqual([]);
    });

    test('transient API server trouble (a reset GET, a 500 and a 429 on PATCH) is retried', async () => {
      await startGitHub();
      kube.inject('GET', SECRETS, { reset: true });
      kube.inject('PATCH', SECRETS, { status: 500, message: 'etcdserver: request timed out' });
      kube.inject('PATCH', SECRETS, { status: 429, message: 'too many requests', retryAfter: '0' });
      const run = await refresh({ credentialsDir: appCredentials() });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`patch Secret ${NS}/${SECRET}: HTTP 500 InternalError: etcdserver: request timed out; retry 1 of 5`);
      expect(kube.requestsOf('PATCH')).toHaveLength(3);
      expect(storedToken()).toBe(github!.registrationTokens[0].token);
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
      const run = await refresh({ credentialsDir: appCredentials(), deleteOfflineRunnersPrefix: 'ci' });

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
        url: `https://ghes.example.com/${REPO}`,
        credentialsDir: patCredentials(token),
        deleteOfflineRunnersPrefix: 'ci',
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
      const run = await refresh({ credentialsDir: appCredentials(), deleteOfflineRunnersPrefix: 'ci' });
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
      const run = await refresh({ credentialsDir: appCredentials(), deleteOfflineRunnersPrefix: 'ci' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`GitHub's next page "http://127.0.0.2:1/organizations/9000/actions/runners?per_page=100&page=2" is not under ${github!.url}; not sending the token there`);
      expect(github!.requestsOf('DELETE')).toEqual([]);
    });
  });
});
