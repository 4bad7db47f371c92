import type { ImagePointer, ImageRefresherConfig, RunnerPackage } from '../contract';
import { podIdentity } from '../runtime/config';
import { withKubeHint } from '../launcher/kube-hints';
import { AbortedError, isKubeStatus, KubeStatusError } from '../runtime/errors';
import { KubeClient } from '../runtime/kube';
import { kubeConnection, retryBaseDelayOf } from '../runtime/kube-connection';
import type { Runtime } from '../runtime/main';
import { Proxy } from '../runtime/proxy';
import { Bake } from './bake';
import { bakeObjects, readBakeTemplates } from './bake-templates';
import { recordEvent, type EventType, type InvolvedObject } from './events';
import { collectGarbage } from './gc';
import { bakeName, refreshedVolumeName, VIRTUAL_MACHINE } from './image-objects';
import { readPointer } from './pointer';
import { decide, DEFAULT_RELEASES_API_URL, fetchRelease } from './releases';
import { switchPointer, type SwitchOutcome } from './switch-pointer';
import { pointPool } from './warm-pools';

// One run of the image refresher, in the pod's namespace: the warm pools put back on the pointer's
// image (a re-applied manifest resets their template), the runner release resolved, and, when it is
// newer than the one in use, a bake; once the bake succeeded, the pointer switched and the warm pools
// pointed at the new image; then old images that nothing uses are deleted. Any failure before the
// switch (the switch included) leaves the fleet as it was (what the run created is deleted again)
// and records a Warning Event on the image's bake VM and on this pod.

