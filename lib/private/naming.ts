/**
 * Who is validating: the construct or factory the user called, and what that caller calls the
 * props it renames (RunnerChart's `runnerVersion` is the release's `version`), so that every error
 * names a prop the user actually wrote.
 */
export interface Naming {
  /** The construct or factory the user called, e.g. 'RunnerChart'. */
  readonly owner: string;
  /** The caller's name of a prop, by the spec's name for it (`{ 'release.version': 'runnerVersion' }`). */
  readonly aliases?: Readonly<Record<string, string>>;
}

/** `[owner, prop]` as the caller names them: the first two arguments of every validator. */
export function at(naming: Naming, prop: string): [string, string] {
  return [naming.owner, naming.aliases?.[prop] ?? prop];
}

/** `Owner 'prop'`, as errors start. */
export function propLabel(naming: Naming, prop: string): string {
  const [owner, name] = at(naming, prop);
  return `${owner} '${name}'`;
}

/** A prop's value in an error message: JSON, except what JSON cannot say (NaN, Infinity, undefined). */
export function show(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
}
