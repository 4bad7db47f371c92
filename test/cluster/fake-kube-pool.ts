import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { KubernetesSchemas } from '../../lib/validate/kubernetes-schemas';

// The Kubernetes API as the warm pool's scaler sees it, for its tests: a real HTTP(S) server on
// 127.0.0.1 that holds one VirtualMachinePool (pool.kubevirt.io/v1beta1) and answers its `/scale`
// subresource the way the API server does for a custom resource whose CRD declares
// `scale: { specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath:
// .status.labelSelector }`: an autoscaling/v1 Scale made from the pool, JSON merge patches and
// updates of that Scale written back to the pool's spec.replicas, Status bodies, resourceVersions.
// Behind a bearer token and the scaler's Role: get and patch on `virtualmachinepools/scale`
// of that one pool. Anything else (the pool itself, list, another pool) is 403 Forbidden, as RBAC
// answers, and kept in `violations`. A write is admitted only if the API server would admit it: the
// patch body and the resulting Scale against autoscaling/v1 Scale's JSON schema (./schemas, the
// standalone-strict form of Kubernetes 1.34's definition), the Scale's own validation (replicas >= 0),
// and the resulting pool against the VirtualMachinePool schema the validator ships.

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

export interface FakeKubePoolOptions {
  readonly token: string;
  readonly namespace: string;
  /** The one pool the Role names. */
  readonly poolName: string;
  /** The ServiceAccount, for Forbidden messages. @default 'pool-scaler' */
  readonly serviceAccount?: string;
  /** The Role's verbs on the pool's scale. @default ['get', 'patch'] (the synthesized Role's) */
  readonly verbs?: readonly string[];
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** Where the standalone-strict autoscaling/v1 Scale schema is (see its drift test). */
export const SCALE_SCHEMA_DIR = join(__dirname, 'schemas');

const SCALER_VERBS = ['get', 'patch'];
const INT32_MAX = 2 ** 31 - 1;
const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict',
  415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable',
};

let scaleSchemas: KubernetesSchemas | undefined;
let poolSchemas: KubernetesSchemas | undefined;

export class FakeKubePool {
  public token: string;
  public readonly requests: RecordedRequest[] = [];
  /** Requests outside the scaler's contract, or that the API server would refuse for their form. */
  public readonly violations: string[] = [];
  private readonly server: Server | HttpsServer;
  private readonly scheme: 'http' | 'https';
  private readonly store = new Map<string, any>();
  private readonly faults: { method: string; fault: Fault; remaining: number }[] = [];
  private readonly verbs: readonly string[];
  private resourceVersion = 700;
  private baseUrl = '';

