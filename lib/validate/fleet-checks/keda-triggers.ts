import { annotationReferences, EXTERNAL_SECRETS_ANNOTATION } from '../../private/external-references';
import { Finding, ManifestObject } from '../finding';
import { arrayAt, isObject, namespaceOf, objectKey, pointer } from '../manifest-values';
import { Report, reporterFor } from '../report';
import { FleetCheckOptions } from './options';

// KEDA 2.20's github-runner scaler (kedacore/keda pkg/scalers/github_runner_scaler.go,
// githubRunnerMetadata and its Validate; the parsing is scalersconfig/typed_config.go TypedConfig):
// each parameter comes from the trigger's metadata, or from the scale target's container env named
// by `<name>FromEnv` (order=triggerMetadata;resolvedEnv); appKey and personalAccessToken come only
// from the TriggerAuthentication (authParams). Values are trimmed; an empty one is absent. Numbers
// and booleans are JSON-decoded. A parameter KEDA does not know is ignored without a word, so a
// misspelt one is absent: reported here.

const STRINGS = ['githubApiURL', 'owner', 'runnerScope', 'repos', 'labels'];
const BOOLEANS = ['noDefaultLabels', 'enableEtags', 'matchUnlabeledJobsWithUnlabeledRunners'];
const INTEGERS = ['targetWorkflowQueueLength', 'applicationID', 'installationID'];
const PARAMETERS = [...STRINGS, ...BOOLEANS, ...INTEGERS];
const REQUIRED = ['owner', 'runnerScope'];
const SCOPES = ['org', 'ent', 'repo'];
const AUTH_PARAMETERS = ['appKey', 'personalAccessToken'];
// kedacore/keda pkg/scaling/scalers_builder.go buildScaler: any other type is "no scaler found for type".
const SCALER_TYPES = [
  'activemq', 'apache-kafka', 'arangodb', 'artemis-queue', 'aws-cloudwatch', 'aws-dynamodb', 'aws-dynamodb-streams', 'aws-kinesis-stream',
  'aws-sqs-queue', 'azure-app-insights', 'azure-blob', 'azure-data-explorer', 'azure-eventhub', 'azure-log-analytics', 'azure-monitor',
  'azure-pipelines', 'azure-queue', 'azure-servicebus', 'beanstalkd', 'cassandra', 'couchdb', 'cpu', 'cron', 'datadog', 'dynatrace',
  'elasticsearch', 'etcd', 'external', 'external-push', 'gcp-cloudtasks', 'gcp-pubsub', 'gcp-stackdriver', 'gcp-storage', 'github-runner',
  'graphite', 'huawei-cloudeye', 'ibmmq', 'influxdb', 'kafka', 'kubernetes-workload', 'liiklus', 'loki', 'memory', 'metrics-api', 'mongodb',
  'mssql', 'mysql', 'nats-jetstream', 'new-relic', 'nsq', 'openstack-metric', 'openstack-swift', 'postgresql', 'predictkube', 'prometheus',
  'pulsar', 'rabbitmq', 'redis', 'redis-cluster', 'redis-cluster-streams', 'redis-sentinel', 'redis-sentinel-streams', 'redis-streams',
  'selenium-grid', 'solace-event-queue', 'solr', 'splunk', 'stan',
];

/** The github-runner triggers of ScaledJobs and ScaledObjects, against KEDA's parser and the objects they reference. */
export function checkKedaTriggers(items: readonly ManifestObject[], present: Set<string>, options: FleetCheckOptions): Finding[] {
  const findings: Finding[] = [];
  const auths = items.filter((i) => i.object?.apiVersion === 'keda.sh/v1alpha1' && ['TriggerAuthentication', 'ClusterTriggerAuthentication'].includes(i.object?.kind));
  for (const item of items) {
    const object = item.object;
    if (object?.apiVersion !== 'keda.sh/v1alpha1' || object?.kind !== 'ScaledJob') continue;
    const report = reporterFor(findings, item);
    const env = containerEnv(object);
    arrayAt(object.spec?.triggers).forEach((trigger: any, t: number) => {
      const at = `/spec/triggers/${t}`;
      if (typeof trigger?.type === 'string' && !SCALER_TYPES.includes(trigger.type)) report(`${at}/type`, `KEDA has no scaler of type ${JSON.stringify(trigger.type)} ("no scaler found for type")`);
      if (trigger?.type !== 'github-runner') return;
      const values = checkMetadata(trigger.metadata, `${at}/metadata`, env, report);
      const auth = findAuthentication(trigger.authenticationRef, namespaceOf(object), auths);
      if (trigger.authenticationRef === undefined) {
        report(`${at}/authenticationRef`, 'the github-runner scaler needs appKey or personalAccessToken from a TriggerAuthentication: KEDA refuses the trigger without one');
        return;
      }
      if (!auth) {
        report(`${at}/authenticationRef/name`, `${trigger.authenticationRef?.kind ?? 'TriggerAuthentication'} '${trigger.authenticationRef?.name}' is not in the output: KEDA cannot build the scaler`);
        return;
      }
      const parameters = authParameters(auth.object);
      if (!AUTH_PARAMETERS.some((p) => parameters.has(p))) {
        report(`${at}/authenticationRef/name`, `${auth.object.kind} '${auth.object.metadata?.name}' gives neither appKey nor personalAccessToken (it gives ${JSON.stringify([...parameters])}): "no personalAccessToken or appKey given"`);
      }
      const app = parameters.has('appKey') || values.has('applicationID') || values.has('installationID');
      if (app) {
        for (const needed of ['applicationID', 'installationID']) {
          if (!values.has(needed)) report(`${at}/metadata`, `a GitHub App needs ${needed} (or ${needed}FromEnv): "no ${needed} given"`);
        }
        if (!parameters.has('appKey')) report(`${at}/authenticationRef/name`, `applicationID is set but ${auth.object.kind} '${auth.object.metadata?.name}' gives no appKey: "no appKey given"`);
      }
      checkAuthSecrets(auth, present, options, findings);
    });
  }
  return findings;
}

