import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { ConnectProxy, makeServerPki } from './connect-proxy';
import { hasOpenssl, makePki } from './fake-tls';
import { CLUSTER_NODES } from './node-binaries';
import { testIf } from '../util';
import {
  APP_ID, appCredentials, credentials, dir, github, githubCalls, INSTALLATION, kube, kubeTokenFile, Options, ORG, PKCS1, privateKey,
  refresh, startGitHub, stopAndPut, storedToken, synthesizedSecret, useNode, useRefresherHarness,
} from './token-refresher-harness';

// The token-refresher bundle under the project's Node and the image's major (see
// token-refresher.test.ts): bad configurations, TLS as in the cluster, and GitHub behind a proxy
// with a private CA.

jest.setTimeout(30_000);

useRefresherHarness();

describe.each(CLUSTER_NODES)('under $label', (clusterNode) => {
  useNode(clusterNode);

  describe('the token refresher: configuration errors exit 2 before any request', () => {
    const files = () => ({ github_app_id: APP_ID, github_app_installation_id: INSTALLATION, github_app_private_key: PKCS1 });
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();

    test.each<[string, () => Options, string]>([
      ['both a PAT and an App', () => ({ credentialsDir: credentials({ ...files(), github_token: 'ghp_x' }) }),
        'holds both a PAT (github_token) and GitHub App keys (github_app_id, github_app_installation_id, github_app_private_key): it must hold either'],
      ['neither', () => ({ credentialsDir: credentials({ 'other-key': 'x' }) }),
        'holds neither: it must hold either a GitHub App (github_app_id, github_app_installation_id, github_app_private_key) or a PAT (github_token)'],
      ['an App without its key', () => ({ credentialsDir: credentials({ github_app_id: APP_ID, github_app_installation_id: INSTALLATION }) }),
        'holds a GitHub App without github_app_private_key'],
      ['an App without its installation', () => ({ credentialsDir: credentials({ github_app_id: APP_ID, github_app_private_key: PKCS1 }) }),
        'holds a GitHub App without github_app_installation_id'],
      ['no credentials folder', () => ({ credentialsDir: join(dir, 'absent') }),
        'cannot be read: ENOENT; is the credentials Secret mounted there?'],
      ['an empty PAT', () => ({ credentialsDir: credentials({ github_token: '\n' }) }), 'github_token is empty'],
      ['a key that is not PEM', () => ({ credentialsDir: credentials({ ...files(), github_app_private_key: 'not a key' }) }),
        'github_app_private_key must be the App\'s private key as GitHub issues it (PEM, PKCS#1 or PKCS#8, unencrypted): it does not parse'],
      ['an encrypted key', () => ({ credentialsDir: credentials({ ...files(), github_app_private_key: encrypted }) }),
        'it is encrypted with a passphrase'],
      ['an EC key', () => ({ credentialsDir: credentials({ ...files(), github_app_private_key: ecKey }) }),
        'must be an RSA private key (GitHub App keys are RSA), got a ec key'],
      ['an installation id that is not a number', () => ({ credentialsDir: credentials({ ...files(), github_app_installation_id: 'my-org' }) }),
        'github_app_installation_id must be the installation\'s number'],
      ['no GitHub URL', () => ({ config: { github: { credentialsDir: '/x' } } }), 'github.url is required: https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG'],
      ['a GitHub URL with a path too deep', () => ({ url: 'https://github.com/a/b/c' }),
        'github.url must be https://HOST/OWNER, https://HOST/OWNER/REPO or https://HOST/enterprises/SLUG, got "https://github.com/a/b/c"'],
      ['a GitHub URL with credentials', () => ({ url: 'https://user:hunter2@github.com/a' }), 'github.url must be https://HOST/OWNER'],
      ['no namespace', () => ({ env: { POD_NAMESPACE: undefined } }), 'POD_NAMESPACE is not set'],
      ['a Secret key with a slash', () => ({ secretKey: 'a/b' }), 'secretKey must be a Secret key'],
      ['a field the runtime does not know', () => ({ config: { secretNamespace: 'ci' } }), 'secretNamespace is not a known field'],
      ['no Kubernetes API', () => ({ kubernetes: { tokenFile: kubeTokenFile } }), 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set'],
      ['no ServiceAccount token', () => ({ kubernetes: { apiUrl: kube.url, tokenFile: join(dir, 'absent') } }), 'cannot be read: ENOENT'],
      ['a bad retry base', () => ({ config: { retryBaseDelayMs: 'soon' } }), 'retryBaseDelayMs must be a whole number from 0 to 60000, got "soon"'],
      ['a proxy that is not http(s)', () => ({ proxy: { url: 'socks5://u:hunter2@proxy:1080', noProxy: [] } }),
        'github.proxy.url must be an http(s) proxy URL such as http://proxy.corp:3128, got "socks5://***@proxy:1080"'],
    ])('%s', async (_, overrides, message) => {
      await startGitHub();
      const run = await refresh({ credentialsDir: appCredentials(), ...overrides() });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^token-refresher: configuration error: [^\n]*\n$/);
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toContain('hunter2');
      expect(github!.requests).toEqual([]);
      expect(kube.requests).toEqual([]);
    });
  });

  describe('the token refresher: TLS, as in the cluster', () => {
    const tlsTest = testIf(hasOpenssl, 'openssl (to make a test CA; apt-get install openssl)');

    tlsTest('the API server through KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount CA; GHES at https://HOST/api/v3 trusted through NODE_EXTRA_CA_CERTS', async () => {
      const pki = makePki(dir);
      await stopAndPut(synthesizedSecret(), { tls: { key: pki.serverKey, cert: pki.serverCert } });
      await startGitHub({ basePath: '/api/v3', tls: { key: pki.serverKey, cert: pki.serverCert } });
      const inCluster = {
        kubernetes: { tokenFile: kubeTokenFile, caFile: pki.caFile },
        // No apiUrl: the API base comes from the GHES URL.
        apiUrl: undefined,
        url: `https://127.0.0.1:${github!.port}/${ORG}`,
        credentialsDir: appCredentials(),
      };
      const podEnv = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(kube.port) };

      const run = await refresh({ ...inCluster, env: { ...podEnv, NODE_EXTRA_CA_CERTS: pki.caFile } });
      expect(run.code).toBe(0);
      expect(githubCalls()).toEqual([
        `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`,
        `POST /api/v3/orgs/${ORG}/actions/runners/registration-token`,
      ]);
      expect(storedToken()).toBe(github!.registrationTokens[0].token);

      const untrustedGitHub = await refresh({ ...inCluster, env: podEnv });
      expect(untrustedGitHub.code).toBe(1);
      expect(untrustedGitHub.stderr).toMatch(new RegExp(`^token-refresher: TLS: GitHub's API at https://127\\.0\\.0\\.1:${github!.port}/api/v3 is not trusted `
        + '\\(a server with a private CA needs NODE_EXTRA_CA_CERTS\\): '));
      expect(untrustedGitHub.stderr).not.toContain('retry');

      const untrustedKube = await refresh({ ...inCluster, kubernetes: { tokenFile: kubeTokenFile, caFile: pki.otherCaFile }, env: { ...podEnv, NODE_EXTRA_CA_CERTS: pki.caFile } });
      expect(untrustedKube.code).toBe(1);
      expect(untrustedKube.stderr).toMatch(new RegExp(`^token-refresher: TLS: the API server at https://127\\.0\\.0\\.1:${kube.port} is not trusted with the CA certificate ${pki.otherCaFile}: `));
      expect(storedToken()).toBe(github!.registrationTokens[0].token);
    });
  });

  describe('the token refresher behind a proxy, GHES with a private CA', () => {
    const proxyTest = testIf(hasOpenssl, 'openssl (to make a test CA; apt-get install openssl)');
    // github.test resolves only inside the proxy: a call that reached GitHub went through it.
    const GHES = 'github.test';
    let proxy: ConnectProxy | undefined;
    afterEach(async () => {
      await proxy?.stop();
      proxy = undefined;
    });

    async function corpNetwork(refuse = false) {
      const pki = makeServerPki(dir, GHES);
      if (github) await github.stop();
      await startGitHub({ basePath: '/api/v3', tls: { key: pki.key, cert: pki.cert } });
      proxy = new ConnectProxy({ [GHES]: '127.0.0.1' }, refuse);
      await proxy.start();
      const options: Options = {
        url: `https://${GHES}:${github!.port}/${ORG}`,
        apiUrl: undefined,
        credentialsDir: appCredentials(),
        // What the library renders: the fleet's noProxy (loopback first) and the cluster's own domains.
        proxy: { url: proxy.url, noProxy: ['localhost', '127.0.0.1', '::1', '.svc', '.cluster.local'] },
        env: { NODE_EXTRA_CA_CERTS: pki.caFile },
      };
      return { pki, options };
    }

    proxyTest('GitHub through a CONNECT tunnel, trusted through NODE_EXTRA_CA_CERTS; the Kubernetes API directly', async () => {
      const { options } = await corpNetwork();
      const run = await refresh(options);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(proxy!.connects).toEqual([`${GHES}:${github!.port}`, `${GHES}:${github!.port}`]);
      expect(githubCalls()).toEqual([
        `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`,
        `POST /api/v3/orgs/${ORG}/actions/runners/registration-token`,
      ]);
      expect(storedToken()).toBe(github!.registrationTokens[0].token);
      expect(kube.requestsOf('PATCH')).toHaveLength(1);
      expect(run.stdout).toContain(`token-refresher: GitHub's API: ${GHES}:${github!.port} through the proxy ${proxy!.url}\n`);
    });

    proxyTest('without the CA the TLS call fails, not retried, with a clear message; nothing stored', async () => {
      const { options } = await corpNetwork();
      const run = await refresh({ ...options, env: {} });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`TLS: GitHub's API at https://${GHES}:${github!.port}/api/v3 is not trusted (a server with a private CA needs NODE_EXTRA_CA_CERTS)`);
      expect(proxy!.connects).toEqual([`${GHES}:${github!.port}`]);
      expect(kube.requestsOf('PATCH')).toEqual([]);
    });

    proxyTest('noProxy exempts the host (here: then unresolvable); a proxy that refuses CONNECT is named without its userinfo', async () => {
      const { options } = await corpNetwork();
      const direct = await refresh({ ...options, proxy: { ...options.proxy!, noProxy: ['localhost', '.test'] } });
      expect(direct.code).toBe(1);
      expect(proxy!.connects).toEqual([]);
      expect(direct.stdout).toContain(`GitHub's API: ${GHES}:${github!.port} directly`);

      await proxy!.stop();
      proxy = new ConnectProxy({ [GHES]: '127.0.0.1' }, true);
      await proxy.start();
      const withUser = proxy.url.replace('http://', 'http://corp-user:S3cretProxyPass@');
      const refused = await refresh({ ...options, proxy: { ...options.proxy!, url: withUser } });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`the proxy ${proxy.url} refused CONNECT ${GHES}:${github!.port}: 403 Forbidden`);
      expect(proxy.authorizations).toEqual([]);
      for (const output of [refused.stdout, refused.stderr]) {
        expect(output).not.toContain('S3cretProxyPass');
        expect(output).not.toContain('corp-user');
      }

    });
  });
});
