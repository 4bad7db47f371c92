import { KubeStatusError, TransientError, describeStatusLine } from './errors';
import { HttpAnswer, HttpRequest, HttpStream, exchange, isObject, openStream } from './http';
import { KubeConnection, requestCredentials } from './kube-connection';
import type { Logger } from './log';
import { type Deadline, retryAfterMs, withRetries } from './retry';

// The one Kubernetes client of the in-cluster runtime: JSON requests with the pod's ServiceAccount
// (the token read again for every request, the API server checked against ca.crt), the retry policy
// of ./retry.ts for what is transient, and every other refusal turned into a KubeStatusError that
// carries the Status's reason and code. Watches with resume are in ./kube-watch.ts.

/** One kind of object: where its collection is. */
export interface KubeResource {
  /** For messages: `VirtualMachinePool`. */
  readonly kind: string;
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

export const SECRET: KubeResource = { kind: 'Secret', group: '', version: 'v1', plural: 'secrets' };

/** The three patch types the API server takes. */
export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export interface KubeCallOptions {
  /** Ends waits and the exchange (AbortedError). */
  readonly signal?: AbortSignal;
  /** @default MAX_ATTEMPTS */
  readonly attempts?: number;
  /** @default REQUEST_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

export interface ObjectOptions extends KubeCallOptions {
  /** `scale`, `status`. */
  readonly subresource?: string;
}

export interface DeleteOptions extends ObjectOptions {
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

export interface ListOptions extends KubeCallOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface KubeList {
  readonly items: Record<string, unknown>[];
  /** The collection's resourceVersion: a watch from it misses nothing. */
  readonly resourceVersion: string;
}

export interface KubeClientOptions {
  readonly log: Logger;
  readonly retryBaseDelayMs: number;
  /** The entry point, for the User-Agent. */
  readonly client: string;
  /** Each request's deadline unless the call sets one. @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** When the caller's own timeout fires (a Retry-After past it fails at once: ./retry.ts). @default none */
  readonly deadline?: () => Deadline | undefined;
}

/** One request, described for messages (`patch the scale of VirtualMachinePool ci/warm`). */
export interface KubeRequest extends KubeCallOptions {
  readonly what: string;
  readonly method: HttpRequest['method'];
  readonly path: string;
  readonly body?: unknown;
  readonly contentType?: string;
}

export class KubeClient {
  constructor(readonly connection: KubeConnection, readonly options: KubeClientOptions) {}

  /** The same client, for calls bounded by `deadline` (a launcher's boot or job timeout). */
  withDeadline(deadline: () => Deadline | undefined): KubeClient {
    return new KubeClient(this.connection, { ...this.options, deadline });
  }

