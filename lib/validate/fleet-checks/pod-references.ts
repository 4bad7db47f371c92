import { GitHubScope } from '../../github';
import { annotationReferences, EXTERNAL_SECRETS_ANNOTATION } from '../../private/external-references';
import { Finding, ManifestObject } from '../finding';
import { arrayAt, isObject, namespaceOf } from '../manifest-values';
import { Report, reporterFor } from '../report';
import { FleetCheckOptions } from './options';
import { configOf, podSpecOf } from './service-accounts';

// What a pod of the output needs from other objects before its containers start, and what the
// library's entry points read from their mounts:
// - the kubelet mounts each configMap and secret volume, and resolves each configMapKeyRef and
//   secretKeyRef: a missing object (not `optional`) leaves the pod in ContainerCreating or
//   CreateContainerConfigError (pkg/kubelet/volumemanager, kubecontainer.MakeEnvironmentVariables);
// - node runs the script its command names: a file missing from the mounted ConfigMap fails every run;
// - the entry points read files and folders their environment names (`*_DIR`, `*_TEMPLATE`): those
//   must be mounted, the GitHub URL they register with must be one; the launcher waits for the image's bake VM (LAUNCHER_IMAGE_READY_VMI), which
//   must be in the output.

export function checkPodReferences(items: readonly ManifestObject[], options: FleetCheckOptions): Finding[] {
  const objects = items.map((i) => i.object);
  const findings: Finding[] = [];
  for (const item of items) {
    const found = podSpecOf(item.object);
    if (!found) continue;
    const [pod, at] = found;
    const report = reporterFor(findings, item);
    const namespace = namespaceOf(item.object);
    const has = (kind: string, name: unknown) => objects.some((o) => o?.kind === kind && o.metadata?.name === name && namespaceOf(o) === namespace);
    // A Secret any object of the namespace declares external counts as there (the declarations are per object).
    const external = new Set([...(options.externalSecrets ?? []),
      ...objects.filter((o) => namespaceOf(o) === namespace).flatMap((o) => annotationReferences(o, EXTERNAL_SECRETS_ANNOTATION))]);
    const secretThere = (name: unknown) => has('Secret', name) || external.has(name as string);
    arrayAt(pod.volumes).forEach((volume: any, v: number) => {
      if (isObject(volume?.configMap) && volume.configMap.optional !== true && !has('ConfigMap', volume.configMap.name)) {
        report(`${at}/volumes/${v}/configMap/name`, `ConfigMap '${volume.configMap.name}' is not in the output: the pod's volume cannot be mounted and its containers never start`);
      }
      if (isObject(volume?.secret) && volume.secret.optional !== true && !secretThere(volume.secret.secretName)) {
        report(`${at}/volumes/${v}/secret/secretName`, `Secret '${volume.secret.secretName}' is neither in the output nor declared external (annotation ${EXTERNAL_SECRETS_ANNOTATION}): the pod's containers never start`);
      }
    });
    arrayAt(pod.containers).forEach((container: any, c: number) => {
      const here = `${at}/containers/${c}`;
      arrayAt(container?.env).forEach((env: any, e: number) => {
        const secret = env?.valueFrom?.secretKeyRef;
        if (isObject(secret) && secret.optional !== true && !secretThere(secret.name)) {
          report(`${here}/env/${e}/valueFrom/secretKeyRef/name`, `Secret '${secret.name}' is neither in the output nor declared external: the container never starts`);
        }
        const configMap = env?.valueFrom?.configMapKeyRef;
        if (isObject(configMap) && configMap.optional !== true && !has('ConfigMap', configMap.name)) {
          report(`${here}/env/${e}/valueFrom/configMapKeyRef/name`, `ConfigMap '${configMap.name}' is not in the output: the container never starts`);
        }
      });
      checkEntryFiles(container, here, pod, objects, namespace, report);
    });
  }
  return findings;
}

