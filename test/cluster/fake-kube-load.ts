import { createHash } from 'node:crypto';
import { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RecordedRequest } from './fake-http';
import { statusObject } from './fake-kube-wire';

// A busy API server for the fake (./fake-kube.ts): latency on every answer and faults on a share of
// the requests, each answered as kube-apiserver answers it, and a timeline of every exchange (when it
// came, when and how it was answered) for tests that assert on timing. Which request gets a fault is
// decided from the seed, the client (one token per pod) and that client's request count, so a
// client's sequence of faults is the same in every run, however the requests of many clients
// interleave.

/** Latency and faults. Every share is of the matching requests, 0 to 1. */
export interface LoadOptions {
  /** Added before every answer, a watch's headers included. @default 0 */
  readonly latencyMs?: number;
  /** Requests (watches too) refused by priority and fairness: 429, text/plain, `Retry-After`. @default 0 */
  readonly tooManyRequests?: number;
  /** The 429s' Retry-After, in seconds (kube-apiserver sends 1). @default 1 */
  readonly retryAfterSeconds?: number;
  /** Requests (not watches) answered 500 InternalError, nothing done (etcd's leader changed). @default 0 */
  readonly internalErrors?: number;
  /** Writes (POST, DELETE) carried out but answered 504 Timeout, as when storage is slow. @default 0 */
  readonly timeoutsAfterWrite?: number;
  /** Watches the server ends early (a restart, a rollout), at a random time up to `watchEndMs`. @default 0 */
  readonly watchesEndedEarly?: number;
  /** @default 2000 */
  readonly watchEndMs?: number;
  /**
   * One call (a client's requests of one method and path) never gets more refusals than this in a
   * row: with at least one attempt more (the runtime makes 6, an Event 3) every call gets through,
   * and a test asserts the backoff, not the giving up. @default 2
   */
  readonly maxFaultsInARow?: number;
  /** @default 1 */
  readonly seed?: number;
}

/** What the fake does to one request besides answering it. */
export type LoadFault = 'tooManyRequests' | 'internalError' | 'timeoutAfterWrite' | { readonly endWatchAfterMs: number };

/** One request and its answer, on the fake's clock (ms, performance.now()). */
export interface Exchange {
  readonly request: RecordedRequest;
  /** Who sent it: the name its token was added with (`addToken`); `default` for the server's own token. */
  readonly client: string;
  readonly watch: boolean;
  readonly receivedAt: number;
  fault?: LoadFault;
  /** The status sent; a watch's when its stream ends. */
  status?: number;
  /**
   * When the answer's head was written: the client cannot have it sooner. Its `finish` (answeredAt) comes
   * on a later turn of this process's loop, which a busy loop (a wave of launchers spawned) can hold
   * past the moment the client reads the answer.
   */
  sentAt?: number;
  /** When the answer was complete (a watch: when its stream ended). */
  answeredAt?: number;
  /** The Retry-After header sent, in seconds. */
  retryAfterSeconds?: number;
  /** A write answered 504 after it landed: the status its handler came to (201 created, 200 deleted). */
  landedStatus?: number;
}

export const clock = (): number => performance.now();

/** The share of a hash, from 0 to 1: the same inputs, the same share. */
function share(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\0')).digest().readUInt32BE(0) / 2 ** 32;
}

export class LoadModel {
  public readonly exchanges: Exchange[] = [];
  private readonly counts = new Map<string, number>();
  private readonly inARow = new Map<string, number>();

  constructor(private readonly options: LoadOptions = {}) {}

  public get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /** Records a request as it arrives; its answer is filled in when sent. */
  public received(request: RecordedRequest, client: string, watch: boolean, res: ServerResponse): Exchange {
    const exchange: Exchange = { request, client, watch, receivedAt: clock() };
    this.exchanges.push(exchange);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      exchange.sentAt ??= clock();
      return writeHead(...args);
    }) as typeof res.writeHead;
    res.once('finish', () => {
      exchange.status = res.statusCode;
      exchange.answeredAt = clock();
    });
    return exchange;
  }

  /** The fault for this request of `client`, if any (decided once per request, in the order a client sends them). */
  public faultFor(exchange: Exchange): LoadFault | undefined {
    const { client, watch } = exchange;
    const { method } = exchange.request;
    const n = (this.counts.get(client) ?? 0) + 1;
    this.counts.set(client, n);
    const o = this.options;
    const roll = (what: string) => share(o.seed ?? 1, client, n, what);
    let fault: LoadFault | undefined;
    if (roll('429') < (o.tooManyRequests ?? 0)) fault = 'tooManyRequests';
    else if (!watch && roll('500') < (o.internalErrors ?? 0)) fault = 'internalError';
    else if ((method === 'POST' || method === 'DELETE') && roll('504') < (o.timeoutsAfterWrite ?? 0)) fault = 'timeoutAfterWrite';
    else if (watch && roll('end') < (o.watchesEndedEarly ?? 0)) fault = { endWatchAfterMs: Math.round(roll('end-at') * (o.watchEndMs ?? 2000)) };
    // A watch ended early is not a refusal: it does not count towards the refusals in a row.
    const call = `${client} ${method} ${exchange.request.url.split('?')[0]}`;
    const row = typeof fault === 'string' ? (this.inARow.get(call) ?? 0) + 1 : 0;
    if (row > (o.maxFaultsInARow ?? 2)) {
      this.inARow.set(call, 0);
      return undefined;
    }
    this.inARow.set(call, row);
    exchange.fault = fault;
    return fault;
  }

  /** Priority and fairness's refusal (apiserver filters tooManyRequests): plain text, not a Status. */
  public tooManyRequests(res: ServerResponse, exchange: Exchange): void {
    const text = 'Too many requests, please try again later.\n';
    exchange.retryAfterSeconds = this.options.retryAfterSeconds ?? 1;
    res.writeHead(429, {
      'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text),
      'Retry-After': String(exchange.retryAfterSeconds),
    }).end(text);
  }
}

/** apimachinery's NewInternalError for a storage error. */
export const internalError = () => statusObject(500, 'Internal error occurred: etcdserver: leader changed', 'InternalError',
  { causes: [{ message: 'etcdserver: leader changed' }] });

/** What finishRequest answers when the handler outlived the request's timeout (the write may still have landed). */
export const timeout = () => statusObject(504, 'Timeout: request did not complete within requested timeout - context deadline exceeded', 'Timeout', {});