  /** The path of a collection (`namespace` undefined: cluster-scoped) or, with `name`, of one object. */
  static path(resource: KubeResource, namespace: string | undefined, name?: string, subresource?: string): string {
    const api = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
    const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
    const object = name === undefined ? '' : `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
    return `${api}${ns}/${resource.plural}${object}`;
  }

  /** `the scale of VirtualMachinePool ci/warm`, `Secret ci/token`. */
  static describe(resource: KubeResource, namespace: string | undefined, name: string, subresource?: string): string {
    const ref = `${resource.kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`;
    return subresource ? `the ${subresource} of ${ref}` : ref;
  }

  get(resource: KubeResource, namespace: string | undefined, name: string, options: ObjectOptions = {}): Promise<Record<string, unknown>> {
    return this.object('get', 'GET', resource, namespace, name, undefined, undefined, options);
  }

  /** Creates `body` in the collection; resolves what the API server stored. */
  create(resource: KubeResource, namespace: string | undefined, body: Record<string, unknown>, options: KubeCallOptions = {}): Promise<Record<string, unknown>> {
    const name = isObject(body.metadata) && typeof body.metadata.name === 'string' ? body.metadata.name : '(generated name)';
    return this.request({ ...options, what: `create ${KubeClient.describe(resource, namespace, name)}`, method: 'POST', path: KubeClient.path(resource, namespace), body }) as Promise<Record<string, unknown>>;
  }

  /** Patches one object (merge, strategic merge or JSON patch); resolves what the API server stored. */
  patch(resource: KubeResource, namespace: string | undefined, name: string, patch: unknown, type: keyof typeof PATCH_TYPES, options: ObjectOptions = {}): Promise<Record<string, unknown>> {
    return this.object('patch', 'PATCH', resource, namespace, name, patch, PATCH_TYPES[type], options);
  }

  /**
   * Deletes one object; resolves the API server's answer (the object, or a Status). With
   * `preconditions`, only the object of that uid (or resourceVersion): another one is 409 Conflict.
   */
  delete(resource: KubeResource, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<Record<string, unknown>> {
    const { propagationPolicy, preconditions } = options;
    const body = propagationPolicy || preconditions
      ? { kind: 'DeleteOptions', apiVersion: 'v1', ...(propagationPolicy ? { propagationPolicy } : {}), ...(preconditions ? { preconditions } : {}) }
      : undefined;
    return this.object('delete', 'DELETE', resource, namespace, name, body, body ? 'application/json' : undefined, options);
  }

  async list(resource: KubeResource, namespace: string | undefined, options: ListOptions = {}): Promise<KubeList> {
    const query = selectorQuery(options);
    const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
    const body = await this.request({ ...options, what: `list ${resource.plural}${where}`, method: 'GET', path: `${KubeClient.path(resource, namespace)}${query ? `?${query}` : ''}` });
    const items = isObject(body) && Array.isArray(body.items) ? body.items.filter(isObject) : [];
    const metadata = isObject(body) && isObject(body.metadata) ? body.metadata : {};
    return { items, resourceVersion: typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '' };
  }

  /**
   * One call with the retry policy: resolves the JSON body of a 2xx answer; throws KubeStatusError
   * for a refusal, RetriesExhaustedError when it stayed transient, TlsError, AbortedError.
   */
  async request(request: KubeRequest): Promise<unknown> {
    const answer = await this.retried(request, false);
    return (answer as HttpAnswer).json;
  }

  /** A GET whose 2xx answer is plain text (a container's log: `pods/<name>/log`); refusals throw as `request`'s do. */
  async text(request: Omit<KubeRequest, 'method' | 'body' | 'contentType'>): Promise<string> {
    const answer = await this.retried({ ...request, method: 'GET' }, false, true);
    return (answer as HttpAnswer).text;
  }

  /**
   * A watch request: resolves the stream of a 200 answer, or a KubeStatusError `expired` for 410 Gone
   * (the resourceVersion was compacted away: list again); throws like `request` otherwise.
   */
  async openWatch(request: KubeRequest): Promise<HttpStream | KubeStatusError> {
    try {
      return (await this.retried(request, true)) as HttpStream;
    } catch (error) {
      if (error instanceof KubeStatusError && error.code === 410) return error;
      throw error;
    }
  }

  private object(verb: string, method: HttpRequest['method'], resource: KubeResource, namespace: string | undefined, name: string,
    body: unknown, contentType: string | undefined, options: ObjectOptions): Promise<Record<string, unknown>> {
    const what = `${verb} ${KubeClient.describe(resource, namespace, name, options.subresource)}`;
    return this.request({ ...options, what, method, path: KubeClient.path(resource, namespace, name, options.subresource), body, contentType }) as Promise<Record<string, unknown>>;
  }

  private retried(request: KubeRequest, stream: boolean, text = false): Promise<HttpAnswer | HttpStream> {
    const { log, retryBaseDelayMs, client, deadline } = this.options;
    return withRetries(request.what, log, { baseDelayMs: retryBaseDelayMs, attempts: request.attempts, signal: request.signal, deadline }, async () => {
      const { token, ca } = requestCredentials(this.connection, log);
      // A log is text/plain; its refusals are still Status bodies in JSON.
      const headers: Record<string, string> = { Accept: text ? 'text/plain, application/json' : 'application/json', Authorization: `Bearer ${token}` };
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      if (body !== undefined) headers['Content-Type'] = request.contentType ?? 'application/json';
      const http: HttpRequest = {
        url: `${this.connection.apiUrl}${request.path}`, method: request.method, headers, body, ca, client,
        timeoutMs: request.timeoutMs ?? this.options.requestTimeoutMs, signal: request.signal,
        tlsProblem: `the API server at ${this.connection.apiUrl} is not trusted with the CA certificate ${this.connection.caFile}`,
      };
      const answer = stream ? await openStream(http) : await exchange(http);
      if ('stream' in answer) return answer;
      if (answer.status >= 200 && answer.status < 300) {
        if (!text && answer.json === undefined && request.method !== 'DELETE') throw new TransientError(`HTTP ${answer.status} with a body that is not JSON`);
        return answer;
      }
      const status = statusOf(answer);
      if (answer.status === 429 || answer.status >= 500) {
        throw new TransientError(describeStatusLine(answer.status, status.reason, status.message), retryAfterMs(answer.headers['retry-after']));
      }
      throw new KubeStatusError(request.what, answer.status, status.reason, status.message);
    });
  }
}

/** The reason and message of a Status body, or the start of a body that is not one. */
export function statusOf(answer: Pick<HttpAnswer, 'json' | 'text'>): { reason: string; message: string } {
  const body = answer.json;
  const isStatus = isObject(body) && body.kind === 'Status';
  const reason = isStatus && typeof body.reason === 'string' ? body.reason : '';
  const message = isObject(body) && typeof body.message === 'string' ? body.message : answer.text.trim();
  return { reason, message: message.replace(/\s+/g, ' ').slice(0, 300) };
}

export function selectorQuery(options: { readonly labelSelector?: string; readonly fieldSelector?: string }): string {
  const query = new URLSearchParams();
  if (options.labelSelector) query.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
  return query.toString();
}
