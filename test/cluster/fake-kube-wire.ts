import { isDeepStrictEqual } from 'node:util';

// The fake Kubernetes API's wire format: the resources it serves, the metav1.Status bodies and the
// autoscaling/v1 Scale the API server writes, RBAC as the API server evaluates a Role, and JSON merge
// patches. Shapes follow Kubernetes 1.34 (k8s.io/apimachinery/pkg/api/errors, staging
// k8s.io/api/autoscaling/v1/types.go, plugin/pkg/auth/authorizer/rbac) and are checked against
// the schemas by ./fake-kube.test.ts.

/** The resources the fake serves, by their URL plural. */
export const RESOURCES = {
  virtualmachineinstances: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstance', listKind: 'VirtualMachineInstanceList', scale: false },
  datavolumes: { group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataVolume', listKind: 'DataVolumeList', scale: false },
  // The CRD declares `scale: { specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas,
  // labelSelectorPath: .status.labelSelector }`, so the API server serves `/scale` for it.
  virtualmachinepools: { group: 'pool.kubevirt.io', version: 'v1beta1', kind: 'VirtualMachinePool', listKind: 'VirtualMachinePoolList', scale: true },
  secrets: { group: '', version: 'v1', kind: 'Secret', listKind: 'SecretList', scale: false },
  // The image refresher's: its pointer, the bake VM, and the Events it records.
  configmaps: { group: '', version: 'v1', kind: 'ConfigMap', listKind: 'ConfigMapList', scale: false },
  virtualmachines: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine', listKind: 'VirtualMachineList', scale: false },
  // KubeVirt's virt-launcher pods (the tests put them): listed by label, their containers' logs read.
  pods: { group: '', version: 'v1', kind: 'Pod', listKind: 'PodList', scale: false },
  events: { group: '', version: 'v1', kind: 'Event', listKind: 'EventList', scale: false },
} as const;
export type Plural = keyof typeof RESOURCES;

/** `group/version`, or `version` for the core group. */
export function apiVersionOf(plural: Plural): string {
  const { group, version } = RESOURCES[plural];
  return group === '' ? version : `${group}/${version}`;
}

/** `plural.group` as the API server names a resource in its messages (`plural` for the core group). */
export const qualified = (plural: Plural) => (RESOURCES[plural].group === '' ? plural : `${plural}.${RESOURCES[plural].group}`);

export const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict',
  410: 'Expired', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable',
};

/** A metav1.Status with status Failure; `details` is omitted when empty (omitempty). */
export function statusObject(code: number, message: string, reason = REASONS[code], details?: object) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** The details of a Status about one object: `group` is omitempty, so absent for the core group. */
const detailsOf = (plural: Plural, name: string) => ({ name, ...(RESOURCES[plural].group ? { group: RESOURCES[plural].group } : {}), kind: plural });

export const notFound = (plural: Plural, name: string) =>
  statusObject(404, `${qualified(plural)} "${name}" not found`, 'NotFound', detailsOf(plural, name));

export const alreadyExists = (plural: Plural, name: string) =>
  statusObject(409, `${qualified(plural)} "${name}" already exists`, 'AlreadyExists', detailsOf(plural, name));

export const conflict = (plural: Plural, name: string, why: string) =>
  statusObject(409, `Operation cannot be fulfilled on ${qualified(plural)} "${name}": ${why}`, 'Conflict', detailsOf(plural, name));

/** 422 as apimachinery's NewInvalid words it: `Kind "name" is invalid: <field errors>`. */
export const invalid = (kind: string, group: string, plural: Plural, name: string, problems: readonly string[]) =>
  statusObject(422, `${kind} "${name}" is invalid: ${problems.join('; ')}`, 'Invalid', { ...detailsOf(plural, name), kind, ...(group ? { group } : {}) });

/** 403 as errors.NewForbidden words it (the RBAC filter and admission plugins): `name` is omitempty in the details. */
export function forbidden(plural: Plural, name: string | undefined, why: string) {
  const subject = name === undefined ? qualified(plural) : `${qualified(plural)} "${name}"`;
  const { group } = RESOURCES[plural];
  return statusObject(403, `${subject} is forbidden: ${why}`, 'Forbidden', { ...(name === undefined ? {} : { name }), ...(group ? { group } : {}), kind: plural });
}

/** One rule of a Role, as rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** The request attributes RBAC decides on. */
export interface Attributes {
  readonly verb: string;
  readonly group: string;
  /** `plural` or `plural/subresource`. */
  readonly resource: string;
  readonly name?: string;
}

