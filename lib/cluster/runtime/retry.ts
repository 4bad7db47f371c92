import { AbortedError, RateLimitedError, RetriesExhaustedError, TransientError } from './errors';
import type { Logger } from './log';

// The one retry policy of every call to the Kubernetes and GitHub APIs: what is transient (a network
// error, 429, 5xx, a short rate limit) is tried again after a capped, jittered exponential backoff,
// and never sooner than a server's Retry-After asks; anything else is the caller's answer. A
// Retry-After is never shortened and never outwaits the caller: one that ends after the caller's
// deadline (a launcher's boot or job timeout), or without a deadline one longer than the longest
// delay, is a RateLimitedError at once that names it, not a wait that a timeout cuts short without a word.

/** Attempts of one call before giving up. */
export const MAX_ATTEMPTS = 6;
/** The delays double from the base delay up to this many times it. */
export const MAX_DELAY_FACTOR = 30;
/** The base delay in the cluster: about half a minute of retries in all, well inside a Job's deadline. */
export const DEFAULT_RETRY_BASE_MS = 1000;

export interface RetryOptions {
  /** The first delay; tests make it a few milliseconds. */
  readonly baseDelayMs: number;
  /** @default MAX_ATTEMPTS; Infinity for a call that only a stop (`signal`) ends. */
  readonly attempts?: number;
  /** Aborts the waits (AbortedError). */
  readonly signal?: AbortSignal;
  /** When the caller stops waiting on its own (its timeout), asked before each wait. @default none: the longest delay bounds a Retry-After */
  readonly deadline?: () => Deadline | undefined;
}

/** When a caller's timeout fires, and what it is called (for messages). */
export interface Deadline {
  /** Date.now() when it fires. */
  readonly at: number;
  /** `the boot timeout (bootTimeoutSeconds 900)`. */
  readonly what: string;
}

/** The longest delay of a series that starts at `baseDelayMs`. */
export const maxDelayMs = (baseDelayMs: number): number => baseDelayMs * MAX_DELAY_FACTOR;

/** The `n`th delay (from 1) before jitter: doubles from the base delay up to the cap. */
export const backoffMs = (baseDelayMs: number, n: number): number => baseDelayMs * Math.min(MAX_DELAY_FACTOR, 2 ** Math.min(n - 1, 10));

/** `1.5s`, or whole seconds from 10 s on. */
export const formatSeconds = (ms: number): string => (ms >= 10000 ? `${Math.round(ms / 1000)}s` : `${(ms / 1000).toFixed(1)}s`);

/**
 * Runs `attempt` until it resolves, or throws something other than a TransientError. A
 * TransientError is logged and tried again (waiting at least its `waitMs`, up to the cap) until the
 * attempts are used up: then RetriesExhaustedError says `cannot <what>: <last problem>`.
 */
export async function withRetries<T>(what: string, log: Logger, options: RetryOptions, attempt: () => Promise<T>): Promise<T> {
  const attempts = options.attempts ?? MAX_ATTEMPTS;
  for (let n = 1; ; n++) {
    let problem: TransientError;
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      problem = error;
    }
    const retryAfter = problem.waitMs;
    const deadline = options.deadline?.();
    const left = deadline && deadline.at - Date.now();
    if (deadline && retryAfter > 0 && retryAfter > left!) {
      throw new RateLimitedError(what, problem.message, retryAfter, `after ${deadline.what} fires in ${formatSeconds(Math.max(0, left!))}: giving up now rather than at the timeout`);
    }
    if (!deadline && retryAfter > maxDelayMs(options.baseDelayMs)) {
      throw new RateLimitedError(what, problem.message, retryAfter, `longer than this client waits between attempts (${formatSeconds(maxDelayMs(options.baseDelayMs))})`);
    }
    if (n >= attempts) throw new RetriesExhaustedError(what, problem.message, n);
    const backoff = backoffMs(options.baseDelayMs, n);
    const delay = Math.max(backoff / 2 + (Math.random() * backoff) / 2, retryAfter);
    const of = Number.isFinite(attempts) ? ` of ${attempts - 1}` : '';
    const asked = retryAfter > 0 ? ` (Retry-After ${formatSeconds(retryAfter)})` : '';
    log.warn(`${what}: ${problem.message}; retry ${n}${of} in ${formatSeconds(delay)}${asked}`);
    await sleep(delay, options.signal);
  }
}

/** Waits `ms`; rejects with AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in whole seconds (the form Kubernetes and GitHub send), in milliseconds; 0 when absent. */
export function retryAfterMs(header: string | string[] | undefined): number {
  return typeof header === 'string' && /^\d+$/.test(header) ? Number(header) * 1000 : 0;
}
