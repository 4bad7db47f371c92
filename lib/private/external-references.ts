/**
 * Annotations by which synthesized objects declare the cluster objects they reference but do not
 * create, so that validation (lib/validate) can tell a deliberate reference from a dangling one.
 * Each holds a comma-separated list.
 */

/** Secrets created out of band, such as the registration-token Secret: names, in the object's namespace. */
export const EXTERNAL_SECRETS_ANNOTATION = 'cdk8s-kubevirt-runners/external-secrets';

/**
 * Clone sources kept outside the output: `NAMESPACE/NAME` for a PersistentVolumeClaim,
 * `DataSource/NAMESPACE/NAME` for a CDI DataSource.
 */
export const EXTERNAL_VOLUMES_ANNOTATION = 'cdk8s-kubevirt-runners/external-volumes';

/** Joins references into an annotation value; undefined when there are none. */
export function annotationValue(references: ReadonlyArray<string | undefined>): string | undefined {
  const present = references.filter((r): r is string => Boolean(r));
  return present.length > 0 ? present.join(',') : undefined;
}

/** Splits an annotation value back into references. */
export function annotationReferences(object: any, annotation: string): string[] {
  return String(object?.metadata?.annotations?.[annotation] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
