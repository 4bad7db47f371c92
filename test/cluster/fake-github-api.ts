import { KeyObject, randomBytes, randomInt, verify } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { RecordedRequest, RecordingServer } from './fake-http';

// GitHub's REST API as the in-cluster runtime uses it, for every in-cluster test: a real HTTP(S)
// server on 127.0.0.1 that serves either at the root (as api.github.com does) or under /api/v3 (as
// GitHub Enterprise Server does), and answers the way GitHub does:
// - POST /app/installations/{id}/access_tokens verifies the App's JWT (header, RS256 signature with
//   the App's public key, iat in the past, exp in the future and at most 10 minutes after iat, iss)
//   and issues an installation token;
// - POST {repos/O/R | orgs/O | enterprises/E}/actions/runners/registration-token issues a
//   registration token to a bearer that may (an installation of the App on that account with the
//   right permission, or a classic PAT with the right scope); enterprise endpoints, as GitHub
//   documents them, take classic PATs only;
// - GET .../actions/runners (optionally ?name=) pages with per_page/page and a Link header whose URLs, like GitHub's,
//   name repositories and organizations by id; DELETE .../actions/runners/{id} deletes an idle runner
//   (422 for a busy one); GET .../actions/runners/{id} reads one;
// - POST .../actions/runners/generate-jitconfig registers a runner (name, runner_group_id, labels,
//   work_folder checked as GitHub does: 409 for a name taken, 404 for an unknown group, 422 for a bad
//   body) and answers { runner, encoded_jit_config };
// - GET {orgs/O | enterprises/E}/actions/runner-groups pages the scope's runner groups (a repository
//   has none: 404).
// Faults (5xx, resets, lost answers, GitHub's rate limits) can be injected per endpoint.
// Every token it issues is opaque: of random length and alphabet. Requests that GitHub would refuse
// for their form (no User-Agent, wrong Accept or API version) are kept in `violations`.

export type ScopeKind = 'repository' | 'organization' | 'enterprise';

export interface Runner {
  readonly id: number;
  readonly name: string;
  readonly status: 'online' | 'offline';
  readonly busy: boolean;
}

export type { RecordedRequest } from './fake-http';

export interface FakeApp {
  /** What the JWT's iss must be: the App ID or its client ID. */
  readonly issuer: string;
  readonly publicKey: KeyObject;
  readonly installationId: string;
  /** The account the App is installed on (an organization or a user). */
  readonly account: string;
  /** Repositories of that account the installation may access. @default all of them */
  readonly repositories?: readonly string[];
  /** The installation's permissions, as GitHub names them (`administration`, `organization_self_hosted_runners`). */
  readonly permissions: Readonly<Record<string, 'read' | 'write'>>;
}

export interface FakeGitHubOptions {
  /** '' for api.github.com, '/api/v3' for GitHub Enterprise Server. */
  readonly basePath: '' | '/api/v3';
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly app?: FakeApp;
  /** Classic PATs and their scopes (`repo`, `admin:org`, `manage_runners:enterprise`). */
  readonly pats?: Readonly<Record<string, readonly string[]>>;
  /** Repositories that exist, `OWNER/REPO`; their owners exist as organizations. */
  readonly repositories?: readonly string[];
  readonly organizations?: readonly string[];
  readonly enterprises?: readonly string[];
  /** The origin the Link headers name. @default - this server's own */
  readonly linkOrigin?: string;
  /** Runner groups per scope (`orgs/O`, `enterprises/E`). @default [{ id: 1, name: 'Default' }] for each */
  readonly runnerGroups?: Readonly<Record<string, readonly RunnerGroup[]>>;
}

export interface RunnerGroup {
  readonly id: number;
  readonly name: string;
}

/** A runner registered with generate-jitconfig. */
export interface JitRunner {
  readonly id: number;
  readonly name: string;
  readonly scope: string;
  readonly runnerGroupId: number;
  readonly labels: readonly string[];
  readonly workFolder: string;
  /** The encoded_jit_config GitHub answered. */
  readonly encodedJitConfig: string;
}

export type Endpoint = 'access_tokens' | 'registration-token' | 'list' | 'delete' | 'get' | 'generate-jitconfig' | 'runner-groups';

