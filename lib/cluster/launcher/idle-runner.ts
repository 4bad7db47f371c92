import { AbortedError } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import { sleep } from '../runtime/retry';
import type { JobControl } from './job-control';
import type { JitRunner, JitRunners } from './jit-runner';

// The mint launcher's runner while its VM runs, and at the end. KEDA starts a Job per queued job, but
// another runner may take that job first: a runner never busy within the idle timeout is removed
// from GitHub (unless it takes a job meanwhile: 422) and the run stops with exit 0. Whatever the
// end, a runner still on GitHub and not busy is removed, so that no job goes to a runner whose VM is
// going away.

export class RunnerWatch {
  private removed = false;

  constructor(private readonly runners: JitRunners, private readonly runner: JitRunner, private readonly log: Logger) {}

  /** Polls the runner every `pollMs` until it is busy (or gone: GitHub removes a JIT runner after its job). */
  async watchIdle(control: JobControl, idleTimeoutSeconds: number, pollMs: number): Promise<void> {
    const { runner, log } = this;
    const deadline = Date.now() + idleTimeoutSeconds * 1000;
    const signal = control.signal;
    try {
      for (;;) {
        await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), signal);
        let state: Record<string, unknown> | undefined | null;
        try {
          state = await this.runners.state(runner.id, { signal });
        } catch (error) {
          if (error instanceof AbortedError) throw error;
          log.warn(`${(error as Error).message}; asking again in ${Math.round(pollMs / 1000)}s`);
          state = null;
        }
        if (state === undefined || state?.busy === true) {
          return log.info(state ? `the runner ${runner.name} took a job` : `the runner ${runner.name} is gone from GitHub: it ran its job`);
        }
        if (Date.now() < deadline) continue;
        if (await this.runners.remove(runner.id, { signal }) === 'busy') {
          return log.info(`the runner ${runner.name} took a job just before the idle timeout: keeping it`);
        }
        this.removed = true;
        return control.stop(() => ({
          ok: true,
          message: `the runner ${runner.name} (id ${runner.id}) took no job within ${idleTimeoutSeconds}s of its VM running (idleTimeoutSeconds): `
            + 'removed it from GitHub; the job it was made for ran elsewhere or was cancelled',
        }));
      }
    } catch (error) {
      if (!(error instanceof AbortedError)) log.warn(`${(error as Error).message}; no more idle checks: the job timeout still applies`);
    }
  }

  /** Removes the runner from GitHub if it is still there and not busy; never throws. */
  async removeAtEnd(): Promise<void> {
    const { runner, log } = this;
    if (this.removed) return;
    const options = { attempts: 3 };
    try {
      const state = await this.runners.state(runner.id, options);
      if (state === undefined) return log.info(`the runner ${runner.name} is gone from GitHub`);
      if (state.busy === true) return log.info(`the runner ${runner.name} is running a job: left to GitHub, which removes it when its VM is gone`);
      const result = await this.runners.remove(runner.id, options);
      if (result === 'busy') return log.info(`the runner ${runner.name} took a job: left to GitHub`);
      this.removed = true;
      log.info(result === 'deleted' ? `removed the runner ${runner.name} from GitHub` : `the runner ${runner.name} is gone from GitHub`);
    } catch (error) {
      log.warn(`${(error as Error).message}; the runner ${runner.name} (id ${runner.id}) may stay on GitHub (offline): remove it in the runner settings`);
    }
  }
}
