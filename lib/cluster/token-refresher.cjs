#!/usr/bin/env node
// The token refresher of a fleet of long-lived runner VMs. A CronJob runs it: it authenticates to
// GitHub as a GitHub App installation or with a PAT (from a Secret mounted at
// REFRESHER_CREDENTIALS_DIR that never reaches a VM), asks GitHub for a runner registration token for
// the fleet's repository, organization or enterprise, and writes it into the Secret the VMs read
// their token from (REFRESHER_NAMESPACE/REFRESHER_SECRET_NAME, key REFRESHER_SECRET_KEY). With
// REFRESHER_DELETE_OFFLINE_PREFIX it then deletes the fleet's offline runners from GitHub.
//
// Exit 0 when the new token is stored (and the cleanup, if asked for, succeeded); 1 when something
// failed (a failure before the write leaves the old token in place); 2 on a bad configuration.
// It never creates or lists Secrets: its Role allows get and patch on that one Secret only.
//
// Node.js built-ins only: it runs from a ConfigMap in a stock node image. It never prints a
// credential: every secret it handles is also redacted from whatever it prints.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
// Next to this script (the same ConfigMap): HTTPS to GitHub through HTTPS_PROXY, honouring NO_PROXY.
const httpsProxy = require('./https-proxy.cjs');

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const DEFAULT_CREDENTIALS_DIR = '/etc/github-credentials';
// The keys of actions-runner-controller's GitHub config Secret, so that one Secret can serve both.
const APP_FILES = ['github_app_id', 'github_app_installation_id', 'github_app_private_key'];
const PAT_FILE = 'github_token';
const GITHUB_API_VERSION = '2022-11-28';
const USER_AGENT = 'cdk8s-kubevirt-runners-token-refresher';
// Attempts of one call before giving up; the delays double from REFRESHER_RETRY_BASE_MS up to 30
// times that (about half a minute in all with the default of 1 s), well inside the Job's deadline.
const MAX_ATTEMPTS = 6;
const MAX_DELAY_FACTOR = 30;
const REQUEST_TIMEOUT_MS = 30000;
// GitHub's list pages hold at most 100 runners; more pages than this is a server that loops.
const MAX_PAGES = 1000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

class ConfigError extends Error {}
/** A network problem or an answer worth trying again (429, 5xx, a short rate limit). */
class TransientError extends Error {}

// ---------------------------------------------------------------------------------------------
// Output: every credential the refresher has seen is replaced before anything is printed.

const credentials = new Set();

/** Remembers a credential so that no output can carry it; returns it. */
function secret(value) {
  if (typeof value === 'string' && value !== '') credentials.add(value);
  return value;
}

function redact(text) {
  let out = String(text);
  // Longest first: a credential that contains another is replaced whole.
  for (const value of [...credentials].sort((a, b) => b.length - a.length)) out = out.split(value).join('[redacted]');
  return out;
}

const log = (line) => process.stdout.write(`token-refresher: ${redact(line)}\n`);
const warn = (line) => process.stderr.write(`token-refresher: ${redact(line)}\n`);

// ---------------------------------------------------------------------------------------------
// Configuration: everything is checked before the first request.

