import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CONFIG_FILE, type ImageRefresherConfig } from '../cluster/contract';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION } from '../private/external-references';
import type { RunnerRelease } from '../runner-release';
import { clusterNetworkOf, clusterNoProxy } from '../spec/cluster-network';
import type { ResolvedImageRefresh } from '../spec/image-refresh';
import type { ResolvedSetup } from '../spec/resolved';
import { renderCloudConfig } from './cloud-config';
import { clusterConfigMapData, clusterCronJobSpec, clusterMount, clusterPodSpec } from './cluster-pod';
import { caSecretNames, podNetwork } from './pod-network';
import { RUNNER_KUBERNETES_LABELS } from './vmi-spec';

// A RunnerImage's refresher: the CronJob that runs the image-refresher entry point, its ConfigMap
// (the bundle, config.json, and the bake's templates as the image synthesizes them) and its
// least-privilege RBAC. The refresher bakes from these templates with the runner package swapped
// (lib/cluster/refresh/runner-package.ts) and the names moved from the synthesized volume to the new one.

const MOUNT = clusterMount('image-refresher');
/** The template files beside config.json. */
export const REFRESH_TEMPLATE_FILES = { dataVolume: 'datavolume.json', bakeVm: 'bake-vm.json', userData: 'bake-user-data.yaml' } as const;

/** What the refresher of one image needs from it. */
export interface ImageRefresherInput {
  /** The image's name prefix. */
  readonly name: string;
  readonly namespace: string;
  /** The image's input hash (RunnerImage.hash). */
  readonly hash: string;
  readonly volumeName: string;
  readonly release: RunnerRelease;
  readonly setup: ResolvedSetup;
  readonly refresh: ResolvedImageRefresh;
  /** The pointer ConfigMap, `<name>-current`. */
  readonly pointerConfigMap: string;
  /** The namespace of the PVC the bake clones, when the base image is one (CDI authorizes a clone there). */
  readonly cloneSourceNamespace?: string;
  /** The bake's DataVolume and VirtualMachine as synthesized (read at synth: the user's JSON patches included). */
  readonly templates: () => { readonly dataVolume: unknown; readonly bakeVm: unknown };
  /** The warm pools registered with the image (read at synth: they are made after it). */
  readonly warmPools: () => readonly string[];
}

/**
 * The bake's user data at every refresh: the synthesized image's, with the distribution's updates
 * installed (`upgradePackages`), which is the point of re-baking besides the runner.
 */
export function refreshBakeUserData(setup: ResolvedSetup): string {
  return renderCloudConfig({ kind: 'bake', guest: { ...setup, upgradePackages: true } });
}

/** The refresher's config.json. */
export function imageRefresherConfig(input: ImageRefresherInput, warmPools: readonly string[]): ImageRefresherConfig {
  const { release, refresh } = input;
  const proxy = input.setup.proxy;
  const packageFile = `/v${release.version}/actions-runner-linux-${release.arch}-${release.version}.tar.gz`;
  return {
    name: input.name,
    source: input.hash,
    volumeName: input.volumeName,
    pointerConfigMap: input.pointerConfigMap,
    release: { version: release.version, sha256: release.sha256, downloadUrl: release.downloadUrl },
    ...(refresh.releasesApiUrl !== undefined ? { releasesApiUrl: refresh.releasesApiUrl } : {}),
    downloadBaseUrl: release.downloadUrl.slice(0, -packageFile.length),
    arch: release.arch,
    ...(refresh.runnerVersion !== undefined ? { runnerVersion: refresh.runnerVersion } : {}),
    // The proxy's https URL only: the releases API is https.
    ...(proxy?.https ? { proxy: { url: proxy.https, noProxy: clusterNoProxy(proxy) } } : {}),
    templates: {
      dataVolumeFile: `${MOUNT}/${REFRESH_TEMPLATE_FILES.dataVolume}`,
      bakeVmFile: `${MOUNT}/${REFRESH_TEMPLATE_FILES.bakeVm}`,
      userDataFile: `${MOUNT}/${REFRESH_TEMPLATE_FILES.userData}`,
    },
    keep: refresh.keep,
    warmPools: [...warmPools],
    bakeTimeoutSeconds: refresh.bakeTimeout,
  };
}

/**
 * The refresher's rights: what lib/cluster/refresh calls, each as narrow as Kubernetes allows. By name
 * where the object is known (the pointer, the warm pools); `create`, `list` and `watch` carry no name
 * (RBAC cannot limit them), nor do the bakes' objects, whose names are made at each refresh.
 */
