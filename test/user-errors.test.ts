import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as lib from '../lib';

// Mistakes a new user makes, refused on every kind they can make them on.

const TOKEN = { tokenSecretName: 'runner-token' };
const APP = { githubCredentialsSecret: 'github-app' };

/** Every kind that takes a GitHub `url`, built in `scope` with `props` over working ones. */
const URL_KINDS: Array<[string, (scope: Construct, props: Record<string, unknown>) => unknown]> = [
  ['RunnerChart', (_scope, props) => new lib.RunnerChart(Testing.app(), 'fleet', { url: 'https://github.com/acme', ...TOKEN, ...props })],
  ['RunnerPool', (scope, props) => new lib.RunnerPool(scope, 'pool', { url: 'https://github.com/acme', ...TOKEN, replicas: 1, ...props })],
  ['RunnerCloudInit', (scope, props) => new lib.RunnerCloudInit(scope, 'ci', { url: 'https://github.com/acme', ...props })],
  ['RunnerWarmPool', (scope, props) => new lib.RunnerWarmPool(scope, 'warm', {
    url: 'https://github.com/acme', ...TOKEN, replicas: 1, runnerImage: new lib.RunnerImage(Testing.chart(), 'image'), ...props,
  })],
  ['RunnerScaleSet', (scope, props) => new lib.RunnerScaleSet(scope, 'arc', {
    url: 'https://github.com/acme', ...APP, runnerImage: new lib.RunnerImage(Testing.chart(), 'image'), ...props,
  })],
  ['RunnerKedaScaleSet', (scope, props) => new lib.RunnerKedaScaleSet(scope, 'keda', {
    url: 'https://github.com/acme', runnerLabels: ['vm'], ...APP, runnerImage: new lib.RunnerImage(Testing.chart(), 'image'), ...props,
  })],
  ['RunnerTokenRefresher', (scope, props) => new lib.RunnerTokenRefresher(scope, 'refresher', { url: 'https://github.com/acme', ...APP, ...TOKEN, ...props })],
];

describe('www.github.com is github.com, not a GitHub Enterprise Server', () => {
  test.each(URL_KINDS)('%s refuses it, with or without capitals and a port, and says to write https://github.com/...', (kind, build) => {
    for (const url of ['https://www.github.com/acme', 'https://WWW.GitHub.com/acme', 'https://www.github.com:443/acme', 'https://www.github.com:8443/acme/app']) {
      expect(() => build(Testing.chart(), { url })).toThrow(`${kind} 'url' must not name www.github.com, which is github.com and not a GitHub Enterprise Server: `
        + `write https://github.com/... instead, got ${JSON.stringify(url)}`);
    }
    expect(() => build(Testing.chart(), { url: 'https://github.com/acme' })).not.toThrow();
    expect(() => build(Testing.chart(), { url: 'https://ghes.example.com/acme' })).not.toThrow();
  });

  test('GitHubScope.fromUrl says the same, and a www. GHES host stays a GHES host', () => {
    expect(() => lib.GitHubScope.fromUrl('https://www.github.com/enterprises/corp')).toThrow("GitHubScope 'url' must not name www.github.com");
    expect(lib.GitHubScope.fromUrl('https://www.ghes.example.com/acme').host).toBe('www.ghes.example.com');
  });
});
