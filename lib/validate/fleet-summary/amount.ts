/**
 * A sum of what the objects size (cores or bytes) and of what they do not (an instancetype, a
 * volume that is not in the output), counted by name: `16 + 2 × instancetype u1.large`.
 */
export interface Amount {
  /** The part the objects size. */
  readonly known: number;
  /** What the objects do not size, with how many times it counts. */
  readonly unknown: Readonly<Record<string, number>>;
  /** True when a fleet has no maximum (an AutoscalingRunnerSet without maxRunners): the sum is unbounded. @default false */
  readonly unbounded?: boolean;
}

const ZERO: Amount = { known: 0, unknown: {} };

/** Sums amounts. */
export function add(...amounts: Amount[]): Amount {
  const unknown: Record<string, number> = {};
  let known = 0;
  let unbounded = false;
  for (const a of amounts) {
    known += a.known;
    unbounded ||= a.unbounded === true;
    for (const [term, n] of Object.entries(a.unknown)) unknown[term] = (unknown[term] ?? 0) + n;
  }
  return { known, unknown, ...(unbounded ? { unbounded } : {}) };
}

/** An amount `count` times; undefined count is unbounded (unless the amount is zero). */
export function times(amount: Amount, count: number | undefined): Amount {
  if (count === undefined) {
    const nothing = amount.known === 0 && Object.keys(amount.unknown).length === 0;
    return nothing ? ZERO : { ...amount, unbounded: true };
  }
  return {
    known: amount.known * count,
    unknown: Object.fromEntries(Object.entries(amount.unknown).map(([t, n]) => [t, n * count])),
    ...(amount.unbounded ? { unbounded: true } : {}),
  };
}

export const known = (value: number): Amount => ({ known: value, unknown: {} });
export const unknownTerm = (term: string): Amount => ({ known: 0, unknown: { [term]: 1 } });
export const sameAmount = (a: Amount, b: Amount) => JSON.stringify(sortedAmount(a)) === JSON.stringify(sortedAmount(b));
export const sortedAmount = (a: Amount) => ({ ...a, unknown: Object.fromEntries(Object.entries(a.unknown).sort(([x], [y]) => x.localeCompare(y))) });

/** Code-unit order (not the locale's), so that the summary is the same on every machine. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const GI = 2 ** 30;

/** A number of bytes in Gi (binary units): `16Gi`, `0.5Gi`, `1.46Gi`. */
export function formatGi(value: number): string {
  return `${Number((value / GI).toFixed(2))}Gi`;
}

/** An amount as text: `16`, `32Gi`, `16 + 2 × instancetype u1.large`, `unbounded`. */
export function formatAmount(amount: Amount | undefined, unit: 'vcpu' | 'bytes'): string {
  if (amount === undefined) return 'mixed';
  if (amount.unbounded) return 'unbounded';
  const terms = Object.entries(amount.unknown).sort(([a], [b]) => compare(a, b)).map(([term, n]) => (n === 1 ? term : `${n} × ${term}`));
  if (amount.known !== 0 || terms.length === 0) terms.unshift(unit === 'bytes' ? formatGi(amount.known) : String(amount.known));
  return terms.join(' + ');
}
