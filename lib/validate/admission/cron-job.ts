import { cronProblem, timeZoneProblem } from '../../private/cron';
import { Report } from '../report';

// Its Jobs are named `<name>-<minutes since the epoch>` (11 characters more), and a Job's name must leave room.
const CRONJOB_NAME_MAX_LENGTH = 52;

// Kubernetes pkg/apis/batch/validation/validation.go ValidateCronJobCreate and validateCronJobSpec: the
// name at most 52 characters, a schedule robfig/cron's standard parser accepts without TZ or CRON_TZ
// (the timeZone field says that), and a timeZone that time.LoadLocation finds (not 'Local').
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
}
