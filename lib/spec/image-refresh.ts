import { Duration } from 'cdk8s';
import { Naming, propLabel, show } from '../private/naming';
import { DEFAULT_NODE_IMAGE, validateImageReference } from '../private/node-image';
import { validateUrl } from '../private/url';
import { validateBoolean, validateCron, validateDuration, validateInteger, validateTimeZone } from '../private/validators';
import type { RunnerRelease } from '../runner-release';
import { checkOneCaSource, clusterNetworkOf } from './cluster-network';
import { ResolvedSetup } from './resolved';

// A RunnerImage's `refresh`: the image refresher (lib/cluster/entries/image-refresher.ts) re-bakes the
// image in the cluster on a schedule, with the newest (or a pinned) runner release and the
// distribution's updates, and points the fleet at the new volume. Validated here, once.

/**
 * How a RunnerImage keeps itself current in the cluster: a CronJob `<name>-refresh` looks up the
 * runner release (its SHA-256 from the release notes), bakes a new volume from the base image with
 * the distribution's updates, and, once that bake succeeded, points the fleet at it (the ConfigMap
 * `<name>-current`, which the launchers read per job; the warm pools' templates). A failure changes
 * nothing and leaves an Event.
 */
export interface RunnerImageRefreshOptions {
  /**
   * Re-bake on `schedule`. On by default: GitHub stops giving jobs to a runner that has not installed
   * a new release within 30 days of it, and nothing else ever re-bakes an image, so a per-job fleet
   * left alone would silently stop getting jobs a month after the next runner release.
   * @default true
   */
  readonly enabled?: boolean;
  /** When to look for a newer runner and re-bake: a cron schedule in `timeZone`. @default '17 3 * * *' (every day at 03:17) */
  readonly schedule?: string;
  /** The time zone of `schedule`, an IANA name. @default 'Etc/UTC' */
  readonly timeZone?: string;
  /**
   * Bake this runner version (for example '2.338.0') instead of the newest release; not older than
   * the image's `release`. Once it is baked, a refresh finds nothing newer and bakes no more (and so
   * installs no more distribution updates) until you change it.
   * @default - the newest release
   */
  readonly runnerVersion?: string;
  /** Refreshed images kept besides the current one, for a quick way back (0 to 10); an older one is deleted once nothing uses it. @default 2 */
  readonly keep?: number;
  /** How long one bake may take before the refresh fails and changes nothing (1 minute to 24 hours). @default Duration.hours(1) */
  readonly bakeTimeout?: Duration;
  /**
   * The releases API of actions/runner, or a mirror that answers in its wire format (an air-gapped
   * cluster; the release notes must carry the SHA-256 lines). The image's `proxy` and CA apply.
   * @default 'https://api.github.com/repos/actions/runner/releases'
   */
  readonly releasesApiUrl?: string;
  /** The container image that runs the refresher. @default 'node:26.12.1-alpine' */
  readonly containerImage?: string;
}

/** A RunnerImage's refresh, validated. */
export interface ResolvedImageRefresh {
  readonly schedule: string;
  readonly timeZone: string;
  readonly runnerVersion?: string;
  readonly keep: number;
  /** Seconds. */
  readonly bakeTimeout: number;
  readonly releasesApiUrl?: string;
  readonly containerImage: string;
}

/** The default schedule: once a day, at a fixed minute off the hour (every synth writes the same). */
export const DEFAULT_REFRESH_SCHEDULE = '17 3 * * *';
/**
 * The longest image name with refresh on: the CronJob `<name>-refresh` (Kubernetes: at most 52
 * characters). Not `-refresher`: a warm pool's token refresher is `<pool>-refresher`, and an image and
 * its pool often share a name.
 */
export const MAX_REFRESHED_IMAGE_NAME_LENGTH = 52 - '-refresh'.length;

const VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const MAX_BAKE_TIMEOUT = 86400;

/** Whether `refresh` is on (before the rest is validated: the image's name limit depends on it). */
export function refreshEnabled(naming: Naming, options: RunnerImageRefreshOptions | undefined): boolean {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new Error(`${propLabel(naming, 'refresh')} must be { enabled?, schedule?, runnerVersion?, keep?, ... }, got ${show(options)}`);
  }
  return validateBoolean(naming, 'refresh.enabled', options?.enabled, true);
}

/** Validates an enabled `refresh` against the image's release and set-up (the refresher reaches GitHub through the image's proxy and CA). */
export function resolveImageRefresh(naming: Naming, options: RunnerImageRefreshOptions, release: RunnerRelease, setup: ResolvedSetup): ResolvedImageRefresh {
  const runnerVersion = options.runnerVersion;
  if (runnerVersion !== undefined) {
    if (typeof runnerVersion !== 'string' || !VERSION.test(runnerVersion)) {
      throw new Error(`${propLabel(naming, 'refresh.runnerVersion')} must be a release version such as '2.338.0', got ${show(runnerVersion)}`);
    }
    if (runnerVersion !== release.version && !release.isOlderThan(runnerVersion)) {
      throw new Error(`${propLabel(naming, 'refresh.runnerVersion')} must not be older than the image's release ${release.version} `
        + `(the refresher never goes back to an older runner), got ${show(runnerVersion)}`);
    }
  }
  checkOneCaSource(naming, clusterNetworkOf(setup), 'the image refresher');
  const releasesApiUrl = options.releasesApiUrl === undefined ? undefined
    : validateUrl(naming.owner, 'refresh.releasesApiUrl', options.releasesApiUrl, { protocols: ['https:', 'http:'], base: true }).text;
  const bakeTimeout = validateDuration(naming, 'refresh.bakeTimeout', options.bakeTimeout ?? Duration.hours(1), 'Duration.hours(1)');
  if (bakeTimeout < 60 || bakeTimeout > MAX_BAKE_TIMEOUT) {
    throw new Error(`${propLabel(naming, 'refresh.bakeTimeout')} must be from 1 minute to 24 hours, got ${bakeTimeout} seconds`);
  }
  return Object.freeze({
    schedule: validateCron(naming, 'refresh.schedule', options.schedule ?? DEFAULT_REFRESH_SCHEDULE, DEFAULT_REFRESH_SCHEDULE),
    timeZone: validateTimeZone(naming, 'refresh.timeZone', options.timeZone ?? 'Etc/UTC'),
    ...(runnerVersion !== undefined ? { runnerVersion } : {}),
    keep: validateInteger(naming, 'refresh.keep', options.keep ?? 2, 0, 10),
    bakeTimeout,
    ...(releasesApiUrl !== undefined ? { releasesApiUrl } : {}),
    containerImage: validateImageReference(naming, 'refresh.containerImage', options.containerImage ?? DEFAULT_NODE_IMAGE),
  });
}
