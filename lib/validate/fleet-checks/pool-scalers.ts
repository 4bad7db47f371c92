import { Finding, ManifestObject, objectLabel } from '../finding';
import { arrayAt, namespaceOf } from '../manifest-values';

// The warm pool's scaler (lib/cluster/entries/pool-scaler.ts) scales the VirtualMachinePool that its
// config file names (`node <mount>/pool-scaler.js <mount>/<config>.json`, both from the ConfigMap
// mounted there), in the pod's own namespace, by a GET and a merge PATCH of its /scale subresource,
// as the pod's ServiceAccount. A Role that names another pool (a pool renamed, a Role patched) makes
// every run fail with 403 at the start or end of the active hours.
export function checkPoolScalers(items: readonly ManifestObject[]): Finding[] {
  const objects = items.map((i) => i.object);
  const findings: Finding[] = [];
  for (const { file, object } of items) {
    if (object?.apiVersion !== 'batch/v1' || object?.kind !== 'CronJob') continue;
    const podSpec = object.spec?.jobTemplate?.spec?.template?.spec;
    const containers: any[] = Array.isArray(podSpec?.containers) ? podSpec.containers : [];
    const namespace = namespaceOf(object);
    const account = podSpec?.serviceAccountName ?? 'default';
    containers.forEach((container, c) => {
      const pool = scalerPoolOf(container, podSpec, objects, namespace);
      if (pool === undefined) return;
      const path = `/spec/jobTemplate/spec/template/spec/containers/${c}/command/2`;
      const report = (message: string) => findings.push({ file, object: objectLabel(object), path, message });
      if (!objects.some((o) => o?.kind === 'VirtualMachinePool' && o.metadata?.name === pool && namespaceOf(o) === namespace)) {
        report(`the scaler scales VirtualMachinePool '${namespace}/${pool}', which is not in the output: every run would fail with 404`);
      }
      const rules = rulesOf(objects, namespace, namespace, account);
      const allows = (verb: string) => rules.some((rule) => includes(rule?.apiGroups, 'pool.kubevirt.io') && includes(rule?.resources, 'virtualmachinepools/scale')
        && includes(rule?.verbs, verb) && (!Array.isArray(rule?.resourceNames) || rule.resourceNames.length === 0 || rule.resourceNames.includes(pool)));
      const missing = ['get', 'patch'].filter((verb) => !allows(verb));
      if (missing.length > 0) {
        const named = rules.filter((r) => includes(r?.resources, 'virtualmachinepools/scale')).flatMap((r) => arrayAt(r?.resourceNames));
        report(`the scaler scales VirtualMachinePool '${pool}', but no Role in the output bound to its ServiceAccount '${account}' in namespace ${namespace} `
          + `allows ${missing.join(' and ')} on virtualmachinepools/scale of that pool (resourceNames there: ${JSON.stringify(named)}): every run would fail with 403`);
      }
    });
  }
  return findings;
}

/** The `pool` of a pool-scaler container's config file, read from the ConfigMap it mounts; undefined for other containers. */
function scalerPoolOf(container: any, podSpec: any, objects: readonly any[], namespace: string): string | undefined {
  const [node, bundle, config] = Array.isArray(container?.command) ? container.command : [];
  if (node !== 'node' || typeof bundle !== 'string' || !bundle.endsWith('/pool-scaler.js') || typeof config !== 'string') return undefined;
  const mounts: any[] = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
  const mount = mounts.find((m) => typeof m?.mountPath === 'string' && config.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
  if (!mount) return undefined;
  const volume = (Array.isArray(podSpec?.volumes) ? podSpec.volumes : []).find((v: any) => v?.name === mount.name);
  const configMap = objects.find((o) => o?.kind === 'ConfigMap' && o.metadata?.name === volume?.configMap?.name && namespaceOf(o) === namespace);
  const text = configMap?.data?.[config.slice(mount.mountPath.replace(/\/$/, '').length + 1)];
  try {
    const pool = JSON.parse(text).pool;
    return typeof pool === 'string' ? pool : undefined;
  } catch {
    return undefined;
  }
}

/** The RBAC rules that RoleBindings of `namespace` grant the ServiceAccount `account` of `accountNamespace`. */
function rulesOf(objects: readonly any[], namespace: string, accountNamespace: string, account: string): any[] {
  const rbac = (o: any, kind: string) => o?.apiVersion === 'rbac.authorization.k8s.io/v1' && o?.kind === kind;
  return objects.filter((b) => rbac(b, 'RoleBinding') && namespaceOf(b) === namespace && arrayAt(b.subjects).some((s: any) =>
    s?.kind === 'ServiceAccount' && s.name === account && (s.namespace ?? namespace) === accountNamespace))
    .flatMap((binding) => {
      const ref = binding.roleRef ?? {};
      const role = objects.find((r) => ref.kind === 'Role' ? rbac(r, 'Role') && namespaceOf(r) === namespace && r.metadata?.name === ref.name
        : rbac(r, 'ClusterRole') && r.metadata?.name === ref.name);
      return Array.isArray(role?.rules) ? role.rules : [];
    });
}

function includes(list: unknown, value: string): boolean {
  return Array.isArray(list) && (list.includes(value) || list.includes('*'));
}
