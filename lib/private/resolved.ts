// A construct that builds another construct hands it the spec it already resolved, so that no prop
// is validated twice and every error names the construct the user called. The resolved spec rides
// on the props object under a module-private symbol: it is not part of any public props type.
const RESOLVED = Symbol('cdk8s-kubevirt-runners.resolved');

/** Props that carry an already-resolved spec. */
export function withResolved<P>(resolved: unknown): P {
  return { [RESOLVED]: resolved } as unknown as P;
}

/** The resolved spec that `props` carries, if a parent construct passed one. */
export function resolvedOf<T>(props: unknown): T | undefined {
  return typeof props === 'object' && props !== null ? (props as Record<symbol, T>)[RESOLVED] : undefined;
}
