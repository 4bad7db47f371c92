import { Duration } from 'cdk8s';
import { GitHubScope } from '../github';
import { EvictionStrategy } from '../kubevirt-options';
import { TreeDefaults } from '../private/names';
import { at, Naming } from '../private/naming';
import { DEFAULT_NODE_IMAGE, validateImageReference } from '../private/node-image';
import { validateDuration, validateEnum, validateInteger, validateName, validateSecretName } from '../private/validators';
import { resolveRunnerGroup } from './guest';
import { IRunnerImage, validateRunnerImage } from './image';
import { ResolvedNetworkRules, resolveNetworkPolicy, RunnerNetworkPolicyOptions } from './network-policy';
import { MAX_REPLICAS, RunnerVmOptions, RunnerVmSizeOptions } from './options';
import { ResolvedSizing, ResolvedVmOptions } from './resolved';
import { resolveSizing, resolveVmOptions } from './vm-options';

// Sub-resolver of the per-job kinds (RunnerScaleSet on ARC, RunnerKedaScaleSet on KEDA): a launcher
// pod per job boots a fresh VM from a baked RunnerImage. What they share is validated here, once.

/** The props every per-job kind has, as its resolver reads them. */
export interface PerJobProps extends Pick<RunnerVmSizeOptions, 'cpu' | 'memory'>, RunnerVmOptions {
  readonly url: string;
  readonly githubCredentialsSecret: string;
  readonly runnerImage: IRunnerImage;
  readonly name?: string;
  readonly runnerGroup?: string;
  readonly maxRunners?: number;
  readonly launcherContainerImage?: string;
  readonly bootTimeout?: Duration;
  readonly jobTimeout?: Duration;
  readonly evictionStrategy?: EvictionStrategy;
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

/** What the per-job kinds render alike. */
export interface PerJobSpec {
  readonly name: string;
  /** The image's namespace: a job's VM can only boot a volume of its own. */
  readonly namespace: string;
  readonly runnerImage: IRunnerImage;
  readonly scope: GitHubScope;
  readonly githubCredentialsSecret: string;
  readonly runnerGroup?: string;
  readonly maxRunners: number;
  readonly launcherContainerImage: string;
  /** Seconds. */
  readonly bootTimeout: number;
  /** Seconds. */
  readonly jobTimeout: number;
  readonly sizing: ResolvedSizing;
  readonly vmOptions: ResolvedVmOptions;
  readonly networkPolicy?: ResolvedNetworkRules;
}

/** Validates what every per-job kind has; `maxNameLength` is the kind's limit on `name`. */
export function resolvePerJob(props: PerJobProps, naming: Naming, defaults: TreeDefaults, maxNameLength: number): PerJobSpec {
  const image = validateRunnerImage(naming, 'runnerImage', props.runnerImage, defaults.chartNamespace, 'a job\'s VM can only boot a volume of its own namespace');
  const scope = GitHubScope.fromUrl(props.url, ...at(naming, 'url'));
  // A per-job VM cannot move (its layer or clone is on the node): a drain stops it, by default.
  const evictionStrategy = validateEnum(...at(naming, 'evictionStrategy'), EvictionStrategy, props.evictionStrategy ?? EvictionStrategy.NONE);
  const sizing = resolveSizing({ cpu: props.cpu, memory: props.memory, evictionStrategy }, naming);
  const networkPolicy = resolveNetworkPolicy(props.networkPolicy, naming);
  const runnerGroup = resolveRunnerGroup(props.runnerGroup, scope, naming);
  return {
    name: validateName(naming, 'name', props.name ?? defaults.name(maxNameLength), maxNameLength),
    namespace: image.namespace,
    runnerImage: image,
    scope,
    githubCredentialsSecret: validateSecretName(naming, 'githubCredentialsSecret', props.githubCredentialsSecret),
    ...(runnerGroup !== undefined ? { runnerGroup } : {}),
    maxRunners: validateInteger(naming, 'maxRunners', props.maxRunners ?? 10, 1, MAX_REPLICAS),
    launcherContainerImage: validateImageReference(naming, 'launcherContainerImage', props.launcherContainerImage ?? DEFAULT_NODE_IMAGE),
    bootTimeout: validateDuration(naming, 'bootTimeout', props.bootTimeout ?? Duration.minutes(15)),
    jobTimeout: validateDuration(naming, 'jobTimeout', props.jobTimeout ?? Duration.hours(24)),
    sizing,
    vmOptions: resolveVmOptions(props, naming, { sizing, arch: image.arch, oneJob: true, guest: { setup: image.setup, from: 'RunnerImage' } }),
    ...(networkPolicy ? { networkPolicy } : {}),
  };
}
