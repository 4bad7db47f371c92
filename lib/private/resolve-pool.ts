import { EvictionStrategy } from '../kubevirt-options';
import { OsImage } from '../os-image';
import type { RunnerPoolProps } from '../runner-pool';
import { RunnerRelease } from '../runner-release';
import {
  ActiveHoursOptions, DEFAULT_ROOT_DISK_SIZE, MAX_REFRESHED_POOL_NAME_LENGTH, MAX_REPLICAS, MINIMUM_BOOT_DISK_SIZE, ResolvedActiveHours,
  ResolvedPool, ResolvedTokenRefresher, TokenRefresherOptions,
} from '../runner-spec';
import { checkOneCaSource, clusterNetworkOf } from './cluster-network';
import { cronProblem, timeZoneProblem } from './cron';
import { at, Naming, propLabel, show } from './naming';
import { DNS_LABEL_MAX_LENGTH } from './names';
import { DEFAULT_NODE_IMAGE, validateImageReference } from './node-image';
import { parseQuantity } from './quantity';
import { resolveGuest, validateBoolean } from './resolve-guest';
import { resolveNetworkPolicy } from './resolve-network-policy';
import { defaultEvictionStrategy, resolveSizing, resolveStorage, resolveVmOptions, validateBootImage, validateKubernetesLabels, validateName, validateSecretName } from './resolve-vm';

// The runner spec, part three: a whole pool, its token refresher, and a warm pool's active hours.

/** Checks a CronJob schedule; the error names the prop, the value and why. */
export function validateCron(naming: Naming, prop: string, schedule: unknown, example: string): string {
  const problem = typeof schedule === 'string' ? cronProblem(schedule) : 'it is not a string';
  if (problem !== undefined) {
    throw new Error(`${propLabel(naming, prop)} must be a cron schedule of five fields such as '${example}', got ${show(schedule)}: ${problem}`);
  }
  return schedule as string;
}

/** Validates a token refresher's options; `prop` is where they sit in the caller's props. */
export function resolveTokenRefresher(options: TokenRefresherOptions, naming: Naming, prop: string, tokenSecretName: string): ResolvedTokenRefresher {
  const where = (field: string) => (prop ? `${prop}.${field}` : field);
  const githubCredentialsSecret = validateSecretName(naming, where('githubCredentialsSecret'), options?.githubCredentialsSecret);
  if (githubCredentialsSecret === tokenSecretName) {
    throw new Error(`${propLabel(naming, where('githubCredentialsSecret'))} must not be the token Secret ${show(tokenSecretName)}: `
      + 'the App key or PAT must never reach a VM');
  }
  const schedule = validateCron(naming, where('schedule'), options.schedule ?? '*/30 * * * *', '*/30 * * * *');
  return Object.freeze({
    githubCredentialsSecret,
    schedule,
    image: validateImageReference(naming, where('image'), options.image ?? DEFAULT_NODE_IMAGE),
    deleteOfflineRunners: validateBoolean(naming, where('deleteOfflineRunners'), options.deleteOfflineRunners, false),
  });
}

/** Checks an IANA time zone name (Europe/Berlin, America/New_York, Etc/UTC) as the CronJob controller loads it. */
export function validateTimeZone(naming: Naming, prop: string, timeZone: unknown): string {
  const problem = timeZoneProblem(timeZone);
  if (problem !== undefined) {
    throw new Error(`${propLabel(naming, prop)} must be an IANA time zone name such as 'Europe/Berlin' or 'Etc/UTC', got ${show(timeZone)}${problem}`);
  }
  return timeZone as string;
}

/** Validates a warm pool's activeHours against its (active) `replicas`. */
export function resolveActiveHours(options: ActiveHoursOptions, naming: Naming, prop: string, replicas: number): ResolvedActiveHours {
  if (typeof options !== 'object' || options === null) {
    throw new Error(`${propLabel(naming, prop)} must be { start, end, timeZone?, offHoursReplicas? }, got ${show(options)}`);
  }
  const start = validateCron(naming, `${prop}.start`, options.start, '0 7 * * 1-5');
  const end = validateCron(naming, `${prop}.end`, options.end, '0 19 * * 1-5');
  if (start === end) {
    throw new Error(`${propLabel(naming, `${prop}.end`)} must differ from '${at(naming, `${prop}.start`)[1]}', got ${show(end)} for both: `
      + 'two CronJobs at the same minute would race');
  }
  if (replicas < 1) {
    throw new Error(`${propLabel(naming, prop)} needs 'replicas' of at least 1 (the size during active hours), got ${replicas}`);
  }
  const offHoursReplicas = options.offHoursReplicas ?? 0;
  if (typeof offHoursReplicas !== 'number' || !Number.isInteger(offHoursReplicas) || offHoursReplicas < 0 || offHoursReplicas >= replicas) {
    throw new Error(`${propLabel(naming, `${prop}.offHoursReplicas`)} must be an integer from 0 to ${replicas - 1} (less than 'replicas'), `
      + `got ${show(offHoursReplicas)}`);
  }
  return Object.freeze({
    start,
    end,
    timeZone: validateTimeZone(naming, `${prop}.timeZone`, options.timeZone ?? 'Etc/UTC'),
    offHoursReplicas,
    image: validateImageReference(naming, `${prop}.image`, options.image ?? DEFAULT_NODE_IMAGE),
  });
}

