// The one URL validator. Four props take URLs (the GitHub URL, the runner download mirror, Docker's
// apt repository, image sources); they differ only in the rules below, so that a URL is checked the
// same way wherever it appears. Every URL reaches the guest or the cluster exactly as written.

/** What a prop accepts. */
export interface UrlRules {
  /** Accepted schemes, as the URL parser spells them (`'https:'`). */
  readonly protocols: readonly string[];
  /** A query string is allowed. @default false */
  readonly query?: boolean;
  /**
   * A base URL that the guest appends paths to: trailing slashes are dropped from the returned URL,
   * and only the characters such URLs need are allowed (it reaches a shell and an apt source line).
   * @default false
   */
  readonly base?: boolean;
}

/** A checked URL. */
export interface CheckedUrl {
  /** The URL as written (without trailing slashes when `base`). */
  readonly text: string;
  /** The parsed URL. */
  readonly parsed: URL;
}

// A DNS host name (lower case, as the URL parser leaves it) with an optional port. The URL parser
// accepts far more ('a$(id)b.com'), and URLs reach a shell in the guest (quoted, but still).
const HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::[0-9]{1,5})?$/;
// Query parameters that carry credentials (`?access_token=`, presigned `X-Amz-Signature`, `sig=`):
// a URL is written in clear text into the manifests, where it must not hold one.
const CREDENTIAL_PARAMETER = /token|secret|passw|signature|credential|auth|api[-_]?key|access[-_]?key|^sig$|^key$/i;
const BASE_URL_CHARACTERS = /^[A-Za-z0-9._~:/%@+-]+$/;
const NETWORK_SCHEMES = new Set(['http:', 'https:', 'docker:']);

/**
 * Checks a URL prop: a string the URL parser reads back unchanged (no dot segments, backslashes,
 * control characters or spaces that it would silently rewrite), with an accepted scheme, a DNS host,
 * no credentials, and no query or fragment unless allowed. Errors never repeat a credential.
 */
export function validateUrl(owner: string, prop: string, value: unknown, rules: UrlRules): CheckedUrl {
  const schemes = rules.protocols.map((p) => p.replace(/:$/, '')).join(', ');
  const fail = (why: string): never => {
    throw new Error(`${owner} '${prop}' must be a URL (${schemes}); ${why}, got ${JSON.stringify(redact(String(value)))}`);
  };
  if (typeof value !== 'string') return fail('it is not a string');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return fail('it is not a URL');
  }
  if (!rules.protocols.includes(parsed.protocol)) fail(`the scheme ${JSON.stringify(parsed.protocol)} is not accepted`);
  if (parsed.username || parsed.password) fail('it must not contain credentials (use a Secret)');
  if (!rules.query && (parsed.search || value.includes('?'))) fail('it must not have a query');
  const secretParameter = [...parsed.searchParams.keys()].find((name) => CREDENTIAL_PARAMETER.test(name));
  if (secretParameter !== undefined) fail(`its query parameter ${JSON.stringify(secretParameter)} looks like a credential (use a Secret)`);
  if (parsed.hash || value.includes('#')) fail('it must not have a fragment');
  if (NETWORK_SCHEMES.has(parsed.protocol) && !HOST.test(parsed.host.toLowerCase())) fail(`its host ${JSON.stringify(parsed.host)} is not a DNS name`);
  if (rules.base && !BASE_URL_CHARACTERS.test(value)) fail("it may only hold letters, digits and . _ ~ : / % @ + -");
  const written = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i, (_, scheme: string, host: string) => `${scheme.toLowerCase()}${host.toLowerCase()}`);
  if (trimSlashes(written) !== trimSlashes(parsed.href)) {
    fail(`URL parsing would rewrite it to ${JSON.stringify(redact(parsed.href))}: write it exactly as it is meant`);
  }
  return { text: rules.base ? trimSlashes(value) : value, parsed };
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The URL with its user-info and the values of credential-like query parameters replaced, for error messages. */
export function redact(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@')
    .replace(/([?&])([^=&#]*)=([^&#]*)/g, (all, separator: string, name: string) => CREDENTIAL_PARAMETER.test(name) ? `${separator}${name}=***` : all);
}
