// GitHub's rules for runner labels and runner groups.

/** The runner refuses a label longer than this (actions/runner `Validators.LabelsValidator`). */
export const MAX_RUNNER_LABEL_LENGTH = 256;
/** GitHub accepts at most this many custom labels on a self-hosted runner. */
export const MAX_RUNNER_LABELS = 100;
// Letters and digits of any script, combining marks, '.', '_' and '-': enough for every label in
// common use (`gpu`, `ubuntu-24.04`, `x64_large`, `größe`) and nothing a shell or `--labels` treats
// specially; not starting with '-', which config.sh would take for an option (`--ephemeral`).
const LABEL = /^[\p{L}\p{M}\p{N}._][\p{L}\p{M}\p{N}._-]*$/u;

/**
 * Checks runner labels: 1..256 characters of letters, digits, '.', '_' or '-' each, no duplicates
 * (GitHub compares labels case-insensitively), at most 100.
 */
export function validateLabels(owner: string, prop: string, labels: readonly string[]): string[] {
  if (!Array.isArray(labels)) throw new Error(`${owner} '${prop}' must be an array of strings, got ${JSON.stringify(labels)}`);
  if (labels.length > MAX_RUNNER_LABELS) {
    throw new Error(`${owner} '${prop}' has ${labels.length} labels; GitHub allows at most ${MAX_RUNNER_LABELS}`);
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== 'string' || label.length === 0) {
      throw new Error(`${owner} '${prop}' contains an empty label: ${JSON.stringify(labels)}`);
    }
    if (label.length > MAX_RUNNER_LABEL_LENGTH) {
      throw new Error(`${owner} '${prop}' label is ${label.length} characters long; the runner allows at most ${MAX_RUNNER_LABEL_LENGTH}: `
        + `${JSON.stringify(label.slice(0, 40))}...`);
    }
    if (!LABEL.test(label)) {
      throw new Error(`${owner} '${prop}' label ${JSON.stringify(label)} may only contain letters, digits, '.', '_' and '-', `
        + "and must not start with '-' (no commas, whitespace or shell metacharacters)");
    }
    const key = label.toLowerCase();
    if (seen.has(key)) {
      throw new Error(`${owner} '${prop}' has the label ${JSON.stringify(label)} twice (GitHub labels are case-insensitive)`);
    }
    seen.add(key);
  }
  return [...labels];
}

const RUNNER_GROUP = /^[\p{L}\p{M}\p{N}._](?:[\p{L}\p{M}\p{N} ._-]{0,126}[\p{L}\p{M}\p{N}._-])?$/u;

/** Checks a runner group name: letters, digits, '.', '_', '-' and inner spaces, at most 128 characters. */
export function validateRunnerGroup(owner: string, prop: string, group: string): string {
  if (typeof group !== 'string' || !RUNNER_GROUP.test(group)) {
    throw new Error(`${owner} '${prop}' must be 1-128 letters, digits, '.', '_', '-' or inner spaces, not starting with '-', got ${JSON.stringify(group)}`);
  }
  return group;
}
