import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiVersionOf, isObject, Plural, RESOURCES } from './fake-kube-wire';
import { KubernetesSchemas } from '../../lib/validate/kubernetes-schemas';

// What the API server (with KubeVirt's and CDI's admission) refuses that a JSON schema alone does
// not: object-meta, ownerReference, volume and Secret rules, and the Scale's own validation. Request
// bodies are checked against the kinds' JSON schemas (ajv, as the validator does).

/**
 * Where the standalone-strict schemas of kinds the library never synthesizes are: autoscaling/v1 Scale
 * and core/v1 Event (see their drift test in fake-kube.test.ts).
 */
export const SCALE_SCHEMA_DIR = join(__dirname, 'schemas');
const TEST_SCHEMA_KINDS: Record<string, string> = JSON.parse(readFileSync(join(SCALE_SCHEMA_DIR, 'kinds.json'), 'utf8'));

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(|(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const MAX_SECRET_BYTES = 1024 * 1024;
const INT32_MAX = 2 ** 31 - 1;

// One validator per test file: compiling the KubeVirt schema takes a moment.
let schemas: KubernetesSchemas | undefined;
let testSchemas: KubernetesSchemas | undefined;

/** The object's problems against its kind's JSON schema. */
export function schemaProblems(object: any): string[] {
  // Pods are made by the kubelet's side (KubeVirt's virt-launcher pods), never by a client under test:
  // the tests put them, and Pod's standalone schema would be 580 kB.
  if (`${object?.apiVersion} ${object?.kind}` === 'v1 Pod') return [];
  if (`${object?.apiVersion} ${object?.kind}` in TEST_SCHEMA_KINDS) {
    testSchemas ??= new KubernetesSchemas(SCALE_SCHEMA_DIR);
    return testSchemas.validate({ file: 'request', object }).map((f) => `${f.path || '/'}: ${f.message}`);
  }
  schemas ??= new KubernetesSchemas();
  return schemas.validate({ file: 'request', object }).map((f) => `${f.path || '/'}: ${f.message}`);
}

/** A Scale's problems against autoscaling/v1 Scale's schema and apimachinery's ValidateScale. */
export function scaleProblems(scale: any): string[] {
  testSchemas ??= new KubernetesSchemas(SCALE_SCHEMA_DIR);
  const problems = testSchemas.validate({ file: 'request', object: scale }).map((f) => `${f.path || '/'}: ${f.message}`);
  const replicas = scale?.spec?.replicas;
  if (Number.isInteger(replicas) && replicas < 0) problems.push('spec.replicas: Invalid value: must be greater than or equal to 0');
  if (Number.isInteger(replicas) && replicas > INT32_MAX) problems.push('spec.replicas: Invalid value: must fit in an int32');
  return problems;
}

/** Why the API server would refuse to create `object` in `namespace`. */
export function admissionProblems(plural: Plural, namespace: string, object: any): string[] {
  const { kind } = RESOURCES[plural];
  if (object?.apiVersion !== apiVersionOf(plural) || object?.kind !== kind) return [`expected ${apiVersionOf(plural)} ${kind}, got ${object?.apiVersion} ${object?.kind}`];
  const problems = schemaProblems(object);
  const meta = object.metadata ?? {};
  const nameRule = plural === 'virtualmachineinstances' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (typeof meta.name !== 'string' || !nameRule.test(meta.name)) problems.push(`metadata.name: invalid name ${JSON.stringify(meta.name)}`);
  if (meta.namespace !== undefined && meta.namespace !== namespace) problems.push(`metadata.namespace: ${meta.namespace} does not match the request's namespace ${namespace}`);
  for (const field of ['uid', 'resourceVersion', 'deletionTimestamp']) {
    if (meta[field] !== undefined) problems.push(`metadata.${field}: must not be set on create`);
  }
  for (const [labelKey, value] of Object.entries(meta.labels ?? {})) {
    const [prefix, labelName] = labelKey.includes('/') ? labelKey.split('/', 2) : [undefined, labelKey];
    if ((prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) || !LABEL_NAME.test(labelName)) problems.push(`metadata.labels: invalid key ${JSON.stringify(labelKey)}`);
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) problems.push(`metadata.labels[${labelKey}]: invalid value ${JSON.stringify(value)}`);
  }
  problems.push(...ownerProblems(meta.ownerReferences ?? []));
  if (plural === 'secrets') problems.push(...secretProblems(object));
  // ValidateEvent: an Event lives in the namespace of the object it is about.
  if (plural === 'events' && object.involvedObject?.namespace !== namespace) problems.push('involvedObject.namespace: Invalid value: does not match event.namespace');
  if (plural === 'events') problems.push(...eventProblems(object));
  if (plural === 'virtualmachineinstances') {
    const spec = object.spec ?? {};
    if (spec.hostname !== undefined && !DNS_LABEL.test(spec.hostname)) problems.push(`spec.hostname: must be a DNS label, got ${JSON.stringify(spec.hostname)}`);
    const volumes: string[] = (spec.volumes ?? []).map((v: any) => v.name);
    if (new Set(volumes).size !== volumes.length) problems.push('spec.volumes: names must be unique');
    for (const disk of spec.domain?.devices?.disks ?? []) {
      if (!volumes.includes(disk.name)) problems.push(`spec.domain.devices.disks: disk ${disk.name} has no matching volume`);
    }
  }
  return problems;
}

/** What ValidateEventCreate (pkg/apis/core/validation/events.go) checks of a core/v1 Event beyond its schema and namespace. */
function eventProblems(event: any): string[] {
  const problems: string[] = [];
  if (event.type !== undefined && !['Normal', 'Warning'].includes(event.type)) problems.push(`type: Unsupported value: ${JSON.stringify(event.type)}`);
  if (typeof event.reason === 'string' && event.reason.length > 128) problems.push('reason: Too long: may not be more than 128 bytes');
  if (typeof event.message === 'string' && Buffer.byteLength(event.message) > 1024) problems.push('message: Too long: may not be more than 1024 bytes');
  if (typeof event.reportingComponent === 'string' && event.reportingComponent.length > 128) problems.push('reportingComponent: Too long');
  return problems;
}

function ownerProblems(owners: unknown): string[] {
  if (!Array.isArray(owners)) return ['metadata.ownerReferences: must be a list'];
  const problems: string[] = [];
  for (const [i, owner] of owners.entries()) {
    for (const field of ['apiVersion', 'kind', 'name', 'uid']) {
      if (typeof owner?.[field] !== 'string' || owner[field] === '') problems.push(`metadata.ownerReferences[${i}].${field}: required`);
    }
    for (const field of ['controller', 'blockOwnerDeletion']) {
      if (owner?.[field] !== undefined && typeof owner[field] !== 'boolean') problems.push(`metadata.ownerReferences[${i}].${field}: must be a boolean`);
    }
  }
  if (owners.filter((o: any) => o?.controller === true).length > 1) problems.push('metadata.ownerReferences: only one reference can have controller set to true');
  return problems;
}

/** A Secret's key names and total size, as ValidateSecret checks them (beyond the schema). */
export function secretProblems(secret: any): string[] {
  const data = isObject(secret.data) ? secret.data : {};
  const problems: string[] = [];
  for (const dataKey of Object.keys(data)) {
    if (!SECRET_KEY.test(dataKey) || dataKey === '.' || dataKey.startsWith('..')) problems.push(`data[${dataKey}]: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`);
  }
  const size = Object.values(data).reduce((sum: number, v) => sum + Buffer.from(String(v), 'base64').length, 0);
  if (size > MAX_SECRET_BYTES) problems.push(`data: Too long: must have at most ${MAX_SECRET_BYTES} bytes`);
  return problems;
}

/** Values Go's base64.StdEncoding would not decode (it wants padding, and nothing outside the alphabet): a 400 on decoding. */
export function base64Problems(data: unknown): string[] {
  if (!isObject(data)) return [];
  return Object.entries(data).filter(([, value]) => value !== null)
    .filter(([, value]) => typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0
      || Buffer.from(value, 'base64').toString('base64') !== value)
    .map(([dataKey]) => `data[${dataKey}]: illegal base64 data`);
}
