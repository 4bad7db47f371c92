#!/usr/bin/env node
// The launcher of a per-job runner VM. ARC's EphemeralRunner pod runs it as its `runner` container:
// once the runner image is ready, it creates one KubeVirt VirtualMachineInstance (and, in clone
// mode, the DataVolume of its root disk) owned by the pod, follows it until the guest powers itself
// off after its one job, deletes what it created and exits: 0 when the VM succeeded, 1 when it
// failed, timed out or could not be created, 2 on a bad configuration, 143/130 on SIGTERM/SIGINT
// (ARC retries a non-zero exit).
//
// Node.js built-ins only: it runs from a ConfigMap in a stock node image. ARC also puts the runner's
// JIT config in this container's environment (ACTIONS_RUNNER_INPUT_JITCONFIG); the launcher never
// reads it: the VM gets it from ARC's Secret, as a disk.
//
// Mint mode (LAUNCHER_MINT_JIT=1; RunnerKedaScaleSet: a KEDA ScaledJob's Job pod runs it, no ARC):
// the launcher makes the runner itself. From the GitHub App (github_app_id,
// github_app_installation_id, github_app_private_key) or PAT (github_token) in
// LAUNCHER_GITHUB_CREDENTIALS_DIR it gets an installation token, looks up LAUNCHER_RUNNER_GROUP's id
// (else the default group, 1), asks GitHub for a JIT runner config (generate-jitconfig, named after
// the pod, with LAUNCHER_RUNNER_LABELS, comma-separated) for LAUNCHER_GITHUB_URL (a repository,
// organization or enterprise URL; LAUNCHER_GITHUB_API_URL overrides the API's URL), stores it in the
// Secret <pod>-jit (key jitToken, owned by the pod) and gives the VMI that Secret as its `jit` disk.
// While the VMI runs it polls the runner every LAUNCHER_POLL_SECONDS (15): a runner never busy
// within LAUNCHER_IDLE_TIMEOUT_SECONDS (600) of the VMI running is removed from GitHub and its VMI
// deleted, exit 0 (the job it was made for went elsewhere). Whatever the end, a runner still on
// GitHub and not busy is removed. Credentials, tokens and the JIT config are never logged.
'use strict';

