import { isDnsLabel, isDnsSubdomain } from '../../private/names';
import { arrayAt, isObject, quantity } from '../manifest-values';
import { Report } from '../report';
import { checkObjectMeta } from './object-meta';
import { CONFIG_KEY_RULE, isConfigKey } from './secret';

// Pod templates (a Job's, a CronJob's, an AutoscalingRunnerSet's, a ScaledJob's): what Kubernetes 1.34
// pkg/apis/core/validation/validation.go ValidatePodTemplateSpec and ValidatePodSpec check, and what
// fails when the pod's containers are created. Each function cites the upstream function it follows.

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;
const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];
const ENV_SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'];
// validation.go validEnvDownwardAPIFieldPathExpressions (and labels['x'] / annotations['x'] subscripts).
const FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations', 'spec.nodeName',
  'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];

/** A pod template at `at` (e.g. `/spec/template`): its labels and annotations, and its pod spec. */
export function checkPodTemplate(template: any, at: string, report: Report): void {
  if (!isObject(template)) {
    report(at, 'a pod template is required');
    return;
  }
  checkObjectMeta(template.metadata, `${at}/metadata`, report, { nameless: true });
  const spec = template.spec;
  if (!isObject(spec)) {
    report(`${at}/spec`, 'a pod template needs a spec');
    return;
  }
  // ValidatePodTemplateSpec: "ephemeral containers not allowed in pod template".
  if (spec.ephemeralContainers !== undefined) report(`${at}/spec/ephemeralContainers`, 'ephemeral containers are not allowed in a pod template');
  checkPodSpec(spec, `${at}/spec`, report);
}

// ValidatePodSpec: containers (validateContainers, validateInitContainers), volumes (ValidateVolumes),
// restartPolicy (validateRestartPolicy), serviceAccountName (ValidateServiceAccountName),
// activeDeadlineSeconds and terminationGracePeriodSeconds.
function checkPodSpec(spec: any, at: string, report: Report): void {
  const volumes = checkPodVolumes(spec.volumes, `${at}/volumes`, report);
  const names = new Map<string, string>();
  for (const field of ['initContainers', 'containers']) {
    arrayAt(spec[field]).forEach((container: any, i: number) => checkContainer(container, `${at}/${field}/${i}`, volumes, names, report));
  }
  if (arrayAt(spec.containers).length === 0) report(`${at}/containers`, 'a pod needs at least one container');
  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    report(`${at}/restartPolicy`, `restartPolicy ${JSON.stringify(spec.restartPolicy)} is not one of ${RESTART_POLICIES.join(', ')}`);
  }
  for (const field of ['serviceAccountName', 'serviceAccount']) {
    if (spec[field] !== undefined && spec[field] !== '' && !isDnsSubdomain(spec[field])) {
      report(`${at}/${field}`, `${field} ${JSON.stringify(spec[field])} is not a DNS-1123 subdomain`);
    }
  }
  if (spec.activeDeadlineSeconds !== undefined && !(Number.isInteger(spec.activeDeadlineSeconds) && spec.activeDeadlineSeconds > 0)) {
    report(`${at}/activeDeadlineSeconds`, `activeDeadlineSeconds must be a positive integer, got ${JSON.stringify(spec.activeDeadlineSeconds)}`);
  }
  checkSecurityContextIds(spec.securityContext, `${at}/securityContext`, report);
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    report(`${at}/terminationGracePeriodSeconds`, `terminationGracePeriodSeconds must not be negative, got ${spec.terminationGracePeriodSeconds}`);
  }
}

// ValidateVolumes: names are unique DNS labels, each volume has exactly one source
// (validateVolumeSource: "must specify a volume type" / "may not specify more than 1 volume type"),
// a secret or configMap volume names its object, items have a key and a relative path, and modes are
// within 0..0777 (validateSecretVolumeSource, validateConfigMapVolumeSource, validateKeyToPath).
function checkPodVolumes(list: unknown, at: string, report: Report): Set<string> {
  const names = new Set<string>();
  arrayAt(list).forEach((volume: any, i: number) => {
    const here = `${at}/${i}`;
    const name = volume?.name;
    if (!isDnsLabel(name)) report(`${here}/name`, `volume name ${JSON.stringify(name)} is not a DNS-1123 label`);
    else if (names.has(name)) report(`${here}/name`, `volume name '${name}' is used twice`);
    names.add(name);
    const sources = VOLUME_SOURCES.filter((s) => volume?.[s] !== undefined && volume[s] !== null);
    if (sources.length !== 1) {
      report(here, sources.length === 0 ? 'a volume must specify a volume type (configMap, secret, emptyDir, ...)' : `a volume may not specify more than one volume type, this one has ${sources.join(' and ')}`);
    }
    const source = volume?.secret ?? volume?.configMap;
    if (isObject(source)) {
      const field = volume.secret ? 'secret' : 'configMap';
      const objectName = volume.secret ? source.secretName : source.name;
      if (!isDnsSubdomain(objectName)) report(`${here}/${field}/${volume.secret ? 'secretName' : 'name'}`, `a ${field} volume needs the name of its ${volume.secret ? 'Secret' : 'ConfigMap'}, got ${JSON.stringify(objectName)}`);
      checkFileMode(source.defaultMode, `${here}/${field}/defaultMode`, report);
      arrayAt(source.items).forEach((item: any, k: number) => {
        if (!isConfigKey(item?.key)) report(`${here}/${field}/items/${k}/key`, `key ${JSON.stringify(item?.key)} is not a valid key (${CONFIG_KEY_RULE})`);
        if (!isRelativePath(item?.path)) report(`${here}/${field}/items/${k}/path`, `path ${JSON.stringify(item?.path)} must be relative and must not contain '..'`);
        checkFileMode(item?.mode, `${here}/${field}/items/${k}/mode`, report);
      });
    }
  });
  return names;
}

