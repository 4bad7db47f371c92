import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasShared, SHARED_DIR } from './util';
import { DEFAULT_RUNNER_VERSION, KNOWN_RUNNER_CHECKSUMS, RUNNER_RELEASES, RunnerArch, RunnerRelease } from '../lib';
import { compareVersions } from '../lib/cluster/runtime/runner-releases';

describe('RunnerRelease', () => {
  test('pins the published checksum of the default version', () => {
    const release = RunnerRelease.latestKnown();
    expect(release.version).toBe('2.338.0');
    expect(release.arch).toBe(RunnerArch.X64);
    expect(release.sha256).toBe('af4b794c1bc41d73d40535e3fe092a39f9679cd8d965954c2aca25a05ca41d32');
    expect(release.downloadUrl).toBe(
      'https://github.com/actions/runner/releases/download/v2.338.0/actions-runner-linux-x64-2.338.0.tar.gz');
  });

  test('arm64 has its own package and checksum', () => {
    const release = RunnerRelease.latestKnown(RunnerArch.ARM64);
    expect(release.sha256).toBe('628b4a7258487b80c1d3c221095a7ded349f5ae0175fd3dfab708d07428f041b');
    expect(release.downloadUrl).toMatch(/actions-runner-linux-arm64-2\.338\.0\.tar\.gz$/);
    expect(RunnerRelease.of('2.334.0', { arch: RunnerArch.ARM64 }).sha256).toBe('f44255bd3e80160eb25f71bc83d06ea025f6908748807a584687b3184759f7e4');
  });

  test('a release the table dates but has no checksum for still needs an explicit sha256', () => {
    expect(RUNNER_RELEASES['2.336.0'].published).toBe('2026-07-20');
    expect(() => RunnerRelease.of('2.336.0')).toThrow("RunnerRelease 'sha256' is required for runner 2.336.0 (x64)");
  });

  test('the table: dated, sourced, sorted, and the default is its newest release with both checksums', () => {
    const versions = Object.keys(RUNNER_RELEASES);
    expect([...versions].sort(compareVersions)).toEqual(versions);
    for (const [version, record] of Object.entries(RUNNER_RELEASES)) {
      expect(record.published).toMatch(/^20\d\d-\d\d-\d\d$/);
      expect(record.source.length).toBeGreaterThan(20);
      if (record.sha256) expect(Object.keys(KNOWN_RUNNER_CHECKSUMS)).toContain(version);
    }
    const published = versions.map((v) => RUNNER_RELEASES[v].published);
    expect([...published].sort()).toEqual(published);
    expect(DEFAULT_RUNNER_VERSION).toBe(versions.filter((v) => RUNNER_RELEASES[v].sha256).pop());
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

  // ../shared/data holds the checksums it has evidence for; the table's own source notes are the
  // evidence for the versions it adds. Where both have a version, they agree.
  (hasShared ? test : test.skip)('the pinned checksums of the versions in ../shared/data/actions-runner-releases.json equal it', () => {
    const data = JSON.parse(readFileSync(join(SHARED_DIR, 'data', 'actions-runner-releases.json'), 'utf8'));
    expect(Object.keys(data.releases).length).toBeGreaterThan(0);
    for (const [version, byPlatform] of Object.entries(data.releases)) {
      expect(RUNNER_RELEASES[version]?.sha256).toEqual(byPlatform);
    }
  });
});