const crypto = require('node:crypto');

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
// Next to this script (the same ConfigMap): HTTPS to GitHub through HTTPS_PROXY, honouring NO_PROXY.
const httpsProxy = require('./https-proxy.cjs');

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const RUNNER_LABEL = 'cdk8s-kubevirt-runners/runner';
const VMI = { kind: 'VirtualMachineInstance', group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances' };
const DATA_VOLUME = { kind: 'DataVolume', group: 'cdi.kubevirt.io', version: 'v1beta1', plural: 'datavolumes' };
const SECRET = { kind: 'Secret', group: '', version: 'v1', plural: 'secrets' };
// Mint mode: the JIT Secret's key (ARC's, which the guest reads), the credentials, GitHub's API.
const JIT_SECRET_KEY = 'jitToken';
const DEFAULT_CREDENTIALS_DIR = '/etc/github-credentials';
const APP_FILES = ['github_app_id', 'github_app_installation_id', 'github_app_private_key'];
const PAT_FILE = 'github_token';
const GITHUB_API_VERSION = '2022-11-28';
const MAX_PAGES = 100;
// An installation token lives an hour: a new one is made after 50 minutes.
const INSTALLATION_TOKEN_MS = 50 * 60 * 1000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// Attempts of one API call before giving up; the delays double from LAUNCHER_RETRY_BASE_MS up to
// 30 times that (about a minute in all with the default of 1 s). Reading and watching the VMI once
// it exists is retried without a limit: the VM runs its job whether or not the API server answers
// (a control-plane upgrade), and the boot and job timeouts bound the wait.
const MAX_ATTEMPTS = 8;
const MAX_DELAY_FACTOR = 30;
// The API server ends each watch after this long (a watch that died silently ends too: the
// launcher gives up on it a request timeout later), and the launcher re-reads and watches again.
const WATCH_SECONDS = 300;
// setTimeout fires at once for delays above 2^31-1 ms (24.8 days).
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const SIGNAL_EXIT_CODES = { SIGTERM: 143, SIGINT: 130 };

// Every credential the launcher has seen (mint mode) is replaced before anything is printed.
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

const log = (line) => process.stdout.write(`launcher: ${redact(line)}\n`);
const warn = (line) => process.stderr.write(`launcher: ${redact(line)}\n`);

class ConfigError extends Error {}
/** A network problem or an answer worth trying again (429, 5xx). */
class TransientError extends Error {}
/** The launcher is stopping (signal or timeout): whatever was under way is abandoned. */
class AbortedError extends Error {}

// ---------------------------------------------------------------------------------------------
// Configuration: everything is checked before the first request.

function readConfig(env) {
  const required = (name) => {
    if (!env[name]) throw new ConfigError(`${name} is not set`);
    return env[name];
  };
  const podName = required('LAUNCHER_POD_NAME');
  if (!DNS_LABEL.test(podName)) {
    throw new ConfigError(`LAUNCHER_POD_NAME must be a DNS label (it becomes the VM's hostname and a label value): `
      + `at most 63 lowercase letters, digits and '-', got '${podName}'`);
  }
  const namespace = required('LAUNCHER_POD_NAMESPACE');
  const podUid = required('LAUNCHER_POD_UID');
  const vmiTemplate = readVmiTemplate(required('LAUNCHER_VMI_TEMPLATE'));
  const dataVolumeTemplate = env.LAUNCHER_DATAVOLUME_TEMPLATE ? readDataVolumeTemplate(env.LAUNCHER_DATAVOLUME_TEMPLATE) : undefined;
  const imageReadyVmi = env.LAUNCHER_IMAGE_READY_VMI || undefined;
  if (imageReadyVmi !== undefined && !DNS_LABEL.test(imageReadyVmi)) {
    throw new ConfigError(`LAUNCHER_IMAGE_READY_VMI must name a VirtualMachineInstance (a DNS label), got '${imageReadyVmi}'`);
  }
  if (dataVolumeTemplate && !vmiTemplate.spec.volumes.some((v) => v.name === 'rootdisk')) {
    throw new ConfigError(`LAUNCHER_VMI_TEMPLATE ${env.LAUNCHER_VMI_TEMPLATE} has no volume named 'rootdisk' for the DataVolume of LAUNCHER_DATAVOLUME_TEMPLATE`);
  }
  return {
    podName,
    namespace,
    podUid,
    vmiTemplate,
    dataVolumeTemplate,
    imageReadyVmi,
    bootTimeoutSeconds: seconds(env, 'LAUNCHER_BOOT_TIMEOUT_SECONDS', 900),
    jobTimeoutSeconds: seconds(env, 'LAUNCHER_JOB_TIMEOUT_SECONDS', 86400),
    requestTimeoutSeconds: seconds(env, 'LAUNCHER_REQUEST_TIMEOUT_SECONDS', 30),
    retryBaseMs: milliseconds(env, 'LAUNCHER_RETRY_BASE_MS', 1000),
    api: apiConfig(env),
    mint: mintConfig(env),
  };
}

/** Mint mode's settings, or undefined when ARC made the runner. */
function mintConfig(env) {
  const mode = env.LAUNCHER_MINT_JIT;
  if (mode === undefined || mode === '' || mode === '0') return undefined;
  if (mode !== '1') throw new ConfigError(`LAUNCHER_MINT_JIT must be 1 (mint the JIT config) or 0/unset (ARC's Secret), got '${mode}'`);
  if (!env.LAUNCHER_GITHUB_URL) throw new ConfigError('LAUNCHER_GITHUB_URL is not set (mint mode needs the repository, organization or enterprise URL)');
  const github = githubTarget(env.LAUNCHER_GITHUB_URL, env.LAUNCHER_GITHUB_API_URL);
  const labels = (env.LAUNCHER_RUNNER_LABELS || '').split(',').map((l) => l.trim()).filter((l) => l !== '');
  if (labels.length === 0) throw new ConfigError('LAUNCHER_RUNNER_LABELS must name at least one runner label (comma-separated)');
  if (labels.length > 100 || labels.some((l) => l.length > 256)) {
    throw new ConfigError('LAUNCHER_RUNNER_LABELS must hold at most 100 labels of at most 256 characters');
  }
  const runnerGroup = env.LAUNCHER_RUNNER_GROUP || undefined;
  if (runnerGroup !== undefined && github.scope.kind === 'repository') {
    throw new ConfigError(`LAUNCHER_RUNNER_GROUP is set but LAUNCHER_GITHUB_URL ${github.scope.url} is a repository: runner groups belong to organizations and enterprises`);
  }
  return {
    github,
    labels,
    runnerGroup,
    auth: readCredentials(env.LAUNCHER_GITHUB_CREDENTIALS_DIR || DEFAULT_CREDENTIALS_DIR),
    idleTimeoutSeconds: seconds(env, 'LAUNCHER_IDLE_TIMEOUT_SECONDS', 600),
    pollSeconds: seconds(env, 'LAUNCHER_POLL_SECONDS', 15),
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

/**
 * The scope and the REST API base from the GitHub URL: https://HOST/OWNER, https://HOST/OWNER/REPO
 * or https://HOST/enterprises/SLUG (github.com: api.github.com; GHES: https://HOST/api/v3).
 */
function githubTarget(text, apiOverride) {
  let url;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`LAUNCHER_GITHUB_URL must be an https URL without credentials or query, such as https://github.com/OWNER, got ${JSON.stringify(text.replace(/\/\/[^/@]*@/, '//***@'))}`);
  }
  let segments;
  try {
    segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    throw new ConfigError(`LAUNCHER_GITHUB_URL has a malformed escape in its path: ${JSON.stringify(text)}`);
  }
  const link = `${url.origin}/${segments.join('/')}`;
  const enc = encodeURIComponent;
  let scope;
  if (segments.length === 2 && segments[0] === 'enterprises') {
    scope = { kind: 'enterprise', url: link, path: `/enterprises/${enc(segments[1])}`, owner: segments[1] };
  } else if (segments.length === 1 && segments[0] !== 'enterprises') {
    scope = { kind: 'organization', url: link, path: `/orgs/${enc(segments[0])}`, owner: segments[0] };
  } else if (segments.length === 2) {
    scope = { kind: 'repository', url: link, path: `/repos/${enc(segments[0])}/${enc(segments[1])}`, owner: segments[0], repo: segments[1] };
  } else {
    throw new ConfigError(`LAUNCHER_GITHUB_URL must be https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG, got ${JSON.stringify(text)}`);
  }
  let api;
  if (apiOverride) {
    let override;
    try {
      override = new URL(apiOverride);
    } catch {
      override = undefined;
    }
    if (!override || (override.protocol !== 'https:' && override.protocol !== 'http:') || override.username || override.password || override.search || override.hash) {
      throw new ConfigError(`LAUNCHER_GITHUB_API_URL must be an http(s) URL without credentials or query, got ${JSON.stringify(apiOverride.replace(/\/\/[^/@]*@/, '//***@'))}`);
    }
    api = override.href.replace(/\/+$/, '');
  } else if (url.host === 'github.com') {
    api = 'https://api.github.com';
  } else if (/^[a-z0-9-]+\.ghe\.com$/.test(url.host)) {
    // GitHub Enterprise Cloud with data residency: SUBDOMAIN.ghe.com has its API at api.SUBDOMAIN.ghe.com.
    api = `https://api.${url.host}`;
  } else {
    api = `https://${url.host}/api/v3`;
  }
  return { scope, api };
}

/** The GitHub App or the PAT in the credentials folder: exactly one of them. */
function readCredentials(dir) {
  let names;
  try {
    names = new Set(fs.readdirSync(dir));
  } catch (error) {
    throw new ConfigError(`the GitHub credentials folder ${dir} (LAUNCHER_GITHUB_CREDENTIALS_DIR) cannot be read: ${error.code || error.message}; `
      + 'is the credentials Secret mounted there?');
  }
  const appFiles = APP_FILES.filter((f) => names.has(f));
  const hasPat = names.has(PAT_FILE);
  const expected = `either a GitHub App (${APP_FILES.join(', ')}) or a PAT (${PAT_FILE})`;
  if (hasPat && appFiles.length > 0) {
    throw new ConfigError(`${dir} holds both a PAT (${PAT_FILE}) and GitHub App keys (${appFiles.join(', ')}): it must hold ${expected}, not both`);
  }
  if (!hasPat && appFiles.length === 0) throw new ConfigError(`${dir} holds neither: it must hold ${expected}`);
  if (hasPat) return { kind: 'pat', what: 'PAT (github_token)', token: secret(readCredential(dir, PAT_FILE)) };
  const missing = APP_FILES.filter((f) => !names.has(f));
  if (missing.length > 0) throw new ConfigError(`${dir} holds a GitHub App without ${missing.join(' and ')}: it needs all of ${APP_FILES.join(', ')}`);
  const appId = readCredential(dir, 'github_app_id');
  if (!/^[\x21-\x7e]+$/.test(appId)) throw new ConfigError(`${dir}/github_app_id must be the App ID or client ID (printable characters, no spaces), got ${JSON.stringify(appId)}`);
  const installationId = readCredential(dir, 'github_app_installation_id');
  if (!/^[0-9]{1,20}$/.test(installationId)) {
    throw new ConfigError(`${dir}/github_app_installation_id must be the installation's number (in the URL of its settings page), got ${JSON.stringify(installationId)}`);
  }
  return { kind: 'app', what: `GitHub App (installation ${installationId})`, appId, installationId, key: readPrivateKey(dir) };
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
  // Only the file's own name is ever shown, never its content.
  const value = text.trim();
  if (value === '') throw new ConfigError(`${file} is empty`);
  return value;
}

function readPrivateKey(dir) {
  const pem = secret(readCredential(dir, 'github_app_private_key'));
  const file = path.join(dir, 'github_app_private_key');
  const rules = 'the App\'s private key as GitHub issues it (PEM, PKCS#1 or PKCS#8, unencrypted)';
  // (`[ ]`: the script ships in a ConfigMap, and its text must not look like a PEM key to credential scanners.)
  if (/^-----BEGIN ENCRYPTED PRIVATE[ ]KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(pem)) {
    throw new ConfigError(`${file} must be ${rules}: it is encrypted with a passphrase`);
  }
  let key;
  try {
    key = crypto.createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    const why = error.code === 'ERR_MISSING_PASSPHRASE' ? 'it is encrypted with a passphrase' : `it does not parse (${error.code || 'unknown error'})`;
    throw new ConfigError(`${file} must be ${rules}: ${why}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(`${file} must be an RSA private key (GitHub App keys are RSA), got a ${key.asymmetricKeyType} key`);
  return key;
}

function seconds(env, name, fallback) {
  if (env[name] === undefined || env[name] === '') return fallback;
  const value = Number(env[name]);
  if (!/^\d+(\.\d+)?$/.test(env[name]) || value <= 0 || value > MAX_TIMEOUT_SECONDS) {
    throw new ConfigError(`${name} must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}, got '${env[name]}'`);
  }
  return value;
}

function milliseconds(env, name, fallback) {
  if (env[name] === undefined || env[name] === '') return fallback;
  if (!/^\d+$/.test(env[name]) || Number(env[name]) > 60000) {
    throw new ConfigError(`${name} must be a whole number of milliseconds from 0 to 60000, got '${env[name]}'`);
  }
  return Number(env[name]);
}

function readJsonFile(variable, path) {
  let text;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${variable} ${path} cannot be read: ${error.code || error.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${variable} ${path} is not valid JSON: ${error.message}`);
  }
}