/** RBAC's RuleAllows: verb, API group and resource (with `*`), and resourceNames (which never match list, watch or create). */
export function allows(rules: readonly PolicyRule[], a: Attributes): boolean {
  const has = (list: readonly string[] | undefined, value: string) => (list ?? []).includes('*') || (list ?? []).includes(value);
  return rules.some((rule) => has(rule.verbs, a.verb) && has(rule.apiGroups, a.group) && has(rule.resources, a.resource)
    && ((rule.resourceNames ?? []).length === 0 || (a.name !== undefined && rule.resourceNames!.includes(a.name))));
}

/** The RBAC verb of a request. */
export function verbOf(method: string, name: string | undefined, watch: boolean): string {
  if (method === 'GET') return name === undefined ? (watch ? 'watch' : 'list') : 'get';
  if (method === 'POST') return 'create';
  if (method === 'PATCH') return 'patch';
  if (method === 'PUT') return 'update';
  if (method === 'DELETE') return name === undefined ? 'deletecollection' : 'delete';
  return method.toLowerCase();
}

/**
 * The autoscaling/v1 Scale the API server makes of a custom resource by the CRD's scale paths.
 * ScaleSpec.replicas is `json:"replicas,omitempty"`, so 0 or unset is `spec: {}`; ScaleStatus.replicas
 * is not omitempty (always present), ScaleStatus.selector is.
 */
export function scaleOf(object: any): any {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  const replicas = object.spec?.replicas;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: replicas ? { replicas } : {},
    status: { replicas: object.status?.replicas ?? 0, ...(object.status?.labelSelector ? { selector: object.status.labelSelector } : {}) },
  };
}

export const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386 JSON merge patch (for a Secret's maps, a strategic merge patch does the same). */
export function mergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return structuredClone(patch);
  const result = isObject(target) ? structuredClone(target) : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value);
  }
  return result;
}

/**
 * RFC 6902 JSON patch as the API server applies it (evanphx/json-patch): the operations in order on
 * a copy; an operation that cannot apply (a missing path, a failed `test`) throws, and the API server
 * answers 422 with a generic Status (NewGenericServerResponse: no cause, `details: {}`).
 */
export function jsonPatch(target: unknown, operations: readonly any[]): any {
  let document = structuredClone(target);
  const parse = (pointer: unknown): string[] => {
    if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) throw new Error(`invalid JSON pointer ${JSON.stringify(pointer)}`);
    return pointer === '' ? [] : pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parentOf = (tokens: string[]) => {
    let node: any = document;
    for (const token of tokens.slice(0, -1)) {
      node = Array.isArray(node) ? node[Number(token)] : isObject(node) && Object.hasOwn(node, token) ? node[token] : undefined;
      if (node === undefined) throw new Error(`missing value at ${tokens.join('/')}`);
    }
    return node;
  };
  const read = (tokens: string[]) => {
    if (tokens.length === 0) return document;
    const parent = parentOf(tokens);
    const last = tokens.at(-1)!;
    if (Array.isArray(parent) ? !/^\d+$/.test(last) || Number(last) >= parent.length : !isObject(parent) || !Object.hasOwn(parent, last)) {
      throw new Error(`missing value at ${tokens.join('/')}`);
    }
    return parent[last as any];
  };
  const remove = (tokens: string[]) => {
    const value = read(tokens);
    const parent = parentOf(tokens);
    if (Array.isArray(parent)) parent.splice(Number(tokens.at(-1)), 1);
    else delete parent[tokens.at(-1)!];
    return value;
  };
  const add = (tokens: string[], value: unknown) => {
    if (tokens.length === 0) return void (document = structuredClone(value));
    const parent = parentOf(tokens);
    const last = tokens.at(-1)!;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!/^(\d+|-)$/.test(last) || index > parent.length) throw new Error(`index out of bounds at ${tokens.join('/')}`);
      parent.splice(index, 0, structuredClone(value));
    } else if (isObject(parent)) {
      parent[last] = structuredClone(value);
    } else {
      throw new Error(`missing value at ${tokens.join('/')}`);
    }
  };
  for (const operation of operations) {
    const path = parse(operation?.path);
    switch (operation?.op) {
      case 'add': add(path, operation.value); break;
      case 'remove': remove(path); break;
      case 'replace': read(path); if (path.length > 0) remove(path); add(path, operation.value); break;
      case 'move': add(path, remove(parse(operation.from))); break;
      case 'copy': add(path, read(parse(operation.from))); break;
      case 'test':
        if (!isDeepStrictEqual(read(path), operation.value)) throw new Error(`testing value ${operation.path} failed`);
        break;
      default: throw new Error(`Unexpected kind: ${operation?.op}`);
    }
  }
  return document;
}
