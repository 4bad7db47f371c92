import { GitHubScope } from '../github';
import { TreeDefaults } from '../private/names';
import { at, Naming, propLabel, show } from '../private/naming';
import { DEFAULT_NODE_IMAGE, validateImageReference } from '../private/node-image';
import { DEFAULT_TOKEN_KEY } from '../private/token-disk';
import { validateBoolean, validateCron, validateName, validateSecretKey, validateSecretName } from '../private/validators';
import { checkOneCaSource, ClusterNetwork, clusterNetworkOf } from './cluster-network';
import { resolveCaCertificates, resolveKeyReference, resolveProxy } from './network';
import { RunnerSetupOptions, TokenRefresherOptions } from './options';
import { ResolvedTokenRefresher } from './resolved';
import { seal, Sealed } from './sealed';
import { checkFreeText } from '../private/free-text';

/** Props of RunnerTokenRefresher. */
export interface RunnerTokenRefresherProps extends TokenRefresherOptions, Pick<RunnerSetupOptions, 'proxy' | 'caCertificates' | 'caCertificatesFrom'> {
  /** The GitHub URL the runners register with (repository, organization or enterprise; github.com or GHES). */
  readonly url: string;
  /** The Secret the runner VMs read their registration token from; the refresher owns it (it is synthesized empty). */
  readonly tokenSecretName: string;
  /** Key of the token in that Secret. @default 'token' */
  readonly tokenSecretKey?: string;
  /**
   * Delete offline runners named `<prefix>-…` (with `deleteOfflineRunners`), a pool's VM names.
   * @default - the refresher's own name
   */
  readonly runnerNamePrefix?: string;
  /** Name of the refresher's objects (the CronJob, its ServiceAccount, Role, ConfigMap); at most 52 characters. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the refresher and of the token Secret. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
}

/** What a RunnerTokenRefresher renders. */
export type RefresherSpec = Sealed<'token-refresher', {
  readonly name: string;
  readonly namespace: string;
  readonly url: string;
  readonly tokenSecretName: string;
  readonly tokenKey: string;
  readonly runnerNamePrefix: string;
  readonly options: ResolvedTokenRefresher;
  /** The proxy and extra CA for the calls to GitHub (a fleet's own settings). */
  readonly network?: ClusterNetwork;
  /** A warm pool's refresher also reads its VMs' serial consoles for a deprecated runner (WarmPoolConsoles in lib/cluster/contract.ts). */
  readonly warmPool?: RefresherWarmPool;
}>;

/** The warm pool whose VMs' consoles a refresher reads: the pool, and the label selector of its VMs' virt-launcher pods. */
export interface RefresherWarmPool {
  readonly pool: string;
  readonly podSelector: string;
}

const NAMING: Naming = { owner: 'RunnerTokenRefresher' };
/** Kubernetes limits CronJob names to 52 characters (the Jobs it creates add 11). */
const MAX_CRONJOB_NAME_LENGTH = 52;

/** Validates a token refresher's options; `prop` is where they sit in the caller's props ('' at the top). */
export function resolveTokenRefresherOptions(options: TokenRefresherOptions, naming: Naming, prop: string, tokenSecretName: string): ResolvedTokenRefresher {
  const where = (field: string) => (prop ? `${prop}.${field}` : field);
  const githubCredentialsSecret = validateSecretName(naming, where('githubCredentialsSecret'), options?.githubCredentialsSecret);
  if (githubCredentialsSecret === tokenSecretName) {
    throw new Error(`${propLabel(naming, where('githubCredentialsSecret'))} must not be the token Secret ${show(tokenSecretName)}: `
      + 'the App key or PAT must never reach a VM');
  }
  return Object.freeze({
    githubCredentialsSecret,
    schedule: validateCron(naming, where('schedule'), options.schedule ?? '*/30 * * * *', '*/30 * * * *'),
    containerImage: validateImageReference(naming, where('containerImage'), options.containerImage ?? DEFAULT_NODE_IMAGE),
    deleteOfflineRunners: validateBoolean(naming, where('deleteOfflineRunners'), options.deleteOfflineRunners, false),
  });
}

/** A RunnerTokenRefresher made alone: its own props. */
export function resolveTokenRefresher(props: RunnerTokenRefresherProps, defaults: TreeDefaults): RefresherSpec {
  checkFreeText(NAMING, props);
  const name = validateName(NAMING, 'name', props.name ?? defaults.name(MAX_CRONJOB_NAME_LENGTH), MAX_CRONJOB_NAME_LENGTH);
  const tokenSecretName = validateSecretName(NAMING, 'tokenSecretName', props.tokenSecretName);
  const network = clusterNetworkOf({
    proxy: resolveProxy(NAMING, props.proxy),
    caCertificates: resolveCaCertificates(NAMING, props.caCertificates),
    caCertificatesFrom: resolveKeyReference(NAMING, 'caCertificatesFrom', props.caCertificatesFrom),
  });
  checkOneCaSource(NAMING, network, 'the token refresher');
  return seal('token-refresher', {
    name,
    namespace: validateName(NAMING, 'namespace', props.namespace ?? defaults.namespace),
    url: GitHubScope.fromUrl(props.url, ...at(NAMING, 'url')).url,
    tokenSecretName,
    tokenKey: validateSecretKey(NAMING, 'tokenSecretKey', props.tokenSecretKey ?? DEFAULT_TOKEN_KEY),
    runnerNamePrefix: validateName(NAMING, 'runnerNamePrefix', props.runnerNamePrefix ?? name),
    options: resolveTokenRefresherOptions(props, NAMING, '', tokenSecretName),
    network,
  });
}

/** The refresher of a fleet (`<fleet>-refresher`) whose resolver validated its options and network. */
export function fleetRefresherSpec(fleet: {
  readonly name: string; readonly namespace: string; readonly url: string; readonly tokenSecretName: string; readonly tokenKey: string;
  readonly options: ResolvedTokenRefresher; readonly network: ClusterNetwork; readonly warmPool?: RefresherWarmPool;
}): RefresherSpec {
  return seal('token-refresher', {
    name: `${fleet.name}-refresher`,
    namespace: fleet.namespace,
    url: fleet.url,
    tokenSecretName: fleet.tokenSecretName,
    tokenKey: fleet.tokenKey,
    runnerNamePrefix: fleet.name,
    options: fleet.options,
    network: fleet.network,
    ...(fleet.warmPool ? { warmPool: fleet.warmPool } : {}),
  });
}
