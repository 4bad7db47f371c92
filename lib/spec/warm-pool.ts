import { EvictionStrategy } from '../kubevirt-options';
import { TreeDefaults } from '../private/names';
import { at, Naming, propLabel, show } from '../private/naming';
import { DEFAULT_NODE_IMAGE, validateImageReference } from '../private/node-image';
import { validateCron, validateInteger, validateName, validateSecretName, validateTimeZone } from '../private/validators';
import { checkOneCaSource, clusterNetworkOf } from './cluster-network';
import { resolveRegistration } from './guest';
import { IRunnerImage, validateRunnerImage, validateSharedImage } from './image';
import { ResolvedNetworkRules, resolveNetworkPolicy, RunnerNetworkPolicyOptions } from './network-policy';
import { ActiveHoursOptions, MAX_REPLICAS, RunnerRegistrationOptions, RunnerVmOptions, RunnerVmSizeOptions, TokenRefresherOptions } from './options';
import { ResolvedActiveHours, ResolvedRegistration, ResolvedSizing, ResolvedTokenRefresher, ResolvedVmOptions } from './resolved';
import { resolveTokenRefresherOptions } from './token-refresher';
import { resolveSizing, resolveVmOptions } from './vm-options';
import { checkFreeText } from '../private/free-text';

/** Props of RunnerWarmPool. */
export interface RunnerWarmPoolProps extends RunnerRegistrationOptions, Pick<RunnerVmSizeOptions, 'cpu' | 'memory'>, RunnerVmOptions {
  /** The baked RunnerImage every VM boots, on a fresh copy-on-write layer at every boot; it must be `ImageSharing.SHARED`. */
  readonly runnerImage: IRunnerImage;
  /** How many one-job runners are kept warm (at most 10,000). */
  readonly replicas: number;
  /** Name of the Secret with the registration token (kept fresh by `tokenRefresher`, or created by you). */
  readonly tokenSecretName: string;
  /**
   * Keep the token Secret fresh from a GitHub App or PAT Secret (`<name>-refresher`); it also reads the VMs' serial consoles and records
   * a Warning Event `RunnerOutdated` on the pool when a runner's version is deprecated. @default - none: you keep the token Secret fresh
   */
  readonly tokenRefresher?: TokenRefresherOptions;
  /**
   * Scale the pool down outside active hours: a CronJob `<name>-scale-up` sets its replicas to `replicas` at
   * `start`, another, `<name>-scale-down`, to `offHoursReplicas` (0) at `end`, both through the pool's `/scale`.
   * Scaling down can stop a job that is still running then: the pool deletes VMs busy or not. The pool is
   * synthesized with `replicas`, so re-applying it off-hours scales it up until the next `end` (see the README).
   * @default - none: the pool always has `replicas` VMs
   */
  readonly activeHours?: ActiveHoursOptions;
  /** Name of the VirtualMachinePool; its VMs (and runners) are `<name>-<n>`; at most 41 characters. @default - derived from the construct path */
  readonly name?: string;
  /**
   * The pool's NetworkPolicy (`<name>`): its VMs reach DNS, the internet and `allowEgressTo`, not
   * other pods, the Kubernetes API or the cloud metadata address; nothing reaches them.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

/** What a RunnerWarmPool renders. */
export interface WarmPoolSpec {
  readonly name: string;
  /** The image's namespace. */
  readonly namespace: string;
  readonly runnerImage: IRunnerImage;
  readonly replicas: number;
  readonly registration: ResolvedRegistration;
  readonly tokenSecretName: string;
  readonly tokenRefresher?: ResolvedTokenRefresher;
  readonly sizing: ResolvedSizing;
  readonly vmOptions: ResolvedVmOptions;
  readonly activeHours?: ResolvedActiveHours;
  readonly networkPolicy?: ResolvedNetworkRules;
}

const NAMING: Naming = { owner: 'RunnerWarmPool' };
// `<name>-scale-down` (and `<name>-refresher`) are CronJob names (52 at most); the pool's VMs add `-<n>`.
// One limit whether or not the pool has them, so that adding activeHours never renames a pool.
const MAX_NAME_LENGTH = 52 - '-scale-down'.length;

/** Validates a RunnerWarmPool's props, against its image. */
export function resolveWarmPool(props: RunnerWarmPoolProps, defaults: TreeDefaults): WarmPoolSpec {
  checkFreeText(NAMING, props);
  const runnerImage = validateRunnerImage(NAMING, 'runnerImage', props.runnerImage, defaults.chartNamespace, 'a VM can only boot a volume of its own namespace');
  validateSharedImage(NAMING, 'runnerImage', runnerImage, 'every boot starts from a copy-on-write layer over the one baked volume');
  const name = validateName(NAMING, 'name', props.name ?? defaults.name(MAX_NAME_LENGTH), MAX_NAME_LENGTH);
  const replicas = validateInteger(NAMING, 'replicas', props.replicas, 0, MAX_REPLICAS);
  const tokenSecretName = validateSecretName(NAMING, 'tokenSecretName', props.tokenSecretName);
  const tokenRefresher = props.tokenRefresher === undefined ? undefined
    : resolveTokenRefresherOptions(props.tokenRefresher, NAMING, 'tokenRefresher', tokenSecretName);
  const sizing = resolveSizing({ cpu: props.cpu, memory: props.memory, evictionStrategy: EvictionStrategy.NONE }, NAMING);
  if (tokenRefresher) checkOneCaSource({ ...NAMING, owner: `${NAMING.owner} (its image's setup)` }, clusterNetworkOf(runnerImage.setup), 'the token refresher');
  const activeHours = props.activeHours === undefined ? undefined : resolveActiveHours(props.activeHours, NAMING, 'activeHours', replicas);
  const networkPolicy = resolveNetworkPolicy(props.networkPolicy, NAMING);
  return Object.freeze({
    name,
    namespace: runnerImage.namespace,
    runnerImage,
    replicas,
    registration: resolveRegistration(props, NAMING, runnerImage.release),
    tokenSecretName,
    ...(tokenRefresher ? { tokenRefresher } : {}),
    sizing,
    vmOptions: resolveVmOptions(props, NAMING, { sizing, arch: runnerImage.arch, oneJob: true, guest: { setup: runnerImage.setup, from: 'RunnerImage' } }),
    ...(activeHours ? { activeHours } : {}),
    ...(networkPolicy ? { networkPolicy } : {}),
  });
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
  const offHoursReplicas = validateInteger(naming, `${prop}.offHoursReplicas`, options.offHoursReplicas ?? 0, 0, replicas - 1, " (less than 'replicas')");
  return Object.freeze({
    start,
    end,
    timeZone: validateTimeZone(naming, `${prop}.timeZone`, options.timeZone ?? 'Etc/UTC'),
    offHoursReplicas,
    containerImage: validateImageReference(naming, `${prop}.containerImage`, options.containerImage ?? DEFAULT_NODE_IMAGE),
  });
}