function readConfig(env) {
  const required = (name) => {
    if (!env[name]) throw new ConfigError(`${name} is not set`);
    return env[name];
  };
  const github = githubTarget(required('REFRESHER_GITHUB_URL'), env.REFRESHER_API_URL);
  const namespace = required('REFRESHER_NAMESPACE');
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(`REFRESHER_NAMESPACE must be a namespace name (a DNS label), got ${JSON.stringify(namespace)}`);
  const secretName = required('REFRESHER_SECRET_NAME');
  if (!DNS_SUBDOMAIN.test(secretName)) throw new ConfigError(`REFRESHER_SECRET_NAME must be a Secret name (a DNS subdomain), got ${JSON.stringify(secretName)}`);
  const secretKey = env.REFRESHER_SECRET_KEY || 'token';
  if (!SECRET_KEY.test(secretKey) || secretKey === '.' || secretKey.startsWith('..')) {
    throw new ConfigError(`REFRESHER_SECRET_KEY must be a Secret key ([-._a-zA-Z0-9]+, not '.' or starting with '..'), got ${JSON.stringify(secretKey)}`);
  }
  const prefix = env.REFRESHER_DELETE_OFFLINE_PREFIX || undefined;
  if (prefix !== undefined && !/^[A-Za-z0-9][-._A-Za-z0-9]*$/.test(prefix)) {
    throw new ConfigError(`REFRESHER_DELETE_OFFLINE_PREFIX must be a runner name prefix (letters, digits, '-', '_', '.'), got ${JSON.stringify(prefix)}`);
  }
  return {
    github,
    auth: readCredentials(env.REFRESHER_CREDENTIALS_DIR || DEFAULT_CREDENTIALS_DIR),
    namespace,
    secretName,
    secretKey,
    prefix,
    retryBaseMs: milliseconds(env, 'REFRESHER_RETRY_BASE_MS', 1000),
    kube: kubeConfig(env),
    proxy: proxyConfig(env),
  };
}

/** HTTPS_PROXY, checked; the Kubernetes API is always reached directly. */
function proxyConfig(env) {
  try {
    httpsProxy.proxyFromEnv(env);
  } catch (error) {
    if (error instanceof httpsProxy.ProxyConfigError) throw new ConfigError(error.message);
    throw error;
  }
  return env;
}

function milliseconds(env, name, fallback) {
  if (env[name] === undefined || env[name] === '') return fallback;
  if (!/^\d+$/.test(env[name]) || Number(env[name]) > 60000) {
    throw new ConfigError(`${name} must be a whole number of milliseconds from 0 to 60000, got ${JSON.stringify(env[name])}`);
  }
  return Number(env[name]);
}

/**
 * The fleet's scope and the REST API base, from the URL the library normalized:
 * https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG.
 */
function githubTarget(text, apiOverride) {
  let url;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`REFRESHER_GITHUB_URL must be an https URL without credentials or query, such as https://github.com/OWNER, got ${JSON.stringify(text.replace(/\/\/[^/@]*@/, '//***@'))}`);
  }
  let segments;
  try {
    segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    throw new ConfigError(`REFRESHER_GITHUB_URL has a malformed escape in its path: ${JSON.stringify(text)}`);
  }
  const link = `${url.origin}/${segments.join('/')}`;
  let scope;
  if (segments.length === 2 && segments[0] === 'enterprises') {
    scope = { kind: 'enterprise', url: link, path: `/enterprises/${encodeURIComponent(segments[1])}`, owner: segments[1] };
  } else if (segments.length === 1 && segments[0] !== 'enterprises') {
    scope = { kind: 'organization', url: link, path: `/orgs/${encodeURIComponent(segments[0])}`, owner: segments[0] };
  } else if (segments.length === 2) {
    scope = { kind: 'repository', url: link, path: `/repos/${encodeURIComponent(segments[0])}/${encodeURIComponent(segments[1])}`, owner: segments[0], repo: segments[1] };
  } else {
    throw new ConfigError(`REFRESHER_GITHUB_URL must be https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG, got ${JSON.stringify(text)}`);
  }
  return { scope, api: apiOverride ? apiBase('REFRESHER_API_URL', apiOverride) : defaultApiBase(url) };
}

function defaultApiBase(url) {
  if (url.host === 'github.com') return 'https://api.github.com';
  // GitHub Enterprise Cloud with data residency: SUBDOMAIN.ghe.com has its API at api.SUBDOMAIN.ghe.com.
  if (/^[a-z0-9-]+\.ghe\.com$/.test(url.host)) return `https://api.${url.host}`;
  return `https://${url.host}/api/v3`;
}

