import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { KubernetesSchemas } from '../../lib/validate/kubernetes-schemas';

// The Kubernetes API as the token refresher sees it, for its tests: a real HTTP(S) server on
// 127.0.0.1 that holds Secrets and answers the core/v1 Secret endpoints the way the API server
// does (Status bodies, resourceVersions, JSON merge and strategic merge patches, immutable Secrets),
// behind a bearer token and the refresher's Role: get, patch and update on one Secret by name.
// Everything else (list, watch, create, delete, another Secret) is 403 Forbidden, as RBAC answers,
// and kept in `violations`. A write is admitted only if the API server would admit it: the patch
// body and the resulting Secret against the Secret's JSON schema (ajv, as the validator checks),
// base64 the way Go decodes it, and the Secret key rules.

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What an injected fault does to the next matching request instead of answering it. */
export type Fault =
  | { readonly status: number; readonly message?: string; readonly retryAfter?: string }
  /** The connection is closed with no answer; nothing was done. */
  | { readonly reset: true };

export interface FakeKubeSecretsOptions {
  readonly token: string;
  readonly namespace: string;
  /** The one Secret the Role names. */
  readonly secretName: string;
  /** The ServiceAccount, for Forbidden messages. @default 'token-refresher' */
  readonly serviceAccount?: string;
  /** The Role's verbs on that Secret. @default ['get', 'patch', 'update'] */
  readonly verbs?: readonly string[];
  readonly tls?: { readonly key: string; readonly cert: string };
}

const REFRESHER_VERBS = ['get', 'patch', 'update'];
const PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json'];
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_SECRET_BYTES = 1024 * 1024;
const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict',
  415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable',
};

let schemas: KubernetesSchemas | undefined;

export class FakeKubeSecrets {
  /** The bearer token the server accepts; change it to rotate. */
  public token: string;
  public readonly requests: RecordedRequest[] = [];
  /** Requests outside the refresher's contract, or that the API server would refuse for their form. */
  public readonly violations: string[] = [];
  private readonly server: Server | HttpsServer;
  private readonly scheme: 'http' | 'https';
  private readonly store = new Map<string, any>();
  private readonly faults: { method: string; fault: Fault; remaining: number }[] = [];
  private readonly verbs: readonly string[];
  private resourceVersion = 500;
  private baseUrl = '';

  constructor(private readonly options: FakeKubeSecretsOptions) {
    this.token = options.token;
    this.verbs = options.verbs ?? REFRESHER_VERBS;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.receive(req, res);
    this.server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
    this.scheme = options.tls ? 'https' : 'http';
  }

