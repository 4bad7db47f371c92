import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { KubernetesSchemas } from '../../lib/validate/kubernetes-schemas';

// A Kubernetes API server for the launcher's tests: a real HTTP(S) server on 127.0.0.1 that keeps
// VirtualMachineInstances and DataVolumes in memory and answers the way the API server does
// (resourceVersions, 201/409/404/410, Status bodies, newline-delimited watch streams, delete
// preconditions). It checks the bearer token, and admits a created object only if the real API
// server and KubeVirt/CDI would: the kind's JSON schema (ajv, as the validator does) plus the rules
// that schemas cannot express. What it refuses is also kept in `violations`.

/** The resources the launcher uses, by their URL plural. */
export const RESOURCES = {
  virtualmachineinstances: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstance', listKind: 'VirtualMachineInstanceList' },
  datavolumes: { group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataVolume', listKind: 'DataVolumeList' },
  // The core group (/api/v1): the launcher's own JIT Secret in mint mode.
  secrets: { group: '', version: 'v1', kind: 'Secret', listKind: 'SecretList' },
} as const;

/** `group/version`, or `version` for the core group. */
export function apiVersionOf(plural: Plural): string {
  const { group, version } = RESOURCES[plural];
  return group === '' ? version : `${group}/${version}`;
}

/** `plural.group` as the API server names a resource in its messages (`plural` for the core group). */
const qualified = (plural: Plural) => (RESOURCES[plural].group === '' ? plural : `${plural}.${RESOURCES[plural].group}`);
export type Plural = keyof typeof RESOURCES;

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What an injected fault does to the next matching request instead of answering it. */
export type Fault =
  | { readonly status: number; readonly reason?: string; readonly message?: string; readonly retryAfter?: string }
  /** The connection is closed with no answer; nothing was done. */
  | { readonly reset: true }
  /** The request is carried out, but its answer never comes. */
  | { readonly lostAnswer: true };

interface FaultRule {
  readonly method: string;
  readonly plural: Plural;
  readonly watch: boolean;
  readonly fault: Fault;
  remaining: number;
}

interface Watcher {
  readonly plural: Plural;
  readonly namespace: string;
  readonly name: string;
  readonly bookmarks: boolean;
  readonly res: ServerResponse;
}

interface StoredEvent {
  readonly rv: number;
  readonly plural: Plural;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: any;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(|(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict',
  410: 'Expired', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable',
};

// One validator for every fake in a test file: compiling the KubeVirt schema takes a moment.
let schemas: KubernetesSchemas | undefined;

export class FakeKubeApi {
  /** The bearer token the server accepts; change it to rotate. */
  public token: string;
  public readonly requests: RecordedRequest[] = [];
  /** Requests the real API server would have refused, and why. */
  public readonly violations: string[] = [];
  /** The resourceVersion of every list answer, in order. */
  public readonly listedVersions: string[] = [];
  public watchesOpened = 0;
  private readonly server: Server | HttpsServer;
  private readonly scheme: 'http' | 'https';
  private readonly store = new Map<string, any>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly faults: FaultRule[] = [];
  private readonly waiters = new Set<() => void>();
  private expiringWatches = 0;
  private resourceVersion = 1000;
  private baseUrl = '';

  constructor(options: { readonly token: string; readonly tls?: { readonly key: string; readonly cert: string } }) {
    this.token = options.token;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.receive(req, res);
    this.server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
    this.scheme = options.tls ? 'https' : 'http';
  }

  /** Listens on 127.0.0.1 (on `port`, else any free one); resolves the base URL. */
  public start(port = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.baseUrl = `${this.scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        resolve(this.baseUrl);
      });
    });
  }

  public get url(): string {
    return this.baseUrl;
  }

  public get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  public stop(): Promise<void> {
    for (const watcher of this.watchers) watcher.res.destroy();
    this.watchers.clear();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once `predicate` holds; checked again after every request and every change. */
  public until(predicate: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The stored object, or undefined. */
  public object(plural: Plural, namespace: string, name: string): any {
    return this.store.get(key(plural, namespace, name));
  }

  /** Requests of one method, optionally only those whose URL contains `part`. */
  public requestsOf(method: string, part = ''): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.includes(part));
  }

  public get openWatches(): number {
    return this.watchers.size;
  }

  /** The next `times` matching requests get `fault` instead of their answer. */
  public inject(method: string, plural: Plural, fault: Fault, { times = 1, watch = false } = {}): void {
    this.faults.push({ method, plural, watch, fault, remaining: times });
  }

  /** Stores an object as someone else created it (an ADDED event). */
  public put(plural: Plural, object: any): any {
    const { kind } = RESOURCES[plural];
    const stored = {
      apiVersion: apiVersionOf(plural),
      kind,
      ...structuredClone(object),
    };
    stored.metadata = { uid: randomUUID(), creationTimestamp: new Date().toISOString(), ...stored.metadata, resourceVersion: this.nextVersion() };
    this.store.set(key(plural, stored.metadata.namespace, stored.metadata.name), stored);
    this.emit('ADDED', plural, stored);
    return stored;
  }

  /** Replaces an object's status, as KubeVirt does (a MODIFIED event). */
  public setStatus(plural: Plural, namespace: string, name: string, status: any): void {
    const current = this.object(plural, namespace, name);
    if (!current) throw new Error(`fake API: no ${plural} ${namespace}/${name}`);
    const updated = { ...current, metadata: { ...current.metadata, resourceVersion: this.nextVersion() }, status };
    this.store.set(key(plural, namespace, name), updated);
    this.emit('MODIFIED', plural, updated);
  }

  /** Deletes an object as someone else would (a DELETED event). */
  public remove(plural: Plural, namespace: string, name: string): void {
    const current = this.object(plural, namespace, name);
    if (!current) throw new Error(`fake API: no ${plural} ${namespace}/${name}`);
    this.delete(plural, namespace, name, current);
  }

  /** Ends every open watch the way the API server does at its timeout. */
  public endWatches(): void {
    for (const watcher of this.watchers) watcher.res.end();
    this.watchers.clear();
  }

  /** Breaks every open watch's connection in the middle of the stream. */
  public dropWatches(): void {
    for (const watcher of this.watchers) watcher.res.socket?.destroy();
    this.watchers.clear();
  }

  /** The next watch request gets an ERROR event with 410 Expired (its resourceVersion was compacted away). */
  public expireNextWatch(): void {
    this.expiringWatches++;
  }

  /** Sends a BOOKMARK to every open watch that asked for bookmarks. */
  public bookmark(): void {
    for (const watcher of this.watchers) {
      if (!watcher.bookmarks) continue;
      const { kind } = RESOURCES[watcher.plural];
      this.write(watcher.res, { type: 'BOOKMARK', object: { kind, apiVersion: apiVersionOf(watcher.plural), metadata: { resourceVersion: String(this.resourceVersion) } } });
    }
  }

  private nextVersion(): string {
    return String(++this.resourceVersion);
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }

  private emit(type: StoredEvent['type'], plural: Plural, object: any): void {
    const event: StoredEvent = { rv: Number(object.metadata.resourceVersion), plural, type, object: structuredClone(object) };
    this.history.push(event);
    for (const watcher of this.watchers) {
      if (matches(watcher, event)) this.write(watcher.res, { type, object: event.object });
    }
    this.changed();
  }

  private write(res: ServerResponse, event: unknown): void {
    res.write(`${JSON.stringify(event)}\n`);
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      try {
        this.route(req, res, body);
      } finally {
        this.changed();
      }
    });
  }

  private route(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.status(res, 401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/(?:apis\/([^/]+)|api)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const plural = match?.[4] as Plural;
    const resource = match && Object.hasOwn(RESOURCES, plural) ? RESOURCES[plural] : undefined;
    if (!match || !resource || resource.group !== (match[1] ?? '') || resource.version !== match[2]) {
      return this.status(res, 404, 'the server could not find the requested resource');
    }
    const namespace = decodeURIComponent(match[3]);
    const name = match[5] === undefined ? undefined : decodeURIComponent(match[5]);
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    const method = req.method ?? '';

    const rule = this.faults.find((f) => f.remaining > 0 && f.method === method && f.plural === plural && f.watch === watch);
    if (rule) rule.remaining--;
    const fault = rule?.fault;
    if (fault && 'reset' in fault) return void req.socket.destroy();
    if (fault && 'status' in fault) return this.status(res, fault.status, fault.message ?? REASONS[fault.status] ?? 'fault', fault.reason, fault.retryAfter);
    // A lost answer: the work is done, the client waits in vain (stop() closes the connection).
    const reply = fault && 'lostAnswer' in fault ? () => undefined : (status: number, object: unknown) => this.json(res, status, object);

    if (method === 'POST' && name === undefined) return this.create(plural, namespace, body, reply);
    if (method === 'GET' && name !== undefined) return this.get(plural, namespace, name, reply);
    if (method === 'GET' && watch) return this.watch(plural, namespace, url, res);
    if (method === 'GET') return this.list(plural, namespace, url, reply);
    if (method === 'DELETE' && name !== undefined) return this.deleteRequest(plural, namespace, name, body, reply);
    return this.status(res, 405, `the server does not allow this method on the requested resource`);
  }

  private create(plural: Plural, namespace: string, body: string, reply: Reply): void {
    const { group, kind } = RESOURCES[plural];
    let object: any;
    try {
      object = JSON.parse(body);
    } catch {
      this.violations.push(`POST ${plural}: the body is not JSON`);
      return reply(400, statusObject(400, 'the body of the request was in an unknown format'));
    }
    const problems = admissionProblems(plural, namespace, object);
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `POST ${plural} ${object?.metadata?.name}: ${p}`));
      return reply(422, statusObject(422, `${kind} "${object?.metadata?.name}" is invalid: ${problems.join('; ')}`));
    }
    const { name } = object.metadata;
    if (this.object(plural, namespace, name)) {
      return reply(409, statusObject(409, `${qualified(plural)} "${name}" already exists`, 'AlreadyExists', { name, group, kind: plural }));
    }
    const stored = {
      ...object,
      metadata: { ...object.metadata, namespace, uid: randomUUID(), resourceVersion: this.nextVersion(), generation: 1, creationTimestamp: new Date().toISOString() },
    };
    this.store.set(key(plural, namespace, name), stored);
    this.emit('ADDED', plural, stored);
    reply(201, stored);
  }

  private get(plural: Plural, namespace: string, name: string, reply: Reply): void {
    const object = this.object(plural, namespace, name);
    if (!object) return reply(404, notFound(plural, name));
    reply(200, object);
  }

  private list(plural: Plural, namespace: string, url: URL, reply: Reply): void {
    const { listKind } = RESOURCES[plural];
    const name = nameSelector(url);
    const items = [...this.store.values()].filter((o) => o.metadata.namespace === namespace && (name === undefined || o.metadata.name === name) && o.kind === RESOURCES[plural].kind);
    const resourceVersion = String(this.resourceVersion);
    this.listedVersions.push(resourceVersion);
    reply(200, { apiVersion: apiVersionOf(plural), kind: listKind, metadata: { resourceVersion }, items });
  }

  private watch(plural: Plural, namespace: string, url: URL, res: ServerResponse): void {
    const name = nameSelector(url);
    const from = url.searchParams.get('resourceVersion') ?? '';
    if (name === undefined || !/^\d+$/.test(from)) {
      this.violations.push(`watch ${url.search}: the launcher must watch one object by name, from a resourceVersion`);
      return this.status(res, 400, 'the launcher must watch one object by name, from a resourceVersion');
    }
    this.watchesOpened++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    if (this.expiringWatches > 0) {
      this.expiringWatches--;
      this.write(res, { type: 'ERROR', object: statusObject(410, `too old resource version: ${from} (${this.resourceVersion})`, 'Expired') });
      return void res.end();
    }
    const watcher: Watcher = { plural, namespace, name, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res };
    for (const event of this.history) {
      if (event.rv > Number(from) && matches(watcher, event)) this.write(res, { type: event.type, object: event.object });
    }
    this.watchers.add(watcher);
    // The API server ends a watch after its timeoutSeconds.
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds'));
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }

  private deleteRequest(plural: Plural, namespace: string, name: string, body: string, reply: Reply): void {
    let options: any = {};
    try {
      options = body ? JSON.parse(body) : {};
    } catch {
      this.violations.push(`DELETE ${plural}/${name}: the body is not JSON`);
      return reply(400, statusObject(400, 'the body of the request was in an unknown format'));
    }
    if (options.kind !== undefined && (options.kind !== 'DeleteOptions' || options.apiVersion !== 'v1')) {
      this.violations.push(`DELETE ${plural}/${name}: the body is not a v1 DeleteOptions`);
    }
    const current = this.object(plural, namespace, name);
    if (!current) return reply(404, notFound(plural, name));
    const uid = options.preconditions?.uid;
    if (uid !== undefined && uid !== current.metadata.uid) {
      return reply(409, statusObject(409, `Operation cannot be fulfilled on ${qualified(plural)} "${name}": `
        + `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`));
    }
    reply(200, this.delete(plural, namespace, name, current));
  }

  private delete(plural: Plural, namespace: string, name: string, current: any): any {
    this.store.delete(key(plural, namespace, name));
    const deleted = { ...current, metadata: { ...current.metadata, resourceVersion: this.nextVersion(), deletionTimestamp: new Date().toISOString() } };
    this.emit('DELETED', plural, deleted);
    return deleted;
  }

  private status(res: ServerResponse, code: number, message: string, reason?: string, retryAfter?: string): void {
    this.json(res, code, statusObject(code, message, reason), retryAfter ? { 'Retry-After': retryAfter } : {});
  }

  private json(res: ServerResponse, status: number, object: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(object);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}

type Reply = (status: number, object: unknown) => void;

const key = (plural: Plural, namespace: string, name: string) => `${plural}/${namespace}/${name}`;

const matches = (watcher: Watcher, event: StoredEvent) => watcher.plural === event.plural
  && event.object.metadata.namespace === watcher.namespace && event.object.metadata.name === watcher.name;

function nameSelector(url: URL): string | undefined {
  const selector = url.searchParams.get('fieldSelector');
  if (selector === null) return undefined;
  return /^metadata\.name=([^,]+)$/.exec(selector)?.[1] ?? '\0no such name';
}

function statusObject(code: number, message: string, reason = REASONS[code], details?: object) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function notFound(plural: Plural, name: string) {
  return statusObject(404, `${qualified(plural)} "${name}" not found`, 'NotFound', { name, group: RESOURCES[plural].group, kind: plural });
}

/**
 * Why the API server (with KubeVirt's and CDI's admission) would refuse to create `object`: its
 * kind's JSON schema, then the object-meta, ownerReference and volume rules no schema carries.
 */
export function admissionProblems(plural: Plural, namespace: string, object: any): string[] {
  const { kind } = RESOURCES[plural];
  if (object?.apiVersion !== apiVersionOf(plural) || object?.kind !== kind) return [`expected ${apiVersionOf(plural)} ${kind}, got ${object?.apiVersion} ${object?.kind}`];
  schemas ??= new KubernetesSchemas();
  const problems = schemas.validate({ file: 'request', object }).map((f) => `${f.path || '/'}: ${f.message}`);
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
  const owners = meta.ownerReferences ?? [];
  if (!Array.isArray(owners)) {
    problems.push('metadata.ownerReferences: must be a list');
  } else {
    for (const [i, owner] of owners.entries()) {
      for (const field of ['apiVersion', 'kind', 'name', 'uid']) {
        if (typeof owner?.[field] !== 'string' || owner[field] === '') problems.push(`metadata.ownerReferences[${i}].${field}: required`);
      }
      for (const field of ['controller', 'blockOwnerDeletion']) {
        if (owner?.[field] !== undefined && typeof owner[field] !== 'boolean') problems.push(`metadata.ownerReferences[${i}].${field}: must be a boolean`);
      }
    }
    if (owners.filter((o: any) => o?.controller === true).length > 1) problems.push('metadata.ownerReferences: only one reference can have controller set to true');
  }
  if (plural === 'secrets') {
    // What the API server checks beyond the schema: key names, and values that Go's base64 decodes.
    for (const [dataKey, value] of Object.entries(object.data ?? {})) {
      if (!/^[-._a-zA-Z0-9]{1,253}$/.test(dataKey)) problems.push(`data[${dataKey}]: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`);
      if (typeof value !== 'string' || !/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) problems.push(`data[${dataKey}]: illegal base64 data`);
    }
  }
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
