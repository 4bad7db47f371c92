import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestSettings, parseGuestSettings, renderGuestSettings, RUNNER_SETTINGS_PATH, VARIABLES } from '../lib/render/guest-settings';
import { sourceEnvFile } from './util';

// The settings file is the contract between the library and lib/guest/register-runner.sh: these
// tests hold both ends to VARIABLES, so a renamed or new variable cannot drift apart unnoticed.
const SCRIPT = readFileSync(join(__dirname, '..', 'lib', 'guest', 'register-runner.sh'), 'utf8');
// Variables the script reads from its environment only, so that tests can point it elsewhere.
const TEST_KNOBS = ['RUNNER_SETTINGS_FILE', 'RUNNER_DISK_BY_ID_DIR', 'RUNNER_DOWNLOAD_ATTEMPTS', 'RUNNER_DOWNLOAD_RETRY_DELAY', 'TOKEN_DISK_TIMEOUT',
  'RUNNER_UNIT_TEMPLATE', 'RUNNER_SYSTEMD_UNIT_DIR', 'RUNNER_CACHE_DIR'];

const HOSTILE = ["it's", '$(touch /tmp/pwned)', '`id`', '${HOME}', 'a\\b', 'tab\there', ';rm -rf /', '| cat /etc/shadow', 'größe 日本語', ''];

const SETTINGS: GuestSettings = {
  url: 'https://github.com/acme',
  labels: ['gpu', 'größe'],
  runnerGroup: 'linux builders',
  noDefaultLabels: true,
  ephemeral: false,
  disableUpdate: true,
  user: 'actions-runner',
  runnerDir: '/opt/actions-runner/runner',
  workDir: '_work',
  downloadUrl: 'https://mirror.internal/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz',
  sha256: 'a'.repeat(64),
  tokenDiskSerial: 'RUNNERTOKEN',
  tokenFileName: 'token',
  requiredCommands: ['git', 'docker'],
  powerOffAfterJob: false,
  httpProxy: 'http://proxy.corp.example:3128',
  httpsProxy: 'http://proxy.corp.example:3128',
  noProxy: ['localhost', '127.0.0.1', '::1', '.corp.example', '10.0.0.0/8'],
  nodeExtraCaCerts: '/etc/ssl/certs/ca-certificates.crt',
};

describe('guest settings contract', () => {
  test('parse reads back exactly what render wrote', () => {
    expect(parseGuestSettings(renderGuestSettings(SETTINGS))).toEqual(SETTINGS);
  });

  test.each(HOSTILE)('bash sources %j back unchanged, and runs nothing', (value) => {
    const settings = { ...SETTINGS, url: value, runnerGroup: value, workDir: value };
    const sourced = sourceEnvFile(renderGuestSettings(settings));
    expect([sourced.RUNNER_URL, sourced.RUNNER_GROUP, sourced.RUNNER_WORK_DIR]).toEqual([value, value, value]);
    expect(parseGuestSettings(renderGuestSettings(settings))).toEqual(settings);
  });

  test('bash sees the values the library meant', () => {
    const sourced = sourceEnvFile(renderGuestSettings(SETTINGS));
    expect(sourced).toMatchObject({
      RUNNER_LABELS: 'gpu,größe', RUNNER_NO_DEFAULT_LABELS: 'true', RUNNER_EPHEMERAL: 'false', RUNNER_REQUIRED_COMMANDS: 'git docker',
    });
    expect(Object.keys(sourced).sort()).toEqual(Object.values(VARIABLES).map((v) => v.name).sort());
  });

  test('the script reads its settings from the contract path', () => {
    expect(SCRIPT).toContain(`SETTINGS_FILE="\${RUNNER_SETTINGS_FILE:-${RUNNER_SETTINGS_PATH}}"`);
  });

  test('the script insists on exactly the required variables', () => {
    const loop = /for name in ([A-Z0-9_ \\\n]+); do\s+\[\[ -n "\$\{!name:-\}" \]\]/.exec(SCRIPT);
    expect(loop).not.toBeNull();
    const required = loop![1].replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean).sort();
    expect(required).toEqual(Object.values(VARIABLES).filter((v) => v.required).map((v) => v.name).sort());
  });

  test('every settings variable the script reads is in the contract, and every contract variable is read', () => {
    const read = new Set([...SCRIPT.matchAll(/\$\{?!?((?:RUNNER|TOKEN)_[A-Z0-9_]+)/g)].map((m) => m[1]));
    const names = Object.values(VARIABLES).map((v) => v.name);
    expect([...read].filter((n) => !names.includes(n) && !TEST_KNOBS.includes(n))).toEqual([]);
    expect(names.filter((n) => !new RegExp(`\\b${n}\\b`).test(SCRIPT))).toEqual([]);
  });

  test('values are single-quoted, one variable a line', () => {
    expect(execFileSync('bash', ['-n'], { input: renderGuestSettings(SETTINGS) }).toString()).toBe('');
    for (const line of renderGuestSettings(SETTINGS).trimEnd().split('\n')) expect(line).toMatch(/^[A-Z0-9_]+='.*'$/);
  });
});
