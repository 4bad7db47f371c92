import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { RecordedRequest, RecordingServer } from './fake-http';
import { admissionProblems, base64Problems, schemaProblems, scaleProblems, secretProblems } from './fake-kube-admission';
import { Exchange, internalError, LoadModel, LoadOptions, timeout } from './fake-kube-load';
import { key, KubeStore, now, Reply } from './fake-kube-store';
import {
  allows, alreadyExists, apiVersionOf, Attributes, conflict, forbidden, invalid, isObject, mergePatch, notFound, Plural, PolicyRule,
  jsonPatch, REASONS, RESOURCES, scaleOf, statusObject, verbOf,
} from './fake-kube-wire';

export { admissionProblems } from './fake-kube-admission';
export type { Exchange, LoadFault, LoadOptions } from './fake-kube-load';
export { apiVersionOf, RESOURCES, scaleOf } from './fake-kube-wire';
export type { Plural, PolicyRule } from './fake-kube-wire';

// One Kubernetes API server for every in-cluster test: a real HTTP(S) server on 127.0.0.1 that keeps
// VirtualMachineInstances, DataVolumes, VirtualMachinePools (with their /scale subresource),
// Secrets, Events and Pods (with their containers' /log) in memory and answers as the API server does: bearer token, RBAC from a Role, admission
// (the kinds' JSON schemas plus the rules schemas cannot express, and optionally OpenShift's
// OwnerReferencesPermissionEnforcement), metav1.Status bodies, string resourceVersions, lists and
// newline-delimited watch streams (name and label selectors) with BOOKMARKs and 410 Expired, JSON
// merge patches and JSON patches, delete preconditions. Requests a client should not send (outside
// its contract, or that the server refuses for their form) are kept in `violations`.

export type { RecordedRequest } from './fake-http';

/** What an injected fault does to a matching request. */
export type Fault =
  /** An error answer (Status body), e.g. 429 with Retry-After, 500, 503. */
  | { readonly status: number; readonly reason?: string; readonly message?: string; readonly retryAfter?: string }
  /** An answer from something in front of the API server (a proxy's or load balancer's HTML page), not a Status. */
  | { readonly status: number; readonly page: string }
  /** The connection is closed with no answer; nothing was done. */
  | { readonly reset: true }
  /** The request is carried out, but its answer never comes. */
  | { readonly lostAnswer: true }
  /** The request is answered normally, `delayMs` late. */
  | { readonly delayMs: number };

export interface FakeKubeOptions {
  /** The bearer token the server accepts. */
  readonly token: string;
  readonly tls?: { readonly key: string; readonly cert: string };
  /** RBAC: the ServiceAccount's Role. @default every request is allowed */
  readonly role?: { readonly namespace: string; readonly serviceAccount: string; readonly rules: readonly PolicyRule[] };
  /** What the client under test is meant to need; a request outside it is a violation. @default role.rules */
  readonly contract?: readonly PolicyRule[];
  /** OpenShift's admission plugin: blockOwnerDeletion needs `update` on the owner's `<resource>/finalizers`. @default false */
  readonly ownerReferencesPermissionEnforcement?: boolean;
  /** A busy server: latency and a share of faults on every request (./fake-kube-load.ts). @default none */
  readonly load?: LoadOptions;
}

interface FaultRule { readonly method: string; readonly plural: Plural; readonly watch: boolean; readonly fault: Fault; remaining: number }
interface Target { readonly plural: Plural; readonly namespace: string; readonly name?: string; readonly subresource?: string }

const PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json'];
const JSON_PATCH = 'application/json-patch+json';

export class FakeKube extends KubeStore {
  /** The bearer token the server accepts; change it to rotate. */
  public token: string;
  private readonly http: RecordingServer;
  private readonly faults: FaultRule[] = [];
  private readonly containerLogs = new Map<string, string>();
  private readonly clients = new Map<string, string>();
  private readonly load: LoadModel;