function apiBase(name, text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`${name} must be an http(s) URL without credentials or query, got ${JSON.stringify(text.replace(/\/\/[^/@]*@/, '//***@'))}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The GitHub App or the PAT in the credentials folder: exactly one of them. */
function readCredentials(dir) {
  let names;
  try {
    names = new Set(fs.readdirSync(dir));
  } catch (error) {
    throw new ConfigError(`the GitHub credentials folder ${dir} (REFRESHER_CREDENTIALS_DIR) cannot be read: ${error.code || error.message}; `
      + 'is the credentials Secret mounted there?');
  }
  const appFiles = APP_FILES.filter((f) => names.has(f));
  const hasPat = names.has(PAT_FILE);
  const expected = `either a GitHub App (${APP_FILES.join(', ')}) or a PAT (${PAT_FILE})`;
  if (hasPat && appFiles.length > 0) {
    throw new ConfigError(`${dir} holds both a PAT (${PAT_FILE}) and GitHub App keys (${appFiles.join(', ')}): it must hold ${expected}, not both`);
  }
  if (!hasPat && appFiles.length === 0) throw new ConfigError(`${dir} holds neither: it must hold ${expected}`);
  if (hasPat) {
    return { kind: 'pat', what: 'PAT (github_token)', token: secret(readCredential(dir, PAT_FILE)) };
  }
  const missing = APP_FILES.filter((f) => !names.has(f));
  if (missing.length > 0) throw new ConfigError(`${dir} holds a GitHub App without ${missing.join(' and ')}: it needs all of ${APP_FILES.join(', ')}`);
  const appId = readCredential(dir, 'github_app_id');
  if (!/^[\x21-\x7e]+$/.test(appId)) throw new ConfigError(`${dir}/github_app_id must be the App ID or client ID (printable characters, no spaces), got ${JSON.stringify(appId)}`);
  const installationId = readCredential(dir, 'github_app_installation_id');
  if (!/^[0-9]{1,20}$/.test(installationId)) {
    throw new ConfigError(`${dir}/github_app_installation_id must be the installation's number (in the URL of its settings page), got ${JSON.stringify(installationId)}`);
  }
  const key = readPrivateKey(dir);
  return { kind: 'app', what: `GitHub App (installation ${installationId})`, appId, installationId, key };
}

