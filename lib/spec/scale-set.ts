import { Duration } from 'cdk8s';
import { EvictionStrategy } from '../kubevirt-options';
import { validateLabels } from '../private/github-rules';
import { TreeDefaults, validateDnsLabel } from '../private/names';
import { at, Naming, propLabel, show } from '../private/naming';
import { validateInteger, validateSecretName } from '../private/validators';
import { ClusterNetwork, clusterNetworkOf } from './cluster-network';
import { IRunnerImage } from './image';
import { RunnerNetworkPolicyOptions } from './network-policy';
import { MAX_REPLICAS, RunnerVmOptions, RunnerVmSizeOptions } from './options';
import { PerJobSpec, resolvePerJob } from './per-job';
import { checkFreeText } from '../private/free-text';
import { ARC_VERSIONS_WITH_KNOWN_CRD, DEFAULT_ARC_VERSION } from '../private/versions';

/** A ServiceAccount in another namespace. */
export interface ServiceAccountReference {
  /** Its name. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
}

/** Props of RunnerScaleSet. */
export interface RunnerScaleSetProps extends Pick<RunnerVmSizeOptions, 'cpu' | 'memory'>, RunnerVmOptions {
  /** GitHub URL of the scale set: `https://github.com/OWNER[/REPO]` or `https://github.com/enterprises/SLUG`, or the same on a GHES host. */
  readonly url: string;
  /**
   * Name of the Secret, created out of band in the scale set's namespace, with a GitHub App
   * (`github_app_id`, `github_app_installation_id`, `github_app_private_key`) or a PAT (`github_token`).
   * Only actions-runner-controller reads it (the AutoscalingRunnerSet's `githubConfigSecret`); it never reaches a VM.
   */
  readonly githubCredentialsSecret: string;
  /** The baked RunnerImage every job's VM boots; the scale set lives in the image's namespace. */
  readonly runnerImage: IRunnerImage;
  /**
   * The scale set's name: the `runs-on` label that targets it, the AutoscalingRunnerSet's name and
   * the prefix of every object. At most 45 characters (actions-runner-controller's limit).
   * @default - derived from the construct path
   */
  readonly name?: string;
  /** Runners kept idle and ready. @default 0 (scale to zero) */
  readonly minRunners?: number;
  /** Most runners (VMs) at once. @default 10 */
  readonly maxRunners?: number;
  /** Runner group of the scale set (organization and enterprise scale sets). @default - the 'Default' group */
  readonly runnerGroup?: string;
  /** Extra GitHub runner labels of the scale set, besides its name, that `runs-on` can target. @default - the name only */
  readonly runnerLabels?: string[];
  /** actions-runner-controller's ServiceAccount, which the manager RoleBinding names. @default { name: 'arc-gha-rs-controller', namespace: 'arc-systems' } */
  readonly controllerServiceAccount?: ServiceAccountReference;
  /**
   * The actions-runner-controller release the cluster runs: the chart version of
   * `gha-runner-scale-set-controller` (the AutoscalingRunnerSet's `app.kubernetes.io/version`). The
   * controller deletes a set whose label names another major.minor than its own, so match it to the
   * controller; one of the versions whose CRD the library knows (0.14.2 also serves any 0.14.x controller).
   * @default ARC_VERSION ('0.15.0')
   */
  readonly arcVersion?: string;
  /** The container image that runs the launcher (any image with Node.js >= 20 at `node`). @default 'node:26.12.1-alpine' */
  readonly launcherContainerImage?: string;
  /** How long a job's VM may take to boot (and the image to be ready) before the runner fails. @default Duration.minutes(15) */
  readonly bootTimeout?: Duration;
  /** How long a job's VM may run before it is stopped. @default Duration.hours(24) */
  readonly jobTimeout?: Duration;
  /** What a node drain does to a job's VM. @default EvictionStrategy.NONE (the VM stops; a per-job VM cannot move) */
  readonly evictionStrategy?: EvictionStrategy;
  /**
   * The NetworkPolicy of the jobs' VMs (`<name>`): they reach DNS, the internet and `allowEgressTo`,
   * not other pods, the Kubernetes API or the cloud metadata address; nothing reaches them. It
   * selects the VMs' virt-launcher pods only, never the launcher pods, which need the Kubernetes API.
   * @default - on: { enabled: true }
   */
  readonly networkPolicy?: RunnerNetworkPolicyOptions;
}

/** What a RunnerScaleSet renders. */
export interface ScaleSetSpec extends PerJobSpec {
  readonly minRunners: number;
  readonly runnerLabels: readonly string[];
  readonly controller: ServiceAccountReference;
  /** The ARC release the objects are labelled for. */
  readonly arcVersion: string;
  /** Where ARC's controller and listener read the GitHub server's CA, when the image's setup has one. */
  readonly githubServerTls?: GitHubServerTls;
}

/** ARC's githubServerTLS: a ConfigMap key, and the certificates the library puts there when they were given inline. */
export interface GitHubServerTls {
  readonly configMapKeyRef: { readonly name: string; readonly key: string };
  readonly inline?: string;
}

const NAMING: Naming = { owner: 'RunnerScaleSet' };
/**
 * ARC allows 45 characters (the chart's check), but names each runner pod `<name>-xxxxx-runner-yyyyy`
 * (19 more), and the pod's name is its VM's hostname: at most 63, so the name at most 44.
 */
const MAX_SCALE_SET_NAME_LENGTH = 44;
/** Validates a RunnerScaleSet's props, against its image. */
export function resolveScaleSet(props: RunnerScaleSetProps, defaults: TreeDefaults): ScaleSetSpec {
  checkFreeText(NAMING, props);
  const common = resolvePerJob({ ...props, githubCredentialsSecret: props.githubCredentialsSecret }, NAMING, defaults, MAX_SCALE_SET_NAME_LENGTH);
  const minRunners = validateInteger(NAMING, 'minRunners', props.minRunners ?? 0, 0, MAX_REPLICAS);
  if (minRunners > common.maxRunners) {
    throw new Error(`${propLabel(NAMING, 'maxRunners')} must be at least 'minRunners' (${minRunners}), got ${show(common.maxRunners)}`);
  }
  const controller = props.controllerServiceAccount ?? { name: 'arc-gha-rs-controller', namespace: 'arc-systems' };
  validateDnsLabel(...at(NAMING, 'controllerServiceAccount.namespace'), controller?.namespace);
  validateSecretName(NAMING, 'controllerServiceAccount.name', controller?.name);
  const githubServerTls = githubServerTlsOf(clusterNetworkOf(common.runnerImage.setup), common.name);
  return Object.freeze({
    ...common,
    ...(githubServerTls ? { githubServerTls } : {}),
    minRunners,
    runnerLabels: Object.freeze(validateLabels(...at(NAMING, 'runnerLabels'), props.runnerLabels ?? [])),
    controller: Object.freeze({ name: controller.name, namespace: controller.namespace }),
    arcVersion: validateArcVersion(props.arcVersion ?? DEFAULT_ARC_VERSION),
  });
}

/** An ARC release whose CRD the library knows; the error lists them, and says why a 0.14.x controller takes 0.14.2. */
function validateArcVersion(version: string): string {
  if (ARC_VERSIONS_WITH_KNOWN_CRD.includes(version)) return version;
  const minor = typeof version === 'string' ? /^(\d+\.\d+)\.\d+$/.exec(version)?.[1] : undefined;
  const sameMinor = ARC_VERSIONS_WITH_KNOWN_CRD.find((known) => minor !== undefined && known.startsWith(`${minor}.`));
  throw new Error(`${propLabel(NAMING, 'arcVersion')} must be an actions-runner-controller release whose CRD the library knows `
    + `(${ARC_VERSIONS_WITH_KNOWN_CRD.map((v) => `'${v}'`).join(', ')}), got ${show(version)}`
    + (sameMinor ? `: the controller compares major.minor only, so '${sameMinor}' serves a ${minor}.x controller` : ''));
}

/**
 * ARC's githubServerTLS takes one ConfigMap key: inline certificates go into a ConfigMap of the
 * library's (`<name>-github-ca`), a ConfigMap key is referenced; a Secret cannot be.
 */
function githubServerTlsOf(network: ClusterNetwork, name: string): GitHubServerTls | undefined {
  const naming = { ...NAMING, owner: `${NAMING.owner} (its image's setup)` };
  const from = network.caCertificatesFrom;
  if (network.caCertificates.length > 0 && from) {
    throw new Error(`${propLabel(naming, 'caCertificatesFrom')} and ${propLabel(naming, 'caCertificates')} are both set, but ARC's `
      + 'githubServerTLS takes one ConfigMap key: give all the CA certificates one way, either inline in caCertificates or in the one '
      + 'ConfigMap key of caCertificatesFrom');
  }
  if (network.caCertificates.length > 0) {
    return { configMapKeyRef: { name: `${name}-github-ca`, key: 'ca.crt' }, inline: network.caCertificates.join('') };
  }
  if (!from) return undefined;
  if (from.kind === 'secret') {
    throw new Error(`${propLabel(naming, 'caCertificatesFrom')} names Secret ${show(from.name)}, but ARC's controller reads its GitHub CA `
      + '(AutoscalingRunnerSet spec.githubServerTLS.certificateFrom) only from a ConfigMap key: put the CA certificates in a ConfigMap '
      + `(caCertificatesFrom: { configMap: ..., key: ${show(from.key)} }) or inline in caCertificates; a CA certificate is not secret`);
  }
  return { configMapKeyRef: { name: from.name, key: from.key } };
}
