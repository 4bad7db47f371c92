import { execFileSync } from 'node:child_process';
import { shellQuote } from '../lib/private/shell';

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