function readCredential(dir, name) {
  const file = path.join(dir, name);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file} cannot be read: ${error.code || error.message}`
      + (error.code === 'EACCES' ? ' (the pod\'s user must be able to read the mounted Secret: its defaultMode and the pod\'s fsGroup)' : ''));
  }
  // Only the file's own name and size are ever shown, never its content.
  const value = text.trim();
  if (value === '') throw new ConfigError(`${file} is empty`);
  return value;
}

function readPrivateKey(dir) {
  const pem = secret(readCredential(dir, 'github_app_private_key'));
  const file = path.join(dir, 'github_app_private_key');
  const rules = 'the App\'s private key as GitHub issues it (PEM, PKCS#1 or PKCS#8, unencrypted)';
  // OpenSSL would ask for the passphrase of an encrypted key rather than say it is encrypted. (`[ ]`:
  // the script ships in a ConfigMap, and its own text must not look like a PEM key to credential scanners.)
  if (/^-----BEGIN ENCRYPTED PRIVATE[ ]KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(pem)) {
    throw new ConfigError(`${file} must be ${rules}: it is encrypted with a passphrase`);
  }
  let key;
  try {
    key = crypto.createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    // The parser's message never holds the key, but it says little either: the code is enough.
    const why = error.code === 'ERR_MISSING_PASSPHRASE' ? 'it is encrypted with a passphrase' : `it does not parse (${error.code || 'unknown error'})`;
    throw new ConfigError(`${file} must be ${rules}: ${why}`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ConfigError(`${file} must be an RSA private key (GitHub App keys are RSA), got a ${key.asymmetricKeyType} key`);
  }
  return key;
}

function kubeConfig(env) {
  let base = env.REFRESHER_KUBE_API;
  if (!base) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
      throw new ConfigError('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?); set REFRESHER_KUBE_API to the API server\'s URL');
    }
    base = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  base = apiBase('the Kubernetes API (REFRESHER_KUBE_API, else https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT)', base);
  const tokenFile = env.REFRESHER_KUBE_TOKEN_FILE || `${SERVICE_ACCOUNT_DIR}/token`;
  const tokenSource = env.REFRESHER_KUBE_TOKEN_FILE ? `REFRESHER_KUBE_TOKEN_FILE ${tokenFile}` : `the ServiceAccount token ${tokenFile} (is automountServiceAccountToken off?)`;
  let token;
  try {
    token = readKubeToken(tokenFile);
  } catch (error) {
    throw new ConfigError(`${tokenSource} cannot be read: ${error.code || error.message}`);
  }
  if (token === '') throw new ConfigError(`${tokenSource} is empty`);
  const isHttps = base.startsWith('https:');
  const caFile = isHttps ? env.REFRESHER_KUBE_CA_FILE || `${SERVICE_ACCOUNT_DIR}/ca.crt` : undefined;
  if (caFile) {
    try {
      fs.readFileSync(caFile);
    } catch (error) {
      throw new ConfigError(`the API server's CA certificate ${caFile} (REFRESHER_KUBE_CA_FILE) cannot be read: ${error.code || error.message}`);
    }
  }
  return { base, tokenFile, caFile };
}

// Projected ServiceAccount tokens rotate: the file is read again for every request.
function readKubeToken(file) {
  return secret(fs.readFileSync(file, 'utf8').trim());
}

// ---------------------------------------------------------------------------------------------
// HTTP: one exchange, and retries of what is transient.

/**
 * One HTTP exchange. Resolves `{ status, headers, text, json }` for any status; rejects with
 * TransientError for network trouble, Error for what retrying cannot fix (TLS).
 */
function exchange(url, { method, headers, body, ca, service, agent = false }) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const allHeaders = { ...headers, 'User-Agent': USER_AGENT };
    if (method !== 'GET' && method !== 'DELETE') allHeaders['Content-Length'] = payload ? payload.length : 0;
    const transport = url.startsWith('https:') ? https : http;
    // A fresh connection per request: nothing pooled can have gone stale.
    const request = transport.request(url, { method, headers: allHeaders, ca, agent });
    let failure;
    const timer = setTimeout(() => {
      failure = new TransientError(`no complete answer within ${REQUEST_TIMEOUT_MS / 1000}s`);
      request.destroy(failure);
    }, REQUEST_TIMEOUT_MS);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(failure || networkError(error, service));
    });
    request.on('response', (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', () => undefined);
      response.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode, headers: response.headers, text, json });
      });
      response.on('close', () => {
        clearTimeout(timer);
        reject(failure || new TransientError('the connection closed before the answer was complete'));
      });
    });
    request.end(payload);
  });
}

function networkError(error, service) {
  const code = error.code || '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) return new Error(`TLS: ${service.tls}: ${error.message}`);
  return new TransientError(code && !error.message.includes(code) ? `${error.message} (${code})` : error.message);
}

/**
 * Runs `attempt` (one exchange) until its answer is not transient: network errors, 429, 5xx and
 * GitHub's rate limits are retried with capped, jittered exponential backoff (a rate limit waits as
 * long as GitHub asks, unless that is longer than this run may wait). Resolves the last answer.
 */