  constructor(private readonly options: FakeKubeOptions) {
    super();
    this.token = options.token;
    this.load = new LoadModel(options.load);
    this.http = new RecordingServer(options.tls, (req, res, body) => {
      const exchange = this.load.received(this.http.requests.at(-1)!, this.clientOf(req), isWatch(req), res);
      const answer = () => {
        try {
          this.route(req, res, body, exchange);
        } finally {
          this.changed();
        }
      };
      if (this.load.latencyMs > 0) setTimeout(answer, this.load.latencyMs);
      else answer();
    });
  }

  /** Listens on 127.0.0.1 (on `port`, else any free one); resolves the base URL. */
  public start(port = 0): Promise<string> {
    return this.http.start(port);
  }

  public get url(): string {
    return this.http.origin;
  }

  public get port(): number {
    return this.http.port;
  }

  /** Every request, in order. */
  public get requests(): RecordedRequest[] {
    return this.http.requests;
  }

  /** Every request with its client, fault and answer, on the fake's clock (ms): for assertions on timing. */
  public get exchanges(): readonly Exchange[] {
    return this.load.exchanges;
  }

  /** Accepts `token` too, as `client`'s: the same ServiceAccount (and Role), another pod's token. */
  public addToken(token: string, client: string): void {
    this.clients.set(token, client);
  }

  public stop(): Promise<void> {
    for (const watcher of this.watchers) watcher.res.destroy();
    this.watchers.clear();
    return this.http.stop();
  }

  /** Requests of one method, optionally only those whose URL contains `part`. */
  public requestsOf(method: string, part = ''): RecordedRequest[] {
    return this.http.requestsOf(method, part);
  }

  /** What a container of a pod (put with its spec) has logged: `pods/<pod>/log?container=` answers it. */
  public setContainerLog(namespace: string, pod: string, container: string, text: string): void {
    this.containerLogs.set(`${namespace}/${pod}/${container}`, text);
  }

