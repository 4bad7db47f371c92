import { readConfigFile, type Fields } from './config';
import { AbortedError, ConfigError, ExitCode, exitCodeOf } from './errors';
import { Logger } from './log';

// How every entry point runs, like ARC's main.go only wiring packages: the configuration file (the
// first argument) is read and validated before anything else, the job runs with a logger that
// redacts and a signal that SIGTERM/SIGINT abort, and whatever ends it becomes one exit code
// (./errors.ts) and, unless it is success, one line on stderr.

const SIGNAL_EXIT_CODES = { SIGTERM: 143, SIGINT: 130 } as const;

/** What a job gets besides its configuration. */
export interface Runtime {
  readonly log: Logger;
  /** Aborted on SIGTERM or SIGINT (its reason: the signal's name): waits and requests end with AbortedError. */
  readonly signal: AbortSignal;
  /** The pod's environment (downward API: see podIdentity in ./config.ts). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Runs one entry point: `node <name>.js <config.json>`. `validate` turns the file into the entry's
 * config type (a ConfigError names the field), `run` does the job; the process exits with the code
 * of ExitCode that fits how it ended.
 */
export function runEntry<C>(name: string, validate: (fields: Fields, runtime: Runtime) => C, run: (config: C, runtime: Runtime) => Promise<void>): void {
  const log = new Logger(name);
  const abort = new AbortController();
  let stoppedBy: keyof typeof SIGNAL_EXIT_CODES | undefined;
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as (keyof typeof SIGNAL_EXIT_CODES)[]) {
    process.once(signal, () => {
      stoppedBy = signal;
      // The reason names the signal, for a job that says what stopped it before it cleans up.
      abort.abort(signal);
    });
  }
  const runtime: Runtime = { log, signal: abort.signal, env: process.env };
  const job = async (): Promise<number> => {
    const path = process.argv[2];
    if (!path) throw new ConfigError('the configuration file', `is not given: run node ${name}.js /path/to/config.json`);
    const config = readConfigFile(path, (fields) => validate(fields, runtime));
    await run(config, runtime);
    return ExitCode.OK;
  };
  job().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof AbortedError && stoppedBy) {
        log.warn(`stopped by ${stoppedBy}`);
        return process.exit(SIGNAL_EXIT_CODES[stoppedBy]);
      }
      log.warn(describeFailure(error));
      process.exit(exitCodeOf(error));
    },
  );
}

/** One line for an error the runtime threw on purpose; the stack for a bug. */
export function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`;
  const bug = error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError || error instanceof SyntaxError || !(error instanceof Error);
  return bug ? `unexpected error: ${error instanceof Error ? error.stack : String(error)}` : error.message;
}
