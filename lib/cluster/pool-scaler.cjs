#!/usr/bin/env node
// The scheduled scaler of a warm pool (RunnerWarmPool `activeHours`). A CronJob runs it at the start
// and at the end of active hours: it sets the replicas of one KubeVirt VirtualMachinePool
// (SCALER_NAMESPACE/SCALER_POOL) to SCALER_REPLICAS through the pool's `/scale` subresource, with a
// JSON merge patch of the autoscaling/v1 Scale object: {"spec":{"replicas":N}}. Its Role allows get,
// patch and update on that one pool's `virtualmachinepools/scale`, nothing else.
//
// Scaling in is KubeVirt's: the pool deletes VMs by its scaleInStrategy, whether their runner is
// running a job or not. This script only says how many VMs the pool should have.
//
// Exit 0 when the pool's desired replicas are SCALER_REPLICAS (changed or already so); 1 when the
// API server refused or could not be reached after retries; 2 on a bad configuration.
//
// Node.js built-ins only: it runs from a ConfigMap in a stock node image. It never prints the
// ServiceAccount token: it is also redacted from whatever it prints.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const USER_AGENT = 'cdk8s-kubevirt-runners-pool-scaler';
const POOL_API = '/apis/pool.kubevirt.io/v1beta1';
// Attempts of one call before giving up; the delays double from SCALER_RETRY_BASE_MS up to 30 times
// that (about half a minute in all with the default of 1 s), well inside the Job's deadline.
const MAX_ATTEMPTS = 6;
const MAX_DELAY_FACTOR = 30;
const REQUEST_TIMEOUT_MS = 30000;
// A VirtualMachinePool's replicas are an int32; the library allows at most 10,000.
const MAX_REPLICAS = 10000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

class ConfigError extends Error {}
/** A network problem or an answer worth trying again (429, 5xx). */
class TransientError extends Error {}

// ---------------------------------------------------------------------------------------------
// Output: the ServiceAccount token is replaced before anything is printed.

const credentials = new Set();

function secret(value) {
  if (typeof value === 'string' && value !== '') credentials.add(value);
  return value;
}

function redact(text) {
  let out = String(text);
  for (const value of [...credentials].sort((a, b) => b.length - a.length)) out = out.split(value).join('[redacted]');
  return out;
}

const log = (line) => process.stdout.write(`pool-scaler: ${redact(line)}\n`);
const warn = (line) => process.stderr.write(`pool-scaler: ${redact(line)}\n`);

// ---------------------------------------------------------------------------------------------
// Configuration: everything is checked before the first request.

function readConfig(env) {
  const required = (name) => {
    if (!env[name]) throw new ConfigError(`${name} is not set`);
    return env[name];
  };
  const namespace = required('SCALER_NAMESPACE');
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(`SCALER_NAMESPACE must be a namespace name (a DNS label), got ${JSON.stringify(namespace)}`);
  const pool = required('SCALER_POOL');
  if (!DNS_LABEL.test(pool)) throw new ConfigError(`SCALER_POOL must be a VirtualMachinePool name (a DNS label), got ${JSON.stringify(pool)}`);
  const replicasText = env.SCALER_REPLICAS;
  if (replicasText === undefined || !/^(0|[1-9][0-9]{0,4})$/.test(replicasText) || Number(replicasText) > MAX_REPLICAS) {
    throw new ConfigError(`SCALER_REPLICAS must be a whole number from 0 to ${MAX_REPLICAS}, got ${JSON.stringify(replicasText)}`);
  }
  return {
    namespace,
    pool,
    replicas: Number(replicasText),
    retryBaseMs: milliseconds(env, 'SCALER_RETRY_BASE_MS', 1000),
    kube: kubeConfig(env),
  };
}

function milliseconds(env, name, fallback) {
  if (env[name] === undefined || env[name] === '') return fallback;
  if (!/^\d+$/.test(env[name]) || Number(env[name]) > 60000) {
    throw new ConfigError(`${name} must be a whole number of milliseconds from 0 to 60000, got ${JSON.stringify(env[name])}`);
  }
  return Number(env[name]);
}