function checkEntryFiles(container: any, at: string, pod: any, objects: readonly any[], namespace: string, report: Report): void {
  const command = arrayAt(container?.command);
  if (command[0] !== 'node') return; // only the library's own entry points are known here
  const mounts = arrayAt(container?.volumeMounts).filter((m: any) => typeof m?.mountPath === 'string');
  const mountOf = (path: string) => mounts.filter((m: any) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
  // A file in a mounted ConfigMap: its key must be there (ConfigMaps outside the output are not known).
  const fileProblem = (path: string): string | undefined => {
    const mount = mountOf(path);
    if (!mount) return `${path} is on no volume the container mounts`;
    const volume = arrayAt(pod.volumes).find((v: any) => v?.name === mount.name);
    const configMap = objects.find((o) => o?.kind === 'ConfigMap' && o.metadata?.name === volume?.configMap?.name && namespaceOf(o) === namespace);
    const key = path.slice(mount.mountPath.replace(/\/$/, '').length + 1);
    if (!configMap || key === '' || mount.subPath) return undefined;
    const items = arrayAt(volume.configMap.items);
    const keys = items.length > 0 ? items.map((i: any) => i?.path) : Object.keys({ ...configMap.data, ...configMap.binaryData });
    return keys.includes(key) ? undefined : `${path}: ConfigMap '${configMap.metadata.name}' has no file ${JSON.stringify(key)}`;
  };
  [...command.slice(1), ...arrayAt(container?.args)].forEach((arg: unknown, i: number) => {
    if (typeof arg !== 'string' || !arg.startsWith('/')) return;
    const problem = fileProblem(arg);
    const field = i < command.length - 1 ? `command/${i + 1}` : `args/${i - command.length + 1}`;
    if (problem) report(`${at}/${field}`, `node cannot load ${problem}: every run fails`);
  });
  const config = configOf(container, pod, objects, namespace);
  if (typeof config?.imageReadyVmi === 'string' && !hasVm(objects, namespace, config.imageReadyVmi)) {
    report(at, `the launcher's config.json names imageReadyVmi '${config.imageReadyVmi}', a VirtualMachine that is not in the output: the launcher waits for an image that never gets ready`);
  }
  if (typeof config?.github?.url === 'string') {
    try {
      GitHubScope.fromUrl(config.github.url, 'config.json', 'github.url');
    } catch (error) {
      report(at, `${(error as Error).message}: the entry point refuses to start`);
    }
  }
  arrayAt(container?.env).forEach((env: any, e: number) => {
    const value = env?.value;
    if (typeof env?.name !== 'string' || typeof value !== 'string') return;
    if (/_(DIR|TEMPLATE|FILE)$/.test(env.name) && value.startsWith('/')) {
      const problem = env.name.endsWith('_DIR') ? (mountOf(value) ? undefined : `${value} is on no volume the container mounts`) : fileProblem(value);
      if (problem) report(`${at}/env/${e}/value`, `${env.name}: ${problem}; the entry point cannot read it`);
    }
    if (/_SECONDS$|^SCALER_REPLICAS$/.test(env.name) && !/^(0|[1-9][0-9]*)$/.test(value)) {
      report(`${at}/env/${e}/value`, `${env.name} must be a non-negative integer, got ${JSON.stringify(value)}: the entry point refuses to start`);
    }
    if (/_GITHUB_URL$/.test(env.name)) {
      try {
        GitHubScope.fromUrl(value, env.name, 'value');
      } catch (error) {
        report(`${at}/env/${e}/value`, `${(error as Error).message}: the entry point refuses to start`);
      }
    }
    if (env.name === 'LAUNCHER_IMAGE_READY_VMI' && !hasVm(objects, namespace, value)) {
      report(`${at}/env/${e}/value`, `LAUNCHER_IMAGE_READY_VMI names VirtualMachine '${value}', which is not in the output: the launcher waits for an image that never gets ready`);
    }
  });
}

function hasVm(objects: readonly any[], namespace: string, name: string): boolean {
  return objects.some((o) => o?.kind === 'VirtualMachine' && o.metadata?.name === name && namespaceOf(o) === namespace);
}