  constructor(private readonly options: FakeKubePoolOptions) {
    this.token = options.token;
    this.verbs = options.verbs ?? SCALER_VERBS;
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

  /** Stores a pool as `kubectl apply` would have created it (it must be schema-valid). */
  public put(pool: { metadata: { name: string; namespace: string; [k: string]: unknown }; [k: string]: unknown }): any {
    const stored: any = structuredClone(pool);
    stored.metadata = { uid: randomUUID(), creationTimestamp: new Date().toISOString(), generation: 1, ...stored.metadata, resourceVersion: this.nextVersion() };
    const problems = poolProblems(stored);
    if (problems.length > 0) throw new Error(`fake API: invalid VirtualMachinePool: ${problems.join('; ')}`);
    this.store.set(key(stored.metadata.namespace, stored.metadata.name), stored);
    return structuredClone(stored);
  }

  /** The stored pool (a copy), or undefined. */
  public pool(namespace = this.options.namespace, name = this.options.poolName): any {
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
    const method = req.method ?? '';
    const match = /^\/apis\/pool\.kubevirt\.io\/v1beta1\/namespaces\/([^/]+)\/virtualmachinepools(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(url.pathname);
    if (!match) {
      this.violations.push(`${method} ${req.url}: not a VirtualMachinePool endpoint`);
      return this.status(res, 404, 'the server could not find the requested resource');
    }
    const namespace = decodeURIComponent(match[1]);
    const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const subresource = match[3];
    const resource = subresource === undefined ? 'virtualmachinepools' : `virtualmachinepools/${subresource}`;
    const verb = verbOf(method, name, url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1');

    // RBAC: the Role names one pool's scale subresource; anything else is forbidden, and outside the scaler's contract.
    const allowed = (verbs: readonly string[]) => verbs.includes(verb) && resource === 'virtualmachinepools/scale'
      && name === this.options.poolName && namespace === this.options.namespace;
    if (!allowed(SCALER_VERBS)) this.violations.push(`${method} ${req.url}: ${verb} on ${resource} is not allowed to the scaler`);
    if (!allowed(this.verbs)) {
      const user = `system:serviceaccount:${this.options.namespace}:${this.options.serviceAccount ?? 'pool-scaler'}`;
      const subject = name === undefined ? `virtualmachinepools.pool.kubevirt.io` : `virtualmachinepools.pool.kubevirt.io "${name}"`;
      return this.status(res, 403, `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "pool.kubevirt.io" in the namespace "${namespace}"`);
    }

    const rule = this.faults.find((f) => f.remaining > 0 && f.method === method);
    if (rule) {
      rule.remaining--;
      const { fault } = rule;
      if ('reset' in fault) return void req.socket.destroy();
      return this.status(res, fault.status, fault.message ?? REASONS[fault.status] ?? 'fault', fault.retryAfter);
    }

    const current = this.store.get(key(namespace, name!));
    if (!current) {
      return this.status(res, 404, `virtualmachinepools.pool.kubevirt.io "${name}" not found`, undefined,
        { name, group: 'pool.kubevirt.io', kind: 'virtualmachinepools' });
    }
    if (verb === 'get') return this.json(res, 200, scaleOf(current));
    if (verb === 'patch') return this.patch(req, res, current, body);
    return this.update(res, current, body);
  }

  private patch(req: IncomingMessage, res: ServerResponse, current: any, body: string): void {
    const name = current.metadata.name;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (contentType !== 'application/merge-patch+json') {
      this.violations.push(`PATCH ${name}/scale: Content-Type ${JSON.stringify(req.headers['content-type'])} is not a JSON merge patch`);
      if (contentType !== 'application/json-patch+json') {
        return this.status(res, 415, 'the body of the request was in an unknown format - accepted media types include: '
          + 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
      }
    }
    let patch: any;
    try {
      patch = JSON.parse(body);
    } catch {
      this.violations.push(`PATCH ${name}/scale: the body is not JSON`);
      return this.status(res, 400, 'error decoding patch: invalid JSON');
    }
    // The scaler's patch: spec.replicas of the Scale, nothing else.
    if (!isObject(patch) || Object.keys(patch).join() !== 'spec' || !isObject(patch.spec) || Object.keys(patch.spec).join() !== 'replicas') {
      this.violations.push(`PATCH ${name}/scale: the body is not {"spec":{"replicas":N}}: ${body}`);
    }
    const problems = scaleProblems({ apiVersion: 'autoscaling/v1', kind: 'Scale', ...patch }).map((p) => `patch ${p}`);
    const scale = mergePatch(scaleOf(current), patch);
    return this.admit(res, current, scale, problems, `PATCH ${name}/scale`);
  }

  private update(res: ServerResponse, current: any, body: string): void {
    let scale: any;
    try {
      scale = JSON.parse(body);
    } catch {
      this.violations.push(`PUT ${current.metadata.name}/scale: the body is not JSON`);
      return this.status(res, 400, 'the body of the request was in an unknown format');
    }
    const rv = scale?.metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      return this.status(res, 409, `Operation cannot be fulfilled on virtualmachinepools.pool.kubevirt.io "${current.metadata.name}": `
        + 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return this.admit(res, current, scale, [], `PUT ${current.metadata.name}/scale`);
  }

  /** Writes the Scale's spec.replicas to the pool if the API server would; answers the new Scale either way. */
  private admit(res: ServerResponse, current: any, scale: any, earlier: string[], what: string): void {
    const problems = [...earlier, ...scaleProblems(scale)];
    const replicas = scale?.spec?.replicas;
    // apimachinery's ValidateScale, and the CRD handler's own checks of a Scale written to a custom resource.
    if (Number.isInteger(replicas) && replicas < 0) problems.push('spec.replicas: Invalid value: must be greater than or equal to 0');
    if (Number.isInteger(replicas) && replicas > INT32_MAX) problems.push('spec.replicas: Invalid value: must fit in an int32');
    if (scale?.metadata?.name !== undefined && scale.metadata.name !== current.metadata.name) problems.push('metadata.name: Invalid value: must match the pool');
    const updated = structuredClone(current);
    if (replicas === undefined) delete updated.spec.replicas;
    else updated.spec.replicas = replicas;
    problems.push(...poolProblems(updated).map((p) => `resulting VirtualMachinePool ${p}`));
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${what}: ${p}`));
      return this.status(res, 422, `Scale.autoscaling "${current.metadata.name}" is invalid: ${problems.join('; ')}`);
    }
    if (updated.spec.replicas !== current.spec.replicas) {
      updated.metadata = { ...updated.metadata, resourceVersion: this.nextVersion(), generation: (current.metadata.generation ?? 1) + 1 };
      this.store.set(key(updated.metadata.namespace, updated.metadata.name), updated);
    }
    this.json(res, 200, scaleOf(updated));
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

/** The autoscaling/v1 Scale the API server makes of a custom resource by the CRD's scale paths. */
export function scaleOf(pool: any): any {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = pool.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: pool.spec?.replicas === undefined ? {} : { replicas: pool.spec.replicas },
    status: { replicas: pool.status?.replicas ?? 0, ...(pool.status?.labelSelector ? { selector: pool.status.labelSelector } : {}) },
  };
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

function scaleProblems(object: unknown): string[] {
  scaleSchemas ??= new KubernetesSchemas(SCALE_SCHEMA_DIR);
  return scaleSchemas.validate({ file: 'request', object }).map((f) => `${f.path || '/'}: ${f.message}`);
}

function poolProblems(object: unknown): string[] {
  poolSchemas ??= new KubernetesSchemas();
  return poolSchemas.validate({ file: 'request', object }).map((f) => `${f.path || '/'}: ${f.message}`);
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return structuredClone(patch);
  const result = isObject(target) ? structuredClone(target) : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value);
  }
  return result;
}
