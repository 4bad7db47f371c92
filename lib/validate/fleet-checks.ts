import { RunStrategy } from '../kubevirt-options';
import { annotationReferences, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from '../private/external-references';
import { metadataAddressIn, parseCidr } from '../private/cidr';
import { MAX_RUNNER_LABELS } from '../private/github-rules';
import { NETWORK_POLICY_ANNOTATION, NETWORK_POLICY_DISABLED, selectorMatches, VIRT_LAUNCHER_POD_LABELS } from '../private/network-policy';
import { GuestSettings, parseGuestSettings, RUNNER_SETTINGS_PATH } from '../render/guest-settings';
import { checkAdmission } from './admission-checks';
import { checkRunnerScaleSets } from './arc-checks';
import { readCloudConfig } from './cloud-init-yaml';
import { Finding, formatFinding, ManifestObject, objectLabel } from './finding';

/** KubeVirt rejects inline cloud-init user-data longer than this (virt-api cloudInitUserMaxLen); larger goes in a Secret. */
export const INLINE_USER_DATA_MAX_BYTES = 2048;

const RUN_STRATEGIES: readonly string[] = Object.values(RunStrategy);

/** Options of checkFleet. */
export interface FleetCheckOptions {
  /** Secrets that exist in the cluster already (besides those the VMs' annotation lists). @default - only those the annotations list */
  readonly externalSecrets?: readonly string[];
  /** PVCs and DataVolumes that exist in the cluster already (`NAME` or `NAMESPACE/NAME`; `DataSource/NAMESPACE/NAME` for DataSources). @default - only those the objects' annotations list */
  readonly externalVolumes?: readonly string[];
}

/**
 * Checks that JSON schemas cannot express: the VM's run strategy, disks and volumes that belong
 * together, inline user-data KubeVirt would refuse, references to DataVolumes, PVCs and Secrets that
 * are neither in the output nor declared external, cloud-init Secrets without user-data, the runner
 * labels in a runner cloud-config, objects defined twice, runners that would replace each other on
 * GitHub, runner fleets that no NetworkPolicy isolates, a fleet NetworkPolicy that lets jobs reach the
 * cloud metadata address, topology spreads that do not select their own VMs, a warm pool scaler whose
 * Role does not allow scaling its pool, and the rules the cluster's admission (API server, KubeVirt,
 * CDI) enforces.
 */
export function checkFleet(items: readonly ManifestObject[], options: FleetCheckOptions = {}): Finding[] {
  const present = new Set<string>();
  for (const { object } of items) present.add(key(object?.kind, namespaceOf(object), object?.metadata?.name));
  const findings: Finding[] = [];
  for (const item of items) {
    const report = (path: string, message: string) => findings.push({ file: item.file, object: objectLabel(item.object), path, message });
    if (item.object?.apiVersion === 'kubevirt.io/v1' && item.object?.kind === 'VirtualMachine') {
      checkVirtualMachine(item.object, present, options, report);
      (item.object.spec?.dataVolumeTemplates ?? []).forEach((template: any, i: number) =>
        checkCloneSource(item.object, template?.spec, `/spec/dataVolumeTemplates/${i}/spec`, present, options, report));
    }
    if (item.object?.apiVersion === 'cdi.kubevirt.io/v1beta1' && item.object?.kind === 'DataVolume') {
      checkCloneSource(item.object, item.object.spec, '/spec', present, options, report);
    }
    if (item.object?.apiVersion === 'v1' && item.object?.kind === 'Secret') {
      checkRunnerLabels(item.object, report);
    }
  }
  findings.push(...checkDuplicateObjects(items), ...checkUserDataSecrets(items), ...checkRunnerNames(items), ...checkRunnerIsolation(items));
  findings.push(...checkSpreadSelectors(items), ...checkPoolScalers(items), ...checkMetadataEgress(items));
  findings.push(...checkAdmission(items));
  findings.push(...checkRunnerScaleSets(items, options.externalSecrets));
  return findings;
}

type Report = (path: string, message: string) => void;

function checkVirtualMachine(vm: any, present: Set<string>, options: FleetCheckOptions, report: Report): void {
  const spec = vm.spec ?? {};
  if (spec.runStrategy !== undefined && !RUN_STRATEGIES.includes(spec.runStrategy)) {
    report('/spec/runStrategy', `runStrategy ${JSON.stringify(spec.runStrategy)} is not one of ${RUN_STRATEGIES.join(', ')}`);
  }
  if (spec.running !== undefined && spec.runStrategy !== undefined) {
    report('/spec/running', "'running' and 'runStrategy' are mutually exclusive; set only runStrategy");
  }
  const vmi = spec.template?.spec ?? {};
  const volumes: any[] = vmi.volumes ?? [];
  const devices = vmi.domain?.devices ?? {};
  const attached = new Set<string>([...(devices.disks ?? []), ...(devices.filesystems ?? [])].map((d: any) => d.name));
  const volumeNames = new Set(volumes.map((v) => v.name));
  (devices.disks ?? []).forEach((disk: any, i: number) => {
    if (!volumeNames.has(disk.name)) report(`/spec/template/spec/domain/devices/disks/${i}`, `disk '${disk.name}' has no volume of that name`);
  });
  const networkNames = new Set((vmi.networks ?? []).map((n: any) => n.name));
  (devices.interfaces ?? []).forEach((iface: any, i: number) => {
    if (!networkNames.has(iface.name)) report(`/spec/template/spec/domain/devices/interfaces/${i}`, `interface '${iface.name}' has no network of that name`);
  });

  const namespace = namespaceOf(vm);
  const templates = new Set((spec.dataVolumeTemplates ?? []).map((t: any) => t.metadata?.name));
  const externalSecrets = new Set([...annotationReferences(vm, EXTERNAL_SECRETS_ANNOTATION), ...(options.externalSecrets ?? [])]);
  const externalVolumes = new Set(options.externalVolumes ?? []);
  const secretExists = (name: string) => externalSecrets.has(name) || present.has(key('Secret', namespace, name));
  const volumeExists = (name: string) => externalVolumes.has(name) || templates.has(name)
    || present.has(key('DataVolume', namespace, name)) || present.has(key('PersistentVolumeClaim', namespace, name));

  volumes.forEach((volume, i) => {
    const at = `/spec/template/spec/volumes/${i}`;
    if (!attached.has(volume.name)) report(at, `volume '${volume.name}' is not attached: no disk or filesystem of that name`);
    if (volume.dataVolume && !volumeExists(volume.dataVolume.name)) {
      report(`${at}/dataVolume/name`, `DataVolume '${volume.dataVolume.name}' is neither a dataVolumeTemplate, in the output, nor declared external`);
    }
    if (volume.persistentVolumeClaim && !volumeExists(volume.persistentVolumeClaim.claimName)) {
      report(`${at}/persistentVolumeClaim/claimName`, `PVC '${volume.persistentVolumeClaim.claimName}' is neither in the output nor declared external`);
    }
    for (const [field, name] of secretReferences(volume)) {
      if (!secretExists(name)) {
        report(`${at}/${field}`, `Secret '${name}' is neither in the output nor declared external (annotation ${EXTERNAL_SECRETS_ANNOTATION})`);
      }
    }
    for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
      const cloudInit = volume[source];
      const inline = cloudInit?.userData ?? (cloudInit?.userDataBase64 ? Buffer.from(cloudInit.userDataBase64, 'base64').toString() : undefined);
      if (inline !== undefined && Buffer.byteLength(inline) > INLINE_USER_DATA_MAX_BYTES) {
        report(`${at}/${source}`, `inline user-data is ${Buffer.byteLength(inline)} bytes; KubeVirt accepts at most ${INLINE_USER_DATA_MAX_BYTES}: put it in a Secret (secretRef)`);
      }
    }
  });
}