export function imageRefresherRules(pointerConfigMap: string, warmPools: readonly string[], cloneInOwnNamespace: boolean) {
  return [
    // The pointer: read, and replaced (PUT) with the resourceVersion read, so that two writers cannot both win.
    { apiGroups: [''], resources: ['configmaps'], resourceNames: [pointerConfigMap], verbs: ['get', 'update'] },
    // The pointer's first write: `create` cannot be limited to one name.
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    // Each bake's cloud-init Secret, DataVolume and VirtualMachine; old images are found by listing.
    { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'delete'] },
    { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes'], verbs: ['create', 'get', 'delete', 'list'] },
    ...(cloneInOwnNamespace ? [{ apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] }] : []),
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: ['create', 'get', 'delete', 'list'] },
    // The bake VM's VMI, watched until it succeeds; every VMI, for the images still in use.
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['list', 'watch'] },
    { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], verbs: ['list'] },
    ...(warmPools.length > 0 ? [{ apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], resourceNames: [...warmPools], verbs: ['get', 'patch'] }] : []),
    // What a refresh did or why it failed, in `kubectl get events`.
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  ];
}

/** Renders the refresher of an image under `scope`; returns its CronJob. */
export function renderImageRefresher(scope: Construct, input: ImageRefresherInput): ApiObject {
  const { namespace, refresh } = input;
  const name = `${input.name}-refresh`;
  const labels = { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/component': 'image-refresher', 'app.kubernetes.io/instance': input.name };
  const metadata = (objectName: string, objectNamespace = namespace) => ({ name: objectName, namespace: objectNamespace, labels });
  const pools = () => [...new Set(input.warmPools())].sort();
  const cloneInOwnNamespace = input.cloneSourceNamespace === namespace;

  new k8s.KubeServiceAccount(scope, 'RefresherServiceAccount', { metadata: metadata(name) });
  // Lazy: a warm pool registers with the image after the image is made.
  new ApiObject(scope, 'RefresherRole', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: metadata(name),
    rules: Lazy.any({ produce: () => imageRefresherRules(input.pointerConfigMap, pools(), cloneInOwnNamespace) }),
  });
  const binding = (id: string, objectNamespace: string) => new k8s.KubeRoleBinding(scope, id, {
    metadata: metadata(name, objectNamespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
  binding('RefresherRoleBinding', namespace);
  if (input.cloneSourceNamespace !== undefined && !cloneInOwnNamespace) {
    // CDI authorizes a clone by `create` on datavolumes/source in the source's namespace.
    new k8s.KubeRole(scope, 'RefresherCloneRole', {
      metadata: metadata(name, input.cloneSourceNamespace),
      rules: [{ apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] }],
    });
    binding('RefresherCloneRoleBinding', input.cloneSourceNamespace);
  }

  const network = podNetwork(clusterNetworkOf(input.setup), MOUNT);
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  new ApiObject(scope, 'RefresherConfig', {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(name),
    data: Lazy.any({
      produce: () => {
        const templates = input.templates();
        return {
          ...clusterConfigMapData('image-refresher', { [CONFIG_FILE]: imageRefresherConfig(input, pools()) }),
          [REFRESH_TEMPLATE_FILES.dataVolume]: json(templates.dataVolume),
          [REFRESH_TEMPLATE_FILES.bakeVm]: json(templates.bakeVm),
          [REFRESH_TEMPLATE_FILES.userData]: refreshBakeUserData(input.setup),
          ...network.configData,
        };
      },
    }),
  });

  const externalSecrets = annotationValue(caSecretNames(clusterNetworkOf(input.setup)));
  return ApiObject.of(new k8s.KubeCronJob(scope, 'RefresherCronJob', {
    metadata: { ...metadata(name), ...(externalSecrets ? { annotations: { [EXTERNAL_SECRETS_ANNOTATION]: externalSecrets } } : {}) },
    // One refresh at a time (two would bake twice and race for the pointer); a run missed by up to an hour still runs.
    spec: clusterCronJobSpec({
      schedule: refresh.schedule, timeZone: refresh.timeZone, startingDeadlineSeconds: 3600, labels,
      job: {
        // A failed refresh changed nothing; the next schedule tries again (a retry at once would bake again at once).
        backoffLimit: 0,
        // The bake, and time to find the release, point the fleet and delete old images.
        activeDeadlineSeconds: refresh.bakeTimeout + 900,
        template: {
          metadata: { labels },
          spec: clusterPodSpec({
            entry: 'image-refresher', containerName: 'refresher', image: refresh.containerImage, serviceAccountName: name, configMapName: name,
            identity: ['name', 'namespace', 'uid'], env: network.env,
            mounts: network.mounts.map((m) => ({ volume: m.volume as k8s.Volume, mountPath: m.mountPath })),
          }),
        },
      },
    }),
  }));
}