function checkKind(variable, path, object, { group, version, kind }) {
  const apiVersion = `${group}/${version}`;
  if (!isObject(object) || object.apiVersion !== apiVersion || object.kind !== kind) {
    const found = isObject(object) ? `apiVersion '${object.apiVersion}' kind '${object.kind}'` : `a JSON ${Array.isArray(object) ? 'array' : typeof object}`;
    throw new ConfigError(`${variable} ${path} must hold a ${apiVersion} ${kind}, found ${found}`);
  }
  if (object.metadata !== undefined && !isObject(object.metadata)) throw new ConfigError(`${variable} ${path}: metadata must be an object`);
  if (object.metadata?.labels !== undefined && !isObject(object.metadata.labels)) throw new ConfigError(`${variable} ${path}: metadata.labels must be an object`);
  if (!isObject(object.spec)) throw new ConfigError(`${variable} ${path} has no spec`);
}

function readVmiTemplate(path) {
  const template = readJsonFile('LAUNCHER_VMI_TEMPLATE', path);
  checkKind('LAUNCHER_VMI_TEMPLATE', path, template, VMI);
  const volumes = template.spec.volumes;
  if (!Array.isArray(volumes) || !volumes.every(isObject)) throw new ConfigError(`LAUNCHER_VMI_TEMPLATE ${path}: spec.volumes must be a list of volumes`);
  const jit = volumes.find((v) => v.name === 'jit');
  if (!jit || !isObject(jit.secret)) {
    throw new ConfigError(`LAUNCHER_VMI_TEMPLATE ${path} has no volume named 'jit' of kind secret in spec.volumes (the disk that carries the runner's JIT config)`);
  }
  return template;
}

function readDataVolumeTemplate(path) {
  const template = readJsonFile('LAUNCHER_DATAVOLUME_TEMPLATE', path);
  checkKind('LAUNCHER_DATAVOLUME_TEMPLATE', path, template, DATA_VOLUME);
  return template;
}

function apiConfig(env) {
  let base = env.LAUNCHER_KUBE_API;
  if (!base) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
      throw new ConfigError('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?); set LAUNCHER_KUBE_API to the API server\'s URL');
    }
    base = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  // The token comes from its file; a URL with user-info is refused, and never repeated.
  if (base.includes('@')) throw new ConfigError('LAUNCHER_KUBE_API must not carry credentials (user-info): the token comes from LAUNCHER_KUBE_TOKEN_FILE');
  let url;
  try {
    url = new URL(base);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new ConfigError(`the Kubernetes API (LAUNCHER_KUBE_API, else https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT) must be an http(s) URL without query, got '${base}'`);
  }
  const tokenFile = env.LAUNCHER_KUBE_TOKEN_FILE || `${SERVICE_ACCOUNT_DIR}/token`;
  const tokenSource = env.LAUNCHER_KUBE_TOKEN_FILE ? `LAUNCHER_KUBE_TOKEN_FILE ${tokenFile}` : `the ServiceAccount token ${tokenFile} (is automountServiceAccountToken off?)`;
  try {
    if (readToken(tokenFile) === '') throw new ConfigError(`${tokenSource} is empty`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${tokenSource} cannot be read: ${error.code || error.message}`);
  }
  const caFile = url.protocol === 'https:' ? env.LAUNCHER_KUBE_CA_FILE || `${SERVICE_ACCOUNT_DIR}/ca.crt` : undefined;
  if (caFile) {
    try {
      fs.readFileSync(caFile);
    } catch (error) {
      throw new ConfigError(`the API server's CA certificate ${caFile} (LAUNCHER_KUBE_CA_FILE) cannot be read: ${error.code || error.message}`);
    }
  }
  return { base: url.href.replace(/\/$/, ''), tokenFile, caFile, https: url.protocol === 'https:' };
}

// Projected ServiceAccount tokens rotate: the file is read again for every request.
function readToken(file) {
  return fs.readFileSync(file, 'utf8').trim();
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------
// The Kubernetes API: one request at a time, retried when the failure is transient.

class KubeApi {
  constructor(api, requestTimeoutSeconds, retryBaseMs) {
    this.api = api;
    this.requestTimeoutMs = requestTimeoutSeconds * 1000;
    this.retryBaseMs = retryBaseMs;
  }

  /**
   * One HTTP exchange. Resolves `{ status, body }` (body parsed when it is JSON) for any status, or
   * `{ status: 200, stream }` for a watch; rejects with TransientError for network trouble,
   * AbortedError when `signal` aborts, Error for what retrying cannot fix (TLS).
   */
  send(method, path, { body, signal, timeoutMs = this.requestTimeoutMs, stream = false }) {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new AbortedError('stopping'));
      let token;
      let ca;
      try {
        token = readToken(this.api.tokenFile);
        if (this.api.caFile) ca = fs.readFileSync(this.api.caFile);
      } catch (error) {
        return reject(new TransientError(`cannot read ${error.path || 'the ServiceAccount files'}: ${error.code || error.message}`));
      }
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers = { Accept: 'application/json', Authorization: `Bearer ${token}`, 'User-Agent': 'cdk8s-kubevirt-runners-launcher' };
      if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
      const transport = this.api.https ? https : http;
      // A fresh connection per request: nothing pooled can have gone stale.
      const request = transport.request(`${this.api.base}${path}`, { method, headers, ca, agent: false });
      let failure;
      const fail = (error) => {
        if (!failure) failure = error;
        request.destroy(failure);
      };
      const timer = setTimeout(() => fail(new TransientError(`no complete answer within ${timeoutMs / 1000}s`)), timeoutMs);
      const onAbort = () => fail(new AbortedError('stopping'));
      signal.addEventListener('abort', onAbort, { once: true });
      // Settles the promise once; a watch's stream outlives it, so the timer and the abort listener
      // are released when the exchange is over, not when the promise settles.
      let settled = false;
      const settle = (action, value) => {
        if (!settled) action(value);
        settled = true;
      };
      const release = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      request.on('error', (error) => {
        release();
        settle(reject, failure || networkError(error, this.api));
      });
      request.on('response', (response) => {
        response.on('error', () => undefined);
        if (stream && response.statusCode === 200) {
          response.on('close', release);
          return settle(resolve, { status: 200, stream: response, failure: () => failure, close: () => request.destroy() });
        }
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          settle(resolve, { status: response.statusCode, body: parsed, text, retryAfter: response.headers['retry-after'] });
        });
        response.on('close', () => {
          release();
          settle(reject, failure || new TransientError('the connection closed before the answer was complete'));
        });
      });
      request.end(payload);
    });
  }

  /**
   * An API call that retries what is transient (network errors, 429, 5xx) with capped, jittered
   * exponential backoff, `attempts` times in all. `op` says what it is for the logs:
   * `{ verb, resource, name, namespace }`. Statuses in `accept` are answers, not errors; any other
   * 4xx is fatal.
   */
  async call(op, method, path, { body, signal, accept = [], stream = false, timeoutMs, attempts = MAX_ATTEMPTS }) {
    for (let attempt = 1; ; attempt++) {
      let problem;
      let retryAfterMs;
      try {
        const answer = await this.send(method, path, { body, signal, stream, timeoutMs });
        if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) {
          if (answer.stream || answer.body !== undefined || method === 'DELETE') return answer;
          problem = `HTTP ${answer.status} with a body that is not JSON`;
        } else if (answer.status === 429 || answer.status >= 500) {
          problem = describeStatus(answer);
          if (/^\d+$/.test(answer.retryAfter || '')) retryAfterMs = Number(answer.retryAfter) * 1000;
        } else {
          throw new Error(fatalMessage(op, answer));
        }
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        problem = error.message;
      }
      if (attempt >= attempts) throw new Error(`cannot ${describeOp(op)}: ${problem}; gave up after ${attempt} attempts`);
      const backoff = backoffMs(this.retryBaseMs, attempt - 1);
      const delay = Math.max(backoff / 2 + Math.random() * backoff / 2, Math.min(backoffMs(this.retryBaseMs, Infinity), retryAfterMs || 0));
      const of = Number.isFinite(attempts) ? ` of ${attempts - 1}` : '';
      warn(`${describeOp(op)}: ${problem}; retry ${attempt}${of} in ${formatSeconds(delay)}`);
      await sleep(delay, signal);
    }
  }
}

