import { at, Naming } from './naming';

// Checks every string a user wrote in a construct's props, wherever it lands (a label, a runner
// group, a Secret key, a name, a cloud-config field), before any other rule can repeat it in an error.
// Both rules hold for every string prop: no prop has a use for a credential or for a character
// outside YAML 1.1's printable set, and walking them all misses none that reaches a cloud-config.

// GitHub's documented token prefixes (classic PAT, OAuth, user-to-server, installation, refresh,
// fine-grained PAT), not inside a word, and PEM private-key armor. Tokens are opaque: no length assumed.
const CREDENTIAL = /(?:^|[^A-Za-z0-9])(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]|-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

// PyYAML's reader (yaml/reader.py NON_PRINTABLE), cloud-init's YAML 1.1 reader: one such character
// anywhere in the user-data, and cloud-init reads none of it. lib/validate/cloud-init-yaml.ts checks
// the rendered cloud-config by the same set.
export const NOT_YAML_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Whether `text` is shaped like a GitHub credential: a token of a documented prefix, or a PEM private key. */
export function looksLikeCredential(text: string): boolean {
  return CREDENTIAL.test(text);
}

/**
 * Refuses, in any string of `props` (plain objects and arrays, walked to the end; library objects
 * check their own), a pasted credential (the error names the prop and never shows the value) and a
 * character PyYAML refuses (the error names the prop and the code point).
 */
export function checkFreeText(naming: Naming, props: object): void {
  forEachString(props, '', (path, text) => {
    if (looksLikeCredential(text)) {
      throw new Error(`${naming.owner} '${path}' holds what looks like a GitHub credential (a token or a private key), `
        + 'which would be written in clear text into the manifests: a credential belongs in a Secret, referenced by name '
        + '(the value is not shown here)');
    }
    const bad = NOT_YAML_PRINTABLE.exec(text);
    if (bad !== null) {
      const codePoint = `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new Error(`${naming.owner} '${path}' holds the character ${codePoint} at index ${bad.index}, which cloud-init's YAML 1.1 reader `
        + '(PyYAML) refuses: with it in the user-data, cloud-init would read none of it; remove it');
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
