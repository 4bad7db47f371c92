/**
 * Quotes a string for a POSIX shell: single quotes, with each embedded quote closed, escaped and
 * reopened. Whatever the value, the shell reads it back as one word with exactly these characters.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Renders `NAME='value'` lines for a file that a bash script sources. Values are quoted, so the
 * file only assigns variables, whatever the values contain.
 */
export function renderEnvFile(entries: ReadonlyArray<readonly [string, string]>): string {
  return entries.map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name ${JSON.stringify(name)}`);
    return `${name}=${shellQuote(value)}\n`;
  }).join('');
}

/** Reads back a file written by renderEnvFile (only that format: `NAME='value'` lines). */
export function parseEnvFile(content: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of content.matchAll(/^([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gm)) {
    result[match[1]] = match[2].replace(/'\\''/g, "'");
  }
  return result;
}