function networkError(error, api) {
  const code = error.code || '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
    return new Error(`TLS: the API server at ${api.base} is not trusted with the CA certificate ${api.caFile}: ${error.message}`);
  }
  return new TransientError(code && !error.message.includes(code) ? `${error.message} (${code})` : error.message);
}

function describeOp({ verb, resource, name, namespace }) {
  return `${verb} ${resource.kind} ${namespace}/${name}`;
}

/** An answer's status line: `HTTP 403 Forbidden: <the API Status message>`. */
function describeStatus({ status, body, text }) {
  return `HTTP ${status}${statusText(body, text)}`;
}

/** ` Reason: message` of a Kubernetes Status object, or the start of a body that is not one. */
function statusText(body, text = '') {
  const reason = isObject(body) && body.reason ? ` ${body.reason}` : '';
  const message = isObject(body) && body.message ? body.message : text.trim().slice(0, 200);
  return `${reason}${message ? `: ${message}` : ''}`;
}

function fatalMessage(op, answer) {
  const what = `cannot ${describeOp(op)}: ${describeStatus(answer)}`;
  if (answer.status === 403) {
    const { verb, resource, namespace } = op;
    return `${what}. The pod's ServiceAccount lacks permission: its Role needs the verb '${verb}' on `
      + `'${resource.plural}' in apiGroup '${resource.group}' in namespace '${namespace}'`;
  }
  if (answer.status === 401) return `${what}. The API server does not accept the pod's ServiceAccount token`;
  if (answer.status === 404 && op.verb !== 'get' && op.resource.group === '') return `${what}. Does namespace '${op.namespace}' exist?`;
  if (answer.status === 404 && op.verb !== 'get') return `${what}. Is ${op.resource.group === VMI.group ? 'KubeVirt' : 'CDI'} installed, and does namespace '${op.namespace}' exist?`;
  return what;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortedError('stopping'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError('stopping'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The `n`th delay (from 0) of a series that doubles from `baseMs` up to MAX_DELAY_FACTOR times it. */
const backoffMs = (baseMs, n) => baseMs * Math.min(MAX_DELAY_FACTOR, 2 ** Math.min(n, 10));

const formatSeconds = (ms) => (ms >= 10000 ? `${Math.round(ms / 1000)}s` : `${(ms / 1000).toFixed(1)}s`);

// ---------------------------------------------------------------------------------------------
// GitHub (mint mode): the runner's JIT config, its state, its removal.

/**
 * One HTTP exchange with GitHub. Resolves `{ status, headers, text, json }` for any status; rejects
 * with TransientError for network trouble, AbortedError when `signal` aborts, Error for TLS.
 */
function githubExchange(url, { method, headers, body, signal, timeoutMs, agent = false }) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortedError('stopping'));
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const allHeaders = { ...headers, 'User-Agent': 'cdk8s-kubevirt-runners-launcher' };
    if (payload) Object.assign(allHeaders, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
    else if (method !== 'GET' && method !== 'DELETE') allHeaders['Content-Length'] = 0;
    const transport = url.startsWith('https:') ? https : http;
    const request = transport.request(url, { method, headers: allHeaders, agent });
    let failure;
    const fail = (error) => {
      if (!failure) failure = error;
      request.destroy(failure);
    };
    const timer = setTimeout(() => fail(new TransientError(`no complete answer within ${timeoutMs / 1000}s`)), timeoutMs);
    const onAbort = () => fail(new AbortedError('stopping'));
    signal.addEventListener('abort', onAbort, { once: true });
    const release = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    request.on('error', (error) => {
      release();
      const code = error.code || '';
      if (failure) return reject(failure);
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
        return reject(new Error(`TLS: GitHub's API at ${url.split('/').slice(0, 3).join('/')} is not trusted (a server with a private CA needs NODE_EXTRA_CA_CERTS): ${error.message}`));
      }
      reject(new TransientError(code && !error.message.includes(code) ? `${error.message} (${code})` : error.message));
    });
    request.on('response', (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', () => undefined);
      response.on('end', () => {
        release();
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
        release();
        reject(failure || new TransientError('the connection closed before the answer was complete'));
      });
    });
    request.end(payload);
  });
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
  let message = isObject(json) && typeof json.message === 'string' ? json.message : text.trim();
  if (isObject(json) && Array.isArray(json.errors) && json.errors.length > 0) {
    message += ` (${json.errors.map((e) => (typeof e === 'string' ? e : e && (e.message || e.code)) || '').filter(Boolean).join('; ')})`;
  }
  message = message.replace(/\s+/g, ' ').slice(0, 300);
  const request = headers['x-github-request-id'] ? ` [GitHub request ${headers['x-github-request-id']}]` : '';
  return `HTTP ${status}${message ? `: ${message}` : ''}${request}`;
}

/** A JWT that authenticates as the App for nine minutes (GitHub allows ten); iat allows for clock drift. */
function appJwt(auth) {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const claims = Buffer.from(JSON.stringify({ iat: now - 60, exp: now + 540, iss: auth.appId })).toString('base64url');
  const signature = crypto.sign('sha256', Buffer.from(`${header}.${claims}`), auth.key).toString('base64url');
  return secret(`${header}.${claims}.${signature}`);
}

class GitHub {
  constructor(mint, requestTimeoutSeconds, retryBaseMs) {
    this.mint = mint;
    this.auth = mint.auth;
    this.scope = mint.github.scope;
    this.base = mint.github.api;
    this.requestTimeoutMs = requestTimeoutSeconds * 1000;
    this.retryBaseMs = retryBaseMs;
    this.installationToken = undefined;
  }

