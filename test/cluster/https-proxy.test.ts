import { join } from 'node:path';

// lib/cluster/https-proxy.cjs's choice of route: which hosts NO_PROXY sends directly, and the proxy's
// URL in messages (never its userinfo). The tunnel itself is exercised end to end by the refresher's
// and the launcher's tests (token-refresher.test.ts, launcher-mint.test.ts).

const proxy = require(join(__dirname, '..', '..', 'lib', 'cluster', 'https-proxy.cjs'));

const env = (extra: Record<string, string> = {}) => ({ HTTPS_PROXY: 'http://proxy.corp:3128', ...extra });
const route = (url: string, extra: Record<string, string> = {}) => (proxy.agentFor(url, env(extra)) === false ? 'direct' : 'proxy');

describe('https-proxy.cjs: NO_PROXY', () => {
  test.each([
    ['https://api.github.com', '', 'proxy'],
    ['https://api.github.com', 'github.com', 'direct'],
    ['https://github.com', 'github.com', 'direct'],
    ['https://notgithub.com', 'github.com', 'proxy'],
    ['https://ghes.corp/api/v3', '.corp', 'direct'],
    ['https://corp/api/v3', '.corp', 'direct'],
    ['https://ghes.corp.example.com', '.corp', 'proxy'],
    ['https://GHES.Corp', '.corp', 'direct'],
    ['https://10.1.2.3/api/v3', '10.0.0.0/8', 'direct'],
    ['https://11.1.2.3/api/v3', '10.0.0.0/8', 'proxy'],
    ['https://192.168.1.5', '192.168.1.5', 'direct'],
    ['https://[fd00::5]', 'fd00::/8', 'direct'],
    ['https://ghes.corp:8443', 'ghes.corp:8443', 'direct'],
    ['https://ghes.corp', 'ghes.corp:8443', 'proxy'],
    ['https://anything.example', '*', 'direct'],
    ['https://a.example', 'b.example, a.example', 'direct'],
  ])('%s with NO_PROXY=%j: %s', (url, noProxy, expected) => {
    expect(route(url, { NO_PROXY: noProxy })).toBe(expected);
  });

  test('always direct: loopback, the Kubernetes API (KUBERNETES_SERVICE_HOST), *.svc, *.cluster.local; http:// is never tunnelled', () => {
    expect(route('https://127.0.0.1:6443')).toBe('direct');
    expect(route('https://localhost')).toBe('direct');
    expect(route('https://10.96.0.1', { KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toBe('direct');
    expect(route('https://kubernetes.default.svc')).toBe('direct');
    expect(route('https://ghes.tools.svc.cluster.local')).toBe('direct');
    expect(route('http://ghes.corp')).toBe('direct');
    expect(proxy.agentFor('https://api.github.com', {})).toBe(false);
  });

  test('lower-case variables too; the proxy is named without its userinfo; a bad proxy URL is a config error that hides it', () => {
    expect(proxy.agentFor('https://api.github.com', { https_proxy: 'http://proxy.corp:3128', no_proxy: 'github.com' })).toBe(false);
    expect(proxy.routeOf('https://api.github.com', { HTTPS_PROXY: 'http://user:S3cret@proxy.corp:3128' })).toBe('api.github.com through the proxy http://proxy.corp:3128');
    expect(proxy.routeOf('https://api.github.com', {})).toBeUndefined();
    expect(() => proxy.proxyFromEnv({ HTTPS_PROXY: 'proxy.corp:3128' })).toThrow(proxy.ProxyConfigError);
    expect(() => proxy.proxyFromEnv({ HTTPS_PROXY: 'ftp://user:S3cret@proxy.corp' })).toThrow('got "ftp://***@proxy.corp"');
  });
});
