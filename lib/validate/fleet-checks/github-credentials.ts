import { Finding, ManifestObject } from '../finding';
import { arrayAt, isObject, namespaceOf } from '../manifest-values';
import { reporterFor } from '../report';
import { podSpecOf } from './pod-templates';
import { configOf } from './service-accounts';

// A fleet's GitHub credentials Secret holds ARC's keys (actions-runner-controller
// apis/actions.github.com/v1alpha1/appconfig/appconfig.go): github_app_id, github_app_installation_id
// and github_app_private_key for a GitHub App, or github_token for a PAT. ARC reads it by those names,
// the library's in-cluster scripts read the files of the same names, and the user creates it so
// (docs). A Secret is a credentials Secret when an AutoscalingRunnerSet names it, or a pod mounts it
// where its entry point reads credentials (`github.credentialsDir` in its config file). Any other key of it that a pod's env,
// a volume's items or a KEDA TriggerAuthentication reads does not exist: the pod never starts, or
// KEDA cannot build its scaler.
const ARC_KEYS = ['github_app_id', 'github_app_installation_id', 'github_app_private_key', 'github_token'];

export function checkGitHubCredentialKeys(items: readonly ManifestObject[]): Finding[] {
  const credentials = new Set<string>();
  const key = (namespace: string, name: unknown) => `${namespace}/${name}`;
  for (const { object } of items) {
    if (object?.apiVersion === 'actions.github.com/v1alpha1' && object?.kind === 'AutoscalingRunnerSet') credentials.add(key(namespaceOf(object), object.spec?.githubConfigSecret));
    const found = podSpecOf(object);
    if (!found) continue;
    for (const container of arrayAt(found[0].containers)) {
      const dirs = [configOf(container, found[0], items.map((i) => i.object), namespaceOf(object))?.github?.credentialsDir];
      for (const mount of arrayAt(container?.volumeMounts).filter((m: any) => dirs.includes(m?.mountPath))) {
        const volume = arrayAt(found[0].volumes).find((v: any) => v?.name === mount.name);
        if (volume?.secret?.secretName) credentials.add(key(namespaceOf(object), volume.secret.secretName));
      }
    }
  }
  const findings: Finding[] = [];
  const bad = (namespace: string, name: unknown, k: unknown) => credentials.has(key(namespace, name)) && !ARC_KEYS.includes(k as string);
  const message = (name: unknown, k: unknown) => `the GitHub credentials Secret '${name}' holds ARC's keys (${ARC_KEYS.join(', ')}), not ${JSON.stringify(k)}`;
  for (const item of items) {
    const report = reporterFor(findings, item);
    const namespace = namespaceOf(item.object);
    if (item.object?.apiVersion === 'keda.sh/v1alpha1' && item.object?.kind === 'TriggerAuthentication') {
      arrayAt(item.object.spec?.secretTargetRef).forEach((ref: any, i: number) => {
        if (bad(namespace, ref?.name, ref?.key)) report(`/spec/secretTargetRef/${i}/key`, message(ref.name, ref.key));
      });
    }
    const found = podSpecOf(item.object);
    if (!found) continue;
    const [pod, at] = found;
    arrayAt(pod.containers).forEach((container: any, c: number) => arrayAt(container?.env).forEach((env: any, e: number) => {
      const ref = env?.valueFrom?.secretKeyRef;
      if (isObject(ref) && bad(namespace, ref.name, ref.key)) report(`${at}/containers/${c}/env/${e}/valueFrom/secretKeyRef/key`, message(ref.name, ref.key));
    }));
    arrayAt(pod.volumes).forEach((volume: any, v: number) => arrayAt(volume?.secret?.items).forEach((entry: any, k: number) => {
      if (bad(namespace, volume.secret.secretName, entry?.key)) report(`${at}/volumes/${v}/secret/items/${k}/key`, message(volume.secret.secretName, entry?.key));
    }));
  }
  return findings;
}
