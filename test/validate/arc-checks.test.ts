import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { formatFinding, ManifestObject, validateObjects } from '../../lib/validate';
import { hasShared, SHARED_DIR, testIf } from '../util';

// What ARC's own chart renders for a default release (../shared/reference/arc-0.14.2, written by
// hand from the chart templates): it must pass, and each break of an ARC rule must report its line.
const REFERENCE = join(SHARED_DIR, 'reference', 'arc-0.14.2', 'hand-rendered-defaults.yaml');
const sharedTest = testIf(hasShared, `../shared/reference (${REFERENCE})`);

function reference(): ManifestObject[] {
  return parseAllDocuments(readFileSync(REFERENCE, 'utf8')).map((d) => ({ file: 'arc.yaml', object: d.toJS() }));
}

function findings(items: ManifestObject[]): string[] {
  return validateObjects(items, { externalSecrets: ['pre-defined-secret'] }).map(formatFinding);
}

function broken(change: (objects: Record<string, any>) => void): string[] {
  const items = reference();
  const byKind = Object.fromEntries(items.map((i) => [i.object.kind, i.object]));
  change(byKind);
  return findings(items);
}

describe('actions-runner-controller rules', () => {
  sharedTest('the chart\'s own rendering of a default scale set is valid', () => {
    expect(findings(reference())).toEqual([]);
  });

  sharedTest.each([
    ['no version label', (o: any) => delete o.AutoscalingRunnerSet.metadata.labels['app.kubernetes.io/version'],
      "arc.yaml: AutoscalingRunnerSet/arc-runner-set: /metadata/labels: label 'app.kubernetes.io/version' must be the controller's version"],
    ['a version ARC never shipped', (o: any) => {
      o.AutoscalingRunnerSet.metadata.labels['app.kubernetes.io/version'] = '0.14.7';
    }, '/metadata/labels/app.kubernetes.io~1version: version "0.14.7" is not an actions-runner-controller release (gha-runner-scale-set 0.2.0, '],
    ['a pre-release', (o: any) => {
      o.AutoscalingRunnerSet.metadata.labels['app.kubernetes.io/version'] = '0.15.0-rc.1';
    }, 'version "0.15.0-rc.1" is not an actions-runner-controller release'],
    ['a released version of a minor whose CRDs the validator does not know', (o: any) => {
      o.AutoscalingRunnerSet.metadata.labels['app.kubernetes.io/version'] = '0.13.1';
    }, 'version "0.13.1" is not ARC 0.14.x or 0.15.x, the versions whose CRDs this validator knows'],
    ['a 46-character name', (o: any) => {
      o.AutoscalingRunnerSet.metadata.name = 'a'.repeat(46);
    }, 'name is 46 characters; actions-runner-controller allows at most 45'],
    ['min above max', (o: any) => Object.assign(o.AutoscalingRunnerSet.spec, { minRunners: 3, maxRunners: 2 }), 'minRunners 3 is more than maxRunners 2'],
    ['no runner container', (o: any) => {
      o.AutoscalingRunnerSet.spec.template.spec.containers[0].name = 'launcher';
    }, "no container is named 'runner'"],
    ['no GitHub URL', (o: any) => delete o.AutoscalingRunnerSet.spec.githubConfigUrl, 'spec.githubConfigUrl is required by the controller'],
    ['a GitLab URL', (o: any) => {
      o.AutoscalingRunnerSet.spec.githubConfigUrl = 'https://gitlab.com';
    }, "AutoscalingRunnerSet 'spec.githubConfigUrl' must name an owner"],
    ['an empty label', (o: any) => {
      o.AutoscalingRunnerSet.spec.runnerScaleSetLabels = ['gpu', ' '];
    }, '/spec/runnerScaleSetLabels/1: a scale set label must be non-empty'],
    ['a finalizer whose annotation is missing', (o: any) => delete o.AutoscalingRunnerSet.metadata.annotations['actions.github.com/cleanup-manager-role-name'],
      'arc.yaml: Role/arc-runner-set-gha-rs-manager: /metadata/finalizers: finalizer actions.github.com/cleanup-protection without an AutoscalingRunnerSet'],
  ])('%s is reported', (_, change, message) => {
    const result = broken(change as (o: Record<string, any>) => void);
    expect(result.filter((f) => f.includes(message))).toHaveLength(1);
  });

  sharedTest.each(['0.14.0', '0.14.1', '0.14.2', '0.15.0'])('the released version %s of a known minor passes', (version) => {
    expect(broken((o) => {
      o.AutoscalingRunnerSet.metadata.labels['app.kubernetes.io/version'] = version;
    })).toEqual([]);
  });

  sharedTest('a GitHub config Secret that is neither in the output nor declared external is reported', () => {
    expect(validateObjects(reference(), {}).map(formatFinding))
      .toContain("arc.yaml: AutoscalingRunnerSet/arc-runner-set: /spec/githubConfigSecret: Secret 'pre-defined-secret' is neither in the output nor declared external (annotation cdk8s-kubevirt-runners/external-secrets); the controller reads it in the scale set's namespace");
  });
});
