import { cronProblem, timeZoneProblem } from '../../private/cron';
import { Report } from '../report';
import { checkJobSpec } from './job';
import { checkObjectMeta } from './object-meta';

// Its Jobs are named `<name>-<minutes since the epoch>` (11 characters more), and a Job's name must leave room.
const CRONJOB_NAME_MAX_LENGTH = 52;

// Kubernetes pkg/apis/batch/validation/validation.go ValidateCronJobCreate and validateCronJobSpec: the
// name at most 52 characters, a schedule robfig/cron's standard parser accepts without TZ or CRON_TZ
// (the timeZone field says that), a timeZone that time.LoadLocation finds (not 'Local'), and its job
// template by ValidateJobTemplateSpec.
export function checkCronJob(cronJob: any, report: Report): void {
  const name = cronJob.metadata?.name;
  if (typeof name === 'string' && name.length > CRONJOB_NAME_MAX_LENGTH) {
    report('/metadata/name', `a CronJob name must be no more than ${CRONJOB_NAME_MAX_LENGTH} characters, got ${name.length} (${JSON.stringify(name)})`);
  }
  const spec = cronJob.spec ?? {};
  if (typeof spec.schedule === 'string') {
    const problem = /(^|\s)(CRON_)?TZ=/.test(spec.schedule) ? 'TZ and CRON_TZ are not allowed in the schedule: use the timeZone field'
      : cronProblem(spec.schedule);
    if (problem !== undefined) report('/spec/schedule', `${JSON.stringify(spec.schedule)} is not a cron schedule Kubernetes accepts: ${problem}`);
  }
  if (spec.timeZone !== undefined) {
    const problem = timeZoneProblem(spec.timeZone);
    if (problem !== undefined) report('/spec/timeZone', `unknown time zone ${JSON.stringify(spec.timeZone)}${problem}: it must be an IANA name such as Europe/Berlin`);
  }
  checkCronJobPolicies(spec, report);
  checkObjectMeta(spec.jobTemplate?.metadata, '/spec/jobTemplate/metadata', report, { nameless: true });
  checkJobSpec(spec.jobTemplate?.spec, '/spec/jobTemplate/spec', report);
}

const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];

// validateCronJobSpec: concurrencyPolicy one of three, startingDeadlineSeconds and the history limits not negative.
function checkCronJobPolicies(spec: any, report: Report): void {
  if (spec.concurrencyPolicy !== undefined && !CONCURRENCY_POLICIES.includes(spec.concurrencyPolicy)) {
    report('/spec/concurrencyPolicy', `concurrencyPolicy ${JSON.stringify(spec.concurrencyPolicy)} is not one of ${CONCURRENCY_POLICIES.join(', ')}`);
  }
  for (const field of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    if (spec[field] !== undefined && !(Number.isInteger(spec[field]) && spec[field] >= 0)) {
      report(`/spec/${field}`, `${field} must be a non-negative integer, got ${JSON.stringify(spec[field])}`);
    }
  }
}