// validateContainers / validateContainerCommon: names unique DNS labels, an image (validateContainerOnlyForPod:
// without it the pod the template makes is rejected), validatePullPolicy, resources, security context ids,
// ports (validateContainerPorts), env (ValidateEnv),
// volume mounts (ValidateVolumeMounts).
function checkContainer(container: any, at: string, volumes: Set<string>, names: Map<string, string>, report: Report): void {
  const name = container?.name;
  if (!isDnsLabel(name)) report(`${at}/name`, `container name ${JSON.stringify(name)} is not a DNS-1123 label`);
  else if (names.has(name)) report(`${at}/name`, `container name '${name}' is already used by ${names.get(name)}`);
  else names.set(name, at);
  if (typeof container?.image !== 'string' || container.image.trim() === '') {
    report(`${at}/image`, 'a container needs an image (the API server rejects the pod without one)');
  } else if (container.image !== container.image.trim()) {
    report(`${at}/image`, `image ${JSON.stringify(container.image)} has leading or trailing whitespace`);
  }
  if (container?.imagePullPolicy !== undefined && !PULL_POLICIES.includes(container.imagePullPolicy)) {
    report(`${at}/imagePullPolicy`, `imagePullPolicy ${JSON.stringify(container.imagePullPolicy)} is not one of ${PULL_POLICIES.join(', ')}`);
  }
  checkResources(container?.resources, `${at}/resources`, report);
  checkSecurityContextIds(container?.securityContext, `${at}/securityContext`, report);
  checkPorts(container?.ports, `${at}/ports`, report);
  checkEnv(container?.env, `${at}/env`, report);
  checkVolumeMounts(container?.volumeMounts, `${at}/volumeMounts`, volumes, report);
}

// ValidateResourceRequirements: each request at most its limit ("must be less than or equal to ... limit").
function checkResources(resources: any, at: string, report: Report): void {
  const requests = isObject(resources?.requests) ? resources.requests : {};
  const limits = isObject(resources?.limits) ? resources.limits : {};
  for (const [name, request] of Object.entries(requests)) {
    const asked = quantity(request);
    const limit = quantity(limits[name]);
    if (asked !== undefined && limit !== undefined && asked > limit) {
      report(`${at}/requests/${name}`, `the ${name} request ${JSON.stringify(request)} must be less than or equal to its limit ${JSON.stringify(limits[name])}`);
    }
  }
}

// ValidatePodSecurityContext / ValidateSecurityContext: user and group ids between 0 and 2147483647.
function checkSecurityContextIds(context: any, at: string, report: Report): void {
  for (const field of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    const id = context?.[field];
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id <= 2147483647)) report(`${at}/${field}`, `${field} must be between 0 and 2147483647, got ${JSON.stringify(id)}`);
  }
}

function checkPorts(list: unknown, at: string, report: Report): void {
  const names = new Set<string>();
  arrayAt(list).forEach((port: any, i: number) => {
    const here = `${at}/${i}`;
    if (!(Number.isInteger(port?.containerPort) && port.containerPort >= 1 && port.containerPort <= 65535)) {
      report(`${here}/containerPort`, `containerPort must be between 1 and 65535, got ${JSON.stringify(port?.containerPort)}`);
    }
    if (port?.hostPort !== undefined && !(Number.isInteger(port.hostPort) && port.hostPort >= 0 && port.hostPort <= 65535)) {
      report(`${here}/hostPort`, `hostPort must be between 0 and 65535, got ${JSON.stringify(port.hostPort)}`);
    }
    if (port?.protocol !== undefined && !PROTOCOLS.includes(port.protocol)) report(`${here}/protocol`, `protocol ${JSON.stringify(port.protocol)} is not one of ${PROTOCOLS.join(', ')}`);
    if (port?.name !== undefined) {
      if (typeof port.name !== 'string' || !PORT_NAME.test(port.name) || port.name.includes('--')) {
        report(`${here}/name`, `port name ${JSON.stringify(port.name)} is not an IANA service name (at most 15 lower-case letters, digits and '-', with a letter)`);
      } else if (names.has(port.name)) {
        report(`${here}/name`, `port name '${port.name}' is used twice`);
      }
      names.add(port.name);
    }
  });
}