  /**
   * One call, retried when transient (network errors, 429, 5xx, rate limits) with capped, jittered
   * exponential backoff; resolves the last answer, whatever its status. `bearer` is read per attempt.
   */
  async call(what, method, pathOrUrl, { bearer, body, signal, attempts = MAX_ATTEMPTS }) {
    const url = pathOrUrl.startsWith('/') ? `${this.base}${pathOrUrl}` : pathOrUrl;
    for (let n = 1; ; n++) {
      let problem;
      let waitMs = 0;
      try {
        const answer = await githubExchange(url, {
          method,
          body,
          signal,
          timeoutMs: this.requestTimeoutMs,
          agent: httpsProxy.agentFor(url, this.mint.proxy, this.requestTimeoutMs),
          headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': GITHUB_API_VERSION, Authorization: `Bearer ${bearer()}` },
        });
        const limit = rateLimit(answer);
        if (!limit && answer.status !== 429 && answer.status < 500) return answer;
        problem = describeAnswer(answer);
        waitMs = limit ? limit.waitMs : 0;
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        problem = error.message;
      }
      if (n >= attempts) throw new Error(`cannot ${what}: ${problem}; gave up after ${n} attempts`);
      const backoff = backoffMs(this.retryBaseMs, n - 1);
      const delay = Math.max(backoff / 2 + (Math.random() * backoff) / 2, Math.min(backoffMs(this.retryBaseMs, Infinity), waitMs));
      warn(`${what}: ${problem}; retry ${n} of ${attempts - 1} in ${formatSeconds(delay)}`);
      await sleep(delay, signal);
    }
  }

  /** The bearer for the scope's endpoints: the PAT, or an installation token (made again after 50 minutes). */
  async bearer(signal, attempts) {
    const { auth } = this;
    if (auth.kind === 'pat') return auth.token;
    if (this.installationToken && Date.now() < this.installationToken.until) return this.installationToken.token;
    const what = `create an access token for installation ${auth.installationId} of GitHub App ${auth.appId}`;
    const answer = await this.call(what, 'POST', `/app/installations/${auth.installationId}/access_tokens`, { bearer: () => appJwt(auth), signal, attempts });
    if (answer.status !== 201) throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${installationHint(auth, answer.status)}`);
    const token = isObject(answer.json) ? answer.json.token : undefined;
    if (typeof token !== 'string' || token === '') throw new Error(`cannot ${what}: GitHub's answer has no token`);
    this.installationToken = { token: secret(token), until: Date.now() + INSTALLATION_TOKEN_MS };
    return token;
  }

  /** A call on the scope's endpoints with the bearer. */
  async scoped(what, method, pathOrUrl, { body, signal, attempts }) {
    const token = await this.bearer(signal, attempts);
    return this.call(what, method, pathOrUrl, { bearer: () => token, body, signal, attempts });
  }

  /** The id of LAUNCHER_RUNNER_GROUP (following the Link header's pages), or 1 (the default group). */
  async runnerGroupId(signal) {
    const group = this.mint.runnerGroup;
    if (group === undefined) return 1;
    const what = `list the runner groups of ${this.scope.url}`;
    const seen = new Set();
    let url = `${this.base}${this.scope.path}/actions/runner-groups?per_page=100`;
    while (url) {
      if (seen.has(url) || seen.size >= MAX_PAGES) throw new Error(`cannot ${what}: GitHub's pages do not end`);
      seen.add(url);
      const answer = await this.scoped(what, 'GET', url, { signal });
      if (answer.status !== 200) throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${this.hint(answer)}`);
      const page = isObject(answer.json) && Array.isArray(answer.json.runner_groups) ? answer.json.runner_groups : undefined;
      if (!page) throw new Error(`cannot ${what}: GitHub's answer has no list of runner groups`);
      const found = page.find((g) => isObject(g) && g.name === group);
      if (found && Number.isInteger(found.id)) return found.id;
      url = this.nextPage(answer.headers.link, what);
    }
    throw new Error(`the runner group ${JSON.stringify(group)} (LAUNCHER_RUNNER_GROUP) does not exist in ${this.scope.url}: create it, or fix its name`);
  }

  /** Registers the JIT runner `name`; resolves `{ id, name, config }` (config is the encoded JIT config). */
  async generateJitConfig(name, runnerGroupId, signal) {
    const what = `generate a JIT runner config for ${this.scope.url}`;
    const body = { name, runner_group_id: runnerGroupId, labels: this.mint.labels, work_folder: '_work' };
    const answer = await this.scoped(what, 'POST', `${this.scope.path}/actions/runners/generate-jitconfig`, { body, signal });
    if (answer.status !== 201) throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${this.hint(answer)}`);
    const config = isObject(answer.json) ? answer.json.encoded_jit_config : undefined;
    const id = isObject(answer.json) && isObject(answer.json.runner) ? answer.json.runner.id : undefined;
    if (typeof config !== 'string' || config === '' || !Number.isInteger(id)) throw new Error(`cannot ${what}: GitHub's answer has no runner id or no encoded_jit_config`);
    secret(config);
    secret(Buffer.from(config, 'utf8').toString('base64'));
    return { id, name, config };
  }

