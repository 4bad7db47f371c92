import { GitHubScope, GitHubScopeKind } from '../../github';
import { Finding, ManifestObject } from '../finding';
import { arrayAt, isObject, namespaceOf } from '../manifest-values';
import { reporterFor } from '../report';
import { configOf } from './service-accounts';

// A ScaledJob's github-runner trigger must count the jobs its launchers' runners take: the owner,
// scope and repository of the GitHub URL the launcher registers with, that host's REST API, and the
// runners' labels (KEDA counts a queued job when its labels are among the trigger's `labels` and the
// default ones, github_runner_scaler.go canRunnerMatchLabels). A trigger that watches another owner or
// other labels starts launchers for jobs their runners cannot take (each ends at its idle timeout),
// or none for the jobs they can. The API URL is GitHub's: api.github.com for github.com,
// api.SUBDOMAIN.ghe.com for GHE.com, https://HOST/api/v3 for a GitHub Enterprise Server.
const SCOPES: Record<GitHubScopeKind, string> = { [GitHubScopeKind.REPOSITORY]: 'repo', [GitHubScopeKind.ORGANIZATION]: 'org', [GitHubScopeKind.ENTERPRISE]: 'ent' };

export function checkKedaLaunchers(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const item of items) {
    const object = item.object;
    if (object?.apiVersion !== 'keda.sh/v1alpha1' || object?.kind !== 'ScaledJob') continue;
    const pod = object.spec?.jobTargetRef?.template?.spec;
    const launcher = launcherSettings(pod, items.map((i) => i.object), namespaceOf(object));
    if (!launcher) continue;
    let scope: GitHubScope;
    try {
      scope = GitHubScope.fromUrl(launcher.url, 'launcher', 'GitHub URL');
    } catch {
      continue; // the launcher's own URL is checkPodReferences'
    }
    const report = reporterFor(findings, item);
    arrayAt(object.spec?.triggers).forEach((trigger: any, t: number) => {
      if (trigger?.type !== 'github-runner' || !isObject(trigger.metadata)) return;
      const meta = trigger.metadata;
      const at = `/spec/triggers/${t}/metadata`;
      const [owner, repo] = scope.path.split('/');
      const expected: Record<string, string | undefined> = {
        owner, runnerScope: SCOPES[scope.kind], repos: repo,
        githubApiURL: scope.isGitHubDotCom ? 'https://api.github.com' : /\.ghe\.com$/.test(scope.host) ? `https://api.${scope.host}` : `https://${scope.host}/api/v3`,
      };
      for (const [field, value] of Object.entries(expected)) {
        const given = typeof meta[field] === 'string' ? meta[field].trim().replace(/\/$/, '') : undefined;
        if (given === undefined || value === undefined || (field === 'repos' ? given.split(',').map((r: string) => r.trim()).includes(value) : given === value)) continue;
        report(`${at}/${field}`, `${field} ${JSON.stringify(meta[field])} does not match the launcher's GitHub URL ${launcher.url} (expected ${JSON.stringify(value)}): KEDA would count another scope's jobs`);
      }
      if (launcher.labels !== undefined && typeof meta.labels === 'string') {
        const norm = (list: readonly string[]) => [...new Set(list.map((l) => l.trim().toLowerCase()).filter((l) => l !== ''))].sort();
        const trig = norm(meta.labels.split(','));
        const runner = norm(launcher.labels);
        if (JSON.stringify(trig) !== JSON.stringify(runner)) {
          report(`${at}/labels`, `labels ${JSON.stringify(meta.labels)} are not the runners' labels ${JSON.stringify(runner.join(','))}: KEDA would start launchers for jobs these runners cannot take, or none for theirs`);
        }
      }
    });
  }
  return findings;
}

/** The launcher's GitHub URL and runner labels, from its config file (`github.url`, `runnerLabels`). */
function launcherSettings(pod: any, objects: readonly any[], namespace: string): { url: string; labels?: string[] } | undefined {
  for (const container of arrayAt(pod?.containers)) {
    const config = configOf(container, pod, objects, namespace);
    if (typeof config?.github?.url !== 'string') continue;
    return { url: config.github.url, labels: Array.isArray(config.runnerLabels) ? config.runnerLabels : undefined };
  }
  return undefined;
}
