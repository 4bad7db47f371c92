import { sign } from 'node:crypto';
import { GitHubError, RateLimitedError, TransientError } from './errors';
import { exchange, HttpAnswer, HttpRequest, isObject } from './http';
import type { GitHubAuth } from './github-access';
import { installationHint } from './github-hints';
import type { Logger } from './log';
import type { Proxy } from './proxy';
import { maxDelayMs, retryAfterMs, withRetries } from './retry';

// The one GitHub client of the in-cluster runtime: a GitHub App (a JWT signed with node:crypto, then
// an installation token, made again before it expires) or a PAT; the retry policy of ./retry.ts, with
// GitHub's rate limits (403/429 with Retry-After or x-ratelimit-remaining: 0) waited out when they
// lift within the policy's longest delay and reported otherwise; through the HTTPS proxy when one is
// configured. Every token it makes or receives is registered with the logger before it is used.

const API_VERSION = '2022-11-28';
// An installation token lives an hour: made again after 50 minutes.
const INSTALLATION_TOKEN_MS = 50 * 60 * 1000;
// GitHub's list pages hold at most 100 entries; more pages than this is a server that loops.
const MAX_PAGES = 1000;

export interface GitHubClientOptions {
  /** The REST API, without a trailing slash (apiUrlOf). */
  readonly apiUrl: string;
  readonly auth: GitHubAuth;
  readonly log: Logger;
  readonly retryBaseDelayMs: number;
  /** The entry point, for the User-Agent. */
  readonly client: string;
  readonly proxy?: Proxy;
  /** @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
}

export interface GitHubCallOptions {
  /** JSON. */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** @default MAX_ATTEMPTS */
  readonly attempts?: number;
}

export class GitHubClient {
  private installationToken?: { readonly token: string; readonly until: number };

  constructor(readonly options: GitHubClientOptions) {}

  /**
   * One call with `bearer` (read for every attempt: a JWT is made fresh), retried while transient;
   * resolves the final answer whatever its status: the caller decides what it means.
   */
  call(what: string, method: HttpRequest['method'], pathOrUrl: string, bearer: () => string, options: GitHubCallOptions = {}): Promise<HttpAnswer> {
    const { apiUrl, log, retryBaseDelayMs, client, proxy, requestTimeoutMs } = this.options;
    const url = pathOrUrl.startsWith('/') ? `${apiUrl}${pathOrUrl}` : pathOrUrl;
    return withRetries(what, log, { baseDelayMs: retryBaseDelayMs, attempts: options.attempts, signal: options.signal }, async () => {
      const headers: Record<string, string> = { 'Accept': 'application/vnd.github+json', 'X-GitHub-Api-Version': API_VERSION, 'Authorization': `Bearer ${bearer()}` };
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const answer = await exchange({
        url, method, headers, body, client, signal: options.signal, timeoutMs: requestTimeoutMs,
        agent: proxy ? proxy.agentFor(url, requestTimeoutMs) : false,
        tlsProblem: `GitHub's API at ${apiUrl} is not trusted (a server with a private CA needs NODE_EXTRA_CA_CERTS)`,
      });
      return settledAnswer(what, answer, retryBaseDelayMs);
    });
  }

  /** The bearer for the scope's endpoints: the PAT, or an installation token (made again after 50 minutes). */
  async bearer(options: GitHubCallOptions = {}): Promise<string> {
    const { auth, log } = this.options;
    if (auth.kind === 'pat') return auth.token;
    if (this.installationToken && Date.now() < this.installationToken.until) return this.installationToken.token;
    const what = `create an access token for installation ${auth.installationId} of GitHub App ${auth.appId}`;
    const answer = await this.call(what, 'POST', `/app/installations/${auth.installationId}/access_tokens`, () => appJwt(auth, log), options);
    if (answer.status !== 201) throw new GitHubError(what, answer.status, describeAnswer(answer), installationHint(auth, answer.status));
    const token = isObject(answer.json) ? answer.json.token : undefined;
    if (typeof token !== 'string' || token === '') throw new GitHubError(what, answer.status, 'GitHub\'s answer has no token', '');
    this.installationToken = { token: log.secret(token), until: Date.now() + INSTALLATION_TOKEN_MS };
    return token;
  }

  /** A call on the scope's endpoints, with the bearer. */
  async scoped(what: string, method: HttpRequest['method'], pathOrUrl: string, options: GitHubCallOptions = {}): Promise<HttpAnswer> {
    // The call's body is not the token request's.
    const token = await this.bearer({ signal: options.signal, attempts: options.attempts });
    return this.call(what, method, pathOrUrl, () => token, options);
  }