  public start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
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
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Stores a Secret as `kubectl apply` would have created it. */
  public put(secret: { metadata: { name: string; namespace: string; [k: string]: unknown }; [k: string]: unknown }): any {
    const stored = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      ...structuredClone(secret),
    };
    stored.metadata = { uid: randomUUID(), creationTimestamp: new Date().toISOString(), ...stored.metadata, resourceVersion: this.nextVersion() };
    const problems = schemaProblems(stored);
    if (problems.length > 0) throw new Error(`fake API: invalid Secret: ${problems.join('; ')}`);
    this.store.set(key(stored.metadata.namespace, stored.metadata.name), stored);
    return structuredClone(stored);
  }

  /** The stored Secret (a copy), or undefined. */
  public secret(namespace = this.options.namespace, name = this.options.secretName): any {
    const stored = this.store.get(key(namespace, name));
    return stored === undefined ? undefined : structuredClone(stored);
  }

  /** The next `times` requests with `method` get `fault` instead of their answer. */
  public inject(method: string, fault: Fault, times = 1): void {
    this.faults.push({ method, fault, remaining: times });
  }

  public requestsOf(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  private nextVersion(): string {
    return String(++this.resourceVersion);
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      this.route(req, res, body);
    });
  }

  private route(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.status(res, 401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) {
      this.violations.push(`${req.method} ${req.url}: not the Secret endpoint`);
      return this.status(res, 404, 'the server could not find the requested resource');
    }
    const namespace = decodeURIComponent(match[1]);
    const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const method = req.method ?? '';
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    const verb = verbOf(method, name, watch);

    // RBAC: the Role names one Secret; anything else is forbidden, and outside the refresher's contract.
    if (!REFRESHER_VERBS.includes(verb) || name !== this.options.secretName || namespace !== this.options.namespace) {
      this.violations.push(`${method} ${req.url}: ${verb} is not allowed to the refresher`);
    }
    if (!this.verbs.includes(verb) || name !== this.options.secretName || namespace !== this.options.namespace) {
      const user = `system:serviceaccount:${this.options.namespace}:${this.options.serviceAccount ?? 'token-refresher'}`;
      const subject = name === undefined ? 'secrets' : `secrets "${name}"`;
      return this.status(res, 403, `${subject} is forbidden: User "${user}" cannot ${verb} resource "secrets" in API group "" in the namespace "${namespace}"`);
    }

    const rule = this.faults.find((f) => f.remaining > 0 && f.method === method);
    if (rule) {
      rule.remaining--;
      const { fault } = rule;
      if ('reset' in fault) return void req.socket.destroy();
      return this.status(res, fault.status, fault.message ?? REASONS[fault.status] ?? 'fault', fault.retryAfter);
    }

    const current = this.store.get(key(namespace, name!));
    if (!current) return this.status(res, 404, `secrets "${name}" not found`, undefined, { name, kind: 'secrets' });
    if (verb === 'get') return this.json(res, 200, current);
    if (verb === 'patch') return this.patch(req, res, current, body);
    return this.update(res, current, body);
  }

  private patch(req: IncomingMessage, res: ServerResponse, current: any, body: string): void {
    const name = current.metadata.name;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (!PATCH_TYPES.includes(contentType)) {
      this.violations.push(`PATCH ${name}: Content-Type ${JSON.stringify(req.headers['content-type'])} is not a merge patch`);
      return this.status(res, 415, `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, ${PATCH_TYPES.join(', ')}, application/apply-patch+yaml`);
    }
    let patch: any;
    try {
      patch = JSON.parse(body);
    } catch {
      this.violations.push(`PATCH ${name}: the body is not JSON`);
      return this.status(res, 400, 'error decoding patch: invalid JSON');
    }
    // The refresher's patch: the token under its key in data, nothing else.
    if (!isObject(patch) || Object.keys(patch).join() !== 'data' || !isObject(patch.data) || Object.keys(patch.data).length !== 1) {
      this.violations.push(`PATCH ${name}: the body is not {"data":{"<key>":"<base64>"}}: ${body}`);
    }
    const problems = schemaProblems({ apiVersion: 'v1', kind: 'Secret', ...patch }).map((p) => `patch ${p}`);
    const base64 = base64Problems(patch?.data);
    if (base64.length > 0) {
      this.violations.push(...base64.map((p) => `PATCH ${name}: ${p}`));
      return this.status(res, 400, `Secret in version "v1" cannot be handled as a Secret: ${base64.join('; ')}`);
    }
    const updated = mergePatch(current, patch);
    return this.admit(res, current, updated, problems, `PATCH ${name}`);
  }

  private update(res: ServerResponse, current: any, body: string): void {
    let object: any;
    try {
      object = JSON.parse(body);
    } catch {
      this.violations.push(`PUT ${current.metadata.name}: the body is not JSON`);
      return this.status(res, 400, 'the body of the request was in an unknown format');
    }
    const rv = object?.metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      return this.status(res, 409, `Operation cannot be fulfilled on secrets "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const base64 = base64Problems(object?.data);
    if (base64.length > 0) return this.status(res, 400, `Secret in version "v1" cannot be handled as a Secret: ${base64.join('; ')}`);
    const updated = { ...object, metadata: { ...current.metadata, ...object?.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp } };
    return this.admit(res, current, updated, [], `PUT ${current.metadata.name}`);
  }

  /** Stores `updated` if the API server would (schema, keys, size, immutability); answers either way. */
  private admit(res: ServerResponse, current: any, updated: any, earlier: string[], what: string): void {
    const problems = [...earlier, ...schemaProblems(updated)];
    const data = isObject(updated.data) ? updated.data : {};
    for (const dataKey of Object.keys(data)) {
      if (!SECRET_KEY.test(dataKey) || dataKey === '.' || dataKey.startsWith('..')) problems.push(`data[${dataKey}]: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`);
    }
    const size = Object.values(data).reduce((sum: number, v) => sum + Buffer.from(String(v), 'base64').length, 0);
    if (size > MAX_SECRET_BYTES) problems.push(`data: Too long: must have at most ${MAX_SECRET_BYTES} bytes`);
    if (current.immutable === true && JSON.stringify(current.data ?? {}) !== JSON.stringify(updated.data ?? {})) {
      problems.push('data: Forbidden: field is immutable when `immutable` is set');
    }
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${what}: ${p}`));
      return this.status(res, 422, `Secret "${current.metadata.name}" is invalid: ${problems.join('; ')}`);
    }
    updated.metadata = { ...updated.metadata, resourceVersion: this.nextVersion() };
    this.store.set(key(updated.metadata.namespace, updated.metadata.name), updated);
    this.json(res, 200, updated);
  }

  private status(res: ServerResponse, code: number, message: string, retryAfter?: string, details?: object): void {
    const object = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code], ...(details ? { details } : {}), code };
    this.json(res, code, object, retryAfter ? { 'Retry-After': retryAfter } : {});
  }

  private json(res: ServerResponse, status: number, object: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(object);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);

function verbOf(method: string, name: string | undefined, watch: boolean): string {
  if (method === 'GET') return name === undefined ? (watch ? 'watch' : 'list') : 'get';
  if (method === 'POST') return 'create';
  if (method === 'PATCH') return 'patch';
  if (method === 'PUT') return 'update';
  if (method === 'DELETE') return name === undefined ? 'deletecollection' : 'delete';
  return method.toLowerCase();
}

function schemaProblems(object: unknown): string[] {
  schemas ??= new KubernetesSchemas();
  return schemas.validate({ file: 'request', object }).map((f) => `${f.path || '/'}: ${f.message}`);
}

/** Values Go's base64.StdEncoding would not decode (it wants padding, and nothing outside the alphabet). */
function base64Problems(data: unknown): string[] {
  if (!isObject(data)) return [];
  return Object.entries(data).filter(([, value]) => value !== null)
    .filter(([, value]) => typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0
      || Buffer.from(value, 'base64').toString('base64') !== value)
    .map(([dataKey]) => `data[${dataKey}]: illegal base64 data`);
}

/** RFC 7386 JSON merge patch (for a Secret's maps, a strategic merge patch does the same). */
function mergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return structuredClone(patch);
  const result = isObject(target) ? structuredClone(target) : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value);
  }
  return result;
}