// A DataVolume (standalone or a VM's template) that clones a PVC or a DataSource needs that source:
// in the output, or declared external, or CDI waits for it forever.
function checkCloneSource(owner: any, spec: any, at: string, present: Set<string>, options: FleetCheckOptions, report: Report): void {
  const declared = new Set([...annotationReferences(owner, EXTERNAL_VOLUMES_ANNOTATION), ...(options.externalVolumes ?? [])]);
  const pvc = spec?.source?.pvc;
  if (pvc?.name) {
    const namespace = pvc.namespace ?? namespaceOf(owner);
    const found = present.has(key('DataVolume', namespace, pvc.name)) || present.has(key('PersistentVolumeClaim', namespace, pvc.name))
      || declared.has(`${namespace}/${pvc.name}`) || declared.has(pvc.name);
    if (!found) {
      report(`${at}/source/pvc`, `clone source PVC '${namespace}/${pvc.name}' is neither in the output nor declared external (annotation ${EXTERNAL_VOLUMES_ANNOTATION})`);
    }
  }
  const ref = spec?.sourceRef;
  if (ref?.kind === 'DataSource' && ref.name) {
    const namespace = ref.namespace ?? namespaceOf(owner);
    if (!present.has(key('DataSource', namespace, ref.name)) && !declared.has(`DataSource/${namespace}/${ref.name}`)) {
      report(`${at}/sourceRef`, `DataSource '${namespace}/${ref.name}' is neither in the output nor declared external (annotation ${EXTERNAL_VOLUMES_ANNOTATION})`);
    }
  }
}

