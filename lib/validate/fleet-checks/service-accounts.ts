import { UNNAMED_VERBS } from '../admission/rbac';
import { Finding, ManifestObject } from '../finding';
import { arrayAt, namespaceOf } from '../manifest-values';
import { podTemplatesOf } from './pod-templates';

// Every pod the output makes runs as a ServiceAccount that must exist (the API server's
// ServiceAccount admission plugin, plugin/pkg/admission/serviceaccount, refuses a pod whose account
// is missing), and an in-cluster entry point of this library needs its token and the rights its
// calls use. What each entry point calls, read from its script (lib/cluster/): each records Events; the launcher creates,
// gets, lists, watches and deletes VirtualMachineInstances and records Events (lib/cluster/launcher), and the mint
// launcher its JIT Secret, and cloning per job a DataVolume (with CDI's clone
// authorization: create on datavolumes/source); the token refresher gets and merge-patches its one
// Secret (token-refresher) and, a warm pool's (`warmPool`), lists pods, gets their logs and gets that
// pool (lib/cluster/pool/outdated-runners.ts); a launcher whose image is refreshed gets that image's pointer ConfigMap;
// the image refresher (image-refresher) gets, updates and creates its pointer ConfigMap, creates,
// gets and deletes each bake's Secret, DataVolume and VirtualMachine, watches the bake's VMI, lists
// what could still use an old image (VMIs, DataVolumes, VMs, pools), gets and JSON-patches each warm
// pool it re-points, and records Events; the pool scaler's rights on its pool are checkPoolScalers'. Rights as the RBAC
// authorizer grants them (plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows): create, list, watch
// and deletecollection carry no name, so a rule with resourceNames never grants them.

interface Need {
  readonly group: string;
  readonly resource: string;
  readonly verbs: readonly string[];
  /** The one object the entry point touches, when it is known. */
  readonly name?: string;
}

interface EntrySettings {
  readonly mint: boolean;
  readonly clone: boolean;
  readonly secretName?: string;
  /** A launcher's `imagePointer.configMap`, an image refresher's `pointerConfigMap`. */
  readonly pointer?: string;
  /** An image refresher's `warmPools`. */
  readonly warmPools: readonly string[];
  /** A token refresher's `warmPool.pool`, whose VMs' consoles it reads. */
  readonly consolesOf?: string;
}

/** Every entry point records core/v1 Events (create only: each is new). */
const EVENTS: Need = { group: '', resource: 'events', verbs: ['create'] };