/** What an injected fault does to the next matching request instead of answering it. */
export type Fault =
  | { readonly status: number; readonly message?: string; readonly headers?: Readonly<Record<string, string>> }
  /** A rate limit in GitHub's words and headers, lifting in `seconds`: `primary` at x-ratelimit-reset, `secondary` after Retry-After (which GitHub may leave out). */
  | { readonly rateLimit: 'primary'; readonly seconds: number; readonly status?: 403 | 429 }
  | { readonly rateLimit: 'secondary'; readonly seconds?: number; readonly status?: 403 | 429 }
  /** The connection is closed with no answer. */
  | { readonly reset: true }
  /** The request is carried out, but its answer never comes. */
  | { readonly lostAnswer: true };

interface Scope {
  readonly kind: ScopeKind;
  /** `repos/O/R`, `orgs/O` or `enterprises/E`. */
  readonly key: string;
  readonly owner: string;
  readonly repo?: string;
  /** The path GitHub's Link headers use for it. */
  readonly linkPath: string;
}

interface Bearer {
  readonly kind: 'installation' | 'pat';
  readonly scopes?: readonly string[];
}

const PERMISSION: Record<ScopeKind, string> = {
  repository: 'administration',
  organization: 'organization_self_hosted_runners',
  enterprise: 'enterprise_self_hosted_runners',
};
const CLASSIC_SCOPE: Record<ScopeKind, string> = { repository: 'repo', organization: 'admin:org', enterprise: 'manage_runners:enterprise' };
const DOCS = 'https://docs.github.com/rest/actions/self-hosted-runners';
// Opaque: printable ASCII of every kind (what an HTTP header can carry), in random lengths.
const ALPHABETS = [
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_',
  '0123456789abcdef.-~+/=',
  '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~AZaz09',
];

