// A construct built by another construct receives the spec its parent resolved, not props: its
// constructor has an internal overload that takes a sealed spec. Only a resolver seals a spec, so a
// construct never renders values that were not validated, and nothing poses as props.

declare const KIND: unique symbol;

/** A resolved spec of kind `K`: frozen, and known to come from a resolver. */
export type Sealed<K extends string, T> = T & { readonly [KIND]: K };

const SEALED = new WeakMap<object, string>();

/** Freezes `spec` and marks it as resolved for kind `kind`. */
export function seal<K extends string, T extends object>(kind: K, spec: T): Sealed<K, T> {
  SEALED.set(Object.freeze(spec), kind);
  return spec as Sealed<K, T>;
}

/** Whether `value` is a spec a resolver sealed for `kind` (else it is props, to be resolved). */
export function isSealed<S extends Sealed<string, object>>(value: unknown, kind: S[typeof KIND]): value is S {
  return typeof value === 'object' && value !== null && SEALED.get(value) === kind;
}
