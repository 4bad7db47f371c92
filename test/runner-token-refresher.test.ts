import { Chart, Testing } from 'cdk8s';
import { RunnerChart, RunnerChartProps, RunnerTokenRefresher, RunnerTokenRefresherProps } from '../lib';
import { clusterBundle } from '../lib/render/cluster-bundle';
import { oneOffJobName } from '../lib/render/one-off-job';
import { formatFinding, validateObjects } from '../lib/validate';
import { K8sObject, ofKind, synth } from './util';

function standalone(props: Partial<RunnerTokenRefresherProps> = {}) {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
  new RunnerTokenRefresher(chart, 'refresher', {
    url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', tokenSecretName: 'runner-token', name: 'tokens', ...props,
  });
  return synth(chart);
}

const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
/** The one Job of an output (the refresher's first run; its name carries a hash). */
const oneOffJob = (objects: K8sObject[]) => {
  const jobs = ofKind(objects, 'Job');
  expect(jobs).toHaveLength(1);
  return jobs[0];
};
const containerOf = (objects: K8sObject[]) => named(objects, 'CronJob', 'tokens').spec.jobTemplate.spec.template.spec.containers[0];

describe('RunnerTokenRefresher', () => {
  test('a CronJob every 30 minutes, never two at once, and a Job for the first token now', () => {
    const objects = standalone();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/runner-token', 'ServiceAccount/tokens', 'Role/tokens', 'RoleBinding/tokens', 'ConfigMap/tokens', expect.stringMatching(/^Job\/tokens-now-[0-9a-f]{6}$/), 'CronJob/tokens',
    ]);
    const cron = named(objects, 'CronJob', 'tokens');
    expect(cron.spec).toMatchObject({ schedule: '*/30 * * * *', concurrencyPolicy: 'Forbid' });
    const job = oneOffJob(objects);
    expect(job.spec.template).toEqual(cron.spec.jobTemplate.spec.template);
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(objects).toMatchSnapshot();
  });

  test('its ServiceAccount may only get, patch and update the one token Secret, and create Events', () => {
    const objects = standalone();
    expect(named(objects, 'Role', 'tokens').rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['runner-token'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] }]);
    expect(named(objects, 'RoleBinding', 'tokens').subjects).toEqual([{ kind: 'ServiceAccount', name: 'tokens', namespace: 'ci' }]);
  });

  test('the script, its settings, and the credentials mounted in its pod only; the token Secret is synthesized empty', () => {
    const objects = standalone({ deleteOfflineRunners: true, runnerNamePrefix: 'gpu-runner' });
    const data = named(objects, 'ConfigMap', 'tokens').data;
    expect(Object.keys(data).sort()).toEqual(['config.json', 'token-refresher.js']);
    expect(data['token-refresher.js']).toBe(clusterBundle('token-refresher'));
    expect(JSON.parse(data['config.json'])).toEqual({
      github: { url: 'https://github.com/acme', credentialsDir: '/etc/github-credentials' },
      secretName: 'runner-token', secretKey: 'token', deleteOfflineRunnersPrefix: 'gpu-runner',
    });
    const container = containerOf(objects);
    expect(container.command).toEqual(['node', '/etc/token-refresher/token-refresher.js', '/etc/token-refresher/config.json']);
    expect(container.env.map((e: any) => [e.name, e.valueFrom.fieldRef.fieldPath]))
      .toEqual([['POD_NAME', 'metadata.name'], ['POD_NAMESPACE', 'metadata.namespace'], ['POD_UID', 'metadata.uid']]);
    expect(container.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/token-refresher', readOnly: true }, { name: 'github-credentials', mountPath: '/etc/github-credentials', readOnly: true },
    ]);
    const pod = named(objects, 'CronJob', 'tokens').spec.jobTemplate.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'github-credentials', secret: { secretName: 'github-app', defaultMode: 0o440 } });
    const secret = named(objects, 'Secret', 'runner-token');
    expect(secret.data).toBeUndefined();
    expect(secret.stringData).toBeUndefined();
  });

  test('the output is valid', () => {
    expect(validateObjects(standalone().map((object) => ({ file: 'refresher.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test.each([
    [{ githubCredentialsSecret: 'runner-token' }, "RunnerTokenRefresher 'githubCredentialsSecret' must not be the token Secret \"runner-token\""],
    [{ schedule: '*/30 * * *' }, "RunnerTokenRefresher 'schedule' must be a cron schedule of five fields"],
    [{ schedule: '*/30 * * * *; reboot' }, "RunnerTokenRefresher 'schedule' must be a cron schedule"],
    [{ name: 'x'.repeat(53) }, "RunnerTokenRefresher 'name' must be a DNS-1123 label"],
    [{ url: 'http://github.com/acme' }, "RunnerTokenRefresher 'url' must be a URL (https)"],
    [{ containerImage: 'node' }, "RunnerTokenRefresher 'containerImage' must be a pinned image reference"],
    [{ tokenSecretKey: '..data' }, "RunnerTokenRefresher 'tokenSecretKey' must be a Secret key"],
  ])('rejects %j', (props, message) => {
    expect(() => standalone(props as Partial<RunnerTokenRefresherProps>)).toThrow(message);
  });
});

// What `kubectl apply` (or a GitOps sync) of a new output over an older one meets at the API
// server for a Job of the same name: Kubernetes ValidateJobSpecUpdate (pkg/apis/batch/validation)
// refuses any change to its pod template, selector, completions or completionMode.
function reapplyRefusals(before: K8sObject[], after: K8sObject[]): string[] {
  const applied = new Map(ofKind(before, 'Job').map((job) => [`${job.metadata.namespace}/${job.metadata.name}`, job]));
  return ofKind(after, 'Job').flatMap((job) => {
    const old = applied.get(`${job.metadata.namespace}/${job.metadata.name}`);
    if (!old) return [];
    return ['template', 'selector', 'completions', 'completionMode']
      .filter((field) => JSON.stringify(old.spec[field]) !== JSON.stringify(job.spec[field]))
      .map((field) => `Job/${job.metadata.name}: spec.${field}: Invalid value: field is immutable`);
  });
}

describe('re-applying the refresher', () => {
  const EXTERNAL = 'cdk8s-kubevirt-runners/external-secrets';

  test('an unchanged apply is byte-identical: the same Job, nothing for the API server to refuse', () => {
    const before = standalone();
    const after = standalone();
    expect(JSON.stringify(after)).toBe(JSON.stringify(before));
    expect(reapplyRefusals(before, after)).toEqual([]);
  });

  test.each([
    ['another image (a mirror)', { containerImage: 'registry.corp.example/node:26.13.0-alpine3.24' }],
    ['a CA from a Secret (a volume and NODE_EXTRA_CA_CERTS)', { caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' } }],
    ['another credentials Secret (a volume)', { githubCredentialsSecret: 'github-pat' }],
  ])('with %s: a new one-off Job beside the same CronJob, and no refusal', (_change, props) => {
    const before = standalone();
    const after = standalone(props as Partial<RunnerTokenRefresherProps>);
    expect(oneOffJob(after).metadata.name).not.toBe(oneOffJob(before).metadata.name);
    expect(named(after, 'CronJob', 'tokens')).toBeDefined();
    expect(reapplyRefusals(before, after)).toEqual([]);
    // Under the old name the same change is what the API server refuses.
    const sameName = after.map((o) => (o.kind === 'Job' ? { ...o, metadata: { ...o.metadata, name: oneOffJob(before).metadata.name } } : o));
    expect(reapplyRefusals(before, sameName)).toEqual([`Job/${oneOffJob(before).metadata.name}: spec.template: Invalid value: field is immutable`]);
  });

  test.each([
    ['another scope', { url: 'https://github.com/other' }],
    ['a proxy', { proxy: { https: 'http://proxy.corp:3129' } }],
  ])('a change only to what the Job reads (its config file), %s, runs it again at once', (_change, props) => {
    const before = standalone();
    const after = standalone(props as Partial<RunnerTokenRefresherProps>);
    expect(oneOffJob(after).spec.template).toEqual(oneOffJob(before).spec.template);
    expect(oneOffJob(after).metadata.name).not.toBe(oneOffJob(before).metadata.name);
  });

  test('a change to the schedule only (the CronJob, a mutable field) keeps the Job', () => {
    expect(oneOffJob(standalone({ schedule: '*/20 * * * *' })).metadata.name).toBe(oneOffJob(standalone()).metadata.name);
  });

  test('the longest name (52) still makes a Job name that labels its pods (63) and validates', () => {
    const objects = standalone({ name: 'x'.repeat(52) });
    expect(oneOffJob(objects).metadata.name).toMatch(/^x{52}-now-[0-9a-f]{6}$/);
    expect(validateObjects(objects.map((object) => ({ file: 'refresher.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test('a one-off Job name is <base>-now-<6 hex> and never longer than a label value', () => {
    expect(oneOffJobName('x'.repeat(52), { spec: {} })).toMatch(/^x{52}-now-[0-9a-f]{6}$/);
    expect(oneOffJobName('tokens', { spec: { a: 1 } })).not.toBe(oneOffJobName('tokens', { spec: { a: 2 } }));
    expect(() => oneOffJobName('x'.repeat(53), {})).toThrow(`the one-off Job of '${'x'.repeat(53)}' would be named`);
  });

  test('the Job declares the Secrets it mounts and the output lacks, as the CronJob does', () => {
    const objects = standalone({ caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' } });
    expect(oneOffJob(objects).metadata.annotations).toEqual({ [EXTERNAL]: 'github-app,corp-ca' });
    expect(named(objects, 'CronJob', 'tokens').metadata.annotations).toEqual({ [EXTERNAL]: 'github-app,corp-ca' });
    // Alone, without the CronJob beside it, the Job's own declaration is what the validator reads.
    const jobAlone = objects.filter((o) => o.kind !== 'CronJob');
    expect(validateObjects(jobAlone.map((object) => ({ file: 'refresher.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });
});

describe('a fleet with a token refresher', () => {
  const fleet = (props: Partial<RunnerChartProps> = {}) => synth(new RunnerChart(Testing.app(), 'fleet', {
    url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token', replicas: 2, name: 'runners',
    tokenRefresher: { githubCredentialsSecret: 'github-app', deleteOfflineRunners: true }, ...props,
  }));

  test('one prop: the refresher fills the Secret the VMs read, and the App key reaches no VM', () => {
    const objects = fleet();
    const cron = named(objects, 'CronJob', 'runners-refresher');
    const config = JSON.parse(named(objects, 'ConfigMap', cron.spec.jobTemplate.spec.template.spec.volumes[0].configMap.name).data['config.json']);
    expect(config).toMatchObject({ secretName: 'ci-runner-token', deleteOfflineRunnersPrefix: 'runners', github: { url: 'https://github.com/acme' } });
    expect(named(objects, 'Secret', 'ci-runner-token')).toBeDefined();
    for (const vm of ofKind(objects, 'VirtualMachine')) {
      expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'token', secret: { secretName: 'ci-runner-token', optional: true } });
      expect(JSON.stringify(vm)).not.toContain('github-app');
    }
    expect(validateObjects(objects.map((object) => ({ file: 'fleet.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test.each([
    [{ tokenRefresher: { githubCredentialsSecret: 'ci-runner-token' } }, "RunnerChart 'tokenRefresher.githubCredentialsSecret' must not be the token Secret"],
    [{ tokenRefresher: { githubCredentialsSecret: 'app', schedule: 'hourly' } }, "RunnerChart 'tokenRefresher.schedule' must be a cron schedule"],
    [{ name: 'x'.repeat(43) }, "RunnerChart 'name' must be at most 42 characters with a 'tokenRefresher'"],
  ])('errors name RunnerChart: %j', (props, message) => {
    expect(() => fleet(props as Partial<RunnerChartProps>)).toThrow(message);
  });
});