function secretReferences(volume: any): Array<[string, string]> {
  const refs: Array<[string, string]> = [];
  if (volume.secret?.secretName) refs.push(['secret/secretName', volume.secret.secretName]);
  for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
    if (volume[source]?.secretRef?.name) refs.push([`${source}/secretRef/name`, volume[source].secretRef.name]);
    if (volume[source]?.networkDataSecretRef?.name) refs.push([`${source}/networkDataSecretRef/name`, volume[source].networkDataSecretRef.name]);
  }
  return refs;
}

const DEFAULT_LABEL_COUNT = 3; // self-hosted, the OS and the architecture

// A runner needs at least one label to be targeted, and GitHub takes at most 100 custom ones.
function checkRunnerLabels(secret: any, report: Report): void {
  for (const [path, userData] of userDataOf(secret)) {
    const runner = runnerSettingsOf(userData);
    if (!runner) continue;
    const { index, settings } = runner;
    const labels = settings.labels ?? [];
    const total = labels.length + (settings.noDefaultLabels ? 0 : DEFAULT_LABEL_COUNT);
    const at = `${path}#/write_files/${index}/content`;
    if (labels.length > MAX_RUNNER_LABELS) report(at, `runner has ${labels.length} custom labels; GitHub allows at most ${MAX_RUNNER_LABELS}`);
    if (total < 1) report(at, 'runner has no labels at all (no custom labels and --no-default-labels): no workflow can target it');
  }
}

/** The runner settings file a cloud-config writes (lib/render/guest-settings.ts), with its write_files index. */
function runnerSettingsOf(userData: string): { index: number; settings: Partial<GuestSettings> } | undefined {
  const config: any = readCloudConfig(userData).config; // not YAML: the cloud-config check reports it
  const index = Array.isArray(config?.write_files) ? config.write_files.findIndex((f: any) => f?.path === RUNNER_SETTINGS_PATH) : -1;
  if (index < 0) return undefined;
  return { index, settings: parseGuestSettings(String(config.write_files[index].content ?? '')) };
}

/** Where a finding would point: `file: Kind/name: /path`. */
function placeOf(file: string, object: any, path: string): string {
  return formatFinding({ file, object: objectLabel(object), path, message: '' }).slice(0, -2);
}