/** An opaque token: random length (20 to 400) over a random alphabet; never the same twice. */
export function opaqueToken(): string {
  const alphabet = ALPHABETS[randomInt(ALPHABETS.length)];
  const length = randomInt(20, 401);
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export class FakeGitHubApi {
  /** Requests GitHub would have refused for their form, and why. */
  public readonly violations: string[] = [];
  /** Every token it issued (installation and registration tokens), and every JWT it was sent. */
  public readonly issued: string[] = [];
  public readonly registrationTokens: { token: string; expiresAt: string }[] = [];
  /** Every runner generate-jitconfig registered, in order. */
  public readonly jitRunners: JitRunner[] = [];
  private nextRunnerId = 70000;
  private readonly http: RecordingServer;
  private readonly installationTokens = new Map<string, true>();
  private readonly runnersByScope = new Map<string, Runner[]>();
  private readonly repositoryIds = new Map<string, number>();
  private readonly organizationIds = new Map<string, number>();
  private readonly faults: { endpoint: Endpoint; fault: Fault; remaining: number }[] = [];

  constructor(private readonly options: FakeGitHubOptions) {
    this.http = new RecordingServer(options.tls, (req, res, body) => this.route(req, res, body));
    for (const [i, repository] of (options.repositories ?? []).entries()) this.repositoryIds.set(repository, 4000 + i);
    const owners = [...(options.organizations ?? []), ...(options.repositories ?? []).map((r) => r.split('/')[0])];
    for (const org of owners) if (!this.organizationIds.has(org)) this.organizationIds.set(org, 9000 + this.organizationIds.size);
  }

  /** Listens on 127.0.0.1; resolves the API base URL (with /api/v3 for GHES). */
  public async start(): Promise<string> {
    await this.http.start();
    return this.url;
  }

  public get url(): string {
    return `${this.http.origin}${this.options.basePath}`;
  }

  public get port(): number {
    return this.http.port;
  }

  /** Every request, in order. */
  public get requests(): RecordedRequest[] {
    return this.http.requests;
  }

  public stop(): Promise<void> {
    return this.http.stop();
  }

  /** The runners of `scope` (`repos/O/R`, `orgs/O` or `enterprises/E`). */
  public setRunners(scope: string, runners: Runner[]): void {
    this.runnersByScope.set(scope, [...runners]);
  }

  public runners(scope: string): Runner[] {
    return this.runnersByScope.get(scope) ?? [];
  }

  /** Sets a runner's busy flag, as GitHub does when it takes a job. */
  public setBusy(scope: string, id: number, busy: boolean): void {
    const all = this.runners(scope);
    if (!all.some((r) => r.id === id)) throw new Error(`fake GitHub: no runner ${id} in ${scope}`);
    this.setRunners(scope, all.map((r) => (r.id === id ? { ...r, busy } : r)));
  }

  /** Removes a runner, as GitHub does with a JIT runner after its job. */
  public removeRunner(scope: string, id: number): void {
    this.setRunners(scope, this.runners(scope).filter((r) => r.id !== id));
  }

  /** The next `times` requests to `endpoint` get `fault` instead of their answer. */
  public inject(endpoint: Endpoint, fault: Fault, times = 1): void {
    this.faults.push({ endpoint, fault, remaining: times });
  }

  /** Requests of one method, optionally only those whose URL contains `part`. */
  public requestsOf(method: string, part = ''): RecordedRequest[] {
    return this.http.requestsOf(method, part);
  }

  private route(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const { basePath } = this.options;
    if (!url.pathname.startsWith(`${basePath}/`)) return this.json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    const route = url.pathname.slice(basePath.length);
    this.checkForm(req, body);
    const method = req.method ?? '';

    const installation = /^\/app\/installations\/([^/]+)\/access_tokens$/.exec(route);
    if (installation && method === 'POST') return this.withFault('access_tokens', req, res, () => this.accessToken(req, res, decodeURIComponent(installation[1])));

    const groups = /^\/(repos\/[^/]+\/[^/]+|orgs\/[^/]+|enterprises\/[^/]+|repositories\/\d+|organizations\/\d+)\/actions\/runner-groups$/.exec(route);
    const groupScope = groups && this.scopeOf(groups[1]);
    if (groups && groupScope && groupScope.kind !== 'repository' && method === 'GET') {
      return this.withFault('runner-groups', req, res, () => this.authorized(req, res, groupScope, () => this.listGroups(res, groupScope, url)));
    }

    const runners = /^\/(repos\/[^/]+\/[^/]+|orgs\/[^/]+|enterprises\/[^/]+|repositories\/\d+|organizations\/\d+)\/actions\/runners(?:\/(registration-token|generate-jitconfig|\d+))?$/.exec(route);
    const scope = runners && this.scopeOf(runners[1]);
    if (!runners || !scope) return this.notFound(res);
    const rest = runners[2];
    if (rest === 'generate-jitconfig' && method === 'POST') {
      return this.withFault('generate-jitconfig', req, res, () => this.authorized(req, res, scope, () => this.generateJitConfig(res, scope, body)));
    }
    if (rest !== undefined && /^\d+$/.test(rest) && method === 'GET') {
      return this.withFault('get', req, res, () => this.authorized(req, res, scope, () => this.getRunner(res, scope, Number(rest))));
    }
    if (rest === 'registration-token' && method === 'POST') {
      return this.withFault('registration-token', req, res, () => this.authorized(req, res, scope, () => this.registrationToken(res)));
    }
    if (rest === undefined && method === 'GET') return this.withFault('list', req, res, () => this.authorized(req, res, scope, () => this.list(res, scope, url)));
    if (rest !== undefined && /^\d+$/.test(rest) && method === 'DELETE') {
      return this.withFault('delete', req, res, () => this.authorized(req, res, scope, () => this.deleteRunner(res, scope, Number(rest))));
    }
    return this.notFound(res);
  }

  /** What GitHub requires of every request's form (a missing User-Agent is a 403 there). */
  private checkForm(req: IncomingMessage, body: string): void {
    const where = `${req.method} ${req.url}`;
    if (!req.headers['user-agent']) this.violations.push(`${where}: no User-Agent`);
    if (req.headers.accept !== 'application/vnd.github+json') this.violations.push(`${where}: Accept is ${req.headers.accept}, not application/vnd.github+json`);
    if (req.headers['x-github-api-version'] !== '2022-11-28') this.violations.push(`${where}: X-GitHub-Api-Version is ${req.headers['x-github-api-version']}`);
    const takesBody = req.method === 'POST' && /\/actions\/runners\/generate-jitconfig$/.test(new URL(req.url ?? '/', 'http://fake').pathname);
    if (takesBody && !/^application\/json\b/.test(req.headers['content-type'] ?? '')) this.violations.push(`${where}: Content-Type is ${req.headers['content-type']}, not application/json`);
    if (!takesBody && body !== '') this.violations.push(`${where}: unexpected body`);
  }

  private withFault(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse, answer: () => void): void {
    const rule = this.faults.find((f) => f.remaining > 0 && f.endpoint === endpoint);
    if (!rule) return answer();
    rule.remaining--;
    const { fault } = rule;
    if ('reset' in fault) return void req.socket.destroy();
    if ('rateLimit' in fault) return this.rateLimited(req, res, fault);
    if ('lostAnswer' in fault) {
      // The work is done, the answer is swallowed: the client waits in vain (stop() closes the connection).
      res.writeHead = (() => res) as typeof res.writeHead;
      res.end = (() => res) as typeof res.end;
      return answer();
    }
    this.json(res, fault.status, { message: fault.message ?? 'Server Error', documentation_url: DOCS }, fault.headers);
  }

  /** docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit */
  private rateLimited(req: IncomingMessage, res: ServerResponse, { rateLimit, seconds, status = 403 }: Extract<Fault, { rateLimit: string }>): void {
    const documentation = { documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api' };
    if (rateLimit === 'secondary') {
      return this.json(res, status, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', ...documentation },
        seconds === undefined ? {} : { 'Retry-After': String(seconds) });
    }
    const who = this.bearer(req.headers.authorization)?.kind === 'pat' ? 'user ID 583231' : `installation ID ${this.options.app?.installationId}`;
    this.json(res, status, { message: `API rate limit exceeded for ${who}.`, ...documentation }, {
      'X-RateLimit-Remaining': '0', 'X-RateLimit-Used': '5000', 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + seconds!), 'X-RateLimit-Resource': 'core',
    });
  }

  private scopeOf(path: string): Scope | undefined {
    const [kind, a, b] = path.split('/').map(decodeURIComponent);
    if (kind === 'repos' && this.repositoryIds.has(`${a}/${b}`)) {
      return { kind: 'repository', key: path, owner: a, repo: b, linkPath: `/repositories/${this.repositoryIds.get(`${a}/${b}`)}` };
    }
    if (kind === 'orgs' && this.organizationIds.has(a)) return { kind: 'organization', key: path, owner: a, linkPath: `/organizations/${this.organizationIds.get(a)}` };
    if (kind === 'enterprises' && (this.options.enterprises ?? []).includes(a)) return { kind: 'enterprise', key: path, owner: a, linkPath: `/enterprises/${a}` };
    if (kind === 'repositories') {
      const name = [...this.repositoryIds].find(([, id]) => id === Number(a))?.[0];
      return name ? this.scopeOf(`repos/${name}`) : undefined;
    }
    if (kind === 'organizations') {
      const name = [...this.organizationIds].find(([, id]) => id === Number(a))?.[0];
      return name ? this.scopeOf(`orgs/${name}`) : undefined;
    }
    return undefined;
  }

  private accessToken(req: IncomingMessage, res: ServerResponse, installationId: string): void {
    const { app } = this.options;
    const jwt = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (jwt) this.issued.push(jwt);
    const problem = !app ? 'A JSON web token could not be decoded' : jwt ? jwtProblem(jwt, app) : 'A JSON web token could not be decoded';
    if (problem) return this.json(res, 401, { message: problem, documentation_url: 'https://docs.github.com/rest' });
    if (installationId !== app!.installationId) return this.notFound(res, 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app');
    const token = `ghs_${opaqueToken()}`;
    this.installationTokens.set(token, true);
    this.issued.push(token);
    this.json(res, 201, {
      token,
      expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      permissions: app!.permissions,
      repository_selection: app!.repositories ? 'selected' : 'all',
    });
  }

  /** Runs `answer` if the bearer may manage the runners of `scope`; answers as GitHub does if not. */
  private authorized(req: IncomingMessage, res: ServerResponse, scope: Scope, answer: () => void): void {
    const bearer = this.bearer(req.headers.authorization);
    if (!bearer) return this.json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    if (bearer.kind === 'installation') {
      const app = this.options.app!;
      if (scope.kind === 'enterprise') {
        return this.json(res, 403, { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' });
      }
      const reaches = app.account === scope.owner && (scope.repo === undefined || !app.repositories || app.repositories.includes(scope.repo));
      if (!reaches) return this.notFound(res);
      if (app.permissions[PERMISSION[scope.kind]] !== 'write') {
        return this.json(res, 403, { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' },
          { 'X-Accepted-GitHub-Permissions': `${PERMISSION[scope.kind]}=write` });
      }
      return answer();
    }
    if (!bearer.scopes!.includes(CLASSIC_SCOPE[scope.kind])) {
      return this.json(res, 403, { message: 'Must have admin rights to Repository.', documentation_url: DOCS, status: '403' },
        { 'X-Accepted-OAuth-Scopes': CLASSIC_SCOPE[scope.kind], 'X-OAuth-Scopes': bearer.scopes!.join(', ') });
    }
    answer();
  }

  private bearer(authorization: string | undefined): Bearer | undefined {
    const token = /^(?:Bearer|token) (.+)$/.exec(authorization ?? '')?.[1];
    if (token === undefined) return undefined;
    if (this.installationTokens.has(token)) return { kind: 'installation' };
    const scopes = this.options.pats?.[token];
    return scopes ? { kind: 'pat', scopes } : undefined;
  }

  private registrationToken(res: ServerResponse): void {
    const token = opaqueToken();
    // GitHub writes the expiry with the server's offset.
    const expiresAt = new Date(Date.now() + 3600_000 - 8 * 3600_000).toISOString().replace(/\.(\d+)Z$/, '.$1-08:00');
    this.issued.push(token);
    this.registrationTokens.push({ token, expiresAt });
    this.json(res, 201, { token, expires_at: expiresAt });
  }

  private list(res: ServerResponse, scope: Scope, url: URL): void {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    // `name` filters by the runner's exact name, and the Link header keeps it.
    const name = url.searchParams.get('name');
    const all = this.runners(scope.key).filter((r) => name === null || r.name === name);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (n: number) => `<${this.options.linkOrigin ?? this.http.origin}${this.options.basePath}${scope.linkPath}/actions/runners?${name === null ? '' : `name=${encodeURIComponent(name)}&`}per_page=${perPage}&page=${n}>`;
    const links = [];
    if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) links.push(`${link(page - 1)}; rel="prev"`, `${link(1)}; rel="first"`);
    const runners = all.slice((page - 1) * perPage, page * perPage).map((r) => ({ ...r, os: 'Linux', labels: [{ id: 1, name: 'self-hosted', type: 'read-only' }] }));
    this.json(res, 200, { total_count: all.length, runners }, links.length ? { Link: links.join(', ') } : {});
  }

  private groupsOf(scope: Scope): readonly RunnerGroup[] {
    if (scope.kind === 'repository') return [{ id: 1, name: 'Default' }];
    return this.options.runnerGroups?.[scope.key] ?? [{ id: 1, name: 'Default' }];
  }

  private listGroups(res: ServerResponse, scope: Scope, url: URL): void {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const all = this.groupsOf(scope);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (n: number) => `<${this.options.linkOrigin ?? this.http.origin}${this.options.basePath}${scope.linkPath}/actions/runner-groups?per_page=${perPage}&page=${n}>`;
    const links = [];
    if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) links.push(`${link(page - 1)}; rel="prev"`, `${link(1)}; rel="first"`);
    const groups = all.slice((page - 1) * perPage, page * perPage).map((g) => ({
      ...g, visibility: 'all', default: g.id === 1, runners_url: `${this.url}/${scope.key}/actions/runner-groups/${g.id}/runners`,
      inherited: false, allows_public_repositories: false, restricted_to_workflows: false, selected_workflows: [],
    }));
    this.json(res, 200, { total_count: all.length, runner_groups: groups }, links.length ? { Link: links.join(', ') } : {});
  }

  /** POST generate-jitconfig, validated the way GitHub validates it. */
  private generateJitConfig(res: ServerResponse, scope: Scope, body: string): void {
    let input: any;
    try {
      input = JSON.parse(body);
    } catch {
      return this.json(res, 400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' });
    }
    const invalid = (message: string) => this.json(res, 422, { message: `Invalid request.\n\n${message}`, documentation_url: DOCS, status: '422' });
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return invalid('The body must be an object.');
    const known = ['name', 'runner_group_id', 'labels', 'work_folder'];
    const unknown = Object.keys(input).filter((k) => !known.includes(k));
    if (unknown.length > 0) return invalid(`${unknown.join(', ')} is not a permitted key.`);
    if (typeof input.name !== 'string' || input.name === '') return invalid('"name" is a required string.');
    if (!Number.isInteger(input.runner_group_id)) return invalid('"runner_group_id" is a required integer.');
    const labels = input.labels;
    if (!Array.isArray(labels) || labels.length < 1 || labels.length > 100 || !labels.every((l: unknown) => typeof l === 'string' && l !== '' && l.length <= 256)) {
      return invalid('"labels" must be an array of 1 to 100 strings.');
    }
    if (input.work_folder !== undefined && typeof input.work_folder !== 'string') return invalid('"work_folder" must be a string.');
    if (!this.groupsOf(scope).some((g) => g.id === input.runner_group_id)) return this.notFound(res);
    const all = this.runners(scope.key);
    if (all.some((r) => r.name === input.name)) {
      return this.json(res, 409, { message: 'Already exists - A runner with the same name already exists.', documentation_url: DOCS, status: '409' });
    }
    const id = this.nextRunnerId++;
    const encodedJitConfig = Buffer.from(JSON.stringify({ '.runner': opaqueToken(), '.credentials': opaqueToken(), '.credentials_rsaparams': opaqueToken() })).toString('base64');
    this.issued.push(encodedJitConfig);
    this.setRunners(scope.key, [...all, { id, name: input.name, status: 'offline', busy: false }]);
    this.jitRunners.push({ id, name: input.name, scope: scope.key, runnerGroupId: input.runner_group_id, labels, workFolder: input.work_folder ?? '_work', encodedJitConfig });
    this.json(res, 201, {
      runner: {
        id, name: input.name, os: 'unknown', status: 'offline', busy: false, runner_group_id: input.runner_group_id,
        labels: labels.map((name: string, i: number) => ({ id: i + 2, name, type: 'custom' })),
      },
      encoded_jit_config: encodedJitConfig,
    });
  }

  private getRunner(res: ServerResponse, scope: Scope, id: number): void {
    const runner = this.runners(scope.key).find((r) => r.id === id);
    if (!runner) return this.notFound(res);
    this.json(res, 200, { ...runner, os: 'Linux', labels: [{ id: 1, name: 'self-hosted', type: 'read-only' }] });
  }

  private deleteRunner(res: ServerResponse, scope: Scope, id: number): void {
    const all = this.runners(scope.key);
    const runner = all.find((r) => r.id === id);
    if (!runner) return this.notFound(res);
    if (runner.busy) return this.json(res, 422, { message: `Bad request - Runner "${runner.name}" is still running a job`, documentation_url: DOCS, status: '422' });
    this.setRunners(scope.key, all.filter((r) => r.id !== id));
    res.writeHead(204).end();
  }

  private notFound(res: ServerResponse, documentationUrl = DOCS): void {
    this.json(res, 404, { message: 'Not Found', documentation_url: documentationUrl, status: '404' });
  }

  private json(res: ServerResponse, status: number, object: unknown, headers: Readonly<Record<string, string>> = {}): void {
    const text = JSON.stringify(object);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'X-GitHub-Request-Id': 'C0DE:1234:5678:9ABC:DEF0',
      'X-RateLimit-Limit': '5000',
      'X-RateLimit-Remaining': '4999',
      ...headers,
    });
    res.end(text);
  }
}

/** Why GitHub would refuse this JWT for `app`, or undefined when it accepts it. */
export function jwtProblem(jwt: string, app: FakeApp): string | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'A JSON web token could not be decoded';
  let header: any;
  let claims: any;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return 'A JSON web token could not be decoded';
  }
  if (header?.alg !== 'RS256' || header?.typ !== 'JWT' || Object.keys(header).length !== 2) return `JWT header must be {"alg":"RS256","typ":"JWT"}, got ${JSON.stringify(header)}`;
  if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), app.publicKey, Buffer.from(parts[2], 'base64url'))) {
    return 'A JSON web token could not be decoded';
  }
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(claims?.iat) || claims.iat > now) return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
  if (!Number.isInteger(claims.exp) || claims.exp <= now) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  if (claims.exp - claims.iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
  if (claims.iss !== app.issuer) return `'Issuer' claim ('iss') must be the App's ID or client ID, got ${JSON.stringify(claims.iss)}`;
  return undefined;
}
