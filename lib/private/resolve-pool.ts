import { OsImage } from '../os-image';
import type { RunnerPoolProps } from '../runner-pool';
import { RunnerRelease } from '../runner-release';
import {
  DEFAULT_ROOT_DISK_SIZE, MAX_REFRESHED_POOL_NAME_LENGTH, MAX_REPLICAS, MINIMUM_BOOT_DISK_SIZE, ResolvedPool, ResolvedTokenRefresher,
  TokenRefresherOptions,
} from '../runner-spec';
import { at, Naming, propLabel, show } from './naming';
import { DNS_LABEL_MAX_LENGTH } from './names';
import { DEFAULT_NODE_IMAGE, validateImageReference } from './node-image';
import { parseQuantity } from './quantity';
import { resolveGuest, validateBoolean } from './resolve-guest';
import { resolveNetworkPolicy } from './resolve-network-policy';
import { resolveSizing, resolveStorage, validateBootImage, validateKubernetesLabels, validateName, validateSecretName } from './resolve-vm';

// The runner spec, part three: a whole pool, and its token refresher.

// Five fields of a standard cron schedule, or a macro; no seconds field, nothing a shell would read.
const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|([0-9*,/-]+) ([0-9*,/-]+) ([0-9*,/-]+|\?) ([0-9*,/-]+|[A-Za-z]{3}) ([0-9*,/-]+|[A-Za-z]{3}|\?))$/;

/** Validates a token refresher's options; `prop` is where they sit in the caller's props. */
export function resolveTokenRefresher(options: TokenRefresherOptions, naming: Naming, prop: string, tokenSecretName: string): ResolvedTokenRefresher {
  const where = (field: string) => (prop ? `${prop}.${field}` : field);
  const githubCredentialsSecret = validateSecretName(naming, where('githubCredentialsSecret'), options?.githubCredentialsSecret);
  if (githubCredentialsSecret === tokenSecretName) {
    throw new Error(`${propLabel(naming, where('githubCredentialsSecret'))} must not be the token Secret ${show(tokenSecretName)}: `
      + 'the App key or PAT must never reach a VM');
  }
  const schedule = options.schedule ?? '*/30 * * * *';
  if (typeof schedule !== 'string' || !CRON.test(schedule)) {
    throw new Error(`${propLabel(naming, where('schedule'))} must be a cron schedule of five fields such as '*/30 * * * *', got ${show(schedule)}`);
  }
  return Object.freeze({
    githubCredentialsSecret,
    schedule,
    image: validateImageReference(naming, where('image'), options.image ?? DEFAULT_NODE_IMAGE),
    deleteOfflineRunners: validateBoolean(naming, where('deleteOfflineRunners'), options.deleteOfflineRunners, false),
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
  // The longest derived name, `<pool>-<N-1>-root`, must still be a DNS label.
  const maxName = DNS_LABEL_MAX_LENGTH - `-${replicas - 1}-root`.length;
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
  return Object.freeze({
    name,
    namespace,
    replicas,
    guest,
    image,
    rootDisk,
    goldenImage,
    sizing: resolveSizing(props, naming),
    tokenSecretName,
    vmLabels: validateKubernetesLabels(naming, 'vmLabels', props.vmLabels),
    networkPolicy: resolveNetworkPolicy(props.networkPolicy, naming),
    ...(props.tokenRefresher !== undefined ? { tokenRefresher: resolveTokenRefresher(props.tokenRefresher, naming, 'tokenRefresher', tokenSecretName) } : {}),
  });
}