  /** The runner, or undefined when GitHub has none of that id (404). */
  async runner(id, signal, attempts) {
    const what = `read the runner ${id} of ${this.scope.url}`;
    const answer = await this.scoped(what, 'GET', `${this.scope.path}/actions/runners/${id}`, { signal, attempts });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200 || !isObject(answer.json)) throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${this.hint(answer)}`);
    return answer.json;
  }

  /** Deletes the runner: 'deleted', 'gone' (404) or 'busy' (422: it took a job). */
  async deleteRunner(id, signal, attempts) {
    const what = `delete the runner ${id} of ${this.scope.url}`;
    const answer = await this.scoped(what, 'DELETE', `${this.scope.path}/actions/runners/${id}`, { signal, attempts });
    if (answer.status === 204) return 'deleted';
    if (answer.status === 404) return 'gone';
    if (answer.status === 422) return 'busy';
    throw new Error(`cannot ${what}: ${describeAnswer(answer)}. ${this.hint(answer)}`);
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

  /** What a failed call on the scope's endpoints means. */
  hint(answer) {
    const { scope, auth } = this;
    switch (answer.status) {
      case 401:
        return auth.kind === 'pat'
          ? 'GitHub does not accept the PAT in github_token: it is wrong, expired or revoked'
          : 'GitHub does not accept the installation token it has just issued: is the App suspended?';
      case 403: {
        const permission = scope.kind === 'repository'
          ? 'the repository permission "Administration: read and write" (a classic PAT needs the scope repo)'
          : scope.kind === 'organization'
            ? 'the organization permission "Self-hosted runners: read and write" (a classic PAT needs the scope admin:org)'
            : 'a classic PAT with the scope manage_runners:enterprise';
        const accepted = answer.headers['x-accepted-github-permissions'];
        return `The ${auth.what} lacks the permission: ${permission}${accepted ? ` (GitHub says it accepts: ${accepted})` : ''}`;
      }
      case 404: {
        const where = scope.kind === 'repository' ? `the repository ${scope.owner}/${scope.repo}`
          : scope.kind === 'organization' ? `the organization ${scope.owner}` : `the enterprise ${scope.owner}`;
        const who = auth.kind === 'app' ? `the GitHub App (installation ${auth.installationId}) cannot reach it` : 'the PAT cannot see it (GitHub answers 404, not 403, for what a token may not see)';
        return `Either LAUNCHER_GITHUB_URL is wrong (no ${where}) or ${who}`;
      }
      case 409:
        return 'A runner of this name exists already';
      case 422:
        return 'GitHub refused the request as invalid';
      default:
        return 'GitHub refused the request';
    }
  }
}

function installationHint(auth, status) {
  switch (status) {
    case 401:
      return 'GitHub does not accept the App\'s JWT: github_app_id (App ID or client ID) and github_app_private_key must belong to the same App, '
        + 'the key must not be revoked, and this node\'s clock must be right';
    case 403:
      return 'GitHub refuses to issue a token for this installation (is it suspended?)';
    case 404:
      return `GitHub App ${auth.appId} has no installation ${auth.installationId}: check github_app_installation_id`;
    default:
      return 'GitHub refused the request';
  }
}

// ---------------------------------------------------------------------------------------------
// The objects the launcher creates, from the templates.

function ownerReference(config) {
  return { apiVersion: 'v1', kind: 'Pod', name: config.podName, uid: config.podUid, controller: true, blockOwnerDeletion: true };
}

function withRunnerMetadata(template, name, config) {
  const object = structuredClone(template);
  object.metadata = {
    ...object.metadata,
    name,
    namespace: config.namespace,
    ownerReferences: [ownerReference(config)],
    labels: { ...object.metadata?.labels, [RUNNER_LABEL]: config.podName },
  };
  return object;
}

const dataVolumeName = (config) => `${config.podName}-root`;

function buildVmi(config) {
  const vmi = withRunnerMetadata(config.vmiTemplate, config.podName, config);
  vmi.spec.hostname = config.podName;
  vmi.spec.volumes = vmi.spec.volumes.map((volume) => {
    if (volume.name === 'jit') return { ...volume, secret: { ...volume.secret, secretName: jitSecretName(config) } };
    if (volume.name === 'rootdisk' && config.dataVolumeTemplate) return { name: 'rootdisk', dataVolume: { name: dataVolumeName(config) } };
    return volume;
  });
  return vmi;
}

// ARC's Secret is named after the pod; a minted config goes in the pod's own Secret.
const jitSecretName = (config) => (config.mint ? `${config.podName}-jit` : config.podName);

/** Mint mode: the Secret that carries the JIT config to the guest, owned by the pod. */
function buildJitSecret(config, jitConfig) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: jitSecretName(config),
      namespace: config.namespace,
      ownerReferences: [ownerReference(config)],
      labels: { [RUNNER_LABEL]: config.podName },
    },
    type: 'Opaque',
    data: { [JIT_SECRET_KEY]: Buffer.from(jitConfig, 'utf8').toString('base64') },
  };
}

function buildDataVolume(config) {
  return withRunnerMetadata(config.dataVolumeTemplate, dataVolumeName(config), config);
}

const ownersOf = (object) => (Array.isArray(object.metadata?.ownerReferences) ? object.metadata.ownerReferences.filter(isObject) : []);

/** Whose an existing object is: 'this pod', 'predecessor' (an earlier pod of the same name) or 'foreign'. */
function ownership(object, config) {
  const owners = ownersOf(object);
  if (owners.some((o) => o.uid === config.podUid)) return 'this pod';
  if (owners.some((o) => o.apiVersion === 'v1' && o.kind === 'Pod' && o.name === config.podName)) return 'predecessor';
  return 'foreign';
}

function describeOwners(object) {
  const owners = ownersOf(object);
  return owners.length === 0 ? 'no owner' : `owned by ${owners.map((o) => `${o.kind} ${o.name} (uid ${o.uid})`).join(', ')}`;
}

function failureReason(vmi) {
  const status = vmi.status || {};
  const parts = [];
  if (status.reason) parts.push(`reason ${status.reason}`);
  for (const c of Array.isArray(status.conditions) ? status.conditions.filter(isObject) : []) {
    if (c.reason || c.message) parts.push(`condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);
  }
  return parts.length ? parts.join('; ') : 'its status gives no reason';
}

// ---------------------------------------------------------------------------------------------
// One run: create (or adopt), follow until the VM is done, clean up.

class Launcher {
  constructor(config) {
    this.config = config;
    this.api = new KubeApi(config.api, config.requestTimeoutSeconds, config.retryBaseMs);
    this.abort = new AbortController();
    this.vmiRef = `${VMI.kind} ${config.namespace}/${config.podName}`;
    // What this run may have created, in order: cleanup deletes them in reverse.
    this.owned = [];
    this.phase = undefined;
    // While waiting for the runner image: what its bake VMI was at the last look.
    this.imageState = undefined;
    this.stopReason = undefined;
    this.finishing = false;
    // Mint mode: GitHub, and the runner this run registered ({ id, name, busy, removed }).
    this.github = config.mint ? new GitHub(config.mint, config.requestTimeoutSeconds, config.retryBaseMs) : undefined;
    this.runner = undefined;
  }

  /** A signal or a timeout: abandon what is under way, then clean up. */
  stop(reason) {
    if (this.stopReason || this.finishing) return;
    this.stopReason = reason;
    if (reason.signal) log(`received ${reason.signal}: deleting what this pod created`);
    this.abort.abort();
  }

  armTimer(kind) {
    clearTimeout(this.timer);
    const timeoutSeconds = kind === 'boot' ? this.config.bootTimeoutSeconds : this.config.jobTimeoutSeconds;
    this.timer = setTimeout(() => this.stop({ timeout: kind }), timeoutSeconds * 1000);
  }

  /** Runs to the end and returns the exit code. */
  async run() {
    this.startedAt = Date.now();
    this.armTimer('boot');
    let result;
    try {
      result = await this.launch();
    } catch (error) {
      result = error instanceof AbortedError && this.stopReason ? this.stopResult() : { code: 1, message: error.message };
    }
    this.finishing = true;
    clearTimeout(this.timer);
    // Ends the idle checks (mint mode): cleanup has its own signal.
    this.abort.abort();
    (result.code === 0 ? log : warn)(result.message);
    await this.cleanup();
    return result.code;
  }

  stopResult() {
    const { signal, timeout, idle } = this.stopReason;
    if (signal) return { code: SIGNAL_EXIT_CODES[signal], message: `stopped by ${signal}` };
    if (idle) {
      return { code: 0, message: `the runner ${this.runner.name} (id ${this.runner.id}) took no job within ${this.config.mint.idleTimeoutSeconds}s of its VM running `
        + '(LAUNCHER_IDLE_TIMEOUT_SECONDS): removed it from GitHub; the job it was made for ran elsewhere or was cancelled' };
    }
    if (timeout === 'boot' && this.imageState !== undefined) {
      return { code: 1, message: `the runner image was not ready within ${this.config.bootTimeoutSeconds}s (LAUNCHER_BOOT_TIMEOUT_SECONDS): `
        + `its bake VM's ${VMI.kind} ${this.config.namespace}/${this.config.imageReadyVmi} has not succeeded (${this.imageState}); `
        + `see its console (virtctl console ${this.config.imageReadyVmi})` };
    }
    if (timeout === 'boot') {
      return { code: 1, message: `${this.vmiRef} did not reach phase Running within ${this.config.bootTimeoutSeconds}s `
        + `(LAUNCHER_BOOT_TIMEOUT_SECONDS); last phase: ${this.phase || 'none yet'}` };
    }
    return { code: 1, message: `${this.vmiRef} was still running ${this.config.jobTimeoutSeconds}s after it reached phase Running `
      + '(LAUNCHER_JOB_TIMEOUT_SECONDS): the job took too long, or the guest did not power off after it' };
  }

  async launch() {
    const { config } = this;
    if (config.imageReadyVmi) await this.waitForImage();
    if (config.mint) {
      const jit = await this.mintRunner();
      await this.createOrAdopt(SECRET, buildJitSecret(config, jit.config));
    }
    if (config.dataVolumeTemplate) await this.createOrAdopt(DATA_VOLUME, buildDataVolume(config));
    const vmi = await this.createOrAdopt(VMI, buildVmi(config));
    this.vmiUid = vmi.metadata?.uid;
    return this.follow(vmi);
  }

