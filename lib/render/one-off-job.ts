import { createHash } from 'node:crypto';

// A Job that runs once when the output is applied (the token refresher's first token) beside the
// CronJob that repeats it. A Job's pod template is immutable (Kubernetes ValidateJobUpdate:
// "field is immutable"), and a finished one is kept a day for its logs: under a fixed name, any
// re-apply that day with another image, env or config would fail. Its name carries a hash of what
// it runs instead, so a changed apply creates a new Job (the old one goes by its TTL, or is pruned
// by a GitOps tool) and an unchanged apply leaves it as it is.

/** Hex characters of the hash: `<base>-now-<hash>` of a 52-character base (a CronJob's longest name) is 63. */
const HASH_LENGTH = 6;
/** The Job controller labels the Job's pods with its name (batch.kubernetes.io/job-name), a label value. */
const JOB_NAME_MAX_LENGTH = 63;

/** Seconds a finished one-off Job is kept, for its logs. */
export const ONE_OFF_JOB_TTL_SECONDS = 86400;

/**
 * The name of a one-off Job, `<base>-now-<hash>`: `runs` is everything its pods run and read (its
 * spec and the files of the ConfigMap they mount), so that the name changes exactly when they do.
 */
export function oneOffJobName(base: string, runs: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(runs)).digest('hex').slice(0, HASH_LENGTH);
  const name = `${base}-now-${hash}`;
  if (name.length > JOB_NAME_MAX_LENGTH) throw new Error(`the one-off Job of '${base}' would be named ${name} (over ${JOB_NAME_MAX_LENGTH} characters)`);
  return name;
}
