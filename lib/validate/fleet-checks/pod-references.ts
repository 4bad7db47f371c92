import { GitHubScope } from '../../github';
import { annotationReferences, EXTERNAL_SECRETS_ANNOTATION } from '../../private/external-references';
import { Finding, ManifestObject } from '../finding';
import { arrayAt, isObject, namespaceOf } from '../manifest-values';
import { Report } from '../report';
import { FleetCheckOptions } from './options';
import { podTemplatesOf } from './pod-templates';
import { configOf } from './service-accounts';

// What a pod of the output needs from other objects before its containers start, and what the
// library's entry points read from their mounts:
// - the kubelet mounts each configMap and secret volume, and resolves each configMapKeyRef and
//   secretKeyRef: a missing object (not `optional`) leaves the pod in ContainerCreating or
//   CreateContainerConfigError (pkg/kubelet/volumemanager, kubecontainer.MakeEnvironmentVariables);
// - node runs the script its command names: a file missing from the mounted ConfigMap fails every run;
// - each entry point reads the config file its command names (lib/cluster/contract.ts): the template
//   files and credentials folder it names must be mounted, its numbers within the ranges the runtime
//   accepts, its GitHub URL one, and the bake VM the launcher waits for (imageReadyVmi) in the output.

export function checkPodReferences(items: readonly ManifestObject[], options: FleetCheckOptions): Finding[] {
  const objects = items.map((i) => i.object);
  const findings: Finding[] = [];
  for (const { pod, at, report, namespace } of podTemplatesOf(items, findings)) {
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
  if (!isObject(config)) return;
  // Findings about the config point at the command's argument that names it.
  const argv = [...command, ...arrayAt(container?.args)];
  const arg = argv.findIndex((a) => typeof a === 'string' && a.endsWith('.json'));
  const where = arg < 0 ? `${at}/command` : arg < command.length ? `${at}/command/${arg}` : `${at}/args/${arg - command.length}`;
  const problems: string[] = [];
  for (const field of ['vmiTemplateFile', 'dataVolumeTemplateFile']) {
    if (typeof config[field] === 'string') {
      const problem = fileProblem(config[field]);
      if (problem) problems.push(`${field}: ${problem}`);
    }
  }
  const credentials = config.github?.credentialsDir;
  if (typeof credentials === 'string' && !mountOf(credentials)) problems.push(`github.credentialsDir: ${credentials} is on no volume the container mounts`);
  for (const [field, value] of Object.entries(config)) {
    if (field.endsWith('Seconds') && !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 2147483)) problems.push(`${field} must be an integer from 1 to 2147483, got ${JSON.stringify(value)}`);
  }
  if (config.replicas !== undefined && !(Number.isInteger(config.replicas) && config.replicas >= 0 && config.replicas <= 10000)) {
    problems.push(`replicas must be an integer from 0 to 10000, got ${JSON.stringify(config.replicas)}`);
  }
  if (typeof config.github?.url === 'string') {
    try {
      GitHubScope.fromUrl(config.github.url, 'config', 'github.url');
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (typeof config.imageReadyVmi === 'string' && !objects.some((o) => o?.kind === 'VirtualMachine' && o.metadata?.name === config.imageReadyVmi && namespaceOf(o) === namespace)) {
    problems.push(`imageReadyVmi names VirtualMachine '${config.imageReadyVmi}', which is not in the output: the launcher waits for an image that never gets ready`);
  }
  for (const problem of problems) report(where, `the entry point's configuration: ${problem}; it refuses to start or fails every run`);
}
