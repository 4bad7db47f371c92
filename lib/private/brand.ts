// Public types are recognised by a brand, not `instanceof`: a project can end up with two copies of
// this library (two versions in node_modules), and an OsImage made by one is still an OsImage to
// the other. cdk8s does the same for its own types (`Symbol.for('cdk8s.Chart')`).

/** The brand of a public type: a global symbol, the same in every copy of the library. */
export function brandOf(typeName: string): symbol {
  return Symbol.for(`cdk8s-kubevirt-runners.${typeName}`);
}

/** Marks `instance` with `brand` (non-enumerable, so it never reaches output or snapshots). */
export function setBrand(instance: object, brand: symbol): void {
  Object.defineProperty(instance, brand, { value: true });
}

/** Whether `value` carries `brand`. */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return value !== null && typeof value === 'object' && brand in value;
}