async function withRetries(what, retryBaseMs, attempt) {
  const cap = retryBaseMs * MAX_DELAY_FACTOR;
  for (let n = 1; ; n++) {
    let problem;
    let waitMs = 0;
    try {
      const answer = await attempt();
      const limit = rateLimit(answer);
      if (!limit && answer.status !== 429 && answer.status < 500) return answer;
      problem = describeAnswer(answer);
      waitMs = limit ? limit.waitMs : 0;
      if (waitMs > cap) {
        throw new Error(`cannot ${what}: ${problem}; the rate limit lifts in ${Math.ceil(waitMs / 1000)}s, later than this run waits: the next run will try again`);
      }
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      problem = error.message;
    }
    if (n >= MAX_ATTEMPTS) throw new Error(`cannot ${what}: ${problem}; gave up after ${n} attempts`);
    const backoff = Math.min(cap, retryBaseMs * 2 ** (n - 1));
    const delay = Math.max(backoff / 2 + (Math.random() * backoff) / 2, waitMs);
    warn(`${what}: ${problem}; retry ${n} of ${MAX_ATTEMPTS - 1} in ${(delay / 1000).toFixed(1)}s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** GitHub's rate limits (403 or 429 with Retry-After or no requests remaining): how long to wait. */
function rateLimit({ status, headers }) {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = headers['retry-after'];
  if (/^\d+$/.test(retryAfter || '')) return { waitMs: Number(retryAfter) * 1000 };
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return { waitMs: Number.isFinite(reset) ? Math.max(0, reset * 1000 - Date.now()) : 0 };
  }
  return status === 429 ? { waitMs: 0 } : undefined;
}

/** `HTTP 403: <the message in the body>`, as much as is useful in one line. */
function describeAnswer({ status, json, text, headers }) {
  let message = '';
  if (json && typeof json === 'object' && typeof json.message === 'string') {
    message = json.message;
    if (Array.isArray(json.errors) && json.errors.length > 0) {
      message += ` (${json.errors.map((e) => (typeof e === 'string' ? e : e && (e.message || e.code)) || '').filter(Boolean).join('; ')})`;
    }
  } else {
    message = text.trim();
  }
  message = message.replace(/\s+/g, ' ').slice(0, 300);
  // A Kubernetes Status says its reason (Forbidden, NotFound); GitHub's errors have none.
  const reason = json && json.kind === 'Status' && typeof json.reason === 'string' ? ` ${json.reason}` : '';
  const request = headers['x-github-request-id'] ? ` [GitHub request ${headers['x-github-request-id']}]` : '';
  return `HTTP ${status}${reason}${message ? `: ${message}` : ''}${request}`;
}

// ---------------------------------------------------------------------------------------------
// GitHub.

class GitHub {
  constructor(config) {
    this.config = config;
    this.base = config.github.api;
    this.scope = config.github.scope;
    this.service = { tls: `GitHub's API at ${this.base} is not trusted (a server with a private CA needs NODE_EXTRA_CA_CERTS)` };
  }

  /** One call, retried when transient; `bearer` is read for every attempt (a JWT is made fresh). */
  call(what, method, pathOrUrl, bearer) {
    const url = pathOrUrl.startsWith('/') ? `${this.base}${pathOrUrl}` : pathOrUrl;
    return withRetries(what, this.config.retryBaseMs, () => exchange(url, {
      method,
      headers: {
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': GITHUB_API_VERSION,
        Authorization: `Bearer ${bearer()}`,
      },
      service: this.service,
      agent: httpsProxy.agentFor(url, this.config.proxy, REQUEST_TIMEOUT_MS),
    }));
  }

  /** The bearer token for the scope's endpoints: an installation token (one hour), or the PAT. */
  async authenticate() {
    const { auth } = this.config;
    if (auth.kind === 'pat') return auth.token;
    const what = `create an access token for installation ${auth.installationId} of GitHub App ${auth.appId}`;
    const answer = await this.call(what, 'POST', `/app/installations/${auth.installationId}/access_tokens`, () => appJwt(auth));
    if (answer.status !== 201) throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${installationHint(auth, answer.status)}`);
    const token = answer.json && answer.json.token;
    if (typeof token !== 'string' || token === '') throw new Error(`cannot ${what}: GitHub's answer has no token`);
    secret(token);
    return token;
  }

  async registrationToken(bearer) {
    const what = `create a registration token for ${this.scope.url}`;
    const answer = await this.call(what, 'POST', `${this.scope.path}/actions/runners/registration-token`, () => bearer);
    if (answer.status !== 201) throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${this.hint(answer)}`);
    const { token, expires_at: expiresAt } = answer.json || {};
    if (typeof token !== 'string' || token === '') throw new Error(`cannot ${what}: GitHub's answer has no token`);
    secret(token);
    secret(Buffer.from(token, 'utf8').toString('base64'));
    return { token, expiresAt: typeof expiresAt === 'string' && expiresAt !== '' ? expiresAt : 'an unknown time' };
  }

  /** Every runner of the scope, following the Link header's next pages. */
  async runners(bearer) {
    const what = `list the self-hosted runners of ${this.scope.url}`;
    const runners = [];
    const seen = new Set();
    let url = `${this.base}${this.scope.path}/actions/runners?per_page=100`;
    while (url) {
      if (seen.has(url) || seen.size >= MAX_PAGES) throw new Error(`cannot ${what}: GitHub's pages do not end (page ${seen.size + 1}: ${url})`);
      seen.add(url);
      const answer = await this.call(what, 'GET', url, () => bearer);
      if (answer.status !== 200) throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${this.hint(answer)}`);
      const page = answer.json && answer.json.runners;
      if (!Array.isArray(page)) throw new Error(`cannot ${what}: GitHub's answer has no list of runners`);
      runners.push(...page.filter((r) => r && typeof r === 'object'));
      url = this.nextPage(answer.headers.link, what);
    }
    return runners;
  }

  /** The next page's URL; the token is only ever sent to the API it was issued for. */
  nextPage(link, what) {
    if (typeof link !== 'string') return undefined;
    for (const [, target, rel] of link.matchAll(/<([^>]*)>\s*;\s*rel="([^"]*)"/g)) {
      if (!rel.split(/\s+/).includes('next')) continue;
      let next;
      try {
        next = new URL(target, `${this.base}/`).href;
      } catch {
        next = undefined;
      }
      if (!next || !next.startsWith(`${this.base}/`)) {
        throw new Error(`cannot ${what}: GitHub's next page ${JSON.stringify(target)} is not under ${this.base}; not sending the token there`);
      }
      return next;
    }
    return undefined;
  }

  /**
   * Deletes one runner: resolves `{ result: 'deleted' }`, `{ result: 'gone' }` (already) or
   * `{ result: 'refused', problem }` when GitHub will not delete it (422: it took a job since it was listed).
   */
  async deleteRunner(bearer, runner) {
    const what = `delete the runner ${JSON.stringify(runner.name)} (id ${runner.id}) of ${this.scope.url}`;
    const answer = await this.call(what, 'DELETE', `${this.scope.path}/actions/runners/${runner.id}`, () => bearer);
    if (answer.status === 204) return { result: 'deleted' };
    if (answer.status === 404) return { result: 'gone' };
    if (answer.status === 422) return { result: 'refused', problem: describeAnswer(answer) };
    throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${this.hint(answer)}`);
  }

  /** What a failed call on the scope's runner endpoints means. */
  hint(answer) {
    const { scope } = this;
    const { auth } = this.config;
    switch (answer.status) {
      case 401:
        return auth.kind === 'pat'
          ? 'GitHub does not accept the PAT in github_token: it is wrong, expired or revoked'
          : 'GitHub does not accept the installation token it has just issued: is the App suspended?';
      case 403: {
        const accepted = answer.headers['x-accepted-github-permissions'];
        return `The ${auth.what} lacks the permission: ${permissionFor(scope.kind, auth.kind)}`
          + (accepted ? ` (GitHub says it accepts: ${accepted})` : '');
      }
      case 404: {
        const where = scope.kind === 'repository' ? `the repository ${scope.owner}/${scope.repo}`
          : scope.kind === 'organization' ? `the organization ${scope.owner} (a personal account has no organization runners: use https://HOST/OWNER/REPO)`
            : `the enterprise ${scope.owner}`;
        const who = auth.kind === 'app'
          ? `the GitHub App is not installed there (installation ${auth.installationId}${scope.kind === 'repository' ? ' has no access to that repository' : ' belongs to another account'})`
          : 'the PAT cannot see it (GitHub answers 404, not 403, for what a token may not see)';
        return `Either REFRESHER_GITHUB_URL is wrong (no ${where}) or ${who}`;
      }
      case 422:
        return 'GitHub refused the request as invalid';
      default:
        return 'GitHub refused the request';
    }
  }
}

