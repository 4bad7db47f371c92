import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasShared, SHARED_DIR } from './util';
import { DEFAULT_RUNNER_VERSION, KNOWN_RUNNER_CHECKSUMS, RunnerArch, RunnerRelease } from '../lib';

describe('RunnerRelease', () => {
  test('pins the published checksum of the default version', () => {
    const release = RunnerRelease.latestKnown();
    expect(release.version).toBe('2.334.0');
    expect(release.arch).toBe(RunnerArch.X64);
    expect(release.sha256).toBe('048024cd2c848eb6f14d5646d56c13a4def2ae7ee3ad12122bee960c56f3d271');
    expect(release.downloadUrl).toBe(
      'https://github.com/actions/runner/releases/download/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz');
  });

  test('arm64 has its own package and checksum', () => {
    const release = RunnerRelease.of('2.334.0', { arch: RunnerArch.ARM64 });
    expect(release.sha256).toBe('f44255bd3e80160eb25f71bc83d06ea025f6908748807a584687b3184759f7e4');
    expect(release.downloadUrl).toMatch(/actions-runner-linux-arm64-2\.334\.0\.tar\.gz$/);
  });

  test('an unknown version needs an explicit sha256', () => {
    expect(() => RunnerRelease.of('2.335.0')).toThrow(
      "RunnerRelease 'sha256' is required for runner 2.335.0 (x64): the library has no pinned checksum for it");
    const sha256 = 'a'.repeat(64);
    expect(RunnerRelease.of('2.335.0', { sha256 }).sha256).toBe(sha256);
  });

  test('a mirror replaces the download base, not the layout', () => {
    const release = RunnerRelease.of('2.334.0', { downloadBaseUrl: 'http://mirror.internal:8080/runner/' });
    expect(release.downloadUrl).toBe('http://mirror.internal:8080/runner/v2.334.0/actions-runner-linux-x64-2.334.0.tar.gz');
  });

  test.each([
    [() => RunnerRelease.of('2.334'), "RunnerRelease 'version' must be a release version such as '2.334.0', got \"2.334\""],
    [() => RunnerRelease.of('v2.334.0'), "'version' must be a release version"],
    [() => RunnerRelease.of('2.334.0; rm -rf /'), "'version' must be a release version"],
    [() => RunnerRelease.of('2.334.0', { arch: 's390x' as RunnerArch }), "RunnerRelease 'arch' must be one of x64, arm64, got \"s390x\""],
    [() => RunnerRelease.of('2.334.0', { sha256: 'ABC' }), "RunnerRelease 'sha256' must be 64 lower-case hex digits"],
    [() => RunnerRelease.of('2.334.0', { downloadBaseUrl: 'ftp://x' }), "RunnerRelease 'downloadBaseUrl' must be a URL (https, http); the scheme \"ftp:\" is not accepted"],
    [() => RunnerRelease.of('2.334.0', { downloadBaseUrl: "https://x/'$(id)'" }), "'downloadBaseUrl' must be a URL (https, http); it may only hold letters"],
  ])('rejects bad input %#', (make, message) => {
    expect(make).toThrow(message);
  });

  test('compares versions numerically', () => {
    const release = RunnerRelease.of('2.334.0');
    expect(release.isOlderThan('2.329.0')).toBe(false);
    expect(release.isOlderThan('2.334.0')).toBe(false);
    expect(release.isOlderThan('2.1000.0')).toBe(true);
    expect(release.isOlderThan('3.0.0')).toBe(true);
  });

  (hasShared ? test : test.skip)('the pinned checksums equal ../shared/data/actions-runner-releases.json', () => {
    const data = JSON.parse(readFileSync(join(SHARED_DIR, 'data', 'actions-runner-releases.json'), 'utf8'));
    const ours = Object.fromEntries(Object.entries(KNOWN_RUNNER_CHECKSUMS).map(([version, byArch]) =>
      [version, Object.fromEntries(Object.entries(byArch).map(([arch, sha]) => [`linux-${arch}`, sha]))]));
    expect(ours).toEqual(data.releases);
    expect(Object.keys(data.releases)).toContain(DEFAULT_RUNNER_VERSION);
  });
});