const LAUNCHER = (s: EntrySettings): Need[] => [
  { group: 'kubevirt.io', resource: 'virtualmachineinstances', verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  ...(s.clone ? [
    { group: 'cdi.kubevirt.io', resource: 'datavolumes', verbs: ['create', 'get', 'delete'] },
    { group: 'cdi.kubevirt.io', resource: 'datavolumes/source', verbs: ['create'] },
  ] : []),
  ...(s.mint ? [{ group: '', resource: 'secrets', verbs: ['create', 'get', 'delete'] }] : []),
  ...(s.pointer ? [{ group: '', resource: 'configmaps', verbs: ['get'], name: s.pointer }] : []),
  EVENTS,
];

const IMAGE_REFRESHER = (s: EntrySettings): Need[] => [
  ...(s.pointer ? [
    { group: '', resource: 'configmaps', verbs: ['get', 'update'], name: s.pointer },
    { group: '', resource: 'configmaps', verbs: ['create'] },
  ] : []),
  { group: '', resource: 'secrets', verbs: ['create', 'get', 'delete'] },
  { group: 'cdi.kubevirt.io', resource: 'datavolumes', verbs: ['create', 'get', 'delete', 'list'] },
  { group: 'kubevirt.io', resource: 'virtualmachines', verbs: ['create', 'get', 'delete', 'list'] },
  { group: 'kubevirt.io', resource: 'virtualmachineinstances', verbs: ['list', 'watch'] },
  { group: 'pool.kubevirt.io', resource: 'virtualmachinepools', verbs: ['list'] },
  ...s.warmPools.map((pool) => ({ group: 'pool.kubevirt.io', resource: 'virtualmachinepools', verbs: ['get', 'patch'], name: pool })),
  EVENTS,
];

/** The entry points by bundle name (`node <mount>/<entry>.js <mount>/<config>.json`), and what each calls. */
const ENTRIES: Record<string, (s: EntrySettings) => Need[]> = {
  'arc-launcher': LAUNCHER,
  'mint-launcher': (s) => LAUNCHER({ ...s, mint: true }),
  'token-refresher': (s) => [
    ...(s.secretName ? [{ group: '', resource: 'secrets', verbs: ['get', 'patch'], name: s.secretName }] : []),
    ...(s.consolesOf ? [
      { group: '', resource: 'pods', verbs: ['list'] },
      { group: '', resource: 'pods/log', verbs: ['get'] },
      { group: 'pool.kubevirt.io', resource: 'virtualmachinepools', verbs: ['get'], name: s.consolesOf },
    ] : []),
    EVENTS,
  ],
  'pool-scaler': () => [EVENTS], // its rights on its pool are checkPoolScalers'
  'image-refresher': IMAGE_REFRESHER,
};

export function checkServiceAccounts(items: readonly ManifestObject[]): Finding[] {
  const objects = items.map((i) => i.object);
  const findings: Finding[] = [];
  for (const { pod, at, report, namespace } of podTemplatesOf(items, findings)) {
    const accountName = pod.serviceAccountName ?? pod.serviceAccount ?? 'default';
    const account = objects.find((o) => o?.apiVersion === 'v1' && o?.kind === 'ServiceAccount' && o.metadata?.name === accountName && namespaceOf(o) === namespace);
    if (accountName !== 'default' && !account) {
      report(`${at}/serviceAccountName`, `ServiceAccount '${accountName}' is not in the output: the API server refuses the pod (serviceaccount "${accountName}" not found)`);
    }
    arrayAt(pod.containers).forEach((container: any) => {
      const entry = entryOf(container);
      if (entry === undefined) return;
      const automount = pod.automountServiceAccountToken ?? account?.automountServiceAccountToken ?? true;
      if (automount === false) {
        report(`${at}/automountServiceAccountToken`, `container '${container.name}' runs the ${entry} entry point, which calls the Kubernetes API with the ServiceAccount token: the token must be mounted`);
      }
      const rules = rulesOf(objects, namespace, accountName);
      for (const need of ENTRIES[entry](settingsOf(container, pod, objects, namespace))) {
        const missing = need.verbs.filter((verb) => !rules.some((rule) => allows(rule, need, verb)));
        if (missing.length === 0) continue;
        const what = `${need.group === '' ? '' : `${need.group}/`}${need.resource}${need.name ? ` '${need.name}'` : ''}`;
        report(`${at}/serviceAccountName`, `the ${entry} entry point (container '${container.name}') needs ${missing.join(', ')} on ${what}, which no Role bound to `
          + `ServiceAccount '${accountName}' in namespace ${namespace} grants (rules with resourceNames never grant create, list, watch or deletecollection): its calls fail with 403`);
      }
    });
  }
  return findings;
}

/** Which entry point a container runs: the basename of the script its command (or args) hands to node. */
function entryOf(container: any): string | undefined {
  const argv = [...arrayAt(container?.command), ...arrayAt(container?.args)].filter((a) => typeof a === 'string');
  for (const arg of argv) {
    const match = /(?:^|\/)([a-z-]+)\.(?:c?js)$/.exec(arg);
    if (match && ENTRIES[match[1]] !== undefined) return match[1];
  }
  return undefined;
}

/** The entry point's settings, from its config file. */
function settingsOf(container: any, pod: any, objects: readonly any[], namespace: string): EntrySettings {
  const config = configOf(container, pod, objects, namespace);
  return {
    mint: false,
    clone: typeof config?.dataVolumeTemplateFile === 'string',
    secretName: typeof config?.secretName === 'string' ? config.secretName : undefined,
    pointer: [config?.imagePointer?.configMap, config?.pointerConfigMap].find((name): name is string => typeof name === 'string'),
    warmPools: arrayAt(config?.warmPools).filter((pool): pool is string => typeof pool === 'string'),
    consolesOf: typeof config?.warmPool?.pool === 'string' ? config.warmPool.pool : undefined,
  };
}

/**
 * The entry point's configuration, parsed: the JSON file its command names (`node <mount>/<entry>.js
 * <mount>/<config>.json`), or the config.json beside its script, read from the mounted ConfigMap.
 */
export function configOf(container: any, pod: any, objects: readonly any[], namespace: string): any {
  const argv = [...arrayAt(container?.command), ...arrayAt(container?.args)].filter((a): a is string => typeof a === 'string');
  const script = argv.find((a) => /\.c?js$/.test(a));
  const file = argv.find((a) => a.startsWith('/') && a.endsWith('.json'))
    ?? (script !== undefined ? `${script.slice(0, script.lastIndexOf('/'))}/config.json` : undefined);
  if (file === undefined) return undefined;
  const dir = file.slice(0, file.lastIndexOf('/'));
  const mount = arrayAt(container?.volumeMounts).find((m: any) => m?.mountPath === dir);
  const volume = arrayAt(pod.volumes).find((v: any) => v?.name === mount?.name);
  const configMap = objects.find((o) => o?.kind === 'ConfigMap' && o.metadata?.name === volume?.configMap?.name && namespaceOf(o) === namespace);
  const text = configMap?.data?.[file.slice(dir.length + 1)];
  try {
    return typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The RBAC rules RoleBindings of `namespace` and ClusterRoleBindings grant ServiceAccount `namespace/account`. */
export function rulesOf(objects: readonly any[], namespace: string, account: string): any[] {
  const rbac = (o: any, kind: string) => o?.apiVersion === 'rbac.authorization.k8s.io/v1' && o?.kind === kind;
  return objects.filter((b) => (rbac(b, 'RoleBinding') && namespaceOf(b) === namespace) || rbac(b, 'ClusterRoleBinding'))
    .filter((b) => arrayAt(b.subjects).some((s: any) => s?.kind === 'ServiceAccount' && s.name === account && (s.namespace ?? namespaceOf(b)) === namespace))
    .flatMap((binding) => {
      const ref = binding.roleRef ?? {};
      const role = objects.find((r) => (ref.kind === 'Role' ? rbac(r, 'Role') && namespaceOf(r) === namespaceOf(binding) : rbac(r, 'ClusterRole')) && r.metadata?.name === ref.name);
      return arrayAt(role?.rules);
    });
}

function allows(rule: any, need: Need, verb: string): boolean {
  const has = (list: unknown, value: string) => arrayAt(list).includes(value) || arrayAt(list).includes('*');
  if (!has(rule?.apiGroups, need.group) || !has(rule?.resources, need.resource) || !has(rule?.verbs, verb)) return false;
  const names = arrayAt(rule?.resourceNames);
  return names.length === 0 || (need.name !== undefined && !UNNAMED_VERBS.includes(verb) && names.includes(need.name));
}
