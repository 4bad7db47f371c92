// The token refresher of a fleet of long-lived runner VMs. A CronJob runs it: it authenticates to
// GitHub as a GitHub App installation or with a PAT (from the credentials Secret mounted at
// github.credentialsDir, which never reaches a VM), asks GitHub for a runner registration token for
// the fleet's repository, organization or enterprise, and writes it into the Secret the VMs read
// their token from (secretName in the pod's namespace, key secretKey). With
// deleteOfflineRunnersPrefix it then deletes the fleet's offline runners from GitHub.
//
// With warmPool (a RunnerWarmPool's refresher) it then reads the serial consoles of the pool's running
// VMs: a runner that exited 7 (deprecated) is a Warning Event RunnerOutdated on the pool
// (../pool/outdated-runners.ts); it does so also when the token could not be made.
//
// A failure before the write leaves the old token in place; any failure is a Warning Event
// TokenRefreshFailed on its pod. It never creates or lists Secrets: its Role allows get and patch on
// that one Secret, and create on events; with warmPool, list on pods, get on pods/log and get on
// that one pool.
import type { TokenRefresherConfig, WarmPoolConsoles } from '../contract';
import { DNS_SUBDOMAIN, podIdentity, type Fields } from '../runtime/config';
import { AbortedError, GitHubError, KubeStatusError } from '../runtime/errors';
import { describeAnswer, GitHubClient } from '../runtime/github';
import { apiUrlOf, readGitHubAccess, readGitHubAuth, scopeOf, type GitHubAuth, type GitHubScope } from '../runtime/github-access';
import { scopeHint } from '../runtime/github-hints';
import { isObject, type HttpAnswer } from '../runtime/http';
import { KubeClient, SECRET } from '../runtime/kube';
import { kubeConnection, readRuntimeSettings, retryBaseDelayOf } from '../runtime/kube-connection';
import type { Logger } from '../runtime/log';
import { runEntry, type Runtime } from '../runtime/main';
import { Proxy } from '../runtime/proxy';
import { EventRecorder, withFailureEvent } from '../launcher/kube-event';
import { reportOutdatedRunners } from '../pool/outdated-runners';

export function validate(fields: Fields): TokenRefresherConfig {
  return {
    github: readGitHubAccess(fields, 'github'),
    secretName: fields.string('secretName', { describe: 'a Secret name (a DNS subdomain)', pattern: DNS_SUBDOMAIN }),
    secretKey: fields.string('secretKey', {
      describe: 'a Secret key ([-._a-zA-Z0-9]+, not \'.\' or starting with \'..\')',
      check: (key) => /^[-._a-zA-Z0-9]{1,253}$/.test(key) && key !== '.' && !key.startsWith('..'),
    }),
    deleteOfflineRunnersPrefix: fields.optionalString('deleteOfflineRunnersPrefix', {
      describe: 'a runner name prefix (letters, digits, \'-\', \'_\', \'.\')', pattern: /^[A-Za-z0-9][-._A-Za-z0-9]*$/,
    }),
    warmPool: fields.optionalObject('warmPool', (pool) => ({
      pool: pool.string('pool', { describe: 'a VirtualMachinePool name (a DNS subdomain)', pattern: DNS_SUBDOMAIN }),
      // key=value pairs joined by ',': label keys and values only, no set-based operators.
      podSelector: pool.string('podSelector', { describe: 'a label selector of key=value pairs', pattern: /^[-A-Za-z0-9_./]+=[-A-Za-z0-9_.]*(,[-A-Za-z0-9_./]+=[-A-Za-z0-9_.]*)*$/ }),
    })),
    ...readRuntimeSettings(fields),
  };
}

/** Runner endpoints of the fleet's scope, with what their refusals mean. */
class Fleet {
  constructor(readonly github: GitHubClient, readonly scope: GitHubScope, readonly auth: GitHubAuth) {}