function permissionFor(kind, authKind) {
  if (kind === 'repository') {
    return 'the repository permission "Administration: read and write" (GitHub App or fine-grained PAT; a classic PAT needs the scope repo)';
  }
  if (kind === 'organization') {
    return 'the organization permission "Self-hosted runners: read and write" (GitHub App or fine-grained PAT; a classic PAT needs the scope admin:org)';
  }
  return 'a classic PAT with the scope manage_runners:enterprise'
    + (authKind === 'app' ? ' (GitHub documents enterprise runner endpoints for classic PATs; GitHub App installation tokens are not accepted there unless the App is installed on the enterprise with that permission)' : '');
}

function installationHint(auth, status) {
  switch (status) {
    case 401:
      return 'GitHub does not accept the App\'s JWT: github_app_id (App ID or client ID) and github_app_private_key must belong to the same App, '
        + 'the key must not be revoked, and this node\'s clock must be right';
    case 403:
      return 'GitHub refuses to issue a token for this installation (is it suspended?)';
    case 404:
      return `GitHub App ${auth.appId} has no installation ${auth.installationId}: check github_app_installation_id (the number in the URL of the installation's settings page)`;
    default:
      return 'GitHub refused the request';
  }
}

const base64url = (data) => Buffer.from(data).toString('base64url');

