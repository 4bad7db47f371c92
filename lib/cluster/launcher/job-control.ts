import { AbortedError } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import type { Deadline } from '../runtime/retry';

// How a launcher's run ends early: a signal (SIGTERM from ARC or the Job, SIGINT), a timeout (boot,
// job) or a decision (the mint launcher's idle runner). Each aborts `signal`, which ends whatever is
// under way (a request, a watch, a wait); the first reason to stop is the one the run reports.

/** How a run ended: a message to print on success, the error to fail with, or a signal. */
export type Outcome = { readonly ok: true; readonly message: string } | { readonly ok: false; readonly error: Error } | 'signal';

export class JobControl {
  private readonly abort = new AbortController();
  private reason?: () => Outcome;
  private timer?: NodeJS.Timeout;
  private until?: Deadline;

  constructor(stopSignal: AbortSignal, log: Logger) {
    const onSignal = () => {
      if (this.reason) return;
      log.info(`received ${String(stopSignal.reason)}: deleting what this pod created`);
      this.stop(() => 'signal');
    };
    if (stopSignal.aborted) onSignal();
    else stopSignal.addEventListener('abort', onSignal, { once: true });
  }

  /** Aborted when the run stops early, and at its end. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Stops the run; `why` is asked for the outcome once what was under way has ended. */
  stop(why: () => Outcome): void {
    if (this.reason || this.abort.signal.aborted) return;
    this.reason = why;
    this.abort.abort();
  }

  /** When the timer fires, and which timeout it is: the run's requests never wait past it for a Retry-After (../runtime/retry.ts). */
  get deadline(): Deadline | undefined {
    return this.until;
  }

  /** (Re)starts the one timer: after `seconds`, stop with `why`; `what` names it (`the boot timeout (bootTimeoutSeconds 900)`). */
  arm(seconds: number, what: string, why: () => Outcome): void {
    clearTimeout(this.timer);
    this.until = { at: Date.now() + seconds * 1000, what };
    this.timer = setTimeout(() => this.stop(why), seconds * 1000);
  }

  /** The outcome of an error that ended the run: the stop's when it was the abort. */
  outcomeOf(error: unknown): Outcome {
    if (error instanceof AbortedError && this.reason) return this.reason();
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }

  /** The run is over (its outcome known): no timer, and what still runs beside it (idle polls) ends. */
  end(): void {
    clearTimeout(this.timer);
    this.until = undefined;
    this.abort.abort();
  }
}

/** A failure outcome with `message`. */
export const failed = (message: string): Outcome => ({ ok: false, error: new Error(message) });
