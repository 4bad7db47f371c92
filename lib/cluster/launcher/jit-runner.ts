import { GitHubError } from '../runtime/errors';
import { describeAnswer, GitHubClient } from '../runtime/github';
import type { GitHubAuth, GitHubScope } from '../runtime/github-access';
import { scopeHint } from '../runtime/github-hints';
import { isObject, type HttpAnswer } from '../runtime/http';
import type { Logger } from '../runtime/log';

// The mint launcher's runner on GitHub: the runner group's id, the JIT registration, its state and
// its removal. A registration whose answer was lost (or that SIGTERM cut off) leaves a runner of the
// pod's name behind, so the retry gets 409: the leftover is found by name, removed, and the
// registration made again, as ARC does (actions-runner-controller's ephemeral runner controller).

/** A runner this run registered. */
export interface JitRunner {
  readonly id: number;
  readonly name: string;
  /** The encoded JIT config, registered with the logger (never printed). */
  readonly config: string;
}

export interface RunnerCallOptions {
  readonly signal?: AbortSignal;
  readonly attempts?: number;
}

export class JitRunners {
  /** A registration may have reached GitHub without its answer reaching us: its runner may exist. */
  registrationSent = false;

  constructor(private readonly github: GitHubClient, readonly scope: GitHubScope, private readonly auth: GitHubAuth, private readonly log: Logger) {}

  /** The id of `group` (following the pages), or 1 (the default group) without one. */
  async groupId(group: string | undefined, options: RunnerCallOptions): Promise<number> {
    if (group === undefined) return 1;
    const what = `list the runner groups of ${this.scope.url}`;
    const pick = (json: unknown) => (isObject(json) && Array.isArray(json.runner_groups) ? json.runner_groups.filter(isObject) : undefined);
    const groups = await this.github.pages(what, `${this.scope.path}/actions/runner-groups`, pick, (answer) => this.refused(what, answer), options);
    const found = groups.find((g) => g.name === group);
    if (!found || !Number.isInteger(found.id)) {
      throw new Error(`the runner group ${JSON.stringify(group)} (runnerGroup) does not exist in ${this.scope.url}: create it, or fix its name`);
    }
    return found.id as number;
  }

  /** Registers the JIT runner `name`; a leftover of the same name (409) is removed first, once. */
  async register(name: string, groupId: number, labels: readonly string[], options: RunnerCallOptions): Promise<JitRunner> {
    const what = `generate a JIT runner config for ${this.scope.url}`;
    const body = { name, runner_group_id: groupId, labels, work_folder: '_work' };
    // The token first: a registration that fails before it reaches GitHub leaves nothing there.
    await this.github.bearer(options);
    this.registrationSent = true;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.github.scoped(what, 'POST', `${this.scope.path}/actions/runners/generate-jitconfig`, { ...options, body });
      if (answer.status === 409 && attempt === 1) {
        await this.removeByName(name, options);
        continue;
      }
      // An answer came: a refusal registered nothing.
      if (answer.status !== 201) {
        this.registrationSent = false;
        throw this.refused(what, answer);
      }
      const config = isObject(answer.json) ? answer.json.encoded_jit_config : undefined;
      const id = isObject(answer.json) && isObject(answer.json.runner) ? answer.json.runner.id : undefined;
      if (typeof config !== 'string' || config === '' || !Number.isInteger(id)) {
        throw new GitHubError(what, answer.status, 'GitHub\'s answer has no runner id or no encoded_jit_config', '');
      }
      this.log.secret(config);
      this.log.secret(Buffer.from(config, 'utf8').toString('base64'));
      return { id: id as number, name, config };
    }
  }

  /** The runner, or undefined when GitHub has none of that id (404). */
  async state(id: number, options: RunnerCallOptions): Promise<Record<string, unknown> | undefined> {
    const what = `read the runner ${id} of ${this.scope.url}`;
    const answer = await this.github.scoped(what, 'GET', `${this.scope.path}/actions/runners/${id}`, options);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200 || !isObject(answer.json)) throw this.refused(what, answer);
    return answer.json;
  }

  /** Deletes the runner: 'deleted', 'gone' (404) or 'busy' (422: it took a job). */
  async remove(id: number, options: RunnerCallOptions): Promise<'deleted' | 'gone' | 'busy'> {
    const what = `delete the runner ${id} of ${this.scope.url}`;
    const answer = await this.github.scoped(what, 'DELETE', `${this.scope.path}/actions/runners/${id}`, options);
    if (answer.status === 204) return 'deleted';
    if (answer.status === 404) return 'gone';
    if (answer.status === 422) return 'busy';
    throw this.refused(what, answer);
  }

  /** Removes the runners named `name`: what a registration whose answer never came left on GitHub. */
  async removeByName(name: string, options: RunnerCallOptions): Promise<void> {
    const what = `list the self-hosted runners of ${this.scope.url} named ${JSON.stringify(name)}`;
    const pick = (json: unknown) => (isObject(json) && Array.isArray(json.runners) ? json.runners.filter(isObject) : undefined);
    const runners = await this.github.pages(what, `${this.scope.path}/actions/runners?name=${encodeURIComponent(name)}`, pick, (answer) => this.refused(what, answer), options);
    for (const runner of runners.filter((r) => r.name === name && Number.isInteger(r.id))) {
      const result = await this.remove(runner.id as number, options);
      if (result === 'busy') throw new Error(`a runner named ${name} (id ${runner.id}) is on ${this.scope.url} already and running a job: this pod cannot register under its name`);
      this.log.info(`removed the runner ${name} (id ${runner.id}) that a registration of this pod whose answer was lost left on GitHub`);
    }
  }

  private refused(what: string, answer: HttpAnswer): GitHubError {
    const accepted = answer.headers['x-accepted-github-permissions'];
    return new GitHubError(what, answer.status, describeAnswer(answer), scopeHint(this.scope, this.auth, answer.status, typeof accepted === 'string' ? accepted : undefined));
  }
}