// Two objects with the same group, kind, namespace and name are one object to the cluster: kubectl
// apply keeps the last one it reads, silently. A VM's dataVolumeTemplates are DataVolumes too.
function checkDuplicateObjects(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  const first = new Map<string, string>();
  const see = (identity: string, what: string, file: string, object: any, path: string) => {
    const seen = first.get(identity);
    if (seen === undefined) first.set(identity, placeOf(file, object, path));
    else findings.push({ file, object: objectLabel(object), path, message: `${what} is also defined at ${seen}: only one of them can exist in the cluster` });
  };
  for (const { file, object } of items) {
    const name = object?.metadata?.name;
    if (typeof object?.kind !== 'string' || typeof object?.apiVersion !== 'string' || typeof name !== 'string') continue;
    const namespace = namespaceOf(object);
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    see(`${group} ${object.kind} ${namespace}/${name}`, `${object.kind} ${namespace}/${name}`, file, object, '/metadata/name');
    if (object.kind !== 'VirtualMachine' || !Array.isArray(object.spec?.dataVolumeTemplates)) continue;
    object.spec.dataVolumeTemplates.forEach((template: any, i: number) => {
      const dataVolume = template?.metadata?.name;
      if (typeof dataVolume === 'string') {
        see(`cdi.kubevirt.io DataVolume ${namespace}/${dataVolume}`, `DataVolume ${namespace}/${dataVolume}`, file, object, `/spec/dataVolumeTemplates/${i}/metadata/name`);
      }
    });
  }
  return findings;
}

// KubeVirt (pkg/cloud-init/cloud-init.go resolveNoCloudSecrets, resolveConfigDriveSecrets) reads the
// user-data from a Secret's key `userdata` or `userData`; without either the guest boots without its
// cloud-config (or, when network data is missing too, the VM does not start).
function checkUserDataSecrets(items: readonly ManifestObject[]): Finding[] {
  const secrets = new Map<string, any>();
  for (const { object } of items) {
    if (object?.apiVersion === 'v1' && object?.kind === 'Secret') secrets.set(key('Secret', namespaceOf(object), object.metadata?.name), object);
  }
  const findings: Finding[] = [];
  for (const { file, object } of items) {
    if (object?.kind !== 'VirtualMachine' || !Array.isArray(object.spec?.template?.spec?.volumes)) continue;
    object.spec.template.spec.volumes.forEach((volume: any, i: number) => {
      for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
        const name = volume?.[source]?.secretRef?.name;
        const secret = name ? secrets.get(key('Secret', namespaceOf(object), name)) : undefined;
        if (secret && userDataOf(secret).length === 0) {
          findings.push({
            file, object: objectLabel(object), path: `/spec/template/spec/volumes/${i}/${source}/secretRef/name`,
            message: `Secret '${name}' has no key userdata or userData: the VM would boot without its cloud-config`,
          });
        }
      }
    });
  }
  return findings;
}

// The registration script registers each VM under its hostname with `config.sh --replace`: two VMs
// with the same hostname for the same GitHub URL (two pools of the same name, even in two namespaces
// or clusters) take the runner over from each other, again and again.
function checkRunnerNames(items: readonly ManifestObject[]): Finding[] {
  const urls = new Map<string, string>();
  for (const { object } of items) {
    if (object?.apiVersion !== 'v1' || object?.kind !== 'Secret') continue;
    const url = userDataOf(object).map(([, userData]) => runnerSettingsOf(userData)?.settings.url).find(Boolean);
    if (url) urls.set(key('Secret', namespaceOf(object), object.metadata?.name), url);
  }
  const findings: Finding[] = [];
  const registered = new Map<string, { place: string; identity: string }>();
  for (const { file, object } of items) {
    if (object?.kind !== 'VirtualMachine' || typeof object.metadata?.name !== 'string') continue;
    const vmi = object.spec?.template?.spec ?? {};
    const url = (Array.isArray(vmi.volumes) ? vmi.volumes : [])
      .map((v: any) => v?.cloudInitNoCloud?.secretRef?.name ?? v?.cloudInitConfigDrive?.secretRef?.name)
      .map((name: unknown) => urls.get(key('Secret', namespaceOf(object), String(name))))
      .find(Boolean);
    if (!url) continue;
    const runner = hostnameOf(object);
    const path = vmi.hostname ? '/spec/template/spec/hostname' : '/metadata/name';
    const identity = `${namespaceOf(object)}/${object.metadata.name}`;
    const id = `${url.replace(/\/+$/, '').toLowerCase()} ${runner.toLowerCase()}`;
    const seen = registered.get(id);
    if (!seen) registered.set(id, { place: placeOf(file, object, path), identity });
    else if (seen.identity !== identity) { // the same VM twice is a duplicate object, reported as such
      findings.push({
        file, object: objectLabel(object), path,
        message: `runner '${runner}' of ${url} is also registered by ${seen.place}: with config.sh --replace each VM takes the runner over from the other; give the pools different names`,
      });
    }
  }
  return findings;
}