/** Checks the metadata; answers the parameters that have a value (from metadata or env). */
function checkMetadata(metadata: unknown, at: string, env: ContainerEnv, report: Report): Set<string> {
  const values = new Set<string>();
  const meta = isObject(metadata) ? metadata : {};
  for (const [key, raw] of Object.entries(meta)) {
    const fromEnv = key.endsWith('FromEnv') ? key.slice(0, -'FromEnv'.length) : undefined;
    const name = fromEnv ?? key;
    if (!PARAMETERS.includes(name)) {
      report(`${at}/${pointer(key)}`, `KEDA's github-runner scaler has no parameter ${JSON.stringify(key)} and ignores it (parameters: ${PARAMETERS.join(', ')}, each also as <name>FromEnv)`);
      continue;
    }
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (fromEnv !== undefined) {
      if (value !== '' && !env.open && !env.names.has(value)) report(`${at}/${pointer(key)}`, `${key} names ${JSON.stringify(value)}, which is not an environment variable of the job's container: KEDA finds no value`);
      else if (value !== '') values.add(name);
      continue;
    }
    if (value === '') continue;
    values.add(name);
    if (name === 'runnerScope' && !SCOPES.includes(value)) report(`${at}/${pointer(key)}`, `runnerScope ${JSON.stringify(value)} must be one of ${SCOPES.join(', ')}`);
    if (BOOLEANS.includes(name) && value !== 'true' && value !== 'false') report(`${at}/${pointer(key)}`, `${name} must be "true" or "false", got ${JSON.stringify(raw)}`);
    if (INTEGERS.includes(name) && !/^-?(0|[1-9][0-9]*)$/.test(value)) report(`${at}/${pointer(key)}`, `${name} must be an integer, got ${JSON.stringify(raw)}`);
    if (name === 'githubApiURL' && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(value)) report(`${at}/${pointer(key)}`, `githubApiURL ${JSON.stringify(value)} is not an http(s) URL`);
  }
  for (const needed of REQUIRED) {
    if (!values.has(needed)) report(at, `missing required parameter ${JSON.stringify(needed)} (in metadata or as ${needed}FromEnv): KEDA refuses the trigger`);
  }
  return values;
}

/** Environment variable names KEDA can resolve; `open` when envFrom brings names a manifest cannot list. */
interface ContainerEnv {
  readonly names: Set<string>;
  readonly open: boolean;
}

/**
 * The environment KEDA resolves `…FromEnv` from: the ScaledJob's envSourceContainerName container,
 * or the first (pkg/scaling/resolver ResolveContainerEnv).
 */
function containerEnv(scaledJob: any): ContainerEnv {
  const containers = arrayAt(scaledJob.spec?.jobTargetRef?.template?.spec?.containers);
  const name = scaledJob.spec?.envSourceContainerName;
  const container = name ? containers.find((c: any) => c?.name === name) : containers[0];
  const names = new Set<string>(arrayAt(container?.env).map((v: any) => v?.name).filter((n: unknown) => typeof n === 'string'));
  return { names, open: arrayAt(container?.envFrom).length > 0 };
}

function findAuthentication(ref: any, namespace: string, auths: readonly ManifestObject[]): ManifestObject | undefined {
  const kind = ref?.kind ?? 'TriggerAuthentication';
  return auths.find((a) => a.object.kind === kind && a.object.metadata?.name === ref?.name && (kind === 'ClusterTriggerAuthentication' || namespaceOf(a.object) === namespace));
}

/** Every `parameter` a TriggerAuthentication gives (secretTargetRef, env, configMapTargetRef, vaults). */
function authParameters(auth: any): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) {
      if (typeof value.parameter === 'string') found.add(value.parameter);
      Object.values(value).forEach(visit);
    }
  };
  visit(auth?.spec);
  return found;
}

// KEDA reads each secretTargetRef's Secret in the TriggerAuthentication's namespace: it must exist.
function checkAuthSecrets(auth: ManifestObject, present: Set<string>, options: FleetCheckOptions, findings: Finding[]): void {
  const declared = new Set([...annotationReferences(auth.object, EXTERNAL_SECRETS_ANNOTATION), ...(options.externalSecrets ?? [])]);
  const report = reporterFor(findings, auth);
  arrayAt(auth.object.spec?.secretTargetRef).forEach((ref: any, i: number) => {
    if (!declared.has(ref?.name) && !present.has(objectKey('Secret', namespaceOf(auth.object), ref?.name))) {
      report(`/spec/secretTargetRef/${i}/name`, `Secret '${ref?.name}' is neither in the output nor declared external (annotation ${EXTERNAL_SECRETS_ANNOTATION})`);
    }
  });
}
