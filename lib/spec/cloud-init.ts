import type { GitHubScope } from '../github';
import { Distribution } from '../platform';
import { TreeDefaults } from '../private/names';
import { Naming } from '../private/naming';
import { validateName } from '../private/validators';
import { RunnerRelease } from '../runner-release';
import { resolveGuest } from './guest';
import { RunnerGuestOptions } from './options';
import { ResolvedGuest } from './resolved';
import { seal, Sealed } from './sealed';
import { checkFreeText } from '../private/free-text';

/** Props of RunnerCloudInit. */
export interface RunnerCloudInitProps extends RunnerGuestOptions {
  /** The runner package, pinned by version and checksum. @default RunnerRelease.latestKnown() (DEFAULT_RUNNER_VERSION, x64) */
  readonly release?: RunnerRelease;
  /** Distribution of the guest, which decides the Docker repository. @default Distribution.UBUNTU */
  readonly distribution?: Distribution;
  /** `metadata.name` of the Secret. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the Secret. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
}

/**
 * A RunnerCloudInit, as the constructs that use one (RunnerVm) see it. Only a RunnerCloudInit is
 * accepted (synth checks it); the props name this interface so that the spec layer never depends on the construct.
 */
export interface IRunnerCloudInit {
  /** `metadata.name` of the Secret. */
  readonly secretName: string;
  /** Namespace of the Secret. */
  readonly namespace: string;
  /** The registration scope parsed from `url`. */
  readonly scope: GitHubScope;
  /** The runner package. */
  readonly release: RunnerRelease;
  /** Distribution of the guest. */
  readonly distribution: Distribution;
  /** Guest user the runner runs as. */
  readonly user: string;
  /** The resolved guest: what the cloud-config sets up and registers. @internal */
  readonly guest: ResolvedGuest;
}

/** What a RunnerCloudInit renders: the resolved guest, and where its Secret goes. */
export type CloudInitSpec = Sealed<'cloud-init', {
  readonly name: string;
  readonly namespace: string;
  readonly guest: ResolvedGuest;
}>;

const NAMING: Naming = { owner: 'RunnerCloudInit' };

/** A RunnerCloudInit made alone: its own props. */
export function resolveCloudInit(props: RunnerCloudInitProps, defaults: TreeDefaults): CloudInitSpec {
  checkFreeText(NAMING, props);
  return seal('cloud-init', {
    name: validateName(NAMING, 'name', props.name ?? defaults.name()),
    namespace: validateName(NAMING, 'namespace', props.namespace ?? defaults.namespace),
    guest: resolveGuest(props, NAMING),
  });
}

/** The cloud-init of a fleet whose guest its resolver validated. */
export function fleetCloudInitSpec(name: string, namespace: string, guest: ResolvedGuest): CloudInitSpec {
  return seal('cloud-init', { name, namespace, guest });
}
