// The launcher of a per-job runner VM on KEDA. A ScaledJob's Job pod runs it, no ARC: it registers
// its own one-job (JIT) runner on GitHub with the GitHub App or PAT mounted at github.credentialsDir
// (named after the pod, with runnerLabels, in runnerGroup), keeps the JIT config in the Secret
// `<pod>-jit` (owned by the pod, mounted by the VMI as its `jit` disk), then runs the job's VM as the
// ARC launcher does. A runner never busy within idleTimeoutSeconds of its VM running is removed and
// the run ends with exit 0 (its job went elsewhere); whatever the end, a runner still on GitHub and
// not busy is removed. A runner that exits 7 (its version deprecated, read from the VM's serial
// console) makes the run exit 7: the Job fails (backoffLimit 0) and stays in the ScaledJob's failed
// history; KEDA reads no exit code, so the Warning Event RunnerOutdated (on the pod and its VMI, as
// every step's Event: ../launcher/job-events.ts) is what tells the admin.
// The App key, JWTs, installation tokens and the JIT config are never logged.
import type { MintLauncherConfig } from '../contract';
import type { Fields } from '../runtime/config';
import { ConfigError } from '../runtime/errors';
import { GitHubClient } from '../runtime/github';
import { apiUrlOf, readGitHubAccess, readGitHubAuth, scopeOf } from '../runtime/github-access';
import { retryBaseDelayOf } from '../runtime/kube-connection';
import { runEntry, type Runtime } from '../runtime/main';
import { Proxy } from '../runtime/proxy';
import { RunnerWatch } from '../launcher/idle-runner';
import { JitRunners } from '../launcher/jit-runner';
import { MAX_TIMEOUT_SECONDS, readLauncherVmSettings } from '../launcher/settings';
import { buildJitSecret } from '../launcher/vm-objects';
import { prepareVmJob, runVmJob } from '../launcher/vm-job';
import { SECRET } from '../runtime/kube';

const DEFAULT_IDLE_POLL_MS = 15_000;

export function validate(fields: Fields): MintLauncherConfig {
  const github = readGitHubAccess(fields, 'github');
  const runnerLabels = fields.stringList('runnerLabels', { describe: 'a runner label of 1 to 256 characters', check: (l) => l.length >= 1 && l.length <= 256, min: 1, max: 100 });
  const runnerGroup = fields.optionalString('runnerGroup', { describe: 'a runner group name (1 to 255 characters)', check: (g) => g.length >= 1 && g.length <= 255 });
  if (runnerGroup !== undefined && scopeOf(github.url)?.kind === 'repository') {
    throw new ConfigError('runnerGroup', `is set but github.url ${github.url} is a repository: runner groups belong to organizations and enterprises`);
  }
  return {
    ...readLauncherVmSettings(fields),
    github,
    runnerLabels,
    runnerGroup,
    idleTimeoutSeconds: fields.integer('idleTimeoutSeconds', 1, MAX_TIMEOUT_SECONDS),
    idlePollMs: fields.optionalInteger('idlePollMs', 1, 600_000),
  };
}

async function launch(config: MintLauncherConfig, runtime: Runtime): Promise<void> {
  const { log } = runtime;
  const job = prepareVmJob(config, runtime, 'mint-launcher');
  const auth = readGitHubAuth(config.github.credentialsDir, log);
  const proxy = config.github.proxy ? new Proxy(config.github.proxy) : undefined;
  const apiUrl = apiUrlOf(config.github);
  const github = new GitHubClient({ apiUrl, auth, log, proxy, retryBaseDelayMs: retryBaseDelayOf(config), client: 'mint-launcher', requestTimeoutMs: config.requestTimeoutMs });
  const runners = new JitRunners(github, scopeOf(config.github.url)!, auth, log);
  const name = job.pod.name;
  let watch: RunnerWatch | undefined;
  await runVmJob(job, runtime, {
    jitSecretName: `${name}-jit`,
    beforeVm: async (control, owned) => {
      if (proxy) log.info(`GitHub's API: ${proxy.routeOf(apiUrl)}`);
      const groupId = await runners.groupId(config.runnerGroup, { signal: control.signal });
      const runner = await runners.register(name, groupId, config.runnerLabels, { signal: control.signal });
      watch = new RunnerWatch(runners, runner, log);
      const group = config.runnerGroup === undefined ? 'the default runner group' : `runner group ${JSON.stringify(config.runnerGroup)} (id ${groupId})`;
      log.info(`registered the JIT runner ${name} (id ${runner.id}) in ${group} of ${runners.scope.url}, labels ${config.runnerLabels.join(',')}`);
      await owned.createOrAdopt(SECRET, buildJitSecret(job.pod, `${name}-jit`, runner.config), control.signal);
    },
    onRunning: (control) => void watch?.watchIdle(control, config.idleTimeoutSeconds, config.idlePollMs ?? DEFAULT_IDLE_POLL_MS),
    afterVm: async () => {
      // First off GitHub, so that no job goes to a runner whose VM is going away.
      if (watch) return watch.removeAtEnd();
      if (!runners.registrationSent) return;
      // Stopped while registering: GitHub may have registered it all the same.
      try {
        await runners.removeByName(name, { attempts: 3 });
      } catch (error) {
        log.warn(`${(error as Error).message}; a runner ${name} may stay on GitHub (offline): remove it in the runner settings`);
      }
    },
  });
}

if (require.main === module) runEntry('mint-launcher', validate, launch);
