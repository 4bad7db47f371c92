/** What a runner registers with: a repository, an organization or an enterprise. */
export enum GitHubScopeKind {
  REPOSITORY = 'repository',
  ORGANIZATION = 'organization',
  ENTERPRISE = 'enterprise',
}

// GitHub's rules: owners are 1-39 alphanumerics or single hyphens, not at either end;
// repositories 1-100 of [A-Za-z0-9._-]; enterprise slugs are lower-case alphanumerics and hyphens.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPOSITORY = /^[A-Za-z0-9._-]{1,100}$/;
const ENTERPRISE = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;
// A DNS host name (the URL parser has lower-cased it) with an optional port. The URL parser accepts
// far more ('a$(id)b.com'), and the URL reaches a shell in the guest.
const HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::[0-9]{1,5})?$/;

/**
 * A GitHub URL that runners register with: `https://HOST/OWNER`, `https://HOST/OWNER/REPO` or
 * `https://HOST/enterprises/SLUG`, where HOST is github.com or a GitHub Enterprise Server host.
 */
export class GitHubScope {
  /** Parses and checks a registration URL; `prop` names the prop it came from in errors. */
  public static fromUrl(url: string, owner = 'GitHubScope', prop = 'url'): GitHubScope {
    const fail = (why: string): never => {
      throw new Error(`${owner} '${prop}' ${why}; expected https://github.com/OWNER, https://github.com/OWNER/REPO `
        + `or https://github.com/enterprises/SLUG (or the same on a GitHub Enterprise Server host), got ${JSON.stringify(url)}`);
    };
    if (typeof url !== 'string') fail('must be a string');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail('is not a URL');
    }
    if (parsed.protocol !== 'https:') fail('must use https');
    if (parsed.username || parsed.password) fail('must not contain credentials');
    if (parsed.search || parsed.hash || url.includes('?') || url.includes('#')) fail('must not have a query or fragment');
    if (!HOST.test(parsed.host)) fail(`has an invalid host ${JSON.stringify(parsed.host)}`);
    // The URL parser rewrites some hosts ('0' becomes '0.0.0.0', 'xn--' forms...): register only with what was written.
    const written = /^https:\/\/([^/?#]*)/i.exec(url)?.[1]?.toLowerCase();
    if (written !== parsed.host) fail(`has a host that URL parsing rewrites (${JSON.stringify(written)} becomes ${JSON.stringify(parsed.host)})`);
    const segments = parsed.pathname.replace(/\/$/, '').split('/').slice(1);
    if (segments.some((s) => s === '')) fail('must not have empty path segments');
    const host = parsed.host;
    const base = `https://${host}`;
    if (segments.length === 2 && segments[0] === 'enterprises') {
      if (!ENTERPRISE.test(segments[1])) fail(`has an invalid enterprise slug ${JSON.stringify(segments[1])}`);
      return new GitHubScope(GitHubScopeKind.ENTERPRISE, host, `${base}/enterprises/${segments[1]}`, segments[1]);
    }
    if (segments.length < 1 || segments.length > 2) fail('must name an owner, an owner and a repository, or an enterprise');
    if (!OWNER.test(segments[0]) || segments[0] === 'enterprises') {
      fail(`has an invalid owner ${JSON.stringify(segments[0])}`);
    }
    if (segments.length === 1) {
      return new GitHubScope(GitHubScopeKind.ORGANIZATION, host, `${base}/${segments[0]}`, segments[0]);
    }
    const repo = segments[1];
    if (!REPOSITORY.test(repo) || repo === '.' || repo === '..' || repo.endsWith('.git')) {
      fail(`has an invalid repository name ${JSON.stringify(repo)}`);
    }
    return new GitHubScope(GitHubScopeKind.REPOSITORY, host, `${base}/${segments[0]}/${repo}`, `${segments[0]}/${repo}`);
  }

  private constructor(
    /** Repository, organization or enterprise. */
    public readonly kind: GitHubScopeKind,
    /** The host, with a port if one was given: `github.com` or a GHES host. */
    public readonly host: string,
    /** The normalized URL passed to the runner's `config.sh --url` (no trailing slash). */
    public readonly url: string,
    /** `OWNER`, `OWNER/REPO` or the enterprise slug. */
    public readonly path: string,
  ) {}

  /** True for github.com, false for a GitHub Enterprise Server host. */
  public get isGitHubDotCom(): boolean {
    return this.host === 'github.com';
  }
}

/** The runner refuses a label longer than this (actions/runner `Validators.LabelsValidator`). */
export const MAX_LABEL_LENGTH = 256;
/** GitHub accepts at most this many custom labels on a self-hosted runner. */
export const MAX_LABELS = 100;
// Letters and digits of any script, combining marks, '.', '_' and '-': enough for every label in
// common use (`gpu`, `ubuntu-24.04`, `x64_large`, `größe`) and nothing a shell or `--labels` treats specially.
const LABEL = /^[\p{L}\p{M}\p{N}._-]+$/u;

/**
 * Checks runner labels: 1..256 characters of letters, digits, '.', '_' or '-' each, no duplicates
 * (GitHub compares labels case-insensitively), at most 100.
 */
export function validateLabels(owner: string, prop: string, labels: readonly string[]): string[] {
  if (!Array.isArray(labels)) throw new Error(`${owner} '${prop}' must be an array of strings, got ${JSON.stringify(labels)}`);
  if (labels.length > MAX_LABELS) {
    throw new Error(`${owner} '${prop}' has ${labels.length} labels; GitHub allows at most ${MAX_LABELS}`);
  }
  const seen = new Map<string, string>();
  for (const label of labels) {
    if (typeof label !== 'string' || label.length === 0) {
      throw new Error(`${owner} '${prop}' contains an empty label: ${JSON.stringify(labels)}`);
    }
    if (label.length > MAX_LABEL_LENGTH) {
      throw new Error(`${owner} '${prop}' label is ${label.length} characters long; the runner allows at most ${MAX_LABEL_LENGTH}: `
        + `${JSON.stringify(label.slice(0, 40))}...`);
    }
    if (!LABEL.test(label)) {
      throw new Error(`${owner} '${prop}' label ${JSON.stringify(label)} may only contain letters, digits, '.', '_' and '-' `
        + '(no commas, whitespace or shell metacharacters)');
    }
    const key = label.toLowerCase();
    if (seen.has(key)) {
      throw new Error(`${owner} '${prop}' has the label ${JSON.stringify(label)} twice (GitHub labels are case-insensitive)`);
    }
    seen.set(key, label);
  }
  return [...labels];
}

const RUNNER_GROUP = /^[\p{L}\p{M}\p{N}._-](?:[\p{L}\p{M}\p{N} ._-]{0,126}[\p{L}\p{M}\p{N}._-])?$/u;

/** Checks a runner group name: letters, digits, '.', '_', '-' and inner spaces, at most 128 characters. */
export function validateRunnerGroup(owner: string, prop: string, group: string): string {
  if (typeof group !== 'string' || !RUNNER_GROUP.test(group)) {
    throw new Error(`${owner} '${prop}' must be 1-128 letters, digits, '.', '_', '-' or inner spaces, got ${JSON.stringify(group)}`);
  }
  return group;
}
