import { readFileSync } from 'node:fs';
import { POD_IDENTITY_ENV, type PodIdentityField } from '../contract';
import { ConfigError } from './errors';
import { isObject } from './http';

// The one configuration reader of the in-cluster runtime. An entry point's settings come from ONE
// JSON file that the library renders from the resolved spec (its type is in ../contract.ts) and
// mounts from a ConfigMap; the file's path is the entry point's first argument. Each entry checks
// the file with a `validate` function written with `Fields`, so that every error names the field
// (`replicas must be a whole number from 0 to 10000, got "x"`) and an unknown field is an error too:
// a field the library renamed cannot be silently ignored by an older runtime, nor the reverse.
//
// Besides the file, a pod tells its own identity through a few environment variables only: the
// downward API's POD_NAME, POD_NAMESPACE and POD_UID (see `podIdentity`), and the kubelet's
// KUBERNETES_SERVICE_HOST/PORT (see ./kube-connection.ts). Nothing else is read from the environment
// except what node itself reads (NODE_EXTRA_CA_CERTS).

/** A DNS label (RFC 1123): namespaces, most object names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS subdomain (RFC 1123): Secret and ConfigMap names. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Reads and validates the configuration file; every problem is a ConfigError. */
export function readConfigFile<T>(path: string, validate: (fields: Fields) => T): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`the configuration file ${path}`, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the configuration file ${path}`, `is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(json)) throw new ConfigError(`the configuration file ${path}`, 'must hold a JSON object');
  const fields = new Fields(json, '');
  const config = validate(fields);
  fields.done();
  return config;
}

/** `"text"` for messages, URLs without their user-info. */
export const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value.replace(/\/\/[^/@]*@/, '//***@')) : JSON.stringify(value) ?? String(value));

interface StringRule {
  /** What the value must be, for the error: `a namespace name (a DNS label)`. */
  readonly describe: string;
  readonly pattern?: RegExp;
  readonly check?: (value: string) => boolean;
}

/** The fields of one JSON object of the configuration, read by name; errors name the dotted path. */
export class Fields {
  private readonly read = new Set<string>();

  constructor(private readonly value: Record<string, unknown>, private readonly path: string) {}

  /** The dotted path of a field of this object. */
  field(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  /** Whether the field is there (null counts: it is then refused by its getter). */
  has(name: string): boolean {
    return this.value[name] !== undefined;
  }

  string(name: string, rule: StringRule): string {
    const value = this.take(name);
    if (value === undefined) throw new ConfigError(this.field(name), `is required: ${rule.describe}`);
    return this.checkString(name, value, rule);
  }

  optionalString(name: string, rule: StringRule): string | undefined {
    const value = this.take(name);
    return value === undefined ? undefined : this.checkString(name, value, rule);
  }

  integer(name: string, min: number, max: number): number {
    const value = this.take(name);
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw new ConfigError(this.field(name), `must be a whole number from ${min} to ${max}, got ${show(value)}`);
    }
    return value as number;
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.has(name) ? this.integer(name, min, max) : undefined;
  }

  boolean(name: string): boolean {
    const value = this.take(name);
    if (typeof value !== 'boolean') throw new ConfigError(this.field(name), `must be true or false, got ${show(value)}`);
    return value;
  }

  stringList(name: string, rule: StringRule & { readonly min?: number; readonly max?: number }): string[] {
    const value = this.take(name);
    const min = rule.min ?? 0;
    const max = rule.max ?? Infinity;
    if (!Array.isArray(value) || value.length < min || value.length > max) {
      const count = Number.isFinite(max) ? `${min} to ${max}` : `at least ${min}`;
      throw new ConfigError(this.field(name), `must be a list of ${count} entries, each ${rule.describe}, got ${show(value)}`);
    }
    return value.map((entry, i) => this.checkString(`${name}[${i}]`, entry, rule));
  }

  object(name: string): Fields {
    const value = this.take(name);
    if (!isObject(value)) throw new ConfigError(this.field(name), `must be an object, got ${show(value)}`);
    return new Fields(value, this.field(name));
  }

  /** A nested object, checked by `validate` (which may read none of it), or undefined when absent. */
  optionalObject<T>(name: string, validate: (fields: Fields) => T): T | undefined {
    if (!this.has(name)) return undefined;
    const fields = this.object(name);
    const result = validate(fields);
    fields.done();
    return result;
  }

  /** Refuses fields nobody read: a renamed or misspelt field is an error, not a silent default. */
  done(): void {
    const unknown = Object.keys(this.value).filter((key) => !this.read.has(key));
    if (unknown.length > 0) throw new ConfigError(this.field(unknown[0]), `is not a known field${this.path ? ` of ${this.path}` : ''}`);
  }

  private take(name: string): unknown {
    this.read.add(name);
    return this.value[name];
  }

  private checkString(name: string, value: unknown, rule: StringRule): string {
    if (typeof value !== 'string' || (rule.pattern && !rule.pattern.test(value)) || (rule.check && !rule.check(value))) {
      throw new ConfigError(this.field(name), `must be ${rule.describe}, got ${show(value)}`);
    }
    return value;
  }
}

/** The pod's own identity, from the downward API (POD_IDENTITY_ENV). */
export type PodIdentity = Readonly<Record<PodIdentityField, string>>;

/** The parts of the pod's identity an entry point needs, from POD_NAME, POD_NAMESPACE, POD_UID. */
export function podIdentity<K extends keyof PodIdentity>(env: NodeJS.ProcessEnv, keys: readonly K[]): Pick<PodIdentity, K> {
  const identity: Partial<PodIdentity> = {};
  for (const key of keys) {
    const variable = POD_IDENTITY_ENV[key];
    const value = env[variable];
    if (!value) throw new ConfigError(variable, `is not set: the pod template sets it from the downward API (fieldRef metadata.${key})`);
    if (key !== 'uid' && !DNS_LABEL.test(value)) throw new ConfigError(variable, `must be a DNS label, got ${show(value)}`);
    identity[key] = value;
  }
  return identity as Pick<PodIdentity, K>;
}
