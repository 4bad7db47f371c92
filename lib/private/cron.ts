// The schedule and time zone of a CronJob as Kubernetes checks them (pkg/apis/batch/validation:
// robfig/cron's standard parser, Go's time.LoadLocation), shared by the constructs that emit
// CronJobs and the validator.

// A standard cron schedule as Kubernetes parses a CronJob's (robfig/cron's standard parser): five
// fields or a macro; no seconds field, no CRON_TZ (the CronJob's timeZone says that), nothing a shell would read.
const CRON_MACRO = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every ([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;
const CRON_FIELDS: ReadonlyArray<{ readonly name: string; readonly min: number; readonly max: number; readonly names?: readonly string[]; readonly any?: boolean }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, any: true },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], any: true },
];

/** Why `schedule` is not a cron schedule Kubernetes accepts, or undefined when it is one. */
export function cronProblem(schedule: string): string | undefined {
  if (CRON_MACRO.test(schedule)) return undefined;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return `it has ${fields.length} fields`;
  for (const [i, field] of fields.entries()) {
    const rule = CRON_FIELDS[i];
    const value = (text: string): number | undefined => {
      if (/^[0-9]{1,2}$/.test(text)) return Number(text);
      const index = rule.names?.indexOf(text.toUpperCase()) ?? -1;
      return index >= 0 ? index + rule.min : undefined;
    };
    for (const item of field.split(',')) {
      const match = /^(\*|\?|([0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?)(?:\/([0-9]{1,2}))?$/.exec(item);
      if (!match || (match[1] === '?' && !rule.any)) return `the ${rule.name} field ${JSON.stringify(field)} is not a cron field`;
      const [, , from, to, step] = match;
      const bounds = [from, to].filter((t): t is string => t !== undefined).map(value);
      if (bounds.some((b) => b === undefined || b < rule.min || b > rule.max)) {
        return `the ${rule.name} field ${JSON.stringify(field)} is out of ${rule.min}-${rule.max}${rule.names ? ` (or ${rule.names[0]}-${rule.names.at(-1)})` : ''}`;
      }
      if (bounds.length === 2 && bounds[0]! > bounds[1]!) return `the ${rule.name} field ${JSON.stringify(field)} has a range that runs backwards`;
      if (step !== undefined && Number(step) === 0) return `the ${rule.name} field ${JSON.stringify(field)} has a step of 0`;
    }
  }
  return undefined;
}

// An IANA time zone name as Go's time.LoadLocation (the CronJob controller) finds it: case matters.
const TIME_ZONE = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z0-9][A-Za-z0-9_+-]*)*$/;

/**
 * Why `timeZone` is not an IANA time zone name the CronJob controller loads ('' when it is not one at
 * all, a hint in parentheses when it is misspelt), or undefined when it is one: known to this
 * Node.js's time zone data and spelt as Kubernetes finds it; not 'Local', not an offset.
 */
export function timeZoneProblem(timeZone: unknown): string | undefined {
  if (typeof timeZone !== 'string' || timeZone.length > 64) return '';
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return '';
  }
  // Intl ignores case ('europe/berlin'); the CronJob controller does not.
  const sameButCase = resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase();
  if (sameButCase) return ` (spelt ${JSON.stringify(resolved)})`;
  return TIME_ZONE.test(timeZone) ? undefined : '';
}