  refused(what: string, answer: HttpAnswer): GitHubError {
    const accepted = answer.headers['x-accepted-github-permissions'];
    return new GitHubError(what, answer.status, describeAnswer(answer), scopeHint(this.scope, this.auth, answer.status, typeof accepted === 'string' ? accepted : undefined));
  }

  async registrationToken(log: Logger): Promise<{ token: string; expiresAt: string }> {
    const what = `create a registration token for ${this.scope.url}`;
    const answer = await this.github.scoped(what, 'POST', `${this.scope.path}/actions/runners/registration-token`);
    if (answer.status !== 201) throw this.refused(what, answer);
    const token = isObject(answer.json) ? answer.json.token : undefined;
    const expiresAt = isObject(answer.json) ? answer.json.expires_at : undefined;
    if (typeof token !== 'string' || token === '') throw new GitHubError(what, answer.status, 'GitHub\'s answer has no token', '');
    log.secret(token);
    log.secret(Buffer.from(token, 'utf8').toString('base64'));
    return { token, expiresAt: typeof expiresAt === 'string' && expiresAt !== '' ? expiresAt : 'an unknown time' };
  }

  runners(): Promise<Record<string, unknown>[]> {
    const what = `list the self-hosted runners of ${this.scope.url}`;
    const pick = (json: unknown) => (isObject(json) && Array.isArray(json.runners) ? json.runners.filter(isObject) : undefined);
    return this.github.pages(what, `${this.scope.path}/actions/runners`, pick, (answer) => this.refused(what, answer));
  }

  /** 'deleted', 'gone' (already), or GitHub's refusal when it will not (422: it took a job since it was listed). */
  async deleteRunner(name: string, id: number): Promise<'deleted' | 'gone' | { refused: string }> {
    const what = `delete the runner ${JSON.stringify(name)} (id ${id}) of ${this.scope.url}`;
    const answer = await this.github.scoped(what, 'DELETE', `${this.scope.path}/actions/runners/${id}`);
    if (answer.status === 204) return 'deleted';
    if (answer.status === 404) return 'gone';
    if (answer.status === 422) return { refused: describeAnswer(answer) };
    throw this.refused(what, answer);
  }
}

async function refresh(config: TokenRefresherConfig, { log, env, signal }: Runtime): Promise<void> {
  const { namespace } = podIdentity(env, ['namespace']);
  const kube = new KubeClient(kubeConnection(config.kubernetes, log, env), { log, retryBaseDelayMs: retryBaseDelayOf(config), client: 'token-refresher' });
  // The VMs keep the last token: a Warning Event TokenRefreshFailed on this pod says why there is no new one.
  await withFailureEvent(kube, log, env, namespace, { component: 'token-refresher', reason: 'TokenRefreshFailed' }, async () => {
    let tokenError: unknown;
    try {
      await refreshToken(config, kube, namespace, log);
    } catch (error) {
      tokenError = error;
    }
    // A deprecated runner is worth saying also when GitHub gave no token (a failure that says nothing of the runners).
    if (config.warmPool) {
      try {
        await readWarmPool(config.warmPool, kube, namespace, log, env, signal);
      } catch (error) {
        if (error instanceof AbortedError) throw error;
        if (tokenError === undefined) throw new Error(`the new registration token is stored, but reading the warm pool's serial consoles failed: ${(error as Error).message}`);
        log.warn(`reading the warm pool's serial consoles failed too: ${(error as Error).message}`);
      }
    }
    if (tokenError !== undefined) throw tokenError;
  });
}

