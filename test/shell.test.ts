import { execFileSync } from 'node:child_process';
import { parseEnvFile, renderEnvFile, shellQuote } from '../lib/shell';

// The last line of defence for every value that reaches the guest's shell: whatever a value holds,
// bash reads back exactly that value, and runs nothing.
const HOSTILE = [
  "it's", "'", "''", '$(touch /tmp/pwned)', '`id`', '${HOME}', '"quoted"', 'a\\b', 'line\nbreak', 'tab\there', ';rm -rf /',
  '&& reboot', '| cat /etc/shadow', '*', '~', '!', '#comment', 'größe 日本語', '', ' leading and trailing ',
];

function bashEcho(word: string): string {
  return execFileSync('bash', ['-c', `printf '%s' ${word}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('shellQuote', () => {
  test.each(HOSTILE)('bash reads %j back unchanged', (value) => {
    expect(bashEcho(shellQuote(value))).toBe(value);
  });
});

describe('renderEnvFile', () => {
  test('a sourced settings file assigns exactly the values and runs nothing', () => {
    const entries = HOSTILE.map((value, i) => [`VALUE_${i}`, value] as const);
    const file = renderEnvFile(entries);
    const script = `set -eu\neval "$FILE"\n${entries.map(([name]) => `printf '%s\\0' "$${name}"`).join('\n')}`;
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, FILE: file }, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out.split('\0').slice(0, -1)).toEqual(HOSTILE);
  });

  test('parseEnvFile reads its own format back', () => {
    const entries = HOSTILE.filter((v) => !v.includes('\n')).map((value, i) => [`V${i}`, value] as const);
    expect(parseEnvFile(renderEnvFile(entries))).toEqual(Object.fromEntries(entries));
  });

  test('refuses a variable name that is not one', () => {
    expect(() => renderEnvFile([['X; reboot', 'v']])).toThrow('invalid environment variable name "X; reboot"');
  });
});
