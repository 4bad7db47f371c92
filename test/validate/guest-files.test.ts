import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { RunnerCloudInit } from '../../lib';
import { CloudConfigSchema } from '../../lib/validate';
import { guestFileProblems } from '../../lib/validate/guest-files';
import { TEST_APT_KEY, TEST_APT_KEY_FINGERPRINT, TEST_CA_PEM } from '../network-fixtures';

// The validator's checks of what the guest's programs read: each must catch a broken file, and
// pass what the library writes.
describe('guest files in a cloud-config', () => {
  const file = (path: string, content: string) => ({ write_files: [{ path, content }] });

  test('what the library writes with every network option passes', () => {
    const cloudInit = new RunnerCloudInit(Testing.chart(), 'ci', {
      url: 'https://github.com/acme',
      proxy: { http: 'http://proxy:3128', https: 'http://proxy:3128', noProxy: ['.corp', '10.0.0.0/8'] },
      caCertificates: [TEST_CA_PEM],
      aptMirror: { url: 'https://mirror.corp/ubuntu', signingKey: { armored: TEST_APT_KEY, fingerprint: TEST_APT_KEY_FINGERPRINT } },
      dockerDaemon: { registryMirrors: ['https://mirror.gcr.io'], insecureRegistries: ['registry.corp:5000'] },
    });
    expect(new CloudConfigSchema().validate(cloudInit.userData)).toEqual([]);
  });

  test.each([
    ['daemon.json that is not JSON', file('/etc/docker/daemon.json', '{"registry-mirrors": [}'), 'dockerd cannot parse it'],
    ['daemon.json with a mirror that is no URL', file('/etc/docker/daemon.json', '{"registry-mirrors": ["mirror.gcr.io"]}'), 'is not an http(s) URL'],
    ['a drop-in without a section', file('/etc/systemd/system/docker.service.d/http-proxy.conf', 'Environment="A=b"\n'), 'a directive before any [Section]'],
    ['a drop-in with an unquoted Environment', file('/etc/systemd/system/docker.service.d/http-proxy.conf', '[Service]\nEnvironment=A=b c\n'), 'Environment= must be "NAME=value" words'],
    ['a drop-in with a lone %', file('/etc/systemd/system/docker.service.d/http-proxy.conf', '[Service]\nEnvironment="A=100%"\n'), "a lone '%' is a systemd specifier"],
    ['a damaged apt key', file('/etc/apt/keyrings/x.asc', TEST_APT_KEY.replace(/\n([A-Za-z0-9+/])([A-Za-z0-9+/]{9})/, (_, c: string, r: string) => `\n${c === 'A' ? 'B' : 'A'}${r}`)), 'not an armored OpenPGP key apt can read'],
    ['/etc/environment with an unquoted value', file('/etc/environment', 'http_proxy=http://proxy:3128\n'), 'pam_env reads NAME="value" lines'],
    ['an apt source that is no source line', { apt: { sources: { 'm.list': { source: 'http://mirror bookworm main\n' } } } }, 'not an apt source line'],
    ['an apt source signed by a key nobody writes', { apt: { sources: { 'm.list': { source: 'deb [signed-by=/etc/apt/keyrings/none.asc] http://m bookworm main' } } } }, 'the keyring /etc/apt/keyrings/none.asc is neither written'],
    ['a proxy with credentials', { apt: { http_proxy: 'http://u:p@proxy:3128' } }, 'the proxy URL holds credentials'],
    ['a CA that is no certificate', { ca_certs: { trusted: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'] } }, 'not a PEM certificate OpenSSL can read'],
  ])('%s is found', (_what, config, message) => {
    const problems = guestFileProblems(config);
    expect(problems.map((p) => p.message).join('\n')).toContain(message);
    expect(new CloudConfigSchema().validate(`#cloud-config\n${stringify(config)}`).map((p) => p.message).join('\n')).toContain(message);
  });
});
