/**
 * Checks that `value` is one of an enum's values. TypeScript already does for typed callers; this
 * catches JavaScript callers and casts, with the usual error naming the prop and the value.
 */
export function validateEnum<T extends string>(owner: string, prop: string, values: Record<string, T>, value: T): T {
  const allowed = Object.values(values);
  if (!allowed.includes(value)) {
    throw new Error(`${owner} '${prop}' must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value;
}