// The library's labels on every runner VM (RUNNER_KUBERNETES_LABELS; not imported: the validator loads
// no construct), and the one a fleet adds: what makes a VM template one of a fleet's runners. A
// RunnerVm used alone belongs to no fleet: it has no instance label.
const RUNNER_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'github-actions-runner',
  'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
};

/** A fleet's runner VM template: its metadata and where it is, and its VMI spec and where that is. */
interface RunnerTemplate {
  readonly item: ManifestObject;
  readonly path: string;
  readonly metadata: any;
  readonly spec: any;
  readonly specPath: string;
}

// Every runner fleet the library emits has a NetworkPolicy that selects its VMs' virt-launcher pods
// (KubeVirt copies the VMI's labels to the pod and adds kubevirt.io: virt-launcher), unless the user
// opted out, which marks the VMs' template: a policy lost on the way to the cluster (filtered out, or
// an object patched) would let every job reach other pods, the Kubernetes API and the cloud metadata
// address. Any NetworkPolicy of the namespace that isolates the pods' egress counts.
function checkRunnerIsolation(items: readonly ManifestObject[]): Finding[] {
  const policies = items.filter(({ object }) => object?.apiVersion === 'networking.k8s.io/v1' && object?.kind === 'NetworkPolicy'
    && isEgressPolicy(object.spec)).map(({ object }) => object);
  const findings: Finding[] = [];
  for (const template of runnerTemplates(items)) {
    const labels = template.metadata?.labels ?? {};
    const isFleet = Object.entries(RUNNER_LABELS).every(([k, v]) => labels[k] === v) && typeof labels['app.kubernetes.io/instance'] === 'string';
    if (!isFleet || template.metadata?.annotations?.[NETWORK_POLICY_ANNOTATION] === NETWORK_POLICY_DISABLED) continue;
    const namespace = namespaceOf(template.item.object);
    const pod = { ...labels, ...VIRT_LAUNCHER_POD_LABELS };
    if (policies.some((p) => namespaceOf(p) === namespace && selectorMatches(p.spec?.podSelector ?? {}, pod))) continue;
    findings.push({
      file: template.item.file, object: objectLabel(template.item.object), path: `${template.path}/labels`,
      message: `runner VMs of fleet '${labels['app.kubernetes.io/instance']}' are isolated by no NetworkPolicy with Egress in namespace ${namespace}: `
        + 'their jobs could reach other pods, the Kubernetes API and the cloud metadata address; keep the fleet\'s NetworkPolicy '
        + `(networkPolicy, on by default) or opt out with networkPolicy: { enabled: false } (annotation ${NETWORK_POLICY_ANNOTATION}: ${NETWORK_POLICY_DISABLED})`,
    });
  }
  return findings;
}

// A policy restricts egress when policyTypes says so or, without policyTypes, when it has egress rules.
function isEgressPolicy(spec: any): boolean {
  return Array.isArray(spec?.policyTypes) ? spec.policyTypes.includes('Egress') : spec?.egress !== undefined;
}

// A topology spread counts the pods its labelSelector selects, and KubeVirt copies the VMI template's
// labels to the virt-launcher pod. A selector that does not select the template's own pods (a fleet
// label renamed or patched on one side only; no selector at all selects nothing) leaves the VMs out of
// their own count: they are not spread at all.
function checkSpreadSelectors(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const template of runnerTemplates(items)) {
    const constraints = template.spec?.topologySpreadConstraints;
    if (!Array.isArray(constraints)) continue;
    const pod = { ...(template.metadata?.labels ?? {}), ...VIRT_LAUNCHER_POD_LABELS };
    constraints.forEach((constraint: any, i: number) => {
      if (selectorMatches(constraint?.labelSelector, pod)) return;
      findings.push({
        file: template.item.file, object: objectLabel(template.item.object), path: `${template.specPath}/topologySpreadConstraints/${i}/labelSelector`,
        message: `topology spread labelSelector ${JSON.stringify(constraint?.labelSelector ?? null)} does not select this template's own pods `
          + `(labels ${JSON.stringify(template.metadata?.labels ?? {})}): the VMs would not count toward the spread, so they would not be spread across nodes`,
      });
    });
  }
  return findings;
}