/** A JWT that authenticates as the App for nine minutes (GitHub allows ten); iat allows for clock drift. */
function appJwt(auth) {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ iat: now - 60, exp: now + 540, iss: auth.appId }));
  const signature = crypto.sign('sha256', Buffer.from(`${header}.${claims}`), auth.key).toString('base64url');
  return secret(`${header}.${claims}.${signature}`);
}

// ---------------------------------------------------------------------------------------------
// The token Secret.

class TokenSecret {
  constructor(config) {
    this.config = config;
    this.ref = `Secret ${config.namespace}/${config.secretName}`;
    this.url = `${config.kube.base}/api/v1/namespaces/${encodeURIComponent(config.namespace)}/secrets/${encodeURIComponent(config.secretName)}`;
    this.service = { tls: `the API server at ${config.kube.base} is not trusted with the CA certificate ${config.kube.caFile}` };
  }

  call(verb, method, { body, contentType } = {}) {
    const { kube } = this.config;
    return withRetries(`${verb} ${this.ref}`, this.config.retryBaseMs, async () => {
      let token;
      let ca;
      try {
        token = readKubeToken(kube.tokenFile);
        if (kube.caFile) ca = fs.readFileSync(kube.caFile);
      } catch (error) {
        throw new TransientError(`cannot read ${error.path || 'the ServiceAccount files'}: ${error.code || error.message}`);
      }
      const headers = { Accept: 'application/json', Authorization: `Bearer ${token}` };
      if (contentType) headers['Content-Type'] = contentType;
      return exchange(this.url, { method, headers, body, ca, service: this.service });
    });
  }

