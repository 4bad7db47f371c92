import { ManifestObject } from '../../lib/validate';
import { fleet, FleetName } from './defect-fleets';

/** One defect: a mutation of a synthesized fleet, and where the validator must report it. */
export interface Defect {
  readonly fleet: FleetName;
  readonly name: string;
  readonly mutate: (items: ManifestObject[]) => void;
  /** `Kind/name` of the object the finding is about. */
  readonly object: string;
  /** The finding's JSON path in that object. */
  readonly path: string;
}

/** The object of `kind` (and `name`, when there are several) in a fleet, to mutate. */
function get(items: ManifestObject[], kind: string, name?: string): any {
  const found = items.find((i) => i.object.kind === kind && (name === undefined || i.object.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the fleet`);
  return found.object;
}
const vmiOf = (configMap: any) => JSON.parse(configMap.data['vmi.json']);
const setVmi = (configMap: any, vmi: any) => { configMap.data['vmi.json'] = JSON.stringify(vmi); };
const arsPod = (items: ManifestObject[]) => get(items, 'AutoscalingRunnerSet').spec.template.spec;
const cronPod = (items: ManifestObject[], name: string) => get(items, 'CronJob', name).spec.jobTemplate.spec.template.spec;
const scaledPod = (items: ManifestObject[]) => get(items, 'ScaledJob').spec.jobTargetRef.template.spec;
const trigger = (items: ManifestObject[]) => get(items, 'ScaledJob').spec.triggers[0];
const ARS_POD = '/spec/template/spec';
const REFRESHER_POD = '/spec/jobTemplate/spec/template/spec';
const SCALED_POD = '/spec/jobTargetRef/template/spec';
const POOL_VMI = '/spec/virtualMachineTemplate/spec/template/spec';
/** The warm fleet's one Job, the refresher's first run: its name carries a hash of what it runs. */
const REFRESHER_JOB = `Job/${get(fleet('warm'), 'Job').metadata.name}`;

/** The defect set: each mutation names in a comment the component that rejects it, or what breaks at run time. */
export const DEFECTS: readonly Defect[] = [
  // ---- RunnerImage + RunnerScaleSet (ARC) ------------------------------------------------------
  // ARC autoscalingrunnerset_controller.go IsVersionAllowed: a controller of 0.14 or 0.15 deletes a set labelled 0.13 (a minor whose CRDs the validator does not know).
  { fleet: 'arc', name: 'ARC version label of another minor', object: 'AutoscalingRunnerSet/kubevirt-vm', path: '/metadata/labels/app.kubernetes.io~1version',
    mutate: (i) => { get(i, 'AutoscalingRunnerSet').metadata.labels['app.kubernetes.io/version'] = '0.13.1'; } },
  // API server ValidateLabels (every object's metadata).
  { fleet: 'arc', name: 'a label value with a space', object: 'AutoscalingRunnerSet/kubevirt-vm', path: '/metadata/labels/app.kubernetes.io~1name',
    mutate: (i) => { get(i, 'AutoscalingRunnerSet').metadata.labels['app.kubernetes.io/name'] = 'kubevirt vm'; } },
  // API server validateContainerOnlyForPod: the EphemeralRunner pod ARC makes is rejected without an image.
  { fleet: 'arc', name: 'runner container without an image', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/image`,
    mutate: (i) => { arsPod(i).containers[0].image = ''; } },
  // API server ValidateVolumeMounts: "volumeMounts[0].name: Not found".
  { fleet: 'arc', name: 'a mount of a volume that does not exist', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/volumeMounts/0/name`,
    mutate: (i) => { arsPod(i).containers[0].volumeMounts[0].name = 'launcher-config'; } },
  // containerd/runc: "mount destination etc/kubevirt-runner not absolute" when the container is created.
  { fleet: 'arc', name: 'a relative mountPath', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/volumeMounts/0/mountPath`,
    mutate: (i) => { arsPod(i).containers[0].volumeMounts[0].mountPath = 'etc/kubevirt-runner'; } },
  // API server validateEnvVarValueFrom: "may not have more than one field specified at a time".
  { fleet: 'arc', name: 'env valueFrom with two sources', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/env/0/valueFrom`,
    mutate: (i) => { arsPod(i).containers[0].env.unshift({ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 'github-app', key: 'github_app_id' } } }); } },
  // API server validateEnvVarValueFrom / validateObjectFieldSelector: unsupported fieldPath.
  { fleet: 'arc', name: 'an unsupported downward API field', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/env/0/valueFrom/fieldRef/fieldPath`,
    mutate: (i) => { arsPod(i).containers[0].env.unshift({ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.podName' } } }); } },
  // API server validateContainers: a container name is a DNS label.
  { fleet: 'arc', name: 'a container name with capitals', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/name`,
    mutate: (i) => { arsPod(i).containers[0].name = 'Runner'; } },
  // ServiceAccount admission plugin: the pod is refused when its account does not exist.
  { fleet: 'arc', name: 'a ServiceAccount that is not emitted', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/serviceAccountName`,
    mutate: (i) => { arsPod(i).serviceAccountName = 'kubevirt-vm-runner'; } },
  // Runtime: the launcher calls the API with the account's token; without it every call is 401/403.
  { fleet: 'arc', name: 'no ServiceAccount token in the launcher pod', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/automountServiceAccountToken`,
    mutate: (i) => { arsPod(i).automountServiceAccountToken = false; } },
  // Runtime: with Always the launcher is restarted after its job and the ephemeral runner never finishes.
  { fleet: 'arc', name: 'restartPolicy Always in the runner pod', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/restartPolicy`,
    mutate: (i) => { arsPod(i).restartPolicy = 'Always'; } },
  // API server validateVolumeSource: "may not specify more than 1 volume type".
  { fleet: 'arc', name: 'a pod volume with two sources', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/volumes/0`,
    mutate: (i) => { arsPod(i).volumes[0].emptyDir = {}; } },
  // RBAC authorizer RuleAllows: create/list/watch carry no name, so this rule grants them nothing.
  { fleet: 'arc', name: 'the launcher Role limits create/list/watch by name', object: 'Role/kubevirt-vm-launcher', path: '/rules/0/resourceNames',
    mutate: (i) => { get(i, 'Role', 'kubevirt-vm-launcher').rules[0].resourceNames = ['runner']; } },
  // Runtime: the launcher watches its VMI; without watch every job fails with 403.
  { fleet: 'arc', name: 'the launcher Role without watch', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/serviceAccountName`,
    mutate: (i) => { const rule = get(i, 'Role', 'kubevirt-vm-launcher').rules[0]; rule.verbs = rule.verbs.filter((v: string) => v !== 'watch'); } },
  // Runtime: a RoleBinding to another account grants the launcher nothing.
  { fleet: 'arc', name: 'the launcher RoleBinding names another account', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/serviceAccountName`,
    mutate: (i) => { get(i, 'RoleBinding', 'kubevirt-vm-launcher').subjects[0].name = 'kubevirt-vm'; } },
  // API server ValidateRoleBinding: roleRef.kind must be Role or ClusterRole.
  { fleet: 'arc', name: 'a roleRef kind in lower case', object: 'RoleBinding/kubevirt-vm-launcher', path: '/roleRef/kind',
    mutate: (i) => { get(i, 'RoleBinding', 'kubevirt-vm-launcher').roleRef.kind = 'role'; } },
  // API server ValidateRoleBindingSubject: a ServiceAccount subject has apiGroup ''.
  { fleet: 'arc', name: 'a ServiceAccount subject with the RBAC api group', object: 'RoleBinding/kubevirt-vm-gha-rs-manager', path: '/subjects/0/apiGroup',
    mutate: (i) => { get(i, 'RoleBinding', 'kubevirt-vm-gha-rs-manager').subjects[0].apiGroup = 'rbac.authorization.k8s.io'; } },
  // API server ValidatePolicyRule: "resource rules must supply at least one api group".
  { fleet: 'arc', name: 'a Role rule without apiGroups', object: 'Role/kubevirt-vm-gha-rs-manager', path: '/rules/0/apiGroups',
    mutate: (i) => { delete get(i, 'Role', 'kubevirt-vm-gha-rs-manager').rules[0].apiGroups; } },
  // Runtime: launcher.cjs cannot parse its template and every job fails.
  { fleet: 'arc', name: 'vmi.json that is not JSON', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/vmi.json#',
    mutate: (i) => { get(i, 'ConfigMap', 'kubevirt-vm-launcher').data['vmi.json'] = '{"kind": "VirtualMachineInstance",'; } },
  // Runtime: launcher.cjs refuses a template without the 'jit' secret volume.
  { fleet: 'arc', name: 'vmi.json without the jit volume', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/vmi.json#/spec/volumes',
    mutate: (i) => {
      const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const vmi = vmiOf(cm);
      vmi.spec.volumes = vmi.spec.volumes.filter((v: any) => v.name !== 'jit');
      vmi.spec.domain.devices.disks = vmi.spec.domain.devices.disks.filter((d: any) => d.name !== 'jit');
      setVmi(cm, vmi);
    } },
  // KubeVirt VMI admission (vmi-create-admitter.go validateHostNameNotConformingToDNSLabelRules): every job's VMI is refused.
  { fleet: 'arc', name: 'vmi.json with a hostname KubeVirt refuses', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/vmi.json#/spec/hostname',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const vmi = vmiOf(cm); vmi.spec.hostname = 'Runner_1'; setVmi(cm, vmi); } },
  // Runtime: the VMI's ephemeral root names a PVC that does not exist; every VMI stays Pending.
  { fleet: 'arc', name: 'vmi.json with a misspelt base image PVC', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/vmi.json#/spec/volumes/0/ephemeral/persistentVolumeClaim/claimName',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const vmi = vmiOf(cm); vmi.spec.volumes[0].ephemeral.persistentVolumeClaim.claimName = 'ci-image'; setVmi(cm, vmi); } },
  // KubeVirt's API (the VMI CRD's structural schema, unknown fields pruned or refused): a misspelt field.
  { fleet: 'arc', name: 'vmi.json with a misspelt field', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/vmi.json#/spec',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const vmi = vmiOf(cm); vmi.spec.evictionStrategyy = 'None'; setVmi(cm, vmi); } },
  // API server ValidateConfigMap: keys by IsConfigMapKey.
  { fleet: 'arc', name: 'a ConfigMap key with a space', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/launcher cjs',
    mutate: (i) => { get(i, 'ConfigMap', 'kubevirt-vm-launcher').data['launcher cjs'] = '1'; } },
  // kubelet: the launcher's ConfigMap volume names a ConfigMap that does not exist; the pod never starts.
  { fleet: 'arc', name: 'the launcher volume names a ConfigMap that is not emitted', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/volumes/0/configMap/name`,
    mutate: (i) => { arsPod(i).volumes[0].configMap.name = 'kubevirt-vm-launcher-config'; } },
  // Runtime: node cannot find the script its command names in the mounted ConfigMap.
  { fleet: 'arc', name: 'a command naming a script the ConfigMap lacks', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/command/1`,
    mutate: (i) => { const c = arsPod(i).containers[0]; c.command[1] = c.command[1].replace(/\.c?js$/, '.mjs'); } },
  // API server validatePullPolicy.
  { fleet: 'arc', name: 'an imagePullPolicy Kubernetes does not know', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/imagePullPolicy`,
    mutate: (i) => { arsPod(i).containers[0].imagePullPolicy = 'Sometimes'; } },
  // API server ValidatePodSecurityContext: ids are non-negative.
  { fleet: 'arc', name: 'a negative runAsUser', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/securityContext/runAsUser`,
    mutate: (i) => { arsPod(i).securityContext.runAsUser = -1; } },
  // RBAC authorizer: a binding to a Role that does not exist grants the controller nothing.
  { fleet: 'arc', name: 'the manager RoleBinding names a Role that is not emitted', object: 'RoleBinding/kubevirt-vm-gha-rs-manager', path: '/roleRef/name',
    mutate: (i) => { get(i, 'RoleBinding', 'kubevirt-vm-gha-rs-manager').roleRef.name = 'kubevirt-vm-manager'; } },
  // Runtime: the guest reads its JIT config from the disk with serial RUNNERJIT; with another the runner never starts.
  { fleet: 'arc', name: 'vmi.json jit disk with another serial', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/vmi.json#/spec/domain/devices/disks/2/serial',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const vmi = vmiOf(cm); vmi.spec.domain.devices.disks.find((d: any) => d.name === 'jit').serial = 'JIT'; setVmi(cm, vmi); } },
  // cloud-init (schema validation of user-data, warnings and a skipped module) in every job's guest.
  { fleet: 'arc', name: 'vmi.json inline cloud-config with a misspelt key', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/vmi.json#/spec/volumes/1/cloudInitNoCloud/userData#',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const vmi = vmiOf(cm); vmi.spec.volumes[1].cloudInitNoCloud.userData += 'packagez: [jq]\n'; setVmi(cm, vmi); } },
  // Runtime: the launcher waits for the image's bake VM, which its config names wrong; every job times out.
  { fleet: 'arc', name: 'the launcher config names a bake VM that is not emitted', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/containers/0/command/2`,
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const config = JSON.parse(cm.data['config.json']); config.imageReadyVmi = 'ci-image-bake'; cm.data['config.json'] = JSON.stringify(config); } },
  // ---- cloning per job -------------------------------------------------------------------------
  // Runtime: CDI waits for ever for a clone source that does not exist.
  { fleet: 'arc-clone', name: 'datavolume.json clones a PVC that does not exist', object: 'ConfigMap/kubevirt-vm-launcher', path: '/data/datavolume.json#/spec/source/pvc',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'kubevirt-vm-launcher'); const dv = JSON.parse(cm.data['datavolume.json']); dv.spec.source.pvc.name = 'ci-image'; cm.data['datavolume.json'] = JSON.stringify(dv); } },
  // CDI's clone authorization (create on datavolumes/source in the source namespace): every clone is refused.
  { fleet: 'arc-clone', name: 'the launcher Role without datavolumes/source', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/serviceAccountName`,
    mutate: (i) => { const role = get(i, 'Role', 'kubevirt-vm-launcher'); role.rules = role.rules.filter((r: any) => !r.resources.includes('datavolumes/source')); } },
  // ---- RunnerWarmPool with the token refresher and active hours -------------------------------
  // KubeVirt vmpool-admitter.go: "selector does not match labels".
  { fleet: 'warm', name: 'a pool selector that misses its template', object: 'VirtualMachinePool/warm', path: '/spec/selector',
    mutate: (i) => { get(i, 'VirtualMachinePool').spec.selector.matchLabels['app.kubernetes.io/instance'] = 'warm-pool'; } },
  // Runtime: the pool's VMs mount a Secret that does not exist; they never start.
  { fleet: 'warm', name: 'a pool that mounts a Secret that does not exist', object: 'VirtualMachinePool/warm', path: `${POOL_VMI}/volumes/1/cloudInitNoCloud/secretRef/name`,
    mutate: (i) => { get(i, 'VirtualMachinePool').spec.virtualMachineTemplate.spec.template.spec.volumes[1].cloudInitNoCloud.secretRef.name = 'warm-cloudinit'; } },
  // KubeVirt VMI admission on the pool's template: hostname not a DNS label.
  { fleet: 'warm', name: 'a pool template hostname KubeVirt refuses', object: 'VirtualMachinePool/warm', path: `${POOL_VMI}/hostname`,
    mutate: (i) => { get(i, 'VirtualMachinePool').spec.virtualMachineTemplate.spec.template.spec.hostname = 'Warm_1'; } },
  // KubeVirt disks.go validateBusSupport: bus 'ide' is not supported.
  { fleet: 'warm', name: 'a pool template disk on an unsupported bus', object: 'VirtualMachinePool/warm', path: `${POOL_VMI}/domain/devices/disks/0/disk/bus`,
    mutate: (i) => { get(i, 'VirtualMachinePool').spec.virtualMachineTemplate.spec.template.spec.domain.devices.disks[0].disk.bus = 'ide'; } },
  // Runtime: token-refresher.cjs merge-patches its Secret; without patch every run fails with 403.
  { fleet: 'warm', name: 'the refresher Role without patch', object: 'CronJob/warm-refresher', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { get(i, 'Role', 'warm-refresher').rules[0].verbs = ['get', 'update']; } },
  // Runtime: a Role that names another Secret grants nothing on the token Secret.
  { fleet: 'warm', name: 'the refresher Role names another Secret', object: 'CronJob/warm-refresher', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { get(i, 'Role', 'warm-refresher').rules[0].resourceNames = ['ci-runner-tokens']; } },
  // Runtime: a warm pool's refresher lists the pool's virt-launcher pods for their consoles; without list, 403 and no RunnerOutdated.
  { fleet: 'warm', name: 'the refresher Role without list on pods', object: 'CronJob/warm-refresher', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { const role = get(i, 'Role', 'warm-refresher'); role.rules = role.rules.filter((r: any) => !r.resources.includes('pods')); } },
  // Runtime: pods/log of each pod; a rule on `pods` does not grant the subresource.
  { fleet: 'warm', name: 'the refresher Role without get on pods/log', object: 'CronJob/warm-refresher', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { const role = get(i, 'Role', 'warm-refresher'); role.rules = role.rules.filter((r: any) => !r.resources.includes('pods/log')); } },
  // ServiceAccount admission plugin: the refresher's pods are refused.
  { fleet: 'warm', name: 'the refresher runs as an account that is not emitted', object: 'CronJob/warm-refresher', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { cronPod(i, 'warm-refresher').serviceAccountName = 'refresher'; } },
  // API server validateJobSpec: restartPolicy Always is unsupported in a Job.
  { fleet: 'warm', name: 'the one-off Job with restartPolicy Always', object: REFRESHER_JOB, path: '/spec/template/spec/restartPolicy',
    mutate: (i) => { get(i, 'Job').spec.template.spec.restartPolicy = 'Always'; } },
  // API server ValidateJobTemplateSpec (CronJob): restartPolicy absent defaults to Always, refused.
  { fleet: 'warm', name: 'a CronJob job template without restartPolicy', object: 'CronJob/warm-scale-up', path: '/spec/jobTemplate/spec/template/spec/restartPolicy',
    mutate: (i) => { delete cronPod(i, 'warm-scale-up').restartPolicy; } },
  // API server validateJobSpec: ttlSecondsAfterFinished must be non-negative.
  { fleet: 'warm', name: 'a negative ttlSecondsAfterFinished', object: REFRESHER_JOB, path: '/spec/ttlSecondsAfterFinished',
    mutate: (i) => { get(i, 'Job').spec.ttlSecondsAfterFinished = -1; } },
  // API server validateJobSpec: backoffLimit must be non-negative.
  { fleet: 'warm', name: 'a negative backoffLimit', object: 'CronJob/warm-refresher', path: '/spec/jobTemplate/spec/backoffLimit',
    mutate: (i) => { get(i, 'CronJob', 'warm-refresher').spec.jobTemplate.spec.backoffLimit = -1; } },
  // API server validateCronJobSpec: timeZone must be a known IANA zone.
  { fleet: 'warm', name: 'a misspelt time zone', object: 'CronJob/warm-scale-up', path: '/spec/timeZone',
    mutate: (i) => { get(i, 'CronJob', 'warm-scale-up').spec.timeZone = 'Europe/Berlinn'; } },
  // API server ValidateVolumes: volume names are unique.
  { fleet: 'warm', name: 'two volumes of one name', object: 'CronJob/warm-refresher', path: `${REFRESHER_POD}/volumes/1/name`,
    mutate: (i) => { const volumes = cronPod(i, 'warm-refresher').volumes; volumes[1].name = volumes[0].name; } },
  // API server ValidateEnv: an env name with '='.
  { fleet: 'warm', name: 'an env name with =', object: 'CronJob/warm-scale-down', path: `${REFRESHER_POD}/containers/0/env/0/name`,
    mutate: (i) => { cronPod(i, 'warm-scale-down').containers[0].env.unshift({ name: 'SCALER=NAMESPACE', value: 'warm' }); } },
  // API server ValidatePodTemplateSpec: "ephemeral containers not allowed in pod template".
  { fleet: 'warm', name: 'ephemeral containers in a Job template', object: REFRESHER_JOB, path: '/spec/template/spec/ephemeralContainers',
    mutate: (i) => { get(i, 'Job').spec.template.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }]; } },
  // API server validateGeneratedSelector: a Job's selector is generated unless manualSelector.
  { fleet: 'warm', name: 'a selector in a CronJob job template', object: 'CronJob/warm-scale-down', path: '/spec/jobTemplate/spec/selector',
    mutate: (i) => { get(i, 'CronJob', 'warm-scale-down').spec.jobTemplate.spec.selector = { matchLabels: { app: 'scaler' } }; } },
  // API server ValidateSecret: a basic-auth Secret needs username or password.
  { fleet: 'warm', name: 'the token Secret typed basic-auth', object: 'Secret/ci-runner-token', path: '/type',
    mutate: (i) => { get(i, 'Secret', 'ci-runner-token').type = 'kubernetes.io/basic-auth'; } },
  // A misspelt built-in Secret type: the API server takes it unchecked, and nothing treats it as Opaque's intent.
  { fleet: 'warm', name: 'a Secret type under kubernetes.io that does not exist', object: 'Secret/warm-cloud-init', path: '/type',
    mutate: (i) => { get(i, 'Secret', 'warm-cloud-init').type = 'kubernetes.io/opaque'; } },
  // API server ValidateRole (ValidateRBACName): a name may not contain '/'.
  { fleet: 'warm', name: 'a Role name with a slash', object: 'Role/warm/scaler', path: '/metadata/name',
    mutate: (i) => { get(i, 'Role', 'warm-scaler').metadata.name = 'warm/scaler'; } },
  // The Job controller labels the Job's pods with its name: a name over 63 characters is refused.
  { fleet: 'warm', name: 'a Job name over 63 characters', object: `Job/${'warm-refresher-now-'.repeat(4)}`, path: '/metadata/name',
    mutate: (i) => { get(i, 'Job').metadata.name = 'warm-refresher-now-'.repeat(4); } },
  // API server ValidateFinalizers: a finalizer is a qualified name.
  { fleet: 'warm', name: 'a finalizer with a space', object: 'ServiceAccount/warm-scaler', path: '/metadata/finalizers/0',
    mutate: (i) => { get(i, 'ServiceAccount', 'warm-scaler').metadata.finalizers = ['cleanup protection']; } },
  // Runtime: the scaler's Role names another pool; every scale fails with 403 (checkPoolScalers).
  { fleet: 'warm', name: 'the scaler Role names another pool', object: 'CronJob/warm-scale-up', path: `${REFRESHER_POD}/containers/0/command/2`,
    mutate: (i) => { get(i, 'Role', 'warm-scaler').rules[0].resourceNames = ['warm-pool']; } },
  // Runtime: the scaler's ConfigMap no longer holds the script its command runs.
  { fleet: 'warm', name: 'the scaler ConfigMap without the script', object: 'CronJob/warm-scale-up', path: `${REFRESHER_POD}/containers/0/command/1`,
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'warm-scaler'); for (const key of Object.keys(cm.data)) if (/\.c?js$/.test(key) && key.includes('scaler')) { cm.data[`old-${key}`] = cm.data[key]; delete cm.data[key]; } } },
  // API server ValidateResourceRequirements: a request above its limit.
  { fleet: 'warm', name: 'a memory limit below the request', object: REFRESHER_JOB, path: '/spec/template/spec/containers/0/resources/requests/memory',
    mutate: (i) => { get(i, 'Job').spec.template.spec.containers[0].resources.limits.memory = '32Mi'; } },
  // Runtime: the guest reads the registration token from the disk with serial RUNNERTOKEN.
  { fleet: 'warm', name: 'the pool token disk with another serial', object: 'VirtualMachinePool/warm', path: `${POOL_VMI}/domain/devices/disks/2/serial`,
    mutate: (i) => { get(i, 'VirtualMachinePool').spec.virtualMachineTemplate.spec.template.spec.domain.devices.disks[2].serial = 'TOKEN'; } },
  // Runtime: the refresher reads its credentials from a folder nothing is mounted at.
  { fleet: 'warm', name: 'the refresher config reads credentials from an unmounted folder', object: 'CronJob/warm-refresher', path: `${REFRESHER_POD}/containers/0/command/2`,
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'warm-refresher'); const config = JSON.parse(cm.data['config.json']); config.github.credentialsDir = '/etc/github'; cm.data['config.json'] = JSON.stringify(config); } },
  // ---- RunnerKedaScaleSet ----------------------------------------------------------------------
  // KEDA TypedConfig: 'ownr' is ignored, so "missing required parameter owner".
  { fleet: 'keda', name: 'a misspelt trigger parameter', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/ownr',
    mutate: (i) => { const m = trigger(i).metadata; m.ownr = m.owner; delete m.owner; } },
  // KEDA TypedConfig enum=org;ent;repo.
  { fleet: 'keda', name: 'a runnerScope KEDA does not know', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/runnerScope',
    mutate: (i) => { trigger(i).metadata.runnerScope = 'organization'; } },
  // KEDA resolvedEnv: the env var is not in the job's container, so applicationID is absent: "no applicationID given".
  { fleet: 'keda', name: 'applicationIDFromEnv names a variable the container lacks', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/applicationIDFromEnv',
    mutate: (i) => { trigger(i).metadata.applicationIDFromEnv = 'GITHUB_APPID'; } },
  // KEDA TypedConfig: int64 by json.Unmarshal.
  { fleet: 'keda', name: 'a queue length that is not a number', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/targetWorkflowQueueLength',
    mutate: (i) => { trigger(i).metadata.targetWorkflowQueueLength = 'one'; } },
  // KEDA TypedConfig: bool by json.Unmarshal.
  { fleet: 'keda', name: 'a boolean KEDA cannot decode', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/noDefaultLabels',
    mutate: (i) => { trigger(i).metadata.noDefaultLabels = 'yes'; } },
  // KEDA githubRunnerMetadata.Validate: "no personalAccessToken or appKey given".
  { fleet: 'keda', name: 'a TriggerAuthentication parameter in the wrong case', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/authenticationRef/name',
    mutate: (i) => { get(i, 'TriggerAuthentication').spec.secretTargetRef[0].parameter = 'appkey'; } },
  // KEDA: the scaler cannot be built without its TriggerAuthentication.
  { fleet: 'keda', name: 'an authenticationRef to nothing', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/authenticationRef/name',
    mutate: (i) => { trigger(i).authenticationRef.name = 'kubevirt-vm-github-app'; } },
  // KEDA reads the TriggerAuthentication's Secret; a missing one fails the scaler.
  { fleet: 'keda', name: 'a TriggerAuthentication Secret that is neither emitted nor external', object: 'TriggerAuthentication/kubevirt-vm-github', path: '/spec/secretTargetRef/0/name',
    mutate: (i) => { get(i, 'TriggerAuthentication').spec.secretTargetRef[0].name = 'github-app-key'; } },
  // Runtime: the mint launcher creates its JIT Secret; without the secrets rule every job fails with 403.
  { fleet: 'keda', name: 'the mint launcher Role without secrets', object: 'ScaledJob/kubevirt-vm', path: `${SCALED_POD}/serviceAccountName`,
    mutate: (i) => { const role = get(i, 'Role', 'kubevirt-vm-launcher'); role.rules = role.rules.filter((r: any) => !r.resources.includes('secrets')); } },
  // API server validateJobSpec on each Job KEDA creates: restartPolicy Always.
  { fleet: 'keda', name: 'restartPolicy Always in the ScaledJob', object: 'ScaledJob/kubevirt-vm', path: `${SCALED_POD}/restartPolicy`,
    mutate: (i) => { scaledPod(i).restartPolicy = 'Always'; } },
  // API server validateSecretKeySelector: the key is a config key.
  { fleet: 'keda', name: 'a secretKeyRef key with a space', object: 'ScaledJob/kubevirt-vm', path: `${SCALED_POD}/containers/0/env/0/valueFrom/secretKeyRef/key`,
    mutate: (i) => { scaledPod(i).containers[0].env.unshift({ name: 'APP_ID', valueFrom: { secretKeyRef: { name: 'github-app', key: 'github app id' } } }); } },
  // API server validateJobSpec on each Job KEDA creates: backoffLimit non-negative.
  { fleet: 'keda', name: 'a negative backoffLimit in jobTargetRef', object: 'ScaledJob/kubevirt-vm', path: '/spec/jobTargetRef/backoffLimit',
    mutate: (i) => { get(i, 'ScaledJob').spec.jobTargetRef.backoffLimit = -1; } },
  // kubelet: the credentials volume names a Secret neither emitted nor declared external.
  { fleet: 'keda', name: 'a credentials volume naming an undeclared Secret', object: 'ScaledJob/kubevirt-vm', path: `${SCALED_POD}/volumes/1/secret/secretName`,
    mutate: (i) => { scaledPod(i).volumes[1].secret.secretName = 'github-app-key'; } },
  // KEDA buildScaler: "no scaler found for type".
  { fleet: 'keda', name: 'a misspelt trigger type', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/type',
    mutate: (i) => { trigger(i).type = 'github-runners'; } },
  // KEDA reads key 'private_key' from a Secret that holds ARC's keys: "no appKey given" / missing key.
  { fleet: 'keda', name: 'a TriggerAuthentication key the credentials Secret lacks', object: 'TriggerAuthentication/kubevirt-vm-github', path: '/spec/secretTargetRef/0/key',
    mutate: (i) => { get(i, 'TriggerAuthentication').spec.secretTargetRef[0].key = 'private_key'; } },
  // Runtime: KEDA counts jobs for labels the runners do not have.
  { fleet: 'keda', name: "trigger labels that are not the runners'", object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/labels',
    mutate: (i) => { trigger(i).metadata.labels = 'kubevirt,gpu'; } },
  // Runtime: KEDA watches another organization's queue.
  { fleet: 'keda', name: "a trigger owner that is not the launcher's", object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/owner',
    mutate: (i) => { trigger(i).metadata.owner = 'acme-corp'; } },
  // Runtime: KEDA calls a GitHub Enterprise Server path on github.com.
  { fleet: 'keda', name: 'a githubApiURL of another host', object: 'ScaledJob/kubevirt-vm', path: '/spec/triggers/0/metadata/githubApiURL',
    mutate: (i) => { trigger(i).metadata.githubApiURL = 'https://github.com/api/v3'; } },
  // API server validateContainerPorts: a port out of range.
  { fleet: 'keda', name: 'a container port out of range', object: 'ScaledJob/kubevirt-vm', path: `${SCALED_POD}/containers/0/ports/0/containerPort`,
    mutate: (i) => { scaledPod(i).containers[0].ports = [{ containerPort: 70000 }]; } },

  // ---- RunnerImage refresh (the image-refresher CronJob and the pointer its consumers read) -------
  // Runtime: the launcher reads the image pointer at every job; without get on it every job fails with 403.
  { fleet: 'arc', name: 'the launcher Role without the image pointer', object: 'AutoscalingRunnerSet/kubevirt-vm', path: `${ARS_POD}/serviceAccountName`,
    mutate: (i) => { const role = get(i, 'Role', 'kubevirt-vm-launcher'); role.rules = role.rules.filter((r: any) => !r.resources.includes('configmaps')); } },
  // Runtime: a Role that names another ConfigMap grants nothing on the pointer.
  { fleet: 'keda', name: 'the launcher Role names another pointer', object: 'ScaledJob/kubevirt-vm', path: `${SCALED_POD}/serviceAccountName`,
    mutate: (i) => { get(i, 'Role', 'kubevirt-vm-launcher').rules.find((r: any) => r.resources.includes('configmaps')).resourceNames = ['ci-image-pointer']; } },
  // RBAC authorizer RuleAllows: create carries no name; the refresher could never write its first pointer.
  { fleet: 'arc', name: 'the image refresher may create the pointer only by name', object: 'Role/ci-image-refresh', path: '/rules/1/resourceNames',
    mutate: (i) => { get(i, 'Role', 'ci-image-refresh').rules[1].resourceNames = ['ci-image-current']; } },
  // Runtime: the refresher updates (PUT) the pointer; without update every refresh fails with 403 after its bake.
  { fleet: 'arc', name: 'the image refresher Role without update on the pointer', object: 'CronJob/ci-image-refresh', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { get(i, 'Role', 'ci-image-refresh').rules[0].verbs = ['get', 'patch']; } },
  // Runtime: the refresher lists what could still use an old image; without list on VMIs every refresh fails with 403.
  { fleet: 'arc', name: 'the image refresher Role without VMIs', object: 'CronJob/ci-image-refresh', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { const role = get(i, 'Role', 'ci-image-refresh'); role.rules = role.rules.filter((r: any) => !r.resources.includes('virtualmachineinstances')); } },
  // Runtime: the refresher patches the warm pool's template; a Role naming another pool leaves the pool on the old image (403).
  { fleet: 'warm', name: 'the image refresher Role names another pool', object: 'CronJob/ci-image-refresh', path: `${REFRESHER_POD}/serviceAccountName`,
    mutate: (i) => { get(i, 'Role', 'ci-image-refresh').rules.find((r: any) => r.resourceNames?.includes('warm')).resourceNames = ['warm-pool']; } },
  // Runtime: the refresher gets the pool by name; one not in the output fails every refresh with 404.
  { fleet: 'warm', name: 'the image refresher re-points a pool that is not emitted', object: 'ConfigMap/ci-image-refresh', path: '/data/config.json#/warmPools/0',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'ci-image-refresh'); const config = JSON.parse(cm.data['config.json']); config.warmPools = ['warm-pool']; cm.data['config.json'] = JSON.stringify(config); } },
  // Runtime: image-refresher refuses a bake VM template not named after the volume (exit 2): the image never refreshes.
  { fleet: 'arc', name: 'the refresher\'s bake VM template of another name', object: 'ConfigMap/ci-image-refresh', path: '/data/bake-vm.json#/metadata/name',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'ci-image-refresh'); const vm = JSON.parse(cm.data['bake-vm.json']); vm.metadata.name = 'ci-image-bake'; cm.data['bake-vm.json'] = JSON.stringify(vm); } },
  // KubeVirt's API (the VirtualMachine CRD's structural schema): every refreshed bake VM is refused.
  { fleet: 'arc', name: 'the refresher\'s bake VM template with a misspelt field', object: 'ConfigMap/ci-image-refresh', path: '/data/bake-vm.json#/spec',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'ci-image-refresh'); const vm = JSON.parse(cm.data['bake-vm.json']); vm.spec.runStrategyy = 'Once'; cm.data['bake-vm.json'] = JSON.stringify(vm); } },
  // Runtime: image-refresher refuses a bake cloud-config without the synthesized runner package (it could not swap it).
  { fleet: 'warm', name: 'the refresher\'s bake cloud-config of another runner package', object: 'ConfigMap/ci-image-refresh', path: '/data/bake-user-data.yaml#',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'ci-image-refresh'); const { sha256 } = JSON.parse(cm.data['config.json']).release; cm.data['bake-user-data.yaml'] = cm.data['bake-user-data.yaml'].split(sha256).join('0'.repeat(64)); } },
  // cloud-init's schema: the refreshed bake's cloud-config is refused (a misspelt module is ignored: no updates, no runner).
  { fleet: 'keda', name: 'the refresher\'s bake cloud-config with a misspelt key', object: 'ConfigMap/ci-image-refresh', path: '/data/bake-user-data.yaml#',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'ci-image-refresh'); cm.data['bake-user-data.yaml'] += 'package_upgrades: true\n'; } },
  // CDI's DataVolume admission: a source and a sourceRef together are refused; every refresh fails at its first create.
  { fleet: 'arc', name: 'the refresher\'s DataVolume template with two sources', object: 'ConfigMap/ci-image-refresh', path: '/data/datavolume.json#/spec',
    mutate: (i) => { const cm = get(i, 'ConfigMap', 'ci-image-refresh'); const dv = JSON.parse(cm.data['datavolume.json']); dv.spec.sourceRef = { kind: 'DataSource', name: 'ubuntu' }; cm.data['datavolume.json'] = JSON.stringify(dv); } },
  // API server validateCronJobSpec: a schedule of four fields.
  { fleet: 'arc', name: 'the image refresher\'s schedule of four fields', object: 'CronJob/ci-image-refresh', path: '/spec/schedule',
    mutate: (i) => { get(i, 'CronJob', 'ci-image-refresh').spec.schedule = '17 3 * *'; } },
];