  /**
   * Waits until the runner image is ready: its bake VM's VMI (LAUNCHER_IMAGE_READY_VMI) has succeeded.
   * A bake that fails stays up, so this waits within the boot timeout; one whose VMI failed never
   * will succeed, which is an error at once.
   */
  async waitForImage() {
    const ref = `${VMI.kind} ${this.config.namespace}/${this.config.imageReadyVmi}`;
    for (let polls = 0; ; polls++) {
      const bake = await this.get(VMI, this.config.imageReadyVmi, this.abort.signal, Infinity);
      const phase = bake?.status?.phase;
      if (phase === 'Succeeded') {
        if (this.imageState !== undefined) log(`the runner image is ready: ${ref} succeeded`);
        this.imageState = undefined;
        return;
      }
      if (phase === 'Failed') throw new Error(`the runner image is not usable: its bake VM's ${ref} failed (${failureReason(bake)}); bake it again`);
      const state = bake ? `phase ${phase || 'none yet'}` : 'not created yet';
      if (state !== this.imageState) log(`waiting for the runner image: its bake VM's ${ref} has not succeeded (${state})`);
      this.imageState = state;
      await sleep(backoffMs(this.config.retryBaseMs, polls), this.abort.signal);
    }
  }

  /** Mint mode: registers this pod's JIT runner on GitHub; resolves its config (never logged). */
  async mintRunner() {
    const signal = this.abort.signal;
    const route = httpsProxy.routeOf(this.config.mint.github.api, this.config.mint.proxy);
    if (route) log(`GitHub's API: ${route}`);
    const groupId = await this.github.runnerGroupId(signal);
    const jit = await this.github.generateJitConfig(this.config.podName, groupId, signal);
    this.runner = { id: jit.id, name: jit.name, busy: false, removed: false };
    const group = this.config.mint.runnerGroup === undefined ? 'the default runner group' : `runner group ${JSON.stringify(this.config.mint.runnerGroup)} (id ${groupId})`;
    log(`registered the JIT runner ${jit.name} (id ${jit.id}) in ${group} of ${this.config.mint.github.scope.url}, labels ${this.config.mint.labels.join(',')}`);
    return jit;
  }

  /**
   * Mint mode, while the VMI runs: polls the runner until it is busy (or gone: GitHub removes a JIT
   * runner after its job). One never busy within the idle timeout is removed from GitHub (unless it
   * takes a job meanwhile: 422) and the run stops with exit 0.
   */
  async watchIdle() {
    const { idleTimeoutSeconds, pollSeconds } = this.config.mint;
    const signal = this.abort.signal;
    const deadline = Date.now() + idleTimeoutSeconds * 1000;
    const { runner } = this;
    try {
      for (;;) {
        await sleep(Math.min(pollSeconds * 1000, Math.max(0, deadline - Date.now())), signal);
        let state;
        try {
          state = await this.github.runner(runner.id, signal);
        } catch (error) {
          if (error instanceof AbortedError) throw error;
          warn(`${error.message}; asking again in ${pollSeconds}s`);
          state = null;
        }
        if (state === undefined || (state && state.busy === true)) {
          runner.busy = true;
          log(state ? `the runner ${runner.name} took a job` : `the runner ${runner.name} is gone from GitHub: it ran its job`);
          return;
        }
        if (Date.now() < deadline) continue;
        const result = await this.github.deleteRunner(runner.id, signal);
        if (result === 'busy') {
          runner.busy = true;
          log(`the runner ${runner.name} took a job just before the idle timeout: keeping it`);
          return;
        }
        runner.removed = true;
        this.stop({ idle: true });
        return;
      }
    } catch (error) {
      if (!(error instanceof AbortedError)) warn(`${error.message}; no more idle checks: the job timeout still applies`);
    }
  }

  /** Mint mode, at the end: removes the runner from GitHub if it is still there and not busy. */
  async removeRunner() {
    const { runner } = this;
    if (!runner || runner.removed) return;
    const signal = new AbortController().signal;
    try {
      const state = await this.github.runner(runner.id, signal, 3);
      if (state === undefined) return log(`the runner ${runner.name} is gone from GitHub`);
      if (state.busy === true) return log(`the runner ${runner.name} is running a job: left to GitHub, which removes it when its VM is gone`);
      const result = await this.github.deleteRunner(runner.id, signal, 3);
      if (result === 'busy') return log(`the runner ${runner.name} took a job: left to GitHub`);
      runner.removed = true;
      log(result === 'deleted' ? `removed the runner ${runner.name} from GitHub` : `the runner ${runner.name} is gone from GitHub`);
    } catch (error) {
      warn(`${error.message}; the runner ${runner.name} (id ${runner.id}) may stay on GitHub (offline): remove it in the runner settings`);
    }
  }

  op(verb, resource, name) {
    return { verb, resource, name, namespace: this.config.namespace };
  }

  collectionPath(resource) {
    const api = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
    return `${api}/namespaces/${encodeURIComponent(this.config.namespace)}/${resource.plural}`;
  }

  itemPath(resource, name) {
    return `${this.collectionPath(resource)}/${encodeURIComponent(name)}`;
  }

  /** The object, or undefined when there is none. */
  async get(resource, name, signal, attempts) {
    const answer = await this.api.call(this.op('get', resource, name), 'GET', this.itemPath(resource, name), { signal, accept: [404], attempts });
    return answer.status === 404 ? undefined : answer.body;
  }

