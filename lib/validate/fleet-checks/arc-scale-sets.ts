import { GitHubScope } from '../../github';
import { annotationReferences, EXTERNAL_SECRETS_ANNOTATION } from '../../private/external-references';
import { Finding, ManifestObject } from '../finding';
import { arrayAt, namespaceOf } from '../manifest-values';
import { Report, reporterFor } from '../report';
import { ARC_RELEASES, ARC_VERSIONS_WITH_KNOWN_CRD, DEFAULT_ARC_VERSION } from '../../private/versions';

// What actions-runner-controller 0.14 and 0.15 need of an AutoscalingRunnerSet that its CRD does not enforce
// (the gha-runner-scale-set chart checks some; the controller assumes the rest). Sources:
// ../shared/reference/arc-0.14.2/README.md, read from the controller and chart at gha-runner-scale-set-0.14.2.

const KIND = 'AutoscalingRunnerSet';
/** The chart's limit on the AutoscalingRunnerSet's name (templates/_helpers.tpl, `fail`). */
const MAX_NAME_LENGTH = 45;
const CLEANUP_FINALIZER = 'actions.github.com/cleanup-protection';
// Which AutoscalingRunnerSet annotations may name an object of each kind, so that the controller
// removes that object's cleanup finalizer after cleaning up (autoscalingrunnerset_controller.go).
const CLEANUP_ANNOTATIONS: Record<string, readonly string[]> = {
  Role: ['actions.github.com/cleanup-manager-role-name', 'actions.github.com/cleanup-kubernetes-mode-role-name'],
  RoleBinding: ['actions.github.com/cleanup-manager-role-binding', 'actions.github.com/cleanup-kubernetes-mode-role-binding-name'],
  ServiceAccount: ['actions.github.com/cleanup-no-permission-service-account-name', 'actions.github.com/cleanup-kubernetes-mode-service-account-name'],
  Secret: ['actions.github.com/cleanup-github-secret-name'],
};
/**
 * The ARC minors whose CRDs the library knows (lib/private/versions.ts: 0.14.2's, and 0.15.0's spec
 * fields, which are 0.14.2's). ARC's controller (autoscalingrunnerset_controller.go, IsVersionAllowed)
 * deletes an AutoscalingRunnerSet whose version label names another major.minor than its own; a
 * controller of another minor also serves other CRDs.
 */
export const KNOWN_ARC_MINORS: readonly string[] = [...new Set(ARC_VERSIONS_WITH_KNOWN_CRD.map((v) => v.split('.').slice(0, 2).join('.')))];
const SEMVER = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$/;

/** The rules of actions-runner-controller for AutoscalingRunnerSets and the objects that carry its cleanup finalizer. */
export function checkRunnerScaleSets(items: readonly ManifestObject[], externalSecrets: readonly string[] = []): Finding[] {
  const findings: Finding[] = [];
  const sets = items.filter((i) => i.object?.apiVersion === 'actions.github.com/v1alpha1' && i.object?.kind === KIND);
  const secrets = new Set(items.filter((i) => i.object?.apiVersion === 'v1' && i.object?.kind === 'Secret')
    .map((i) => `${namespaceOf(i.object)}/${i.object?.metadata?.name}`));
  for (const item of sets) {
    const report = reporterFor(findings, item);
    checkScaleSet(item.object, secrets, externalSecrets, report);
  }
  for (const item of items) {
    const report = reporterFor(findings, item);
    checkCleanupFinalizer(item.object, sets.map((s) => s.object), report);
  }
  return findings;
}

