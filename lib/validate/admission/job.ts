import { isObject } from '../manifest-values';
import { Report } from '../report';
import { checkPodTemplate } from './pod-spec';

const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];
// The Job controller labels its pods with the Job's name (batch.kubernetes.io/job-name), a label value.
const JOB_NAME_MAX_LENGTH = 63;

/** A Job (`batch/v1`): its name and its spec. */
export function checkJob(job: any, report: Report): void {
  const name = job.metadata?.name;
  if (typeof name === 'string' && name.length > JOB_NAME_MAX_LENGTH) {
    report('/metadata/name', `a Job's name is a label value on its pods: at most ${JOB_NAME_MAX_LENGTH} characters, got ${name.length}`);
  }
  checkJobSpec(job.spec, '/spec', report);
}

// Kubernetes pkg/apis/batch/validation/validation.go validateJobSpec (what ValidateJob,
// ValidateJobTemplateSpec for a CronJob's jobTemplate, and so every Job a ScaledJob creates, meet):
// non-negative parallelism, completions, backoffLimit and ttlSecondsAfterFinished, a positive
// activeDeadlineSeconds, a restartPolicy of OnFailure or Never ("Unsupported value" for Always, the
// default when absent), no selector unless manualSelector (validateGeneratedSelector), and the pod
// template by ValidatePodTemplateSpec.
export function checkJobSpec(spec: any, at: string, report: Report): void {
  if (!isObject(spec)) {
    report(at, 'a Job needs a spec');
    return;
  }
  for (const field of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    const value = spec[field];
    if (value !== undefined && value !== null && !(Number.isInteger(value) && value >= 0)) {
      report(`${at}/${field}`, `${field} must be a non-negative integer, got ${JSON.stringify(value)}`);
    }
  }
  if (spec.activeDeadlineSeconds !== undefined && !(Number.isInteger(spec.activeDeadlineSeconds) && spec.activeDeadlineSeconds > 0)) {
    report(`${at}/activeDeadlineSeconds`, `activeDeadlineSeconds must be a positive integer, got ${JSON.stringify(spec.activeDeadlineSeconds)}`);
  }
  if (spec.selector !== undefined && spec.manualSelector !== true) {
    report(`${at}/selector`, 'a Job\'s selector is generated: set it only with manualSelector: true');
  }
  const policy = spec.template?.spec?.restartPolicy;
  if (isObject(spec.template?.spec) && !JOB_RESTART_POLICIES.includes(policy)) {
    report(`${at}/template/spec/restartPolicy`, `a Job's pods need restartPolicy OnFailure or Never, got ${JSON.stringify(policy ?? 'Always (the default)')}`);
  }
  if (spec.podFailurePolicy !== undefined && policy !== 'Never') {
    report(`${at}/template/spec/restartPolicy`, 'a Job with a podFailurePolicy needs restartPolicy Never');
  }
  checkPodTemplate(spec.template, `${at}/template`, report);
}
