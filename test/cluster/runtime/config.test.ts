import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate as validatePoolScaler } from '../../../lib/cluster/entries/pool-scaler';
import { podIdentity, readConfigFile } from '../../../lib/cluster/runtime/config';
import { ConfigError, ExitCode, exitCodeOf, KubeStatusError, RunnerDeprecatedError } from '../../../lib/cluster/runtime/errors';
import { Logger } from '../../../lib/cluster/runtime/log';
import { bypasses, Proxy } from '../../../lib/cluster/runtime/proxy';

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

describe('Proxy: which hosts go through it', () => {
  const route = (url: string, noProxy: string[] = [], kubernetesHost?: string) =>
    (new Proxy({ url: 'http://proxy.corp:3128', noProxy }, kubernetesHost).agentFor(url) === false ? 'direct' : 'proxy');

  test.each([
    ['https://api.github.com', [], 'proxy'],
    ['https://api.github.com', ['github.com'], 'direct'],
    ['https://notgithub.com', ['github.com'], 'proxy'],
    ['https://ghes.corp/api/v3', ['.corp'], 'direct'],
    ['https://corp/api/v3', ['.corp'], 'direct'],
    ['https://ghes.corp.example.com', ['.corp'], 'proxy'],
    ['https://GHES.Corp', ['.corp'], 'direct'],
    ['https://10.1.2.3/api/v3', ['10.0.0.0/8'], 'direct'],
    ['https://11.1.2.3/api/v3', ['10.0.0.0/8'], 'proxy'],
    ['https://192.168.1.5', ['192.168.1.5'], 'direct'],
    ['https://[fd00::5]', ['fd00::/8'], 'direct'],
    ['https://ghes.corp:8443', ['ghes.corp:8443'], 'direct'],
    ['https://ghes.corp', ['ghes.corp:8443'], 'proxy'],
    ['https://anything.example', ['*'], 'direct'],
    ['https://a.example', ['b.example', 'a.example'], 'direct'],
  ])('%s with noProxy %j: %s', (url, noProxy, expected) => {
    expect(route(url, noProxy)).toBe(expected);
  });

  test('always direct: loopback, the Kubernetes API host, *.svc, *.cluster.local, http://', () => {
    expect(route('https://127.0.0.1:6443')).toBe('direct');
    expect(route('https://localhost')).toBe('direct');
    expect(route('https://10.96.0.1', [], '10.96.0.1')).toBe('direct');
    expect(route('https://kubernetes.default.svc')).toBe('direct');
    expect(route('https://ghes.tools.svc.cluster.local')).toBe('direct');
    expect(route('http://ghes.corp')).toBe('direct');
    expect(bypasses(['10.0.0.0/99'], '10.0.0.1', 443)).toBe(false);
  });

  test('the proxy is named without its user-info', () => {
    const proxy = new Proxy({ url: 'http://user:S3cret@proxy.corp:3128', noProxy: ['.corp'] });
    expect(proxy.routeOf('https://api.github.com')).toBe('api.github.com through the proxy http://proxy.corp:3128');
    expect(proxy.routeOf('https://ghes.corp')).toBe('ghes.corp directly');
    expect(String(proxy)).toBe('http://proxy.corp:3128');
  });
});