async function readWarmPool(pool: WarmPoolConsoles, kube: KubeClient, namespace: string, log: Logger, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<void> {
  const { name } = podIdentity(env, ['name']);
  const events = new EventRecorder(kube, log, { component: 'token-refresher', instance: name });
  try {
    await reportOutdatedRunners(kube, log, events, namespace, pool, signal);
  } finally {
    await events.flush();
  }
}

async function refreshToken(config: TokenRefresherConfig, kube: KubeClient, namespace: string, log: Logger): Promise<void> {
  const auth = readGitHubAuth(config.github.credentialsDir, log);
  const proxy = config.github.proxy ? new Proxy(config.github.proxy) : undefined;
  const apiUrl = apiUrlOf(config.github);
  const fleet = new Fleet(new GitHubClient({ apiUrl, auth, log, proxy, retryBaseDelayMs: retryBaseDelayOf(config), client: 'token-refresher' }), scopeOf(config.github.url)!, auth);
  const secretRef = KubeClient.describe(SECRET, namespace, config.secretName);
  const secretCall = async (verb: 'get' | 'patch', request: () => Promise<Record<string, unknown>>) => {
    try {
      return await request();
    } catch (error) {
      if (error instanceof KubeStatusError) throw new Error(`${error.message}. ${secretHint(error.code, verb, namespace, config.secretName)}`);
      throw error;
    }
  };
  if (proxy) log.info(`GitHub's API: ${proxy.routeOf(apiUrl)}`);
  // Fails fast, before any token is made, when the token could not be stored anyway.
  const current = await secretCall('get', () => kube.get(SECRET, namespace, config.secretName));
  if (current.immutable === true) {
    throw new Error(`${secretRef} is immutable: its data cannot be changed. Remove immutable: true from it (the library synthesizes it mutable and empty)`);
  }
  const registration = await fleet.registrationToken(log);
  const data = { [config.secretKey]: log.secret(Buffer.from(registration.token, 'utf8').toString('base64')) };
  // A JSON merge patch: the Secret's other keys stay.
  await secretCall('patch', () => kube.patch(SECRET, namespace, config.secretName, { data }, 'merge'));
  log.info(`stored a new registration token for ${fleet.scope.url} in ${secretRef} (key ${config.secretKey}); it expires at ${registration.expiresAt}`);
  if (config.deleteOfflineRunnersPrefix === undefined) return;
  try {
    await deleteOfflineRunners(fleet, config.deleteOfflineRunnersPrefix, log);
  } catch (error) {
    throw new Error(`the new registration token is stored, but deleting offline runners failed: ${(error as Error).message}`);
  }
}

/**
 * Deletes the runners named `<prefix>-<N>` (a pool's VM names) that are offline and idle: VMs that no
 * longer exist. Only a number may follow the prefix, so pool `ci` never touches pool `ci-gpu`.
 */
async function deleteOfflineRunners(fleet: Fleet, prefix: string, log: Logger): Promise<void> {
  const runners = await fleet.runners();
  const fleetName = new RegExp(`^${prefix.replace(/[.]/g, '\\.')}-[0-9]+$`);
  const dead = runners.filter((r) => typeof r.name === 'string' && fleetName.test(r.name) && r.status === 'offline' && r.busy === false && Number.isSafeInteger(r.id));
  for (const runner of dead) {
    const name = JSON.stringify(runner.name);
    const id = runner.id as number;
    const result = await fleet.deleteRunner(runner.name as string, id);
    if (result === 'deleted') log.info(`deleted offline runner ${name} (id ${id})`);
    else if (result === 'gone') log.info(`offline runner ${name} (id ${id}) was already deleted`);
    else log.info(`left runner ${name} (id ${id}): GitHub would not delete it (${result.refused}); it may have come back and taken a job`);
  }
  log.info(`offline runners named ${prefix}-<N>: ${dead.length} of ${runners.length} runners`);
}

function secretHint(code: number, verb: string, namespace: string, secretName: string): string {
  switch (code) {
    case 401:
      return 'The API server does not accept the pod\'s ServiceAccount token';
    case 403:
      return `The pod's ServiceAccount may not ${verb} it: its Role needs the verbs get and patch on secrets with resourceNames [${secretName}] in namespace ${namespace}`;
    case 404:
      return `The refresher only fills the token Secret, it never creates it: apply the manifests that create it (the library synthesizes it empty) in namespace ${namespace}`;
    default:
      return 'The API server refused it';
  }
}

if (require.main === module) runEntry('token-refresher', validate, refresh);
