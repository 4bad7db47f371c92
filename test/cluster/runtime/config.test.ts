import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate as validatePoolScaler } from '../../../lib/cluster/entries/pool-scaler';
import { podIdentity, readConfigFile } from '../../../lib/cluster/runtime/config';
import { ConfigError, ExitCode, exitCodeOf, KubeStatusError, RunnerDeprecatedError } from '../../../lib/cluster/runtime/errors';
import { Logger } from '../../../lib/cluster/runtime/log';

// The configuration reader (one JSON file, errors that name the field), the exit codes, the
// redacting logger and the proxy's route choice.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runtime-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function read(config: unknown): unknown {
  const file = join(dir, 'config.json');
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return readConfigFile(file, validatePoolScaler);
}

describe('readConfigFile', () => {
  test('a valid file is the entry\'s typed config', () => {
    expect(read({ pool: 'warm', replicas: 0 })).toEqual({ pool: 'warm', replicas: 0 });
    expect(read({ pool: 'warm', replicas: 3, retryBaseDelayMs: 5, kubernetes: { apiUrl: 'http://127.0.0.1:1', tokenFile: '/t' } }))
      .toEqual({ pool: 'warm', replicas: 3, retryBaseDelayMs: 5, kubernetes: { apiUrl: 'http://127.0.0.1:1', tokenFile: '/t' } });
  });

  test.each([
    [{ replicas: 1 }, 'pool is required: a VirtualMachinePool name (a DNS label)'],
    [{ pool: 'Warm', replicas: 1 }, 'pool must be a VirtualMachinePool name (a DNS label), got "Warm"'],
    [{ pool: 'warm', replicas: 10001 }, 'replicas must be a whole number from 0 to 10000, got 10001'],
    [{ pool: 'warm', replicas: '1' }, 'replicas must be a whole number from 0 to 10000, got "1"'],
    [{ pool: 'warm', replica: 1 }, 'replicas must be a whole number from 0 to 10000, got undefined'],
    [{ pool: 'warm', replicas: 1, replica: 1 }, 'replica is not a known field'],
    [{ pool: 'warm', replicas: 1, kubernetes: { apiURL: 'x' } }, 'kubernetes.apiURL is not a known field of kubernetes'],
    [{ pool: 'warm', replicas: 1, kubernetes: { apiUrl: 'https://u:hunter2@api:6443' } }, 'kubernetes.apiUrl must be an http(s) URL without credentials, query or fragment, got "https://***@api:6443"'],
    [{ pool: 'warm', replicas: 1, kubernetes: [] }, 'kubernetes must be an object, got []'],
    [{ pool: 'warm', replicas: 1, retryBaseDelayMs: -1 }, 'retryBaseDelayMs must be a whole number from 0 to 60000, got -1'],
  ])('%j: %s', (config, message) => {
    let error: unknown;
    try {
      read(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(message);
    expect((error as ConfigError).field).toBe(message.split(' ')[0]);
  });

  test('a file that is missing, not JSON, or not an object', () => {
    expect(() => readConfigFile(join(dir, 'nope.json'), validatePoolScaler)).toThrow(`the configuration file ${join(dir, 'nope.json')} cannot be read: ENOENT`);
    expect(() => read('{"pool":')).toThrow(/is not JSON: /);
    expect(() => read('[]')).toThrow('must hold a JSON object');
  });

  test('the pod\'s identity from the downward API: only what is asked, each named when missing', () => {
    expect(podIdentity({ POD_NAMESPACE: 'ci', POD_NAME: 'x' }, ['namespace'])).toEqual({ namespace: 'ci' });
    expect(() => podIdentity({}, ['namespace'])).toThrow('POD_NAMESPACE is not set: the pod template sets it from the downward API (fieldRef metadata.namespace)');
    expect(() => podIdentity({ POD_NAME: 'A_b' }, ['name'])).toThrow('POD_NAME must be a DNS label, got "A_b"');
  });
});

test('exit codes: 2 for a bad configuration, 7 for a deprecated runner, 1 for anything else', () => {
  expect(ExitCode).toEqual({ OK: 0, FAILURE: 1, BAD_CONFIG: 2, RUNNER_DEPRECATED: 7 });
  expect(exitCodeOf(new ConfigError('x', 'is wrong'))).toBe(2);
  expect(exitCodeOf(new RunnerDeprecatedError('old'))).toBe(7);
  expect(exitCodeOf(new KubeStatusError('get x', 403, 'Forbidden', 'no'))).toBe(1);
  expect(exitCodeOf(new Error('x'))).toBe(1);
});

test('Logger: prefixed lines; every registered credential replaced, the longest first, in every line', () => {
  const out: string[] = [];
  const log = new Logger('token-refresher', (t) => out.push(`out ${t}`), (t) => out.push(`err ${t}`));
  log.secret('abc');
  log.secret('abcdef');
  log.secret('');
  log.secret(undefined);
  log.info('token abcdef and abc and ab');
  log.warn('multi\nline abc');
  expect(out).toEqual(['out token-refresher: token [redacted] and [redacted] and ab\n', 'err token-refresher: multi\nline [redacted]\n']);
});
