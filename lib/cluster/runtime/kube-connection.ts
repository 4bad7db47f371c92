import { readFileSync } from 'node:fs';
import type { KubernetesAccess, RuntimeSettings } from '../contract';
import { Fields, show } from './config';
import { ConfigError, TransientError } from './errors';
import type { Logger } from './log';
import { DEFAULT_RETRY_BASE_MS } from './retry';

// Where the Kubernetes API is and how the pod proves who it is: in a pod, the kubelet's
// KUBERNETES_SERVICE_HOST/PORT and the projected ServiceAccount token and ca.crt; the config's
// `kubernetes` overrides them (tests, an API server reached another way).

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where the API is, checked: the token file was readable and not empty when the run started. */
export interface KubeConnection {
  /** Without a trailing slash. */
  readonly apiUrl: string;
  readonly tokenFile: string;
  /** Only for https. */
  readonly caFile?: string;
}

/** Reads the fields of RuntimeSettings from a config object. */
export function readRuntimeSettings(fields: Fields): RuntimeSettings {
  const path = { describe: 'an absolute file path', pattern: /^\/./ };
  const kubernetes = fields.optionalObject('kubernetes', (k): KubernetesAccess => ({
    apiUrl: k.optionalString('apiUrl', { describe: 'an http(s) URL without credentials, query or fragment', check: isPlainHttpUrl }),
    tokenFile: k.optionalString('tokenFile', path),
    caFile: k.optionalString('caFile', path),
  }));
  const retryBaseDelayMs = fields.optionalInteger('retryBaseDelayMs', 0, 60_000);
  return { ...(kubernetes ? { kubernetes } : {}), ...(retryBaseDelayMs !== undefined ? { retryBaseDelayMs } : {}) };
}

/** The base delay of the retry policy. */
export const retryBaseDelayOf = (settings: RuntimeSettings): number => settings.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_MS;

/** The API server's URL and the pod's credentials for it; ConfigError when they cannot be used. */
export function kubeConnection(access: KubernetesAccess | undefined, log: Logger, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  let apiUrl = access?.apiUrl;
  if (!apiUrl) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
      throw new ConfigError('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT', 'are not set (not running in a pod?): set kubernetes.apiUrl to the API server\'s URL');
    }
    apiUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (!isPlainHttpUrl(apiUrl)) throw new ConfigError('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT', `do not make a URL: ${show(apiUrl)}`);
  }
  apiUrl = new URL(apiUrl).href.replace(/\/+$/, '');
  const tokenFile = access?.tokenFile ?? `${SERVICE_ACCOUNT_DIR}/token`;
  const tokenField = access?.tokenFile ? `kubernetes.tokenFile ${tokenFile}` : `the ServiceAccount token ${tokenFile} (is automountServiceAccountToken off?)`;
  let token: string;
  try {
    token = readToken(tokenFile, log);
  } catch (error) {
    throw new ConfigError(tokenField, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (token === '') throw new ConfigError(tokenField, 'is empty');
  const caFile = apiUrl.startsWith('https:') ? access?.caFile ?? `${SERVICE_ACCOUNT_DIR}/ca.crt` : undefined;
  if (caFile) {
    try {
      readFileSync(caFile);
    } catch (error) {
      throw new ConfigError(`the API server's CA certificate ${caFile} (kubernetes.caFile)`, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return { apiUrl, tokenFile, ...(caFile ? { caFile } : {}) };
}

/** The bearer token, registered as a credential. Projected tokens rotate: read again for every request. */
export function readToken(file: string, log: Logger): string {
  return log.secret(readFileSync(file, 'utf8').trim());
}

/** The token and CA for one request; a file that cannot be read now may be being rotated: transient. */
export function requestCredentials(connection: KubeConnection, log: Logger): { token: string; ca?: Buffer } {
  try {
    return { token: readToken(connection.tokenFile, log), ...(connection.caFile ? { ca: readFileSync(connection.caFile) } : {}) };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new TransientError(`cannot read ${e.path ?? 'the ServiceAccount files'}: ${e.code ?? e.message}`);
  }
}

/** http(s), no user-info, query or fragment. */
export function isPlainHttpUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.search && !url.hash;
}
