import * as http from 'node:http';
import * as https from 'node:https';
import { AbortedError, TlsError, TransientError } from './errors';

// One HTTP exchange with node's own client, for the Kubernetes and the GitHub clients alike: a fresh
// connection per request (nothing pooled can have gone stale), a deadline for the whole answer, an
// abort signal, and failures sorted into TransientError (the network: retry), TlsError (an untrusted
// certificate: retrying cannot help) and AbortedError (told to stop).

export const REQUEST_TIMEOUT_MS = 30_000;
const USER_AGENT = 'cdk8s-kubevirt-runners';

export interface HttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The CA to trust instead of node's default store (the ServiceAccount's ca.crt). */
  readonly ca?: Buffer;
  /** A proxy tunnel; by default a fresh direct connection. */
  readonly agent?: http.Agent | false;
  /** @default REQUEST_TIMEOUT_MS */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** What an untrusted certificate means here, for the TlsError. */
  readonly tlsProblem: string;
  /** The entry point, for the User-Agent. */
  readonly client: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed, when it is JSON. */
  readonly json: unknown;
}

/** A 200 answer whose body is read as it comes (a watch); `close()` ends it. */
export interface HttpStream {
  readonly status: 200;
  readonly headers: http.IncomingHttpHeaders;
  readonly stream: http.IncomingMessage;
  /** Why the exchange was cut (deadline, abort), if it was. */
  failure(): Error | undefined;
  close(): void;
}

/** Sends one request and reads the whole answer, whatever its status. */
export function exchange(request: HttpRequest): Promise<HttpAnswer> {
  return send(request, false) as Promise<HttpAnswer>;
}

/** Sends one request; a 200 answer is handed over as a stream, any other is read whole. */
export function openStream(request: HttpRequest): Promise<HttpAnswer | HttpStream> {
  return send(request, true);
}

export const isStream = (answer: HttpAnswer | HttpStream): answer is HttpStream => 'stream' in answer;

function send(options: HttpRequest, stream: boolean): Promise<HttpAnswer | HttpStream> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) return reject(new AbortedError());
    const headers: Record<string, string | number> = { ...options.headers, 'User-Agent': `${USER_AGENT}-${options.client}` };
    const payload = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
    if (payload) headers['Content-Length'] = payload.length;
    else if (options.method === 'POST' || options.method === 'PUT' || options.method === 'PATCH') headers['Content-Length'] = 0;
    const transport = options.url.startsWith('https:') ? https : http;
    const request = transport.request(options.url, { method: options.method, headers, ca: options.ca, agent: options.agent ?? false });
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      request.destroy(failure);
    };
    const timer = setTimeout(() => fail(new TransientError(`no complete answer within ${timeoutMs / 1000}s`)), timeoutMs);
    const onAbort = () => fail(new AbortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    // A stream outlives the promise: the deadline and the abort listener go when the exchange ends.
    const release = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    let settled = false;
    const settle = (action: () => void) => {
      if (!settled) action();
      settled = true;
    };
    request.on('error', (error: NodeJS.ErrnoException) => {
      release();
      settle(() => reject(failure ?? networkError(error, options.tlsProblem)));
    });
    request.on('response', (response) => {
      response.on('error', () => undefined);
      if (stream && response.statusCode === 200) {
        response.on('close', release);
        return settle(() => resolve({ status: 200, headers: response.headers, stream: response, failure: () => failure, close: () => request.destroy() }));
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        release();
        const text = Buffer.concat(chunks).toString('utf8');
        settle(() => resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: parseJson(text) }));
      });
      response.on('close', () => {
        release();
        settle(() => reject(failure ?? new TransientError('the connection closed before the answer was complete')));
      });
    });
    request.end(payload);
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function networkError(error: NodeJS.ErrnoException, tlsProblem: string): Error {
  const code = error.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) return new TlsError(tlsProblem, error);
  return new TransientError(code && !error.message.includes(code) ? `${error.message} (${code})` : error.message);
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