// The warm pool's scaler (lib/cluster/pool-scaler.cjs) scales the VirtualMachinePool its CronJob's
// SCALER_POOL names, in SCALER_NAMESPACE (the pod's own namespace), by a GET and a merge PATCH of
// its /scale subresource, as the pod's ServiceAccount. A Role that names another pool (a pool
// renamed, a Role patched) makes every run fail with 403 at the start or end of the active hours.
function checkPoolScalers(items: readonly ManifestObject[]): Finding[] {
  const objects = items.map((i) => i.object);
  const findings: Finding[] = [];
  for (const { file, object } of items) {
    if (object?.apiVersion !== 'batch/v1' || object?.kind !== 'CronJob') continue;
    const podSpec = object.spec?.jobTemplate?.spec?.template?.spec;
    const containers: any[] = Array.isArray(podSpec?.containers) ? podSpec.containers : [];
    const namespace = namespaceOf(object);
    const account = podSpec?.serviceAccountName ?? 'default';
    containers.forEach((container, c) => {
      const env: any[] = Array.isArray(container?.env) ? container.env : [];
      const e = env.findIndex((v) => v?.name === 'SCALER_POOL');
      const pool = env[e]?.value;
      if (typeof pool !== 'string') return;
      const target = env.find((v) => v?.name === 'SCALER_NAMESPACE')?.value ?? namespace;
      const path = `/spec/jobTemplate/spec/template/spec/containers/${c}/env/${e}/value`;
      const report = (message: string) => findings.push({ file, object: objectLabel(object), path, message });
      if (!objects.some((o) => o?.kind === 'VirtualMachinePool' && o.metadata?.name === pool && namespaceOf(o) === target)) {
        report(`the scaler scales VirtualMachinePool '${target}/${pool}', which is not in the output: every run would fail with 404`);
      }
      const rules = rulesOf(objects, target, namespace, account);
      const allows = (verb: string) => rules.some((rule) => includes(rule?.apiGroups, 'pool.kubevirt.io') && includes(rule?.resources, 'virtualmachinepools/scale')
        && includes(rule?.verbs, verb) && (!Array.isArray(rule?.resourceNames) || rule.resourceNames.length === 0 || rule.resourceNames.includes(pool)));
      const missing = ['get', 'patch'].filter((verb) => !allows(verb));
      if (missing.length > 0) {
        const named = rules.filter((r) => includes(r?.resources, 'virtualmachinepools/scale')).flatMap((r) => r?.resourceNames ?? []);
        report(`the scaler scales VirtualMachinePool '${pool}', but no Role in the output bound to its ServiceAccount '${account}' in namespace ${target} `
          + `allows ${missing.join(' and ')} on virtualmachinepools/scale of that pool (resourceNames there: ${JSON.stringify(named)}): every run would fail with 403`);
      }
    });
  }
  return findings;
}