  /** Reads the Secret: it must exist (the refresher never creates it) and accept a new value. */
  async check() {
    const answer = await this.call('get', 'GET');
    if (answer.status !== 200) throw new Error(this.failure('get', answer));
    if (answer.json && answer.json.immutable === true) {
      throw new Error(`${this.ref} is immutable: its data cannot be changed. Remove immutable: true from it (the library synthesizes it mutable and empty)`);
    }
  }

  /** Writes the token under its key with a JSON merge patch: the Secret's other keys stay. */
  async store(token) {
    const body = JSON.stringify({ data: { [this.config.secretKey]: secret(Buffer.from(token, 'utf8').toString('base64')) } });
    const answer = await this.call('patch', 'PATCH', { body, contentType: 'application/merge-patch+json' });
    if (answer.status !== 200) throw new Error(this.failure('patch', answer));
  }

  failure(verb, answer) {
    const { namespace, secretName } = this.config;
    const head = `cannot ${verb} ${this.ref}: ${describeAnswer(answer)}.`;
    switch (answer.status) {
      case 401:
        return `${head} The API server does not accept the pod's ServiceAccount token`;
      case 403:
        return `${head} The pod's ServiceAccount may not ${verb} it: its Role needs the verbs get and patch on secrets `
          + `with resourceNames [${secretName}] in namespace ${namespace}`;
      case 404:
        return `${head} The refresher only fills the token Secret, it never creates it: apply the manifests that create it `
          + `(the library synthesizes it empty) in namespace ${namespace}`;
      default:
        return `${head} The API server refused it`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One run.

async function refresh(config) {
  const tokenSecret = new TokenSecret(config);
  const github = new GitHub(config);
  const route = httpsProxy.routeOf(config.github.api, config.proxy);
  if (route) log(`GitHub's API: ${route}`);
  // Fails fast, before any token is made, when the token could not be stored anyway.
  await tokenSecret.check();
  const bearer = await github.authenticate();
  const registration = await github.registrationToken(bearer);
  await tokenSecret.store(registration.token);
  log(`stored a new registration token for ${config.github.scope.url} in ${tokenSecret.ref} (key ${config.secretKey}); it expires at ${registration.expiresAt}`);
  if (config.prefix === undefined) return;
  try {
    await deleteOfflineRunners(github, bearer, config.prefix);
  } catch (error) {
    throw new Error(`the new registration token is stored, but deleting offline runners failed: ${error.message}`);
  }
}

/**
 * Deletes the runners named `<prefix>-<N>` (a pool's VM names) that are offline and idle: VMs that no
 * longer exist. Only a number may follow the prefix, so pool `ci` never touches pool `ci-gpu`.
 */
async function deleteOfflineRunners(github, bearer, prefix) {
  const runners = await github.runners(bearer);
  const fleetName = new RegExp(`^${prefix.replace(/[.]/g, '\\.')}-[0-9]+$`);
  const dead = runners.filter((r) => typeof r.name === 'string' && fleetName.test(r.name)
    && r.status === 'offline' && r.busy === false && Number.isSafeInteger(r.id));
  for (const runner of dead) {
    const name = JSON.stringify(runner.name);
    const { result, problem } = await github.deleteRunner(bearer, runner);
    if (result === 'deleted') log(`deleted offline runner ${name} (id ${runner.id})`);
    else if (result === 'gone') log(`offline runner ${name} (id ${runner.id}) was already deleted`);
    else log(`left runner ${name} (id ${runner.id}): GitHub would not delete it (${problem}); it may have come back and taken a job`);
  }
  log(`offline runners named ${prefix}-<N>: ${dead.length} of ${runners.length} runners`);
}

async function main() {
  let config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    warn(`configuration error: ${error.message}`);
    return 2;
  }
  try {
    await refresh(config);
    return 0;
  } catch (error) {
    warn(error.message);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    warn(`unexpected error: ${error && error.stack ? error.stack : error}`);
    process.exit(1);
  },
);