function kubeConfig(env) {
  let base = env.SCALER_KUBE_API;
  if (!base) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
      throw new ConfigError('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?); set SCALER_KUBE_API to the API server\'s URL');
    }
    base = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  let url;
  try {
    url = new URL(base);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`the Kubernetes API (SCALER_KUBE_API, else https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT) must be an http(s) URL without credentials or query, got ${JSON.stringify(base.replace(/\/\/[^/@]*@/, '//***@'))}`);
  }
  base = url.href.replace(/\/+$/, '');
  const tokenFile = env.SCALER_KUBE_TOKEN_FILE || `${SERVICE_ACCOUNT_DIR}/token`;
  const tokenSource = env.SCALER_KUBE_TOKEN_FILE ? `SCALER_KUBE_TOKEN_FILE ${tokenFile}` : `the ServiceAccount token ${tokenFile} (is automountServiceAccountToken off?)`;
  let token;
  try {
    token = readKubeToken(tokenFile);
  } catch (error) {
    throw new ConfigError(`${tokenSource} cannot be read: ${error.code || error.message}`);
  }
  if (token === '') throw new ConfigError(`${tokenSource} is empty`);
  const caFile = base.startsWith('https:') ? env.SCALER_KUBE_CA_FILE || `${SERVICE_ACCOUNT_DIR}/ca.crt` : undefined;
  if (caFile) {
    try {
      fs.readFileSync(caFile);
    } catch (error) {
      throw new ConfigError(`the API server's CA certificate ${caFile} (SCALER_KUBE_CA_FILE) cannot be read: ${error.code || error.message}`);
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
function exchange(url, { method, headers, body, ca, tlsProblem }) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const allHeaders = { ...headers, 'User-Agent': USER_AGENT };
    if (method !== 'GET') allHeaders['Content-Length'] = payload ? payload.length : 0;
    const transport = url.startsWith('https:') ? https : http;
    // A fresh connection per request: nothing pooled can have gone stale.
    const request = transport.request(url, { method, headers: allHeaders, ca, agent: false });
    let failure;
    const timer = setTimeout(() => {
      failure = new TransientError(`no complete answer within ${REQUEST_TIMEOUT_MS / 1000}s`);
      request.destroy(failure);
    }, REQUEST_TIMEOUT_MS);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(failure || networkError(error, tlsProblem));
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

function networkError(error, tlsProblem) {
  const code = error.code || '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) return new Error(`TLS: ${tlsProblem}: ${error.message}`);
  return new TransientError(code && !error.message.includes(code) ? `${error.message} (${code})` : error.message);
}

/**
 * Runs `attempt` (one exchange) until its answer is not transient: network errors, 429 and 5xx are
 * retried with capped, jittered exponential backoff (at least as long as a Retry-After asks, when
 * that fits in this run). Resolves the last answer.
 */
async function withRetries(what, retryBaseMs, attempt) {
  const cap = retryBaseMs * MAX_DELAY_FACTOR;
  for (let n = 1; ; n++) {
    let problem;
    let waitMs = 0;
    try {
      const answer = await attempt();
      if (answer.status !== 429 && answer.status < 500) return answer;
      problem = describeAnswer(answer);
      const retryAfter = answer.headers['retry-after'];
      if (/^\d+$/.test(retryAfter || '')) waitMs = Math.min(cap, Number(retryAfter) * 1000);
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

/** `HTTP 403 Forbidden: <the Status message>`, in one line. */
function describeAnswer({ status, json, text }) {
  const message = (json && typeof json === 'object' && typeof json.message === 'string' ? json.message : text.trim()).replace(/\s+/g, ' ').slice(0, 300);
  const reason = json && json.kind === 'Status' && typeof json.reason === 'string' ? ` ${json.reason}` : '';
  return `HTTP ${status}${reason}${message ? `: ${message}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// The pool's /scale subresource.

class PoolScale {
  constructor(config) {
    this.config = config;
    this.ref = `VirtualMachinePool ${config.namespace}/${config.pool}`;
    this.url = `${config.kube.base}${POOL_API}/namespaces/${encodeURIComponent(config.namespace)}/virtualmachinepools/${encodeURIComponent(config.pool)}/scale`;
    this.tlsProblem = `the API server at ${config.kube.base} is not trusted with the CA certificate ${config.kube.caFile}`;
  }

  call(verb, method, { body, contentType } = {}) {
    const { kube } = this.config;
    return withRetries(`${verb} the scale of ${this.ref}`, this.config.retryBaseMs, async () => {
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
      return exchange(this.url, { method, headers, body, ca, tlsProblem: this.tlsProblem });
    });
  }

  /** The pool's desired replicas now (spec.replicas of its Scale). */
  async current() {
    const answer = await this.call('get', 'GET');
    if (answer.status !== 200) throw new Error(this.failure('get', answer));
    // ScaleSpec.replicas is omitempty: a Scale at 0 replicas (or of a pool without spec.replicas) is "spec": {}.
    const replicas = answer.json && answer.json.spec ? answer.json.spec.replicas ?? 0 : undefined;
    return Number.isInteger(replicas) ? replicas : undefined;
  }

  /** Sets the desired replicas with a JSON merge patch of the Scale: only spec.replicas changes. */
  async set(replicas) {
    const body = JSON.stringify({ spec: { replicas } });
    const answer = await this.call('patch', 'PATCH', { body, contentType: 'application/merge-patch+json' });
    if (answer.status !== 200) throw new Error(this.failure('patch', answer));
    const stored = answer.json && answer.json.spec ? answer.json.spec.replicas ?? 0 : undefined;
    if (stored !== replicas) throw new Error(`patched the scale of ${this.ref}, but the API server answered spec.replicas ${JSON.stringify(stored)}, not ${replicas}`);
  }

  failure(verb, answer) {
    const { namespace, pool } = this.config;
    const head = `cannot ${verb} the scale of ${this.ref}: ${describeAnswer(answer)}.`;
    switch (answer.status) {
      case 401:
        return `${head} The API server does not accept the pod's ServiceAccount token`;
      case 403:
        return `${head} The pod's ServiceAccount may not ${verb} it: its Role needs the verbs get and patch on `
          + `virtualmachinepools/scale in API group pool.kubevirt.io with resourceNames [${pool}] in namespace ${namespace}`;
      case 404:
        return `${head} Is the pool applied in namespace ${namespace}, and does the cluster serve pool.kubevirt.io/v1beta1 `
          + '(KubeVirt 1.7 or later)?';
      case 422:
        return `${head} The API server refused the new replicas`;
      default:
        return `${head} The API server refused it`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One run.

async function scale(config) {
  const pool = new PoolScale(config);
  const before = await pool.current();
  if (before === config.replicas) {
    log(`${pool.ref} already has ${config.replicas} replicas; nothing to do`);
    return;
  }
  await pool.set(config.replicas);
  const was = before === undefined ? 'no replicas set (KubeVirt runs 1)' : `${before}`;
  log(`scaled ${pool.ref} from ${was} to ${config.replicas} replicas`);
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
    await scale(config);
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
