import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApp, FakeGitHubApi, FakeGitHubOptions, opaqueToken } from './fake-github-api';
import { FakeKube, FakeKubeOptions, PolicyRule } from './fake-kube';
import type { ProxySettings, TokenRefresherConfig } from '../../lib/cluster/contract';
import type { ClusterNode } from './node-binaries';
import { BundleRun, runBundle } from './run-bundle';

// What the token refresher's tests share (token-refresher.test.ts, token-refresher-network.test.ts):
// the fakes on 127.0.0.1, the credentials, the config the library would render, and the run of the
// bundle. useRefresherHarness() registers the set-up and the checks every test ends with: no
// credential that any fake issued or the test made in any output, only the refresher's own lines,
// nothing the fakes refused for its form.

export const NS = 'ci';
export const SECRET = 'ci-runner-token';
export const APP_ID = '123456';
export const CLIENT_ID = 'Iv23liQ9xYz0AbCdEfGh';
export const INSTALLATION = '48151623';
export const ORG = 'my-org';
export const REPO = 'my-org/app';
export const ENTERPRISE = 'acme';
export const ALL_PERMISSIONS = { administration: 'write', organization_self_hosted_runners: 'write' } as const;

export const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PKCS1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
export const PKCS8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

export type Run = BundleRun;

export let dir: string;
export let kubeTokenFile: string;
export let kube: FakeKube;
/** The refresher's Role as RunnerTokenRefresher synthesizes it (lib/runner-token-refresher.ts): its Secret, and Events. */
export const REFRESHER_RULES: PolicyRule[] = [{ apiGroups: [''], resources: ['secrets'], resourceNames: [SECRET], verbs: ['get', 'patch', 'update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] }];
/** The API server, with RBAC from the refresher's Role, or one with other `verbs` on the Secret. */
export const newKube = (token: string, { verbs, ...options }: Partial<FakeKubeOptions> & { verbs?: string[] } = {}) => new FakeKube({
  token, role: { namespace: NS, serviceAccount: 'token-refresher', rules: verbs ? [{ ...REFRESHER_RULES[0], verbs }, ...REFRESHER_RULES.slice(1)] : REFRESHER_RULES },
  contract: REFRESHER_RULES, ...options,
});
export const SECRETS = 'secrets';
/** The stored token Secret. */
export const tokenSecret = () => kube.object(SECRETS, NS, SECRET);
export let github: FakeGitHubApi | undefined;
export const secrets: string[] = [];
export const runs: Run[] = [];

/** Registers the set-up and the closing checks of every test, in the calling test file. */
export function useRefresherHarness(): void {
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
}

/** Runs the file's tests (from the calling describe) under `clusterNode`. */
export function useNode(clusterNode: ClusterNode): void {
  beforeAll(() => {
    node = clusterNode;
  });
}

/** Each credential that `output` holds a piece of (16 characters or more), shown by its first 4 characters. */
export function leaks(output: string, values: string[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    for (let i = 0; i + 16 <= value.length; i++) {
      if (output.includes(value.slice(i, i + 16))) found.add(`${value.slice(0, 4)}… (at ${i})`);
    }
  }
  return [...found];
}

/** The token Secret as the library synthesizes it: no data. */
export function synthesizedSecret(extra: object = {}) {
  return {
    metadata: { name: SECRET, namespace: NS, annotations: { 'cdk8s-kubevirt-runners/filled-by': 'runners (RunnerTokenRefresher)' } },
    type: 'Opaque',
    ...extra,
  };
}

/** The base64 lines of a PEM's body: none of them may leak either. */
export function pemLines(pem: string): string[] {
  return pem.split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----'));
}

export function app(overrides: Partial<FakeApp> = {}): FakeApp {
  return { issuer: APP_ID, publicKey, installationId: INSTALLATION, account: ORG, permissions: ALL_PERMISSIONS, ...overrides };
}

export async function startGitHub(options: Partial<FakeGitHubOptions> = {}): Promise<FakeGitHubApi> {
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
export function credentials(files: Record<string, string>): string {
  const folder = join(dir, `credentials-${randomUUID()}`);
  mkdirSync(folder);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  return folder;
}

export function appCredentials({ id = APP_ID, installation = INSTALLATION, key = PKCS1 } = {}): string {
  return credentials({ github_app_id: id, github_app_installation_id: installation, github_app_private_key: key });
}

export function patCredentials(pat: string): string {
  secrets.push(pat);
  return credentials({ github_token: `${pat}\n` });
}

/** A classic PAT with `scopes`, known to the fake GitHub. */
export function pat(...scopes: string[]): { token: string; pats: Record<string, string[]> } {
  const token = `ghp_${opaqueToken()}`;
  secrets.push(token);
  return { token, pats: { [token]: scopes } };
}

/** What a test changes in the refresher's config (over the library's defaults and the fakes' URLs) and in the pod's environment. */
export interface Options {
  readonly url?: string;
  /** undefined: derived from `url`, as the library renders it. @default the fake GitHub's URL */
  readonly apiUrl?: string;
  readonly credentialsDir?: string;
  readonly proxy?: ProxySettings;
  readonly secretKey?: string;
  readonly deleteOfflineRunnersPrefix?: string;
  /** @default the fake API server's URL and the test's token file */
  readonly kubernetes?: Record<string, unknown>;
  /** Fields replaced whole, for configurations the type forbids. */
  readonly config?: Record<string, unknown>;
  readonly env?: Record<string, string | undefined>;
}

export function refresherConfig(options: Options): TokenRefresherConfig | Record<string, unknown> {
  const config: TokenRefresherConfig = {
    github: {
      url: options.url ?? `https://github.com/${ORG}`,
      ...('apiUrl' in options ? (options.apiUrl === undefined ? {} : { apiUrl: options.apiUrl }) : { apiUrl: github?.url }),
      credentialsDir: options.credentialsDir ?? join(dir, 'no-credentials'),
      ...(options.proxy ? { proxy: options.proxy } : {}),
    },
    secretName: SECRET,
    secretKey: options.secretKey ?? 'token',
    ...(options.deleteOfflineRunnersPrefix ? { deleteOfflineRunnersPrefix: options.deleteOfflineRunnersPrefix } : {}),
    kubernetes: options.kubernetes ?? { apiUrl: kube.url, tokenFile: kubeTokenFile },
    retryBaseDelayMs: 5,
  };
  return { ...config, ...options.config };
}

let node: ClusterNode;

/** Runs the refresher's bundle to its end. */
export async function refresh(options: Options): Promise<Run> {
  const run = await runBundle(node, 'token-refresher', join(dir, 'config.json'), refresherConfig(options), { POD_NAMESPACE: NS, ...options.env });
  runs.push(run);
  return run;
}

/** The token stored in the Secret, decoded; undefined when it has none. */
export function storedToken(key = 'token'): string | undefined {
  const value = tokenSecret().data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** The Secret holds exactly what it held before: no write happened. */
export function expectUnchanged(before: any): void {
  expect(tokenSecret()).toEqual(before);
  expect(kube.requestsOf('PATCH')).toEqual([]);
}

export const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
export const githubCalls = () => github!.requests.map((r) => `${r.method} ${r.url}`);

/** Restarts the fake API server with `secret` stored (or none) and other options. */
export async function stopAndPut(secret: ReturnType<typeof synthesizedSecret> | undefined, options: Partial<FakeKubeOptions> & { verbs?: string[] } = {}): Promise<void> {
  const token = kube.token;
  await kube.stop();
  kube = newKube(token, options);
  await kube.start();
  if (secret) kube.put(SECRETS, secret);
}

