import { Fields } from '../../../lib/cluster/runtime/config';
import { bypasses, Proxy, readProxySettings } from '../../../lib/cluster/runtime/proxy';

// lib/cluster/runtime/proxy.ts's choice of route: which hosts noProxy sends directly, and the proxy's
// URL in messages (never its userinfo). The tunnel itself is exercised end to end by the refresher's
// and the mint launcher's bundle tests (token-refresher-network.test.ts, launcher-mint.test.ts).

const PROXY_URL = 'http://proxy.corp:3128';
const route = (url: string, noProxy: string[] = [], kubernetesHost?: string) =>
  (new Proxy({ url: PROXY_URL, noProxy }, kubernetesHost).agentFor(url) === false ? 'direct' : 'proxy');

describe('Proxy: noProxy', () => {
  test.each([
    ['https://api.github.com', [], 'proxy'],
    ['https://api.github.com', ['github.com'], 'direct'],
    ['https://github.com', ['github.com'], 'direct'],
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
    expect(route(url, noProxy as string[])).toBe(expected);
  });

  test('always direct: loopback, the Kubernetes API (KUBERNETES_SERVICE_HOST), *.svc, *.cluster.local; http:// is never tunnelled', () => {
    expect(route('https://127.0.0.1:6443')).toBe('direct');
    expect(route('https://localhost')).toBe('direct');
    expect(route('https://10.96.0.1', [], '10.96.0.1')).toBe('direct');
    expect(route('https://10.96.0.1')).toBe('proxy');
    expect(route('https://kubernetes.default.svc')).toBe('direct');
    expect(route('https://ghes.tools.svc.cluster.local')).toBe('direct');
    expect(route('http://ghes.corp')).toBe('direct');
    expect(bypasses(['10.0.0.0/99'], '10.0.0.1', 443)).toBe(false);
  });

  test('the proxy is named without its userinfo', () => {
    const proxy = new Proxy({ url: 'http://user:S3cret@proxy.corp:3128', noProxy: [] });
    expect(proxy.routeOf('https://api.github.com')).toBe('api.github.com through the proxy http://proxy.corp:3128');
    expect(proxy.routeOf('https://localhost')).toBe('localhost directly');
    expect(String(proxy)).toBe('http://proxy.corp:3128');
  });

  test('a config whose proxy is not an http(s) URL is refused, naming the field', () => {
    const read = (proxy: unknown) => readProxySettings(new Fields({ proxy }, ''), 'proxy');
    expect(read({ url: PROXY_URL, noProxy: ['.corp'] })).toEqual({ url: PROXY_URL, noProxy: ['.corp'] });
    expect(() => read({ url: 'proxy.corp:3128', noProxy: [] })).toThrow(/proxy\.url/);
    expect(() => read({ url: 'ftp://proxy.corp', noProxy: [] })).toThrow(/proxy\.url/);
    expect(() => read({ url: PROXY_URL, noProxy: ['two words'] })).toThrow(/proxy\.noProxy/);
  });
});
