import { at, Naming } from './naming';

// Checks every string a user wrote in a construct's props, wherever it lands (a label, a runner
// group, a Secret key, a name, a cloud-config field), before any other rule can repeat it in an error.

// GitHub's documented token prefixes (classic PAT, OAuth, user-to-server, installation, refresh,
// fine-grained PAT), not inside a word, and PEM private-key armor. Tokens are opaque: no length assumed.
const CREDENTIAL = /(?:^|[^A-Za-z0-9])(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]|-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Whether `text` is shaped like a GitHub credential: a token of a documented prefix, or a PEM private key. */
export function looksLikeCredential(text: string): boolean {
  return CREDENTIAL.test(text);
}

/**
 * Refuses a credential pasted into any string of `props` (plain objects and arrays, walked to the
 * end; library objects check their own). The error names the prop and never shows the value.
 */
export function checkFreeText(naming: Naming, props: object): void {
  forEachString(props, '', (path, text) => {
    if (looksLikeCredential(text)) {
      throw new Error(`${naming.owner} '${path}' holds what looks like a GitHub credential (a token or a private key), `
        + 'which would be written in clear text into the manifests: a credential belongs in a Secret, referenced by name '
        + '(the value is not shown here)');
    }
  });

  function forEachString(value: unknown, path: string, visit: (path: string, text: string) => void): void {
    if (typeof value === 'string') {
      visit(path, value);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => forEachString(item, `${path}[${i}]`, visit));
    } else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        const name = path === '' ? at(naming, key)[1] : `${path}.${key}`;
        visit(path === '' ? name : path, key);
        forEachString(item, name, visit);
      }
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