function checkScaleSet(set: any, secrets: Set<string>, externalSecrets: readonly string[], report: Report): void {
  const name = String(set.metadata?.name ?? '');
  if (name.length > MAX_NAME_LENGTH) {
    report('/metadata/name', `name is ${name.length} characters; actions-runner-controller allows at most ${MAX_NAME_LENGTH}`);
  }
  const version = set.metadata?.labels?.['app.kubernetes.io/version'];
  const semver = typeof version === 'string' ? SEMVER.exec(version) : null;
  if (semver === null) {
    report('/metadata/labels', `label 'app.kubernetes.io/version' must be the controller's version (e.g. "${DEFAULT_ARC_VERSION}"): `
      + `without a matching major.minor the controller deletes the AutoscalingRunnerSet, got ${JSON.stringify(version)}`);
  } else if (!Object.hasOwn(ARC_RELEASES, `${semver[1]}.${semver[2]}.${semver[3]}`) || semver[4] !== undefined) {
    report('/metadata/labels/app.kubernetes.io~1version', `version ${JSON.stringify(version)} is not an actions-runner-controller release `
      + `(gha-runner-scale-set ${Object.keys(ARC_RELEASES).join(', ')}; lib/private/versions.ts): the controller deletes a set `
      + 'whose label is not its own major.minor, so the label must be the version of the controller chart the cluster runs '
      + '(a release newer than this library: upgrade the library)');
  } else if (!KNOWN_ARC_MINORS.includes(`${semver[1]}.${semver[2]}`)) {
    report('/metadata/labels/app.kubernetes.io~1version', `version ${JSON.stringify(version)} is not ARC ${KNOWN_ARC_MINORS.map((m) => `${m}.x`).join(' or ')}, `
      + 'the versions whose CRDs this validator knows: a controller of another minor serves other CRDs');
  }
  // The controller writes runner-scale-set-id itself; a copied one makes it adopt another set's scale set on GitHub.
  if (set.metadata?.annotations?.['runner-scale-set-id'] !== undefined) {
    report('/metadata/annotations/runner-scale-set-id', 'runner-scale-set-id is written by the controller: an id copied into the manifest points the set at a scale set it did not register');
  }
  const spec = set.spec ?? {};
  for (const field of ['githubConfigUrl', 'githubConfigSecret', 'template']) {
    if (spec[field] === undefined || spec[field] === '') report(`/spec/${field}`, `spec.${field} is required by the controller`);
  }
  if (typeof spec.githubConfigUrl === 'string') {
    try {
      GitHubScope.fromUrl(spec.githubConfigUrl, KIND, 'spec.githubConfigUrl');
    } catch (error) {
      report('/spec/githubConfigUrl', (error as Error).message);
    }
  }
  if (typeof spec.githubConfigSecret === 'string' && spec.githubConfigSecret !== '') {
    const declared = [...annotationReferences(set, EXTERNAL_SECRETS_ANNOTATION), ...externalSecrets];
    if (!declared.includes(spec.githubConfigSecret) && !secrets.has(`${namespaceOf(set)}/${spec.githubConfigSecret}`)) {
      report('/spec/githubConfigSecret', `Secret '${spec.githubConfigSecret}' is neither in the output nor declared external `
        + `(annotation ${EXTERNAL_SECRETS_ANNOTATION}); the controller reads it in the scale set's namespace`);
    }
  }
  if (Number.isInteger(spec.minRunners) && Number.isInteger(spec.maxRunners) && spec.minRunners > spec.maxRunners) {
    report('/spec/minRunners', `minRunners ${spec.minRunners} is more than maxRunners ${spec.maxRunners}`);
  }
  (Array.isArray(spec.runnerScaleSetLabels) ? spec.runnerScaleSetLabels : []).forEach((label: unknown, i: number) => {
    if (typeof label !== 'string' || label.trim() === '' || label.length >= 256) {
      report(`/spec/runnerScaleSetLabels/${i}`, `a scale set label must be non-empty and shorter than 256 characters, got ${JSON.stringify(label)}`);
    }
  });
  if (spec.template?.spec?.restartPolicy === 'Always') {
    report('/spec/template/spec/restartPolicy', 'an ephemeral runner pod runs one job: with restartPolicy Always its container restarts after the job and the runner never finishes (the chart sets Never)');
  }
  const containers = arrayAt(spec.template?.spec?.containers);
  if (spec.template !== undefined && !containers.some((c) => c?.name === 'runner')) {
    report('/spec/template/spec/containers', "no container is named 'runner': the controller gives the JIT config only to that container");
  }
}

// A cleanup finalizer is removed only if an AutoscalingRunnerSet in the namespace names the object;
// otherwise the object hangs in Terminating for ever.
function checkCleanupFinalizer(object: any, sets: readonly any[], report: Report): void {
  const finalizers = arrayAt(object?.metadata?.finalizers);
  if (!finalizers.includes(CLEANUP_FINALIZER)) return;
  const annotations = CLEANUP_ANNOTATIONS[object.kind] ?? [];
  const named = sets.some((set) => namespaceOf(set) === namespaceOf(object)
    && annotations.some((a) => set.metadata?.annotations?.[a] === object.metadata?.name));
  if (!named) {
    report('/metadata/finalizers', `finalizer ${CLEANUP_FINALIZER} without an AutoscalingRunnerSet in namespace ${namespaceOf(object)} `
      + `that names this ${object.kind} in ${annotations.length > 0 ? annotations.join(' or ') : 'a cleanup annotation'}: `
      + 'the controller never removes it, and deleting the object hangs');
  }
}
