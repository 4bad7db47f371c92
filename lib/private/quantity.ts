import { show } from './naming';

// Kubernetes resource quantities, checked the way the API server parses them
// (k8s.io/apimachinery/pkg/api/resource): a signed decimal number followed by a binary-SI suffix
// (Ki..Ei), a decimal-SI suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent (e3).
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

const MULTIPLIERS: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** The value of a Kubernetes quantity in base units, or undefined when it is not a quantity. */
export function parseQuantity(value: string): number | undefined {
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const [, number, suffix] = match;
  if (!suffix) return Number(number);
  const multiplier = MULTIPLIERS[suffix] ?? 10 ** Number(suffix.slice(1));
  return Number(number) * multiplier;
}

/**
 * Checks a byte quantity such as memory or a disk size: a valid Kubernetes quantity of at least
 * one byte. `16GB` (not a Kubernetes suffix), `-1`, `0` and `16m` (milli-bytes) are errors.
 */
export function validateByteQuantity(owner: string, prop: string, value: string, minimum?: string): string {
  const bytes = typeof value === 'string' ? parseQuantity(value) : undefined;
  if (bytes === undefined || !(bytes >= 1)) {
    throw new Error(`${owner} '${prop}' must be a positive Kubernetes quantity of bytes such as '16Gi' or '512Mi', `
      + `got ${show(value)}`);
  }
  // A unit left off ('16' is 16 bytes, not 16Gi) is the usual way to get here.
  if (minimum !== undefined && bytes < parseQuantity(minimum)!) {
    const hint = /^[0-9]+$/.test(value) ? `: did you mean '${value}Gi'?` : '';
    throw new Error(`${owner} '${prop}' must be at least ${minimum}, got ${show(value)} (${bytes} bytes)${hint}`);
  }
  return value;
}

const CPU = /^(?:[0-9]+(?:\.[0-9]+)?|[0-9]+m)$/;

/**
 * Checks a CPU amount: a positive number of cores (8, 0.5) or a Kubernetes CPU quantity ('8', '500m').
 * Returns the quantity as a string, the form Kubernetes prints.
 */
export function validateCpu(owner: string, prop: string, value: number | string): string {
  const text = typeof value === 'number' ? String(value) : value;
  // Cores or millicores; other suffixes ('16Gi') are valid quantities but never a CPU amount.
  const cores = typeof text === 'string' && CPU.test(text) ? parseQuantity(text) : undefined;
  if (cores === undefined || !(cores > 0) || (typeof value === 'number' && !Number.isFinite(value))) {
    throw new Error(`${owner} '${prop}' must be a positive number of cores such as 8 or '500m', got ${show(value)}`);
  }
  return text;
}

/** Whole virtual CPUs for a CPU quantity: a guest cannot have half a core, so round up. */
export function vcpusFor(cpu: string): number {
  return Math.max(1, Math.ceil(parseQuantity(cpu)! - 1e-9));
}
