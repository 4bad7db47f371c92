import { brandOf, hasBrand, setBrand } from './private/brand';
import { redact, validateUrl } from './private/url';

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
const BRAND = brandOf('GitHubScope');

// www.github.com only redirects to github.com: taken for a GitHub Enterprise Server host, it would
// send the runner and KEDA to https://www.github.com/api/v3, which does not exist. Checked before
// the URL rules, so that a port or capitals still get this hint.
function refuseWwwGitHub(owner: string, prop: string, url: string): void {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return;
  }
  if (hostname === 'www.github.com') {
    throw new Error(`${owner} '${prop}' must not name www.github.com, which is github.com and not a GitHub Enterprise Server: `
      + `write https://github.com/... instead, got ${JSON.stringify(redact(url))}`);
  }
}

/**
 * A GitHub URL that runners register with: `https://HOST/OWNER`, `https://HOST/OWNER/REPO` or
 * `https://HOST/enterprises/SLUG`, where HOST is github.com or a GitHub Enterprise Server host.
 */
export class GitHubScope {
  /** Whether `x` is a GitHubScope (of any copy of this library). */
  public static isGitHubScope(x: unknown): x is GitHubScope {
    return hasBrand(x, BRAND);
  }

  /** Parses and checks a registration URL; `owner` and `prop` name the caller and its prop in errors. */
  public static fromUrl(url: string, owner = 'GitHubScope', prop = 'url'): GitHubScope {
    const fail = (why: string): never => {
      throw new Error(`${owner} '${prop}' ${why}; expected https://github.com/OWNER, https://github.com/OWNER/REPO `
        + `or https://github.com/enterprises/SLUG (or the same on a GitHub Enterprise Server host), got ${JSON.stringify(url)}`);
    };
    refuseWwwGitHub(owner, prop, url);
    const { parsed } = validateUrl(owner, prop, url, { protocols: ['https:'] });
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
  ) {
    setBrand(this, BRAND);
    Object.freeze(this);
  }

  /** True for github.com, false for a GitHub Enterprise Server host. */
  public get isGitHubDotCom(): boolean {
    return this.host === 'github.com';
  }
}
