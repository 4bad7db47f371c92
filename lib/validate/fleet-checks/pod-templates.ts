import { Finding, ManifestObject } from '../finding';
import { isObject, namespaceOf } from '../manifest-values';
import { Report, reporterFor } from '../report';

// The pod templates of the output, for the rules that read what a pod runs, mounts and runs as.

/** A pod template: its spec, its JSON path in its object, its object's namespace, and a reporter for that object. */
export interface PodTemplate {
  /** The PodSpec. */
  readonly pod: any;
  /** Its JSON pointer in its object (e.g. `/spec/jobTemplate/spec/template/spec` in a CronJob). */
  readonly at: string;
  /** Its object's namespace. */
  readonly namespace: string;
  /** Reports a finding on its object. */
  readonly report: Report;
}

/** Every pod template of the kinds that make pods, each with a reporter that adds to `findings`. */
export function podTemplatesOf(items: readonly ManifestObject[], findings: Finding[]): PodTemplate[] {
  return items.flatMap((item) => {
    const found = podSpecOf(item.object);
    return found ? [{ pod: found[0], at: found[1], namespace: namespaceOf(item.object), report: reporterFor(findings, item) }] : [];
  });
}

/** Pod specs of the kinds that make pods, and where each is. */
export function podSpecOf(object: any): [any, string] | undefined {
  const at = ({
    'batch/v1 Job': '/spec/template/spec',
    'batch/v1 CronJob': '/spec/jobTemplate/spec/template/spec',
    'actions.github.com/v1alpha1 AutoscalingRunnerSet': '/spec/template/spec',
    'keda.sh/v1alpha1 ScaledJob': '/spec/jobTargetRef/template/spec',
  } as Record<string, string>)[`${object?.apiVersion} ${object?.kind}`];
  if (at === undefined) return undefined;
  const spec = at.split('/').slice(1).reduce((value: any, key) => value?.[key], object);
  return isObject(spec) ? [spec, at] : undefined;
}
