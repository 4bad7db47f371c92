import { Duration } from 'cdk8s';
import { validateLabels } from '../private/github-rules';
import { TreeDefaults } from '../private/names';
import { at, Naming, propLabel } from '../private/naming';
import { validateDuration, validateEnum } from '../private/validators';
import { checkOneCaSource, clusterNetworkOf } from './cluster-network';
import { IRunnerImage } from './image';
import { RunnerNetworkPolicyOptions } from './network-policy';
import { RunnerVmOptions, RunnerVmSizeOptions } from './options';
import { PerJobSpec, resolvePerJob } from './per-job';
import { checkFreeText } from '../private/free-text';

/** What the GitHub credentials Secret holds. */
export enum GitHubCredentialsKind {
  /** A GitHub App: `github_app_id` (the numeric App ID: KEDA reads it as a number), `github_app_installation_id`, `github_app_private_key`. */
  APP = 'app',
  /** A personal access token: `github_token`. */
  PAT = 'pat',
}

/** Props of RunnerKedaScaleSet. */
export interface RunnerKedaScaleSetProps extends Pick<RunnerVmSizeOptions, 'cpu' | 'memory'>, RunnerVmOptions {
  /** GitHub URL of the runners: `https://github.com/OWNER[/REPO]` or `https://github.com/enterprises/SLUG`, or the same on a GHES host. */
  readonly url: string;
  /**
   * Name of the Secret, created out of band in the image's namespace, with a GitHub App
   * (`github_app_id`, `github_app_installation_id`, `github_app_private_key`) or a PAT (`github_token`).
   * KEDA's scaler and the launcher pods read it; it never reaches a VM.
   */
  readonly githubCredentialsSecret: string;
  /** Whether the Secret holds a GitHub App or a PAT. @default GitHubCredentialsKind.APP */
  readonly githubCredentialsKind?: GitHubCredentialsKind;
  /** The baked RunnerImage every job's VM boots; every object lives in the image's namespace. */
  readonly runnerImage: IRunnerImage;
  /** The runners' GitHub labels, which `runs-on` targets and KEDA's scaler matches queued jobs against: at least one. */
  readonly runnerLabels: string[];
  /** Runner group of the runners (organization and enterprise URLs). @default - the default group */
  readonly runnerGroup?: string;
  /** Most runners (VMs) at once: the ScaledJob's maxReplicaCount. @default 10 */
  readonly maxRunners?: number;
  /** How long a VM's runner may wait for a job before it is removed (its job ran elsewhere). @default Duration.minutes(10) */
  readonly idleTimeout?: Duration;
  /** How long a job's VM may take to boot (and the image to be ready) before the runner fails. @default Duration.minutes(15) */
  readonly bootTimeout?: Duration;
  /** How long a job's VM may run before it is stopped. @default Duration.hours(24) */
  readonly jobTimeout?: Duration;
  /** The container image that runs the launcher (any image with Node.js >= 20 at `node`). @default 'node:26.12.1-alpine' */
  readonly launcherContainerImage?: string;
  /** How often KEDA asks GitHub for queued jobs (each time costs API requests: rate limits). @default Duration.seconds(30) */
  readonly pollingInterval?: Duration;
  /**
   * The ScaledJob's name and the prefix of every object. At most 50 characters: KEDA names each
   * Job's pod `<name>-xxxxx-yyyyy`, which becomes its VM's hostname (at most 63).
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * The NetworkPolicy of the jobs' VMs (`<name>`): they reach DNS, the internet and `allowEgressTo`,
   * not other pods, the Kubernetes API or the cloud metadata address; nothing reaches them. It
   * selects the VMs' virt-launcher pods only, never the launcher pods, which need the Kubernetes API.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

/** What a RunnerKedaScaleSet renders. */
export interface KedaScaleSetSpec extends PerJobSpec {
  readonly githubCredentialsKind: GitHubCredentialsKind;
  readonly runnerLabels: readonly string[];
  /** Seconds. */
  readonly idleTimeout: number;
  /** Seconds. */
  readonly pollingInterval: number;
}

const NAMING: Naming = { owner: 'RunnerKedaScaleSet' };
/** KEDA names each Job's pod `<name>-xxxxx-yyyyy`, which becomes its VM's hostname (at most 63). */
const MAX_NAME_LENGTH = 50;

/** Validates a RunnerKedaScaleSet's props, against its image. */
export function resolveKedaScaleSet(props: RunnerKedaScaleSetProps, defaults: TreeDefaults): KedaScaleSetSpec {
  checkFreeText(NAMING, props);
  // A per-job VM on KEDA always stops on a drain: the prop is ARC's only.
  const common = resolvePerJob({ ...props, evictionStrategy: undefined }, NAMING, defaults, MAX_NAME_LENGTH);
  if (props.runnerLabels === undefined || (Array.isArray(props.runnerLabels) && props.runnerLabels.length === 0)) {
    throw new Error(`${propLabel(NAMING, 'runnerLabels')} must name at least one label: KEDA's scaler counts the queued jobs whose runs-on labels the runners have`);
  }
  // The baked image's proxy and CA: the launcher mints JIT configs on GitHub the way the runners reach it.
  checkOneCaSource({ ...NAMING, owner: `${NAMING.owner} (its image's setup)` }, clusterNetworkOf(common.runnerImage.setup), 'the launcher (mint mode)');
  return Object.freeze({
    ...common,
    githubCredentialsKind: validateEnum(...at(NAMING, 'githubCredentialsKind'), GitHubCredentialsKind, props.githubCredentialsKind ?? GitHubCredentialsKind.APP),
    runnerLabels: Object.freeze(validateLabels(...at(NAMING, 'runnerLabels'), props.runnerLabels)),
    idleTimeout: validateDuration(NAMING, 'idleTimeout', props.idleTimeout ?? Duration.minutes(10), 'Duration.minutes(10)'),
    pollingInterval: validateDuration(NAMING, 'pollingInterval', props.pollingInterval ?? Duration.seconds(30), 'Duration.seconds(30)'),
  });
}
