import { Duration } from 'cdk8s';
import { brandOf, hasBrand } from './brand';
import { cronProblem, timeZoneProblem } from './cron';
import { DNS_LABEL_MAX_LENGTH, validateDnsLabel, validateDnsSubdomain, validateLabelMap } from './names';
import { at, Naming, propLabel, show } from './naming';

// The generic validators every resolver builds on: each checks one value, and its error names the
// construct the user called, the prop as the user wrote it, and the value. One rule, one wording.

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

/** A boolean prop, `fallback` when unset. */
export function validateBoolean(naming: Naming, prop: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${propLabel(naming, prop)} must be true or false, got ${show(value)}`);
  return value;
}

/** An integer prop from `min` to `max`; `why` says where the bounds come from, when it is not obvious. */
export function validateInteger(naming: Naming, prop: string, value: number, min: number, max: number, why = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${propLabel(naming, prop)} must be an integer from ${min} to ${max}${why}, got ${show(value)}`);
  }
  return value;
}

/** A list of strings that each match `pattern` (`what` says what an entry must be); frozen. */
export function validateEach(naming: Naming, prop: string, values: readonly string[] | undefined, pattern: RegExp, what: string): readonly string[] {
  if (values !== undefined && !Array.isArray(values)) {
    throw new Error(`${propLabel(naming, prop)} must be an array, got ${show(values)}`);
  }
  for (const value of values ?? []) {
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`${propLabel(naming, prop)} entry must be ${what}, got ${show(value)}`);
    }
  }
  return Object.freeze([...(values ?? [])]);
}

/** A resource name (a DNS-1123 label, like VM and namespace names). */
export function validateName(naming: Naming, prop: string, value: string, maxLength = DNS_LABEL_MAX_LENGTH): string {
  return validateDnsLabel(...at(naming, prop), value, maxLength);
}

/** A Secret (or ServiceAccount) name: a DNS-1123 subdomain. */
export function validateSecretName(naming: Naming, prop: string, value: string): string {
  return validateDnsSubdomain(...at(naming, prop), value);
}

// Kubernetes' rule for Secret keys (IsConfigMapKey); '.', '..' and '..*' would clash with the volume's own symlinks.
const SECRET_KEY = /^(?!\.\.)(?!\.$)[-._a-zA-Z0-9]{1,253}$/;

/** A key of a Secret or ConfigMap. */
export function validateSecretKey(naming: Naming, prop: string, key: string): string {
  if (typeof key !== 'string' || !SECRET_KEY.test(key)) {
    throw new Error(`${propLabel(naming, prop)} must be a Secret key ([-._a-zA-Z0-9]+, not '.', '..' or starting with '..'), got ${show(key)}`);
  }
  return key;
}

/** Kubernetes labels (`metadata.labels`), frozen. */
export function validateKubernetesLabels(naming: Naming, prop: string, labels: Record<string, string> | undefined): Readonly<Record<string, string>> {
  return Object.freeze({ ...validateLabelMap(...at(naming, prop), labels ?? {}) });
}

/** A CronJob schedule; the error names the prop, the value and why. */
export function validateCron(naming: Naming, prop: string, schedule: unknown, example: string): string {
  const problem = typeof schedule === 'string' ? cronProblem(schedule) : 'it is not a string';
  if (problem !== undefined) {
    throw new Error(`${propLabel(naming, prop)} must be a cron schedule of five fields such as '${example}', got ${show(schedule)}: ${problem}`);
  }
  return schedule as string;
}

/** An IANA time zone name (Europe/Berlin, America/New_York, Etc/UTC) as the CronJob controller loads it. */
export function validateTimeZone(naming: Naming, prop: string, timeZone: unknown): string {
  const problem = timeZoneProblem(timeZone);
  if (problem !== undefined) {
    throw new Error(`${propLabel(naming, prop)} must be an IANA time zone name such as 'Europe/Berlin' or 'Etc/UTC', got ${show(timeZone)}${problem}`);
  }
  return timeZone as string;
}

/** A Duration prop in whole seconds, at least 1. */
export function validateDuration(naming: Naming, prop: string, duration: Duration, example = 'Duration.minutes(15)'): number {
  const seconds = typeof duration?.toSeconds === 'function' ? duration.toSeconds({ integral: false }) : NaN;
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`${propLabel(naming, prop)} must be a Duration of whole seconds, at least 1 (${example}), got ${show(seconds)}`);
  }
  return seconds;
}

/**
 * A value of one of the library's types, recognised by its brand (`typeName`, e.g. 'RunnerImage'),
 * so that one from another copy of the library counts too; `hint` shows how to make one.
 */
export function validateBranded<T>(naming: Naming, prop: string, value: unknown, typeName: string, hint = ''): T {
  if (!hasBrand(value, brandOf(typeName))) {
    throw new Error(`${propLabel(naming, prop)} must be ${/^[AEIOU]/.test(typeName) ? 'an' : 'a'} ${typeName}${hint ? ` (${hint})` : ''}, got ${show(value)}`);
  }
  return value as T;
}

/**
 * A construct whose objects must live in the namespace of what it uses (a VM boots only a volume,
 * and reads only Secrets, of its own namespace): `chartNamespace`, when the chart has one, must be it.
 */
export function checkSameNamespace(naming: Naming, prop: string, namespace: string, chartNamespace: string | undefined, why: string): void {
  if (chartNamespace !== undefined && chartNamespace !== namespace) {
    throw new Error(`${propLabel(naming, prop)} is in namespace ${namespace} but the chart is in ${chartNamespace}: ${why}`);
  }
}
