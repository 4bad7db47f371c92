/**
 * Quotes a string for a POSIX shell: single quotes, with each embedded quote closed, escaped and
 * reopened. Whatever the value, the shell reads it back as one word with exactly these characters.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