/** Defaults that depend on where the pool sits in the construct tree. */
export interface PoolDefaults {
  /** A name derived from the construct path, at most `maxLength` long. */
  readonly name: (maxLength: number) => string;
  /** The enclosing chart's namespace. */
  readonly namespace: string;
}

/** Validates a whole pool: every runner prop once, and the parts against each other. */
export function resolvePool(props: RunnerPoolProps, naming: Naming, defaults: PoolDefaults): ResolvedPool {
  const replicas = props.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new Error(`${propLabel(naming, 'replicas')} must be an integer from 1 to ${MAX_REPLICAS}, got ${show(replicas)}`);
  }
  // The longest derived name, `<pool>-<N-1>-root` (`-docker` with a Docker disk), must still be a DNS label.
  const maxName = DNS_LABEL_MAX_LENGTH - `-${replicas - 1}-${props.dockerDataDisk !== undefined ? 'docker' : 'root'}`.length;
  const name = validateName(naming, 'name', props.name ?? defaults.name(maxName), maxName);
  const namespace = validateName(naming, 'namespace', props.namespace ?? defaults.namespace);
  const release = props.release ?? RunnerRelease.latestKnown();
  if (!RunnerRelease.isRunnerRelease(release)) {
    throw new Error(`${propLabel(naming, 'release')} must be a RunnerRelease (RunnerRelease.of('2.334.0')), got ${JSON.stringify(props.release)}`);
  }
  const image = validateBootImage(naming, 'image', props.image ?? OsImage.ubuntu2404({ arch: release.arch }), release);
  const guest = resolveGuest({ ...props, release, distribution: image.distribution }, naming);
  const rootDisk = resolveStorage(props.rootDisk ?? { size: DEFAULT_ROOT_DISK_SIZE }, naming, 'rootDisk', MINIMUM_BOOT_DISK_SIZE);
  const goldenImage = image.isImport
    ? resolveStorage({ ...rootDisk, accessModes: [...rootDisk.accessModes], ...(props.goldenImage ?? {}) }, naming, 'goldenImage', MINIMUM_BOOT_DISK_SIZE)
    : undefined;
  if (goldenImage && parseQuantity(goldenImage.size)! > parseQuantity(rootDisk.size)!) {
    throw new Error(`${propLabel(naming, 'goldenImage.size')} ${goldenImage.size} is larger than '${at(naming, 'rootDisk.size')[1]}' ${rootDisk.size}: `
      + 'CDI cannot clone a volume into a smaller one');
  }
  const tokenSecretName = validateSecretName(naming, 'tokenSecretName', props.tokenSecretName);
  if (props.tokenRefresher !== undefined && name.length > MAX_REFRESHED_POOL_NAME_LENGTH) {
    throw new Error(`${propLabel(naming, 'name')} must be at most ${MAX_REFRESHED_POOL_NAME_LENGTH} characters with a 'tokenRefresher' `
      + `(its CronJob is '<name>-refresher', and Kubernetes allows CronJob names of 52), got ${show(name)}`);
  }
  const sizing = resolveSizing({ ...props, evictionStrategy: props.evictionStrategy ?? defaultEvictionStrategy(props, EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE) }, naming);
  if (props.tokenRefresher !== undefined) checkOneCaSource(naming, clusterNetworkOf(guest), 'the token refresher');
  return Object.freeze({
    name,
    namespace,
    replicas,
    guest,
    image,
    rootDisk,
    goldenImage,
    sizing,
    vmOptions: resolveVmOptions(props, naming, { sizing, arch: release.arch, oneJob: false, guest: { setup: guest } }),
    tokenSecretName,
    vmLabels: validateKubernetesLabels(naming, 'vmLabels', props.vmLabels),
    networkPolicy: resolveNetworkPolicy(props.networkPolicy, naming),
    ...(props.tokenRefresher !== undefined ? { tokenRefresher: resolveTokenRefresher(props.tokenRefresher, naming, 'tokenRefresher', tokenSecretName) } : {}),
  });
}