  /** The next `times` matching requests (watches only if `watch`) get `fault`. */
  public inject(method: string, plural: Plural, fault: Fault, { times = 1, watch = false } = {}): void {
    this.faults.push({ method, plural, watch, fault, remaining: times });
  }
  /** Who sent a request: `default` for the server's token, the client of an added token, `unknown` otherwise (answered 401). */
  private clientOf(req: IncomingMessage): string {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === this.token) return 'default';
    return (token !== undefined && this.clients.get(token)) || 'unknown';
  }

  private route(req: IncomingMessage, res: ServerResponse, body: string, exchange: Exchange): void {
    const method = req.method ?? '';
    if (exchange.client === 'unknown') return json(res, 401, statusObject(401, 'Unauthorized'));
    const url = new URL(req.url ?? '/', 'http://fake');
    const target = parsePath(url.pathname);
    if (!target) {
      this.violations.push(`${method} ${req.url}: not an endpoint the fake serves`);
      return json(res, 404, statusObject(404, 'the server could not find the requested resource', 'NotFound', {}));
    }
    const { plural, namespace, name, subresource } = target;
    const { watch } = exchange;
    const attributes: Attributes = {
      verb: verbOf(method, name, watch), group: RESOURCES[plural].group, resource: subresource ? `${plural}/${subresource}` : plural, name,
    };
    const denied = this.denied(attributes, namespace);
    if (denied) return json(res, 403, forbidden(plural, name, denied));

    const rule = this.faults.find((f) => f.remaining > 0 && f.method === method && f.plural === plural && f.watch === watch);
    if (rule) rule.remaining--;
    const fault = rule?.fault;
    if (fault && 'reset' in fault) return void req.socket.destroy();
    if (fault && 'page' in fault) return void res.writeHead(fault.status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(fault.page) }).end(fault.page);
    if (fault && 'status' in fault) {
      // apierrors.NewTooManyRequests and friends: the Retry-After header comes from the Status's details.retryAfterSeconds.
      const details = Number(fault.retryAfter) > 0 ? { retryAfterSeconds: Number(fault.retryAfter) } : undefined;
      const status = statusObject(fault.status, fault.message ?? REASONS[fault.status] ?? 'fault', fault.reason, details);
      return json(res, fault.status, status, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
    }
    if (fault && 'delayMs' in fault) return void setTimeout(() => this.dispatch(req, res, body, target, url, watch), fault.delayMs);
    // A lost answer: the work is done, the client waits in vain (stop() closes the connection).
    let reply: Reply = fault && 'lostAnswer' in fault ? () => undefined : (status, object) => json(res, status, object);
    const load = fault ? undefined : this.load.faultFor(exchange);
    if (load === 'tooManyRequests') return this.load.tooManyRequests(res, exchange);
    if (load === 'internalError') return json(res, 500, internalError());
    // The write lands; its answer is a timeout. A write refused anyway is answered as it is.
    if (load === 'timeoutAfterWrite') {
      reply = (status, object) => {
        if (status >= 300) {
          exchange.fault = undefined;
          return json(res, status, object);
        }
        exchange.landedStatus = status;
        json(res, 504, timeout());
      };
    }
    if (typeof load === 'object') setTimeout(() => res.end(), load.endWatchAfterMs).unref();
    this.dispatch(req, res, body, target, url, watch, reply);
  }

  /** Why RBAC refuses the request (the authorizer's message), or undefined; records requests outside the contract. */
  private denied(a: Attributes, namespace: string): string | undefined {
    const role = this.options.role;
    const inRole = (rules: readonly PolicyRule[] | undefined) => !role || (namespace === role.namespace && allows(rules ?? [], a));
    const request = `${a.verb} ${a.resource}${a.name ? ` "${a.name}"` : ''} in ${namespace}`;
    if (!inRole(this.options.contract ?? role?.rules)) this.violations.push(`${request}: outside the client's Role`);
    if (inRole(role?.rules)) return undefined;
    return `User "system:serviceaccount:${role!.namespace}:${role!.serviceAccount}" cannot ${a.verb} resource "${a.resource}" `
      + `in API group "${a.group}" in the namespace "${namespace}"`;
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, body: string, target: Target, url: URL, watch: boolean,
    reply: Reply = (status, object) => json(res, status, object)): void {
    const { plural, namespace, name, subresource } = target;
    const method = req.method ?? '';
    if (method === 'POST' && name === undefined) return this.create(plural, namespace, body, reply);
    if (method === 'GET' && name === undefined) return watch ? this.watch(plural, namespace, url, res) : this.list(plural, namespace, url, reply);
    if (name === undefined || !['GET', 'PATCH', 'PUT', 'DELETE'].includes(method) || (subresource && method === 'DELETE')) {
      return reply(405, statusObject(405, 'the server does not allow this method on the requested resource'));
    }
    const current = this.store.get(key(plural, namespace, name));
    if (!current) return reply(404, notFound(plural, name));
    if (method === 'GET' && subresource === 'log') return this.containerLog(current, url, reply, res);
    if (method === 'GET') return reply(200, subresource ? scaleOf(current) : current);
    if (method === 'DELETE') return this.deleteRequest(plural, current, body, reply);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    const parsed = parseJson(body);
    if (parsed === undefined) {
      this.violations.push(`${method} ${plural}/${name}: the body is not JSON`);
      return reply(400, statusObject(400, method === 'PATCH' ? 'error decoding patch: invalid JSON' : 'the body of the request was in an unknown format'));
    }
    if (method === 'PATCH') {
      // Strategic merge patch is for built-in kinds only: a custom resource and its /scale refuse it.
      const accepted = RESOURCES[plural].group === '' ? PATCH_TYPES : PATCH_TYPES.slice(0, 1);
      if (!accepted.includes(contentType) && contentType !== JSON_PATCH) {
        this.violations.push(`PATCH ${plural}/${name}: Content-Type ${JSON.stringify(req.headers['content-type'])} is not a merge patch`);
        return reply(415, statusObject(415, `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${accepted.join(', ')}, application/apply-patch+yaml`));
      }
      if (contentType === JSON_PATCH) return this.jsonPatchRequest(current, parsed, target, reply);
    }
    return subresource ? this.writeScale(method, current, parsed, reply) : this.writeObject(method, plural, current, parsed, reply);
  }

  /**
   * A JSON patch (RFC 6902): applied to the object (or its Scale), then written as an update is, so a
   * patched resourceVersion is checked like a PUT's. A body that is no list of operations is 400.
   */
  private jsonPatchRequest(current: any, operations: unknown, { plural, name, subresource }: Target, reply: Reply): void {
    if (!Array.isArray(operations) || !operations.every(isObject)) {
      this.violations.push(`PATCH ${plural}/${name}: the JSON patch is not a list of operations`);
      return reply(400, statusObject(400, `json: cannot unmarshal ${Array.isArray(operations) ? 'array element' : typeof operations} into Go value of type jsonpatch.Patch`));
    }
    let patched: any;
    try {
      patched = jsonPatch(subresource ? scaleOf(current) : current, operations);
    } catch (error) {
      // A failed `test` is the client's precondition at work; anything else is a patch that cannot apply.
      if (!(error as Error).message.startsWith('testing value')) this.violations.push(`PATCH ${plural}/${name}: the JSON patch does not apply: ${(error as Error).message}`);
      return reply(422, statusObject(422, 'the server rejected our request due to an error in our request', 'Invalid', {}));
    }
    return subresource ? this.writeScale('PUT', current, patched, reply) : this.writeObject('PUT', plural, current, patched, reply);
  }

  private create(plural: Plural, namespace: string, body: string, reply: Reply): void {
    const { group, kind } = RESOURCES[plural];
    const object = parseJson(body);
    if (object === undefined) {
      this.violations.push(`POST ${plural}: the body is not JSON`);
      return reply(400, statusObject(400, 'the body of the request was in an unknown format'));
    }
    const name = object?.metadata?.name;
    const base64 = plural === 'secrets' ? base64Problems(object.data) : [];
    if (base64.length > 0) {
      this.violations.push(...base64.map((p) => `POST ${plural} ${name}: ${p}`));
      return reply(400, statusObject(400, `Secret in version "v1" cannot be handled as a Secret: ${base64.join('; ')}`));
    }
    const problems = admissionProblems(plural, namespace, object);
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `POST ${plural} ${name}: ${p}`));
      return reply(422, invalid(kind, group, plural, name, problems));
    }
    const refused = this.ownerReferencesRefused(object, namespace);
    if (refused) return reply(403, forbidden(plural, name, refused));
    if (this.store.has(key(plural, namespace, name))) return reply(409, alreadyExists(plural, name));
    const stored = {
      ...object,
      metadata: { ...object.metadata, namespace, uid: randomUUID(), resourceVersion: this.nextVersion(), ...(group ? { generation: 1 } : {}), creationTimestamp: now() },
    };
    this.write(plural, stored, 'ADDED');
    reply(201, stored);
  }

  /**
   * GET pods/<name>/log as the kubelet answers through the API server: text/plain, the last
   * `tailLines` lines of `container` (the only container when the pod has one); a container the pod
   * does not have, or none named where it has several, is 400 with the API server's words.
   */
  private containerLog(pod: any, url: URL, reply: Reply, res: ServerResponse): void {
    const { name, namespace } = pod.metadata;
    const containers: string[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c: any) => c.name);
    const unknown = [...url.searchParams.keys()].filter((p) => !['container', 'tailLines', 'limitBytes', 'timestamps', 'previous', 'sinceSeconds'].includes(p));
    if (unknown.length > 0) this.violations.push(`GET pods/${name}/log: unknown parameters ${unknown.join(', ')}`);
    const container = url.searchParams.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
    if (container === undefined) {
      return reply(400, statusObject(400, `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`, 'BadRequest'));
    }
    if (!containers.includes(container)) return reply(400, statusObject(400, `container ${container} is not valid for pod ${name}`, 'BadRequest'));
    const tail = url.searchParams.get('tailLines');
    if (tail !== null && !/^\d+$/.test(tail)) return reply(400, statusObject(400, `tailLines: Invalid value: ${JSON.stringify(tail)}`, 'BadRequest'));
    const lines = (this.containerLogs.get(`${namespace}/${name}/${container}`) ?? '').split(/(?<=\n)/).filter(Boolean);
    const text = (tail === null ? lines : lines.slice(Math.max(0, lines.length - Number(tail)))).join('');
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) }).end(text);
  }

  /** OwnerReferencesPermissionEnforcement (plugin/pkg/admission/gc): blockOwnerDeletion needs `update` on the owner's finalizers. */
  private ownerReferencesRefused(object: any, namespace: string): string | undefined {
    const role = this.options.role;
    if (!this.options.ownerReferencesPermissionEnforcement || !role) return undefined;
    const blocking = (object.metadata.ownerReferences ?? []).filter((o: any) => o.blockOwnerDeletion === true);
    const allowed = blocking.every((o: any) => namespace === role.namespace && allows(role.rules, {
      verb: 'update', group: String(o.apiVersion).includes('/') ? o.apiVersion.split('/')[0] : '', resource: `${String(o.kind).toLowerCase()}s/finalizers`, name: o.name,
    }));
    // The authorizer's reason is empty and its error nil when RBAC simply has no rule: hence ": , <nil>".
    return allowed ? undefined : 'cannot set blockOwnerDeletion if an ownerReference refers to a resource you can\'t set finalizers on: , <nil>';
  }
  private deleteRequest(plural: Plural, current: any, body: string, reply: Reply): void {
    const { name } = current.metadata;
    const options = body ? parseJson(body) : {};
    if (options === undefined) {
      this.violations.push(`DELETE ${plural}/${name}: the body is not JSON`);
      return reply(400, statusObject(400, 'the body of the request was in an unknown format'));
    }
    if (options.kind !== undefined && (options.kind !== 'DeleteOptions' || options.apiVersion !== 'v1')) {
      this.violations.push(`DELETE ${plural}/${name}: the body is not a v1 DeleteOptions`);
    }
    const uid = options.preconditions?.uid;
    if (uid !== undefined && uid !== current.metadata.uid) {
      return reply(409, conflict(plural, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`));
    }
    reply(200, this.delete(plural, current));
  }
  /** PATCH or PUT of an object: merged or replaced, then admitted as an update. */
  private writeObject(method: string, plural: Plural, current: any, body: any, reply: Reply): void {
    const { group, kind } = RESOURCES[plural];
    const { name } = current.metadata;
    const what = `${method} ${plural}/${name}`;
    // The refresher's patch: the token under its key in data, nothing else.
    if (method === 'PATCH' && plural === 'secrets' && (!isObject(body) || Object.keys(body).join() !== 'data' || !isObject(body.data) || Object.keys(body.data).length !== 1)) {
      this.violations.push(`${what}: the body is not {"data":{"<key>":"<base64>"}}: ${JSON.stringify(body)}`);
    }
    const rv = body?.metadata?.resourceVersion;
    if (method === 'PUT' && rv !== undefined && rv !== current.metadata.resourceVersion) {
      return reply(409, conflict(plural, name, 'the object has been modified; please apply your changes to the latest version and try again'));
    }
    const base64 = plural === 'secrets' ? base64Problems(body?.data) : [];
    if (base64.length > 0) {
      this.violations.push(...base64.map((p) => `${what}: ${p}`));
      return reply(400, statusObject(400, `Secret in version "v1" cannot be handled as a Secret: ${base64.join('; ')}`));
    }
    const problems = method === 'PATCH' ? schemaProblems({ apiVersion: apiVersionOf(plural), kind, ...body }).map((p) => `patch ${p}`) : [];
    const updated = method === 'PATCH' ? mergePatch(current, body)
      : { ...body, metadata: { ...current.metadata, ...body?.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp } };
    problems.push(...schemaProblems(updated));
    if (plural === 'secrets') problems.push(...secretProblems(updated));
    if (current.immutable === true && JSON.stringify(current.data ?? {}) !== JSON.stringify(updated.data ?? {})) {
      problems.push('data: Forbidden: field is immutable when `immutable` is set');
    }
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${what}: ${p}`));
      return reply(422, invalid(kind, group, plural, name, problems));
    }
    updated.metadata = { ...updated.metadata, resourceVersion: this.nextVersion() };
    this.write(plural, updated);
    reply(200, updated);
  }

  /** PATCH or PUT of `/scale`: the Scale's spec.replicas written back to the object's spec.replicas. */
  private writeScale(method: string, current: any, body: any, reply: Reply): void {
    const plural = 'virtualmachinepools';
    const { name } = current.metadata;
    const what = `${method} ${name}/scale`;
    let problems: string[] = [];
    let scale = body;
    if (method === 'PATCH') {
      // The scaler's patch: spec.replicas of the Scale, nothing else.
      if (!isObject(body) || Object.keys(body).join() !== 'spec' || !isObject(body.spec) || Object.keys(body.spec).join() !== 'replicas') {
        this.violations.push(`${what}: the body is not {"spec":{"replicas":N}}: ${JSON.stringify(body)}`);
      }
      problems = scaleProblems({ apiVersion: 'autoscaling/v1', kind: 'Scale', ...body }).map((p) => `patch ${p}`);
      scale = mergePatch(scaleOf(current), body);
    } else {
      const rv = body?.metadata?.resourceVersion;
      if (rv !== undefined && rv !== current.metadata.resourceVersion) {
        return reply(409, conflict(plural, name, 'the object has been modified; please apply your changes to the latest version and try again'));
      }
    }
    problems.push(...scaleProblems(scale));
    if (scale?.metadata?.name !== undefined && scale.metadata.name !== name) problems.push('metadata.name: Invalid value: must match the pool');
    const updated = structuredClone(current);
    // A Scale without spec.replicas means 0 (the field is omitempty), and the API server writes 0.
    updated.spec.replicas = scale?.spec?.replicas ?? 0;
    problems.push(...schemaProblems(updated).map((p) => `resulting VirtualMachinePool ${p}`));
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${what}: ${p}`));
      return reply(422, invalid('Scale', 'autoscaling', plural, name, problems));
    }
    if (updated.spec.replicas !== current.spec.replicas) {
      updated.metadata = { ...updated.metadata, resourceVersion: this.nextVersion(), generation: (current.metadata.generation ?? 1) + 1 };
      this.write(plural, updated);
    }
    reply(200, scaleOf(updated));
  }
}


/** `/api/v1/...` or `/apis/<group>/<version>/...`, namespaced, one of RESOURCES, `/scale` only where the CRD declares it, `/log` of pods. */
function parsePath(pathname: string): Target | undefined {
  const match = /^\/(?:apis\/([^/]+)|api)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(pathname);
  const plural = match?.[4] as Plural;
  if (!match || !Object.hasOwn(RESOURCES, plural)) return undefined;
  const resource = RESOURCES[plural];
  if (resource.group !== (match[1] ?? '') || resource.version !== match[2]) return undefined;
  const subresource = match[6];
  if (subresource !== undefined && !(subresource === 'scale' && resource.scale) && !(subresource === 'log' && plural === 'pods')) return undefined;
  return { plural, namespace: decodeURIComponent(match[3]), name: match[5] === undefined ? undefined : decodeURIComponent(match[5]), subresource };
}

function isWatch(req: IncomingMessage): boolean {
  const watch = new URL(req.url ?? '/', 'http://fake').searchParams.get('watch');
  return watch === '1' || watch === 'true';
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, object: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(object);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
