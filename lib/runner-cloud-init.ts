import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GitHubScope } from './github';
import { Distribution } from './platform';
import { brandOf, hasBrand, setBrand } from './private/brand';
import { checkCollisionsAtSynth } from './private/collisions';
import { treeDefaults } from './private/names';
import { renderCloudConfig } from './render/cloud-config';
import { RunnerRelease } from './runner-release';
import { CloudInitSpec, IRunnerCloudInit, resolveCloudInit, RunnerCloudInitProps } from './spec/cloud-init';
import { ResolvedGuest } from './spec/resolved';
import { isSealed } from './spec/sealed';

const BRAND = brandOf('RunnerCloudInit');

/**
 * The runner's cloud-config, in a Secret (key `userdata`) for a VM's `cloudInitNoCloud.secretRef`.
 * It creates the runner user, installs Docker from Docker's pinned apt repository, the
 * qemu guest agent and the registration script, and runs it. One RunnerCloudInit serves any number
 * of VMs: each registers under its own hostname. It holds no credential.
 */
export class RunnerCloudInit extends Construct implements IRunnerCloudInit {
  /** Whether `x` is a RunnerCloudInit (of any copy of this library). */
  public static isRunnerCloudInit(x: unknown): x is RunnerCloudInit {
    return hasBrand(x, BRAND);
  }

  /** `metadata.name` of the Secret. */
  public readonly secretName: string;
  /** Namespace of the Secret. */
  public readonly namespace: string;
  /** The registration scope parsed from `url`. */
  public readonly scope: GitHubScope;
  /** The runner package. */
  public readonly release: RunnerRelease;
  /** Distribution of the guest. */
  public readonly distribution: Distribution;
  /** GitHub runner labels. */
  public readonly runnerLabels: readonly string[];
  /** Guest user the runner runs as. */
  public readonly user: string;
  /** Key of the token Secret that holds the registration token. */
  public readonly tokenSecretKey: string;
  /** The resolved guest: what the cloud-config sets up and registers. @internal */
  public readonly guest: ResolvedGuest;
  /** The rendered user-data: `#cloud-config` followed by YAML. */
  public readonly userData: string;
  /** The Secret, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerCloudInitProps);
  /** @internal A fleet's cloud-init, from the spec its resolver made. */
  constructor(scope: Construct, id: string, spec: CloudInitSpec);
  constructor(scope: Construct, id: string, input: RunnerCloudInitProps | CloudInitSpec) {
    super(scope, id);
    setBrand(this, BRAND);
    const spec = isSealed<CloudInitSpec>(input, 'cloud-init') ? input : resolveCloudInit(input, treeDefaults(this, 'RunnerCloudInit'));
    this.secretName = spec.name;
    this.namespace = spec.namespace;
    this.scope = spec.guest.scope;
    this.release = spec.guest.release;
    this.distribution = spec.guest.distribution;
    this.runnerLabels = spec.guest.runnerLabels;
    this.user = spec.guest.user;
    this.tokenSecretKey = spec.guest.tokenKey;
    this.guest = spec.guest;
    this.userData = renderCloudConfig({ kind: 'static', guest: spec.guest });
    checkCollisionsAtSynth(this);
    this.apiObject = ApiObject.of(new kplus.Secret(this, 'Resource', {
      metadata: { name: this.secretName, namespace: this.namespace },
      stringData: { userdata: this.userData },
    }));
  }
}