/** The RBAC rules that RoleBindings of `namespace` grant the ServiceAccount `account` of `accountNamespace`. */
function rulesOf(objects: readonly any[], namespace: string, accountNamespace: string, account: string): any[] {
  const rbac = (o: any, kind: string) => o?.apiVersion === 'rbac.authorization.k8s.io/v1' && o?.kind === kind;
  return objects.filter((b) => rbac(b, 'RoleBinding') && namespaceOf(b) === namespace && (b.subjects ?? []).some((s: any) =>
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

// A runner fleet's NetworkPolicy (the library's, app.kubernetes.io/component: network-policy) must not
// let jobs reach the cloud metadata address, where a node's cloud credentials can be read: an egress
// rule to every destination, or an ipBlock that holds the address without an `except` that covers it.
function checkMetadataEgress(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const { file, object } of items) {
    if (object?.apiVersion !== 'networking.k8s.io/v1' || object?.kind !== 'NetworkPolicy') continue;
    if (object.metadata?.labels?.['app.kubernetes.io/component'] !== 'network-policy' || !isEgressPolicy(object.spec)) continue;
    const report = (path: string, message: string) => findings.push({ file, object: objectLabel(object), path, message });
    const rules: any[] = Array.isArray(object.spec?.egress) ? object.spec.egress : [];
    rules.forEach((rule, i) => {
      const to: any[] = Array.isArray(rule?.to) ? rule.to : [];
      if (to.length === 0) {
        report(`/spec/egress/${i}`, "egress rule without 'to' allows every destination, the cloud metadata address 169.254.169.254 included: "
          + "a job could read the node's cloud credentials");
      }
      to.forEach((peer, j) => {
        const block = parseCidr(peer?.ipBlock?.cidr, { maskHostBits: true });
        const address = typeof block === 'string' ? undefined : metadataAddressIn(block);
        if (!address) return; // a bad CIDR is the admission check's
        const except: unknown[] = Array.isArray(peer.ipBlock.except) ? peer.ipBlock.except : [];
        if (except.some((e) => { const c = parseCidr(e, { maskHostBits: true }); return typeof c !== 'string' && metadataAddressIn(c) === address; })) return;
        report(`/spec/egress/${i}/to/${j}/ipBlock`, `ipBlock ${JSON.stringify(peer.ipBlock.cidr)} allows the cloud metadata address ${address} `
          + "and no 'except' covers it: a job could read the node's cloud credentials; leave the address out (an 'except' such as 169.254.0.0/16)");
      });
    });
  }
  return findings;
}

// Where runner VMs are templated: a VirtualMachine, a VirtualMachinePool, and the VMI template in a
// launcher ConfigMap (lib/render/launcher-pod.ts) that the scale sets' launcher creates VMIs from.
function runnerTemplates(items: readonly ManifestObject[]): RunnerTemplate[] {
  const templates: RunnerTemplate[] = [];
  for (const item of items) {
    const object = item.object;
    if (object?.apiVersion === 'kubevirt.io/v1' && object?.kind === 'VirtualMachine' && object.spec?.template) {
      templates.push({ item, path: '/spec/template/metadata', metadata: object.spec.template.metadata, spec: object.spec.template.spec, specPath: '/spec/template/spec' });
    } else if (typeof object?.apiVersion === 'string' && object.apiVersion.startsWith('pool.kubevirt.io/') && object?.kind === 'VirtualMachinePool') {
      const template = object.spec?.virtualMachineTemplate?.spec?.template;
      if (template) {
        templates.push({
          item, path: '/spec/virtualMachineTemplate/spec/template/metadata', metadata: template.metadata,
          spec: template.spec, specPath: '/spec/virtualMachineTemplate/spec/template/spec',
        });
      }
    } else if (object?.apiVersion === 'v1' && object?.kind === 'ConfigMap' && typeof object.data?.['vmi.json'] === 'string') {
      let vmi: any;
      try {
        vmi = JSON.parse(object.data['vmi.json']);
      } catch {
        continue; // not a launcher's template
      }
      if (vmi?.kind === 'VirtualMachineInstance') templates.push({ item, path: '/data/vmi.json#/metadata', metadata: vmi.metadata, spec: vmi.spec, specPath: '/data/vmi.json#/spec' });
    }
  }
  return templates;
}

// KubeVirt names the guest after spec.hostname, else the VM name up to its first '.', cut to 63
// characters (pkg/util/net/dns/sanitize.go SanitizeHostname); the runner takes the guest's hostname.
function hostnameOf(vm: any): string {
  return vm.spec?.template?.spec?.hostname || String(vm.metadata.name).split('.')[0].slice(0, 63);
}

/** The user-data entries (JSON path, text) of a Secret, from stringData or base64 data. */
export function userDataOf(secret: any): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const key of ['userdata', 'userData']) {
    if (typeof secret?.stringData?.[key] === 'string') entries.push([`/stringData/${key}`, secret.stringData[key]]);
    else if (typeof secret?.data?.[key] === 'string') entries.push([`/data/${key}`, Buffer.from(secret.data[key], 'base64').toString('utf8')]);
  }
  return entries;
}

function namespaceOf(object: any): string {
  return object?.metadata?.namespace ?? 'default';
}

function key(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
