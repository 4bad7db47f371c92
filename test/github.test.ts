import { GitHubScope, GitHubScopeKind } from '../lib';
import { validateLabels, validateRunnerGroup } from '../lib/private/github-rules';

describe('GitHubScope.fromUrl', () => {
  test.each([
    ['https://github.com/acme', GitHubScopeKind.ORGANIZATION, 'https://github.com/acme', 'acme'],
    ['https://github.com/acme/', GitHubScopeKind.ORGANIZATION, 'https://github.com/acme', 'acme'],
    ['https://github.com/acme/web-app', GitHubScopeKind.REPOSITORY, 'https://github.com/acme/web-app', 'acme/web-app'],
    ['https://github.com/acme/my.repo_1', GitHubScopeKind.REPOSITORY, 'https://github.com/acme/my.repo_1', 'acme/my.repo_1'],
    ['https://github.com/enterprises/big-corp', GitHubScopeKind.ENTERPRISE, 'https://github.com/enterprises/big-corp', 'big-corp'],
    ['https://ghes.example.com/acme/app', GitHubScopeKind.REPOSITORY, 'https://ghes.example.com/acme/app', 'acme/app'],
    ['https://ghes.example.com:8443/acme', GitHubScopeKind.ORGANIZATION, 'https://ghes.example.com:8443/acme', 'acme'],
    ['https://GHES.example.com/enterprises/corp', GitHubScopeKind.ENTERPRISE, 'https://ghes.example.com/enterprises/corp', 'corp'],
  ])('%s is a %s scope', (url, kind, normalized, path) => {
    const scope = GitHubScope.fromUrl(url);
    expect(scope.kind).toBe(kind);
    expect(scope.url).toBe(normalized);
    expect(scope.path).toBe(path);
  });

  test('tells github.com from GitHub Enterprise Server', () => {
    expect(GitHubScope.fromUrl('https://github.com/acme').isGitHubDotCom).toBe(true);
    expect(GitHubScope.fromUrl('https://github.example.com/acme').isGitHubDotCom).toBe(false);
  });

  test.each([
    ['http://github.com/acme', 'the scheme "http:" is not accepted'],
    ['github.com/acme', 'is not a URL'],
    ['https://github.com', 'must name an owner'],
    ['https://github.com/', 'must name an owner'],
    ['https://github.com/a/b/c', 'must name an owner'],
    ['https://github.com/acme?x=1', 'must not have a query'],
    ['https://github.com/acme#top', 'must not have a fragment'],
    ['https://user:pw@github.com/acme', 'must not contain credentials'],
    ['https://github.com/-acme', 'invalid owner'],
    ['https://github.com/ac;me', 'invalid owner'],
    ['https://github.com/acme/re$po', 'invalid repository'],
    ['https://github.com/acme/repo.git', 'invalid repository'],
    ['https://github.com/enterprises', 'invalid owner'],
    ['https://github.com/enterprises/Big_Corp', 'invalid enterprise slug'],
    ['https://github.com//acme', 'empty path segments'],
    ['https://a$(id)b.com/acme', 'is not a DNS name'],
    ["https://a'b.com/acme", 'is not a DNS name'],
    ['https://x&y!{z}.com/acme', 'is not a DNS name'],
    ['https://-bad.example.com/acme', 'is not a DNS name'],
    ['https://0/acme', 'URL parsing would rewrite it to "https://0.0.0.0/acme"'],
    ['https://github.com:443/acme', 'URL parsing would rewrite it'],
    ['https://github.com/acme/../other', 'URL parsing would rewrite it to "https://github.com/other"'],
    ['https://github.com/acme/%2e%2e/other', 'URL parsing would rewrite it to "https://github.com/other"'],
    ['https://github.com/acme\\app', 'URL parsing would rewrite it'],
    ['https://github.com/ac\tme', 'URL parsing would rewrite it'],
  ])('rejects %s: %s', (url, why) => {
    expect(() => GitHubScope.fromUrl(url, 'RunnerChart', 'url')).toThrow(`RunnerChart 'url' `);
    expect(() => GitHubScope.fromUrl(url, 'RunnerChart', 'url')).toThrow(why);
    // The value is quoted back, but never a credential in it.
    expect(() => GitHubScope.fromUrl(url, 'RunnerChart', 'url')).toThrow(JSON.stringify(url.replace(/\/\/[^/@]*@/, '//***@')));
  });

  test('never repeats a credential in an error', () => {
    expect(() => GitHubScope.fromUrl('https://x-access-token:ghs_secret123@github.com/acme')).toThrow(/credentials/);
    expect(() => GitHubScope.fromUrl('https://x-access-token:ghs_secret123@github.com/acme')).not.toThrow(/ghs_secret123/);
  });
});

describe('validateLabels', () => {
  test('accepts letters of any script, digits, dots, dashes and underscores', () => {
    const labels = ['gpu', 'ubuntu-24.04', 'x64_large', 'größe', '日本語', 'v1.2'];
    expect(validateLabels('X', 'labels', labels)).toEqual(labels);
  });

  test('accepts up to 100 labels and 256 characters each', () => {
    expect(validateLabels('X', 'labels', Array.from({ length: 100 }, (_, i) => `l${i}`))).toHaveLength(100);
    expect(validateLabels('X', 'labels', ['a'.repeat(256)])).toHaveLength(1);
  });

  test.each([
    [[''], 'empty label'],
    [['a,b'], 'may only contain'],
    [['a b'], 'may only contain'],
    [['x;rm -rf /'], 'may only contain'],
    [['$(reboot)'], 'may only contain'],
    [["it's"], 'may only contain'],
    [['tab\there'], 'may only contain'],
    [['gpu', 'GPU'], 'twice'],
    [['a'.repeat(257)], 'at most 256'],
    [Array.from({ length: 101 }, (_, i) => `l${i}`), 'at most 100'],
  ])('rejects %j (%s)', (labels, why) => {
    expect(() => validateLabels('RunnerChart', 'labels', labels)).toThrow(`RunnerChart 'labels'`);
    expect(() => validateLabels('RunnerChart', 'labels', labels)).toThrow(why);
  });
});

describe('validateRunnerGroup', () => {
  test.each(['Default', 'linux runners', 'ci_2'])('accepts %j', (group) => {
    expect(validateRunnerGroup('X', 'runnerGroup', group)).toBe(group);
  });

  test.each(['', ' lead', 'trail ', 'a;b', 'a\nb', 'x'.repeat(129)])('rejects %j', (group) => {
    expect(() => validateRunnerGroup('X', 'runnerGroup', group)).toThrow(/X 'runnerGroup' must be/);
  });
});