// ValidateEnv: names non-empty printable ASCII without '=' (validateEnvVarName, relaxed since 1.34:
// RelaxedEnvironmentVariableValidation GA), validateEnvVarValueFrom: exactly one source, not with
// `value`, a supported fieldPath, and a name and key for secretKeyRef / configMapKeyRef.
function checkEnv(list: unknown, at: string, report: Report): void {
  arrayAt(list).forEach((env: any, i: number) => {
    const here = `${at}/${i}`;
    if (typeof env?.name !== 'string' || env.name === '' || !/^[\x20-\x7e]+$/.test(env.name) || env.name.includes('=')) {
      report(`${here}/name`, `environment variable name ${JSON.stringify(env?.name)} must be printable ASCII without '='`);
    }
    if (env?.valueFrom === undefined) return;
    if (env.value !== undefined && env.value !== '') report(`${here}/valueFrom`, 'valueFrom may not be specified when value is not empty');
    const sources = ENV_SOURCES.filter((s) => env.valueFrom?.[s] !== undefined && env.valueFrom[s] !== null);
    if (sources.length !== 1) {
      report(`${here}/valueFrom`, sources.length === 0 ? `valueFrom needs one of ${ENV_SOURCES.join(', ')}` : `valueFrom may have only one source, this one has ${sources.join(' and ')}`);
    }
    const fieldPath = env.valueFrom?.fieldRef?.fieldPath;
    if (env.valueFrom?.fieldRef && !isSupportedFieldPath(fieldPath)) {
      report(`${here}/valueFrom/fieldRef/fieldPath`, `fieldPath ${JSON.stringify(fieldPath)} is not supported (supported: ${FIELD_PATHS.join(', ')})`);
    }
    for (const ref of ['secretKeyRef', 'configMapKeyRef']) {
      const source = env.valueFrom?.[ref];
      if (!isObject(source)) continue;
      if (!isDnsSubdomain(source.name)) report(`${here}/valueFrom/${ref}/name`, `${ref} needs the name of its object, got ${JSON.stringify(source.name)}`);
      if (!isConfigKey(source.key)) report(`${here}/valueFrom/${ref}/key`, `key ${JSON.stringify(source.key)} is not a valid key (${CONFIG_KEY_RULE})`);
    }
  });
}

// ValidateVolumeMounts: every mount names a volume of the pod ("volumeMounts[i].name: Not found"), a
// mountPath that is unique in the container ("must be unique"), a relative subPath without '..'. The
// API server lets a relative mountPath through; the container runtime then refuses to create the
// container ("mount destination ... not absolute"), so the pod never starts.
function checkVolumeMounts(list: unknown, at: string, volumes: Set<string>, report: Report): void {
  const paths = new Map<string, number>();
  arrayAt(list).forEach((mount: any, i: number) => {
    const here = `${at}/${i}`;
    if (!volumes.has(mount?.name)) report(`${here}/name`, `volume mount '${mount?.name}' names no volume of the pod`);
    const path = mount?.mountPath;
    if (typeof path !== 'string' || path === '') {
      report(`${here}/mountPath`, 'a volume mount needs a mountPath');
      return;
    }
    if (!path.startsWith('/')) report(`${here}/mountPath`, `mountPath ${JSON.stringify(path)} is not absolute: the container runtime refuses to create the container`);
    if (paths.has(path)) report(`${here}/mountPath`, `mountPath ${JSON.stringify(path)} must be unique (volumeMounts/${paths.get(path)} uses it)`);
    else paths.set(path, i);
    if (mount.subPath !== undefined && mount.subPath !== '' && !isRelativePath(mount.subPath)) {
      report(`${here}/subPath`, `subPath ${JSON.stringify(mount.subPath)} must be relative and must not contain '..'`);
    }
  });
}

function checkFileMode(mode: unknown, at: string, report: Report): void {
  if (mode !== undefined && !(Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= 0o777)) {
    report(at, `file mode must be between 0 and 0777 (511), got ${JSON.stringify(mode)}`);
  }
}

function isRelativePath(path: unknown): boolean {
  return typeof path === 'string' && path !== '' && !path.startsWith('/') && !path.split('/').includes('..');
}

function isSupportedFieldPath(path: unknown): boolean {
  if (typeof path !== 'string') return false;
  const subscript = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  return FIELD_PATHS.includes(path) || subscript !== null;
}
