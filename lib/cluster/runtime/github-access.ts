import { createPrivateKey, KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GitHubAccess } from '../contract';
import { Fields, show } from './config';
import { ConfigError } from './errors';
import { isPlainHttpUrl } from './kube-connection';
import type { Logger } from './log';
import { readProxySettings } from './proxy';

// What the runtime needs to talk to GitHub for one fleet: the scope (repository, organization,
// enterprise) and its REST API from the fleet's URL (github.com, GHE.com data residency, GHES), and
// the credentials from the mounted Secret (ARC's keys, so one Secret serves both): a GitHub App or a PAT.

/** The keys of actions-runner-controller's GitHub config Secret. */
export const APP_FILES = ['github_app_id', 'github_app_installation_id', 'github_app_private_key'] as const;
export const PAT_FILE = 'github_token';

export interface GitHubScope {
  readonly kind: 'repository' | 'organization' | 'enterprise';
  /** https://HOST/OWNER[/REPO], https://HOST/enterprises/SLUG */
  readonly url: string;
  /** The scope's REST path: /repos/OWNER/REPO, /orgs/OWNER, /enterprises/SLUG. */
  readonly path: string;
  readonly owner: string;
  readonly repo?: string;
}

export type GitHubAuth =
  | { readonly kind: 'pat'; readonly what: string; readonly token: string }
  | { readonly kind: 'app'; readonly what: string; readonly appId: string; readonly installationId: string; readonly key: KeyObject };

/** The `github` field of a config object (GitHubAccess). */
export function readGitHubAccess(fields: Fields, name: string): GitHubAccess {
  const github = fields.object(name);
  const access: GitHubAccess = {
    url: github.string('url', { describe: 'https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG', check: (url) => scopeOf(url) !== undefined }),
    apiUrl: github.optionalString('apiUrl', { describe: 'an http(s) URL without credentials, query or fragment', check: isPlainHttpUrl }),
    credentialsDir: github.string('credentialsDir', { describe: 'an absolute folder path', pattern: /^\/./ }),
    proxy: readProxySettings(github, 'proxy'),
  };
  github.done();
  return access;
}

/** The scope of a fleet URL, or undefined when it is not one. */
export function scopeOf(text: string): GitHubScope | undefined {
  let url: URL;
  let segments: string[];
  try {
    url = new URL(text);
    segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) return undefined;
  const link = `${url.origin}/${segments.join('/')}`;
  const [first, second] = segments.map(encodeURIComponent);
  if (segments.length === 2 && segments[0] === 'enterprises') return { kind: 'enterprise', url: link, path: `/enterprises/${second}`, owner: segments[1] };
  if (segments.length === 1 && segments[0] !== 'enterprises') return { kind: 'organization', url: link, path: `/orgs/${first}`, owner: segments[0] };
  if (segments.length === 2) return { kind: 'repository', url: link, path: `/repos/${first}/${second}`, owner: segments[0], repo: segments[1] };
  return undefined;
}

/** The REST API of a GitHub host: api.github.com, api.SUBDOMAIN.ghe.com (data residency), HOST/api/v3 (GHES). */
export function apiUrlOf(access: Pick<GitHubAccess, 'url' | 'apiUrl'>): string {
  if (access.apiUrl) return new URL(access.apiUrl).href.replace(/\/+$/, '');
  const host = new URL(access.url).host;
  if (host === 'github.com') return 'https://api.github.com';
  if (/^[a-z0-9-]+\.ghe\.com$/.test(host)) return `https://api.${host}`;
  return `https://${host}/api/v3`;
}

/** The GitHub App or the PAT in the credentials folder: exactly one of them. Registers every secret with `log`. */
export function readGitHubAuth(dir: string, log: Logger): GitHubAuth {
  const field = `the GitHub credentials folder ${dir} (github.credentialsDir)`;
  let names: Set<string>;
  try {
    names = new Set(readdirSync(dir));
  } catch (error) {
    throw new ConfigError(field, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; is the credentials Secret mounted there?`);
  }
  const appFiles = APP_FILES.filter((f) => names.has(f));
  const hasPat = names.has(PAT_FILE);
  const expected = `either a GitHub App (${APP_FILES.join(', ')}) or a PAT (${PAT_FILE})`;
  if (hasPat && appFiles.length > 0) throw new ConfigError(dir, `holds both a PAT (${PAT_FILE}) and GitHub App keys (${appFiles.join(', ')}): it must hold ${expected}, not both`);
  if (!hasPat && appFiles.length === 0) throw new ConfigError(dir, `holds neither: it must hold ${expected}`);
  if (hasPat) return { kind: 'pat', what: `PAT (${PAT_FILE})`, token: log.secret(readCredential(dir, PAT_FILE)) };
  const missing = APP_FILES.filter((f) => !names.has(f));
  if (missing.length > 0) throw new ConfigError(dir, `holds a GitHub App without ${missing.join(' and ')}: it needs all of ${APP_FILES.join(', ')}`);
  const appId = readCredential(dir, 'github_app_id');
  if (!/^[\x21-\x7e]+$/.test(appId)) throw new ConfigError(join(dir, 'github_app_id'), `must be the App ID or client ID (printable characters, no spaces), got ${show(appId)}`);
  const installationId = readCredential(dir, 'github_app_installation_id');
  if (!/^[0-9]{1,20}$/.test(installationId)) {
    throw new ConfigError(join(dir, 'github_app_installation_id'), `must be the installation's number (in the URL of its settings page), got ${show(installationId)}`);
  }
  const key = readPrivateKey(dir, log);
  return { kind: 'app', what: `GitHub App (installation ${installationId})`, appId, installationId, key };
}

function readCredential(dir: string, name: string): string {
  const file = join(dir, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, `cannot be read: ${code ?? (error as Error).message}`
      + (code === 'EACCES' ? ' (the pod\'s user must be able to read the mounted Secret: its defaultMode and the pod\'s fsGroup)' : ''));
  }
  // Only the file's own name is ever shown, never its content.
  const value = text.trim();
  if (value === '') throw new ConfigError(file, 'is empty');
  return value;
}

function readPrivateKey(dir: string, log: Logger): KeyObject {
  const pem = log.secret(readCredential(dir, 'github_app_private_key'));
  const file = join(dir, 'github_app_private_key');
  const rules = 'the App\'s private key as GitHub issues it (PEM, PKCS#1 or PKCS#8, unencrypted)';
  // OpenSSL would ask for the passphrase of an encrypted key rather than say it is encrypted. (`[ ]`:
  // the bundle ships in a ConfigMap, and its text must not look like a PEM key to credential scanners.)
  if (/^-----BEGIN ENCRYPTED PRIVATE[ ]KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(pem)) throw new ConfigError(file, `must be ${rules}: it is encrypted with a passphrase`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    // The parser's message never holds the key, but it says little either: the code is enough.
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, `must be ${rules}: ${code === 'ERR_MISSING_PASSPHRASE' ? 'it is encrypted with a passphrase' : `it does not parse (${code ?? 'unknown error'})`}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(file, `must be an RSA private key (GitHub App keys are RSA), got a ${key.asymmetricKeyType} key`);
  return key;
}