  /**
   * Every entry of a list endpoint (`pick` takes a page's entries, undefined when the page has
   * none), following the Link header; a page that is not 200 is handed to `refused`.
   */
  async pages<T>(what: string, path: string, pick: (json: unknown) => T[] | undefined, refused: (answer: HttpAnswer) => Error, options: GitHubCallOptions = {}): Promise<T[]> {
    const entries: T[] = [];
    const seen = new Set<string>();
    let url: string | undefined = `${this.options.apiUrl}${path}${path.includes('?') ? '&' : '?'}per_page=100`;
    while (url) {
      if (seen.has(url) || seen.size >= MAX_PAGES) throw new GitHubError(what, 200, `GitHub's pages do not end (page ${seen.size + 1}: ${url})`, '');
      seen.add(url);
      const answer = await this.scoped(what, 'GET', url, options);
      if (answer.status !== 200) throw refused(answer);
      const page = pick(answer.json);
      if (!page) throw new GitHubError(what, 200, 'GitHub\'s answer is not a list page', '');
      entries.push(...page);
      url = this.nextPage(answer.headers.link, what);
    }
    return entries;
  }

  /** The next page's URL; the token is only ever sent to the API it was issued for. */
  nextPage(link: string | string[] | undefined, what: string): string | undefined {
    if (typeof link !== 'string') return undefined;
    const base = this.options.apiUrl;
    for (const [, target, rel] of link.matchAll(/<([^>]*)>\s*;\s*rel="([^"]*)"/g)) {
      if (!rel.split(/\s+/).includes('next')) continue;
      let next: string | undefined;
      try {
        next = new URL(target, `${base}/`).href;
      } catch {
        next = undefined;
      }
      if (!next || !next.startsWith(`${base}/`)) {
        throw new GitHubError(what, 200, `GitHub's next page ${JSON.stringify(target)} is not under ${base}; not sending the token there`, '');
      }
      return next;
    }
    return undefined;
  }
}

/**
 * One attempt's answer as the retry policy takes it: a rate limit that lifts within the policy's
 * longest delay, a 429 or a 5xx is a TransientError (tried again); a longer rate limit is a
 * RateLimitedError; anything else is the caller's answer. Also for the unauthenticated caller of
 * the public releases API (../refresh/releases.ts).
 */
export function settledAnswer(what: string, answer: HttpAnswer, retryBaseDelayMs: number): HttpAnswer {
  const limit = rateLimitWaitMs(answer);
  if (limit === undefined && answer.status !== 429 && answer.status < 500) return answer;
  const problem = describeAnswer(answer);
  if (limit !== undefined && limit > maxDelayMs(retryBaseDelayMs)) throw new RateLimitedError(what, problem, limit);
  throw new TransientError(problem, limit ?? 0);
}

// GitHub's rule for a secondary rate limit that names no time: "wait for at least one minute".
const SECONDARY_RATE_LIMIT_MS = 60_000;

/** How long a GitHub rate limit asks to wait (403/429 with Retry-After, no requests remaining, or a secondary limit's message); undefined when the answer is none. */
export function rateLimitWaitMs({ status, headers, json }: HttpAnswer): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = retryAfterMs(headers['retry-after']);
  if (retryAfter > 0 || headers['retry-after'] === '0') return retryAfter;
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return Number.isFinite(reset) ? Math.max(0, reset * 1000 - Date.now()) : 0;
  }
  if (isObject(json) && typeof json.message === 'string' && /secondary rate limit/i.test(json.message)) return SECONDARY_RATE_LIMIT_MS;
  return status === 429 ? 0 : undefined;
}

/** `HTTP 403: <GitHub's message> (<its errors>) [GitHub request <id>]`, one line. */
export function describeAnswer({ status, json, text, headers }: HttpAnswer): string {
  let message = isObject(json) && typeof json.message === 'string' ? json.message : text.trim();
  if (isObject(json) && Array.isArray(json.errors) && json.errors.length > 0) {
    const errors = json.errors.map((e: unknown) => (typeof e === 'string' ? e : isObject(e) ? e.message ?? e.code : '')).filter(Boolean);
    message += ` (${errors.join('; ')})`;
  }
  message = message.replace(/\s+/g, ' ').slice(0, 300);
  const request = headers['x-github-request-id'] ? ` [GitHub request ${headers['x-github-request-id']}]` : '';
  return `HTTP ${status}${message ? `: ${message}` : ''}${request}`;
}

/** A JWT that authenticates as the App for nine minutes (GitHub allows ten); iat allows for clock drift. */
export function appJwt(auth: Extract<GitHubAuth, { kind: 'app' }>, log: Logger): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 60, exp: now + 540, iss: auth.appId })}`;
  return log.secret(`${unsigned}.${sign('sha256', Buffer.from(unsigned), auth.key).toString('base64url')}`);
}

