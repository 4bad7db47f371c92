import { parseQuantity } from '../private/quantity';

// Reading values out of parsed manifests, which may be hand-edited and hold anything: every helper
// takes `unknown` and answers without throwing.

/** The object's namespace, `default` when it names none (what kubectl apply gives it). */
export function namespaceOf(object: any): string {
  return object?.metadata?.namespace ?? 'default';
}

/** `Kind/namespace/name`: one object of the output, to look up by reference. */
export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function arrayAt(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

/** A quantity (string or number) in base units; undefined when absent or not a quantity (the schema reports those). */
export function quantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? parseQuantity(value) : undefined;
}

/** A key as a JSON-pointer segment. */
export function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