export async function refreshImage(config: ImageRefresherConfig, { log, env, signal }: Runtime): Promise<void> {
  const pod = podIdentity(env, ['namespace', 'name', 'uid']);
  const { namespace } = pod;
  const retryBaseDelayMs = retryBaseDelayOf(config);
  const templates = readBakeTemplates(config);
  const kube = new KubeClient(kubeConnection(config.kubernetes, log, env), { log, retryBaseDelayMs, client: 'image-refresher' });
  const event = async (type: EventType, reason: string, message: string, onPod = false) => {
    const imageVm = bakeName(config.volumeName);
    let uid: string | undefined;
    try {
      const vm: Record<string, any> = await kube.get(VIRTUAL_MACHINE, namespace, imageVm, { attempts: 2 });
      uid = vm.metadata?.uid;
    } catch (error) {
      if (!isKubeStatus(error, 404)) log.warn(`could not read ${KubeClient.describe(VIRTUAL_MACHINE, namespace, imageVm)} for its Event: ${(error as Error).message}`);
    }
    const targets: InvolvedObject[] = [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: imageVm, ...(uid ? { uid } : {}) }];
    if (onPod) targets.push({ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid });
    for (const target of targets) await recordEvent(kube, namespace, target, type, reason, message, log, pod.name);
  };

  const read = await readPointer(kube, namespace, config.pointerConfigMap, signal, log);
  const current = read.pointer?.source === config.source ? read.pointer : undefined;
  if (read.pointer && !current) {
    log.info(`the pointer names ${read.pointer.volumeName}, refreshed from other inputs (${read.pointer.source}): the manifests' image ${config.volumeName} is current`);
  }
  const currentVolume = current?.volumeName ?? config.volumeName;
  const inUse = current?.runnerVersion ?? config.release.version;
  log.info(`current image ${currentVolume} (runner ${inUse})`);
  // The synthesized image or a refreshed one: `<name>-<10 hex>`.
  const isOurs = (claim: string) => new RegExp(`^${config.name}-[0-9a-f]{10}$`).test(claim);
  const explained = (error: unknown): Error => (error instanceof KubeStatusError ? withKubeHint(error, namespace) : error as Error);
  const pointPools = async (volume: string) => {
    const failures: string[] = [];
    for (const pool of config.warmPools) {
      try {
        await pointPool(kube, namespace, pool, volume, isOurs, log, signal);
      } catch (error) {
        failures.push(explained(error).message);
      }
    }
    return failures;
  };

  // Volumes this run never deletes: the manifests', the current one, and the one it switches to.
  const protect = new Set([config.volumeName, currentVolume]);
  // A pool that cannot be pointed at its image does not hold the fleet's launchers back: reported at the end.
  const poolProblems: string[] = [];
  try {
    // A `kubectl apply` of the manifests puts the synthesized image back into a pool's template. Without
    // a pointer from these manifests the template is the manifests' to say.
    if (current) poolProblems.push(...await pointPools(current.volumeName));
    const proxy = config.proxy ? new Proxy(config.proxy) : undefined;
    const apiUrl = (config.releasesApiUrl ?? DEFAULT_RELEASES_API_URL).replace(/\/+$/, '');
    if (proxy) log.info(`the releases API: ${proxy.routeOf(apiUrl)}`);
    const release = await fetchRelease({ apiUrl, log, retryBaseDelayMs, signal, proxy }, config.runnerVersion);
    const decision = decide(config, release, inUse);
    if (decision.bake) await bakeAndSwitch(decision.runnerPackage);
    else log.info(decision.why);
  } catch (error) {
    if (error instanceof AbortedError) {
      await event('Warning', 'ImageRefreshFailed', `stopped by ${String(signal.reason)} before the refresh finished (the Job's activeDeadlineSeconds?)`, true);
      throw error;
    }
    const failure = explained(error);
    await event('Warning', 'ImageRefreshFailed', failure.message, true);
    throw failure;
  }

  async function bakeAndSwitch(runnerPackage: RunnerPackage): Promise<void> {
    const started = new Date();
    const bakeDate = started.toISOString().slice(0, 10);
    const volumeName = refreshedVolumeName(config.name, { source: config.source, runnerVersion: runnerPackage.version, bakeDate });
    log.info(`baking ${volumeName}: runner ${runnerPackage.version} (SHA-256 ${runnerPackage.sha256} from its release notes) and the distribution's updates`);
    const objects = bakeObjects(templates, config, { volumeName, namespace, runnerPackage, source: config.source, bakeDate, startedAt: rfc3339(started) });
    const bake = new Bake(kube, namespace, config.name, log);
    try {
      await bake.create(objects, signal);
      await bake.waitUntilBaked(bakeName(volumeName), config.bakeTimeoutSeconds, signal);
    } catch (error) {
      await bake.remove();
      if (error instanceof AbortedError) throw error;
      throw new Error(`the bake of runner ${runnerPackage.version} into ${volumeName} failed: ${explained(error).message}; `
        + `the fleet keeps ${currentVolume} (runner ${inUse}), nothing else changed`);
    }
    const next: ImagePointer = { volumeName, source: config.source, runnerVersion: runnerPackage.version, bakedAt: rfc3339(new Date()) };
    let switched: SwitchOutcome;
    try {
      switched = await switchPointer(kube, namespace, config.pointerConfigMap, config.name, read, next, log, signal);
    } catch (error) {
      await removeUnlessPointed(bake, volumeName);
      throw error;
    }
    if (!switched.switched) {
      await bake.remove();
      protect.add(switched.current.volumeName);
      log.info(`another writer already switched the fleet to ${switched.current.volumeName} (runner ${switched.current.runnerVersion}): this run's image is not needed and was deleted`);
      return;
    }
    protect.add(volumeName);
    log.info(`switched the fleet to ${volumeName} (runner ${runnerPackage.version}): launchers boot it from their next job`);
    poolProblems.push(...await pointPools(volumeName));
    await event('Normal', 'ImageRefreshed', `the fleet's image is now ${volumeName}: runner ${runnerPackage.version} and the distribution's updates of ${bakeDate} `
      + `(was ${currentVolume}, runner ${inUse})`);
  }

  /** After a failed switch: the bake goes unless the pointer names it after all (a write whose answer was lost). */
  async function removeUnlessPointed(bake: Bake, volumeName: string): Promise<void> {
    try {
      const now = await readPointer(kube, namespace, config.pointerConfigMap, new AbortController().signal, log);
      if (now.pointer?.volumeName === volumeName) return log.warn(`the pointer names ${volumeName} after all: it stays`);
    } catch (error) {
      return log.warn(`${volumeName} stays (a later run deletes it when nothing uses it): cannot tell whether the pointer names it: ${(error as Error).message}`);
    }
    await bake.remove();
  }

  let deleted: string[];
  try {
    deleted = await collectGarbage(kube, namespace, { name: config.name, keep: config.keep, protect }, log, signal);
  } catch (error) {
    throw new Error(`deleting old images failed (the next run tries again): ${explained(error).message}`);
  }
  if (deleted.length === 0) log.info(`old images: none to delete (keeping ${config.keep} besides the current one, and any in use)`);
  if (poolProblems.length > 0) {
    const problem = `a warm pool is not on the fleet's image (the next run tries again): ${poolProblems.join('; ')}`;
    await event('Warning', 'ImageRefreshFailed', problem, true);
    throw new Error(problem);
  }
}

const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');
