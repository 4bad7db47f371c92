import { checksumInBody, compareVersions, type GitHubRelease, releaseFacts, versionOfTag } from '../../../lib/cluster/runtime/runner-releases';
import { swapRunnerPackage } from '../../../lib/cluster/refresh/runner-package';

const X64 = 'a'.repeat(64);
const ARM64 = 'b'.repeat(64);

/** A release body as actions/runner's release workflow fills releaseNote.md. */
function body(version: string, sums: Record<string, string>): string {
  return ['## Linux x64', '```', `curl -O -L https://github.com/actions/runner/releases/download/v${version}/actions-runner-linux-x64-${version}.tar.gz`, '```',
    '## SHA-256 Checksums', 'The SHA-256 checksums for the packages included in this build are shown below:',
    ...Object.entries(sums).map(([p, s]) => `- actions-runner-${p}-${version}.tar.gz <!-- BEGIN SHA ${p} -->${s}<!-- END SHA ${p} -->`)].join('\r\n');
}

function release(tag: string, text: string, extra: Partial<GitHubRelease> = {}): GitHubRelease {
  return { tag_name: tag, name: tag, body: text, draft: false, prerelease: false, published_at: '2026-10-06T15:04:05Z', ...extra };
}

describe('runner release facts', () => {
  test('reads the checksums from the marked blocks of the body', () => {
    const facts = releaseFacts(release('v2.338.0', body('2.338.0', { 'linux-x64': X64, 'linux-arm64': ARM64 })), ['linux-x64', 'linux-arm64']);
    expect(facts).toEqual({ version: '2.338.0', publishedAt: '2026-10-06T15:04:05Z', sha256: { 'linux-x64': X64, 'linux-arm64': ARM64 } });
  });

  test('refuses a release whose body has no checksum for a platform, naming it', () => {
    const facts = releaseFacts(release('v2.338.0', body('2.338.0', { 'linux-x64': X64 })), ['linux-x64', 'linux-arm64']);
    expect(facts).toEqual({ refused: expect.stringContaining('no SHA-256 for actions-runner-linux-arm64-2.338.0.tar.gz') });
  });

  test.each([
    ['the template placeholder', '<LINUX_X64_SHA>'],
    ['a short value', 'abc123'],
    ['upper-case hex', X64.toUpperCase()],
  ])('refuses %s in the block', (_, value) => {
    expect(releaseFacts(release('v2.338.0', body('2.338.0', { 'linux-x64': value })), ['linux-x64'])).toHaveProperty('refused');
  });

  test('refuses drafts, pre-releases, unpublished releases and tags that are not versions', () => {
    const text = body('2.338.0', { 'linux-x64': X64 });
    expect(releaseFacts(release('v2.338.0', text, { draft: true }), ['linux-x64'])).toEqual({ refused: '2.338.0 is a draft' });
    expect(releaseFacts(release('v2.338.0', text, { prerelease: true }), ['linux-x64'])).toEqual({ refused: '2.338.0 is a pre-release' });
    expect(releaseFacts(release('v2.338.0', text, { published_at: null }), ['linux-x64'])).toEqual({ refused: '2.338.0 has no publication date' });
    expect(releaseFacts(release('v2.338.0-rc1', text), ['linux-x64'])).toHaveProperty('refused');
    expect(releaseFacts(release('v2.338.0', null as unknown as string), ['linux-x64'])).toHaveProperty('refused');
  });

  test('a block without its end marker is no checksum', () => {
    expect(checksumInBody(`<!-- BEGIN SHA linux-x64 -->${X64}`, 'linux-x64')).toBeUndefined();
  });

  test('versions', () => {
    expect(versionOfTag('v2.334.0')).toBe('2.334.0');
    expect(versionOfTag('2.334.0')).toBe('2.334.0');
    expect(versionOfTag('v02.334.0')).toBeUndefined();
    expect(compareVersions('2.334.0', '2.338.0')).toBe(-1);
    expect(compareVersions('2.338.0', '2.334.0')).toBe(1);
    expect(compareVersions('2.99.0', '2.100.0')).toBe(-1);
    expect(compareVersions('2.338.0', '2.338.0')).toBe(0);
  });
});

describe('swapRunnerPackage', () => {
  const base = 'https://github.com/actions/runner/releases/download';
  const pkg = (v: string, s: string) => ({ version: v, sha256: s, downloadUrl: `${base}/v${v}/actions-runner-linux-x64-${v}.tar.gz` });

  test('replaces the URL, the checksum and the version, and nothing that only looks like it', () => {
    const text = `url='${base}/v2.33.0/actions-runner-linux-x64-2.33.0.tar.gz' sha='${X64}' version=2.33.0 other=12.33.0 more=2.33.01 v2.33.0.1`;
    expect(swapRunnerPackage(text, pkg('2.33.0', X64), pkg('2.338.0', ARM64)))
      .toBe(`url='${base}/v2.338.0/actions-runner-linux-x64-2.338.0.tar.gz' sha='${ARM64}' version=2.338.0 other=12.33.0 more=2.33.01 v2.33.0.1`);
  });
});
