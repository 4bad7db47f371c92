import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

// Two fleets in one App that emit the same object (two RunnerCharts with the default name) would
// write it twice: `kubectl apply` keeps the last, and the user gets half the runners with the
// other fleet's settings. Two runners with the same name and GitHub URL (even in two namespaces)
// replace each other on GitHub (config.sh --replace). Both are refused when the App synthesizes.

/** A runner, as the collision check sees it. */
export interface RegisteredRunner {
  /** The runner's name (its VM's name and hostname). */
  readonly runnerName: string;
  /** The URL it registers with. */
  readonly githubUrl: string;
  /** Its namespace, for the message. */
  readonly namespace: string;
}

const RUNNERS = new WeakMap<IConstruct, Map<IConstruct, RegisteredRunner>>();

/** Adds, once per App, the validation that refuses colliding objects and runners. */
export function checkCollisionsAtSynth(construct: IConstruct): void {
  const root = construct.node.root;
  if (RUNNERS.has(root)) return;
  RUNNERS.set(root, new Map());
  root.node.addValidation({ validate: () => [...objectCollisions(root), ...runnerCollisions(RUNNERS.get(root)!)] });
}

/** Records a runner VM for the runner-name check. */
export function registerRunner(construct: IConstruct, runner: RegisteredRunner): void {
  checkCollisionsAtSynth(construct);
  RUNNERS.get(construct.node.root)!.set(construct, runner);
}

function objectCollisions(root: IConstruct): string[] {
  const seen = new Map<string, string>();
  const errors: string[] = [];
  for (const construct of root.node.findAll()) {
    if (!ApiObject.isApiObject(construct)) continue;
    const namespace = construct.metadata.namespace;
    const where = `${construct.kind} ${namespace ? `${namespace}/` : ''}${construct.name}`;
    const key = `${construct.apiGroup}/${where}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, construct.node.path);
    } else {
      errors.push(`two objects would be ${where} (${construct.apiVersion}), at ${first} and ${construct.node.path}: `
        + "the second would overwrite the first when applied; give the fleets different 'name's or namespaces");
    }
  }
  return errors;
}

function runnerCollisions(runners: Map<IConstruct, RegisteredRunner>): string[] {
  const seen = new Map<string, [IConstruct, RegisteredRunner]>();
  const errors: string[] = [];
  for (const [construct, runner] of runners) {
    // GitHub compares runner names and URLs case-insensitively.
    const key = `${runner.githubUrl.toLowerCase()} ${runner.runnerName.toLowerCase()}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, [construct, runner]);
    } else {
      errors.push(`two runners named '${runner.runnerName}' would register with ${runner.githubUrl} (${first[0].node.path} in namespace `
        + `${first[1].namespace}, ${construct.node.path} in namespace ${runner.namespace}): config.sh --replace makes each replace the `
        + "other on GitHub; give the fleets different 'name's");
    }
  }
  return errors;
}
