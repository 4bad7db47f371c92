import { quantity } from '../manifest-values';

/** Where a VirtualMachine keeps its VMI spec: findings about the VMI point below it. */
export const VMI = '/spec/template/spec';

/** A CPU quantity in millicores, rounded up as resource.Quantity.MilliValue does. */
export function milli(value: unknown): number | undefined {
  const cores = quantity(value);
  return cores === undefined ? undefined : Math.ceil(cores * 1000 - 1e-9);
}

export function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
}
