// Every error the in-cluster runtime throws on purpose, and the exit codes they end a run with, in
// one place (as KAR's internal/ keeps its sentinel errors): an entry point tells a bad configuration
// from a refusal from a network problem by class, never by parsing a message.

/** How an in-cluster job ends; the CronJob's or ARC's status shows the number. */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** Failed: refused by an API, or still failing after the retries. */
  FAILURE: 1,
  /** The configuration file or the pod's set-up is wrong: retrying cannot help. */
  BAD_CONFIG: 2,
  /** The runner reported its version deprecated (ARC marks the scale set Outdated). */
  RUNNER_DEPRECATED: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The configuration is wrong; `field` is the dotted path in the config file (or the env var, file) at fault. */
export class ConfigError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** A network problem, or an answer worth asking again (429, 5xx, a short rate limit). */
export class TransientError extends Error {
  constructor(message: string, readonly waitMs = 0) {
    super(message);
    this.name = 'TransientError';
  }
}

/** The run was told to stop (SIGTERM, SIGINT) while it waited. */
export class AbortedError extends Error {
  constructor() {
    super('stopping');
    this.name = 'AbortedError';
  }
}

/** TLS failed: the server's certificate is not trusted. Retrying cannot fix it. */
export class TlsError extends Error {
  constructor(problem: string, cause: Error) {
    super(`TLS: ${problem}: ${cause.message}`);
    this.name = 'TlsError';
  }
}

/** A call that kept failing transiently: `problem` is the last attempt's. */
export class RetriesExhaustedError extends Error {
  constructor(readonly what: string, readonly problem: string, readonly attempts: number) {
    super(`cannot ${what}: ${problem}; gave up after ${attempts} attempts`);
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * A rate limit that lifts later than this run may wait: the next run tries again. `beyond` says why the
 * run does not wait for a server's Retry-After (its deadline, the longest delay); without it, GitHub's own limit.
 */
export class RateLimitedError extends Error {
  constructor(readonly what: string, readonly problem: string, readonly waitMs: number, beyond?: string) {
    super(beyond
      ? `cannot ${what}: ${problem}; the server asks to wait ${Math.ceil(waitMs / 1000)}s before the next attempt (Retry-After), ${beyond}`
      : `cannot ${what}: ${problem}; the rate limit lifts in ${Math.ceil(waitMs / 1000)}s, later than this run waits: the next run will try again`);
    this.name = 'RateLimitedError';
  }
}

/**
 * The Kubernetes API answered with a Status that is not success: `reason` (Forbidden, NotFound,
 * Conflict, Expired...) and `code` come from the Status body (or the HTTP status when it had none).
 */
export class KubeStatusError extends Error {
  constructor(
    /** `get the scale of VirtualMachinePool ci/warm`: what was asked. */
    readonly what: string,
    /** The HTTP status (the Status's code when the body is a Status). */
    readonly code: number,
    /** The Status's reason, '' when the body was not a Status. */
    readonly reason: string,
    /** The Status's message (or the start of a body that is not one). */
    readonly detail: string,
  ) {
    super(`cannot ${what}: ${describeStatusLine(code, reason, detail)}`);
    this.name = 'KubeStatusError';
  }
}

/** Whether `error` is the API server's refusal with one of `codes` (404 NotFound, 409 Conflict/AlreadyExists, 410 Expired...). */
export function isKubeStatus(error: unknown, ...codes: number[]): error is KubeStatusError {
  return error instanceof KubeStatusError && codes.includes(error.code);
}

/** GitHub refused a call (a status the caller does not expect); `hint` says what it means. */
export class GitHubError extends Error {
  constructor(readonly what: string, readonly status: number, readonly answer: string, readonly hint: string) {
    super(`cannot ${what}: ${answer}${hint ? `. ${hint}` : ''}`);
    this.name = 'GitHubError';
  }
}

/** The runner reported that its version is deprecated: exit 7 so that ARC marks the set Outdated. */
export class RunnerDeprecatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerDeprecatedError';
  }
}

/** `HTTP 403 Forbidden: <message>`, one line. */
export function describeStatusLine(code: number, reason: string, detail: string): string {
  return `HTTP ${code}${reason ? ` ${reason}` : ''}${detail ? `: ${detail}` : ''}`;
}

/** The exit code an error ends a run with. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof ConfigError) return ExitCode.BAD_CONFIG;
  if (error instanceof RunnerDeprecatedError) return ExitCode.RUNNER_DEPRECATED;
  return ExitCode.FAILURE;
}
