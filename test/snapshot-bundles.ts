import { createHash } from 'node:crypto';
import type { Config, Printer, Refs } from 'pretty-format';

// A jest snapshot serializer (jest.config.js): a ConfigMap's JavaScript (an in-cluster bundle
// `<entry>.js`, the launcher's .cjs files) is shown as `sha256:<hex> (<n> bytes)`. A snapshot then
// says that a bundle changed and by how much, and a change to the runtime's code does not rewrite
// thousands of snapshot lines; the code itself is tested by test/cluster.

const SCRIPT_KEY = /\.c?js$/;
const SHOWN = /^sha256:[0-9a-f]{64} \(\d+ bytes\)$/;

type ConfigMap = { kind: 'ConfigMap'; data: Record<string, unknown> };

const isConfigMap = (value: unknown): value is ConfigMap => typeof value === 'object' && value !== null
  && (value as ConfigMap).kind === 'ConfigMap' && typeof (value as ConfigMap).data === 'object' && (value as ConfigMap).data !== null;

/** `sha256:<hex> (<n> bytes)` of a text. */
export const bundleDigest = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')} (${Buffer.byteLength(text, 'utf8')} bytes)`;

export function test(value: unknown): boolean {
  return isConfigMap(value) && Object.entries(value.data).some(([key, text]) => SCRIPT_KEY.test(key) && typeof text === 'string' && !SHOWN.test(text));
}

export function serialize(value: ConfigMap, config: Config, indentation: string, depth: number, refs: Refs, printer: Printer): string {
  const data = Object.fromEntries(Object.entries(value.data).map(([key, text]) => [key, SCRIPT_KEY.test(key) && typeof text === 'string' ? bundleDigest(text) : text]));
  return printer({ ...value, data }, config, indentation, depth, refs);
}