  /**
   * Creates the object. An object of that name that this pod created before its container restarted
   * is adopted; one left by an earlier pod of this runner (ARC replaces a failed pod by one of the
   * same name), which Kubernetes garbage-collects now that its owner is gone, is waited for; any
   * other is an error.
   */
  async createOrAdopt(resource, object) {
    const { name } = object.metadata;
    const ref = `${resource.kind} ${this.config.namespace}/${name}`;
    const signal = this.abort.signal;
    const entry = { resource, name, uid: undefined };
    this.owned.push(entry);
    let waits = 0;
    for (;;) {
      const answer = await this.api.call(this.op('create', resource, name), 'POST', this.collectionPath(resource), { body: object, signal, accept: [409] });
      if (answer.status !== 409) {
        entry.uid = answer.body.metadata?.uid;
        log(`created ${ref}`);
        return answer.body;
      }
      const existing = await this.get(resource, name, signal);
      if (!existing) continue;
      const whose = ownership(existing, this.config);
      if (whose === 'this pod' && resource === SECRET) {
        // Another JIT config of this pod (its container restarted): replaced by this run's.
        await this.api.call(this.op('delete', resource, name), 'DELETE', this.itemPath(resource, name), {
          signal, accept: [404, 409], body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: existing.metadata.uid } },
        });
        continue;
      }
      if (whose === 'this pod') {
        entry.uid = existing.metadata.uid;
        log(`adopted ${ref}: this pod created it before its container restarted`);
        return existing;
      }
      if (whose === 'foreign') {
        this.owned.pop();
        throw new Error(`${ref} already exists and is not this pod's (${describeOwners(existing)}; this pod's uid is ${this.config.podUid}): `
          + 'refusing to adopt it; delete it if it is a leftover');
      }
      if (waits++ === 0) {
        log(`waiting for ${ref} to be deleted: it was created by an earlier pod of this runner `
          + `(${describeOwners(existing)}) and Kubernetes deletes it with that pod`);
      }
      await sleep(backoffMs(this.config.retryBaseMs, waits - 1), signal);
    }
  }

  /** Follows the VMI with watches until it is done; returns the result. */
  async follow(vmi) {
    let outcome = this.observe(vmi);
    let resourceVersion = vmi.metadata.resourceVersion;
    let quietWatches = 0;
    while (!outcome) {
      const watch = await this.watch(resourceVersion);
      if (watch.outcome) return watch.outcome;
      if (watch.problem) log(`watch of ${this.vmiRef} ${watch.problem}; reading it again`);
      // A server that keeps ending watches at once must not make the launcher spin.
      quietWatches = watch.events > 0 ? 0 : quietWatches + 1;
      if (quietWatches > 1) {
        await sleep(backoffMs(this.config.retryBaseMs, quietWatches - 2), this.abort.signal);
      }
      const current = await this.read();
      if (!current.object) return this.gone();
      outcome = this.observe(current.object);
      resourceVersion = current.resourceVersion;
    }
    return outcome;
  }

  /**
   * The VMI and the collection's resourceVersion. A list by name rather than a GET: the list's
   * resourceVersion is current, so the next watch starts from now and not from the VMI's last
   * change, which the API server may already have compacted away (410 Gone).
   */
  async read() {
    const path = `${this.collectionPath(VMI)}?fieldSelector=${encodeURIComponent(`metadata.name=${this.config.podName}`)}`;
    const answer = await this.api.call(this.op('list', VMI, this.config.podName), 'GET', path, { signal: this.abort.signal, attempts: Infinity });
    const items = isObject(answer.body) && Array.isArray(answer.body.items) ? answer.body.items.filter(isObject) : [];
    return { object: items.find((item) => item.metadata?.name === this.config.podName), resourceVersion: answer.body?.metadata?.resourceVersion };
  }

  gone() {
    return { code: 1, message: `${this.vmiRef} was deleted by someone else before its job ended` };
  }

  /** Logs phase changes, moves from the boot to the job timeout, and says when the VMI is done. */
  observe(vmi) {
    if (vmi.metadata?.uid !== this.vmiUid) {
      return { code: 1, message: `${this.vmiRef} was deleted by someone else and replaced by another object (uid ${vmi.metadata?.uid})` };
    }
    const phase = vmi.status?.phase;
    if (phase && phase !== this.phase) {
      this.phase = phase;
      if (phase === 'Running' && this.runningSince === undefined) {
        this.runningSince = Date.now();
        log(`${this.vmiRef} phase Running after ${formatSeconds(this.runningSince - this.startedAt)}`);
        this.armTimer('job');
        if (this.runner) this.watchIdle();
      } else {
        log(`${this.vmiRef} phase ${phase}`);
      }
    }
    if (phase === 'Succeeded') return { code: 0, message: `${this.vmiRef} succeeded: the guest powered off after its job` };
    if (phase === 'Failed') return { code: 1, message: `${this.vmiRef} failed: ${failureReason(vmi)}` };
    return undefined;
  }

  /**
   * One watch from `resourceVersion`, until the VMI is done (`outcome`) or the stream ends
   * (`problem` says why, when it did not simply end); `events` counts the VMI events it brought.
   */
  async watch(resourceVersion) {
    const { podName } = this.config;
    const path = `${this.collectionPath(VMI)}?fieldSelector=${encodeURIComponent(`metadata.name=${podName}`)}`
      + `&watch=1&resourceVersion=${encodeURIComponent(resourceVersion)}&allowWatchBookmarks=true&timeoutSeconds=${WATCH_SECONDS}`;
    const timeoutMs = (WATCH_SECONDS + this.config.requestTimeoutSeconds) * 1000;
    const answer = await this.api.call(this.op('watch', VMI, podName), 'GET', path, { signal: this.abort.signal, stream: true, accept: [410], timeoutMs, attempts: Infinity });
    if (answer.status === 410) return { events: 0, problem: `expired (${describeStatus(answer)})` };
    return new Promise((resolve, reject) => {
      const { stream } = answer;
      let buffer = '';
      let events = 0;
      let settled = false;
      const finish = (result) => {
        if (settled) return;
        settled = true;
        answer.close();
        const failure = answer.failure();
        if (failure instanceof AbortedError) reject(failure);
        else resolve({ events, ...result });
      };
      // Bookmarks only keep the stream alive: after any watch the launcher reads the VMI again.
      const onEvent = ({ type, object }) => {
        switch (type) {
          case 'ADDED':
          case 'MODIFIED': {
            events++;
            const outcome = this.observe(object);
            return outcome ? { outcome } : undefined;
          }
          case 'DELETED':
            return object.metadata?.uid === this.vmiUid ? { outcome: this.gone() } : undefined;
          case 'ERROR':
            return { problem: `${object.code === 410 ? 'expired' : 'failed'} (error ${object.code}${statusText(object)})` };
          default:
            return undefined;
        }
      };
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n'); end >= 0 && !settled; end = buffer.indexOf('\n')) {
          const line = buffer.slice(0, end).trim();
          buffer = buffer.slice(end + 1);
          if (!line) continue;
          let event;
          try {
            event = JSON.parse(line);
          } catch {
            return finish({ problem: 'sent a line that is not JSON' });
          }
          let result;
          try {
            result = isObject(event) && isObject(event.object) ? onEvent(event) : undefined;
          } catch (error) {
            result = { problem: `sent an event the launcher cannot read (${error.message})` };
          }
          if (result) return finish(result);
        }
      });
      stream.on('end', () => finish(buffer.trim() ? { problem: 'ended in the middle of an event' } : {}));
      stream.on('error', () => undefined);
      stream.on('close', () => finish({ problem: `broke (${answer.failure()?.message || 'connection closed'})` }));
    });
  }

  /** Deletes what this run created or adopted; a failure here is logged, not fatal: the ownerReference lets Kubernetes delete it with the pod. */
  async cleanup() {
    // First off GitHub, so that no job goes to a runner whose VM is going away.
    if (this.github) await this.removeRunner();
    const signal = new AbortController().signal;
    for (const entry of [...this.owned].reverse()) {
      const ref = `${entry.resource.kind} ${this.config.namespace}/${entry.name}`;
      try {
        let uid = entry.uid;
        if (!uid) {
          // Stopped while creating it: it exists only if the request got through.
          const existing = await this.get(entry.resource, entry.name, signal);
          if (!existing || ownership(existing, this.config) !== 'this pod') continue;
          uid = existing.metadata.uid;
        }
        log(`deleting ${ref}`);
        const answer = await this.api.call(this.op('delete', entry.resource, entry.name), 'DELETE', this.itemPath(entry.resource, entry.name), {
          signal,
          accept: [404, 409],
          body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid } },
        });
        if (answer.status === 404) log(`${ref} was already gone`);
        else if (answer.status === 409) log(`${ref} is another object now (its uid is not ${uid}); left alone`);
        else log(`deleted ${ref}`);
      } catch (error) {
        warn(`${error.message}; Kubernetes deletes ${ref} with this pod (its ownerReference)`);
      }
    }
  }
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
  const launcher = new Launcher(config);
  process.on('SIGTERM', () => launcher.stop({ signal: 'SIGTERM' }));
  process.on('SIGINT', () => launcher.stop({ signal: 'SIGINT' }));
  return launcher.run();
}

main().then(
  (code) => process.exit(code),
  (error) => {
    warn(`unexpected error: ${error && error.stack ? error.stack : error}`);
    process.exit(1);
  },
);
