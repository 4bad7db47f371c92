// The image refresher of a RunnerImage with `refresh`. A CronJob runs it in the image's namespace: it
// resolves the newest (or the pinned) actions/runner release from GitHub's public releases API with
// the SHA-256 its release notes publish, bakes a new image from the synthesized image's own bake
// templates with that runner and the distribution's updates, waits until the bake succeeded, then
// switches the fleet in one write of the pointer ConfigMap (which launchers read per job) and points
// the warm pools at it; old images go when nothing uses them. A failure changes nothing and leaves a
// Warning Event. See ../refresh/refresh.ts.
import type { ImageRefresherConfig } from '../contract';
import { DNS_LABEL, DNS_SUBDOMAIN, type Fields } from '../runtime/config';
import { ConfigError } from '../runtime/errors';
import { isPlainHttpUrl, readRuntimeSettings } from '../runtime/kube-connection';
import { runEntry } from '../runtime/main';
import { readProxySettings } from '../runtime/proxy';
import { RUNNER_VERSION_PATTERN } from '../runtime/runner-releases';
import { MAX_TIMEOUT_SECONDS } from '../launcher/settings';
import { refreshImage } from '../refresh/refresh';

const FILE = { describe: 'an absolute file path', pattern: /^\/./ };
const URL_RULE = { describe: 'an http(s) URL without credentials, query or fragment', check: (url: string) => isPlainHttpUrl(url) && !url.endsWith('/') };
const VERSION = { describe: 'a runner version x.y.z', pattern: RUNNER_VERSION_PATTERN };
// `<name>-<10 hex>-bake` must stay a DNS label (the bake VMI's name).
const IMAGE_NAME = { describe: 'an image name prefix (a DNS label of at most 47 characters)', check: (name: string) => DNS_LABEL.test(name) && name.length <= 47 };

export function validate(fields: Fields): ImageRefresherConfig {
  const name = fields.string('name', IMAGE_NAME);
  const volumeName = fields.string('volumeName', { describe: `a volume name ${name}-<10 hex digits>`, pattern: new RegExp(`^${name}-[0-9a-f]{10}$`) });
  const release = fields.object('release');
  const templates = fields.object('templates');
  const config: ImageRefresherConfig = {
    name,
    source: fields.string('source', { describe: 'the image\'s input hash (lower-case hex, 1 to 63 characters)', pattern: /^[0-9a-f]{1,63}$/ }),
    volumeName,
    pointerConfigMap: fields.string('pointerConfigMap', { describe: 'a ConfigMap name (a DNS subdomain)', pattern: DNS_SUBDOMAIN }),
    release: {
      version: release.string('version', VERSION),
      sha256: release.string('sha256', { describe: 'a SHA-256 (64 lower-case hex digits)', pattern: /^[0-9a-f]{64}$/ }),
      downloadUrl: release.string('downloadUrl', { describe: 'an http(s) URL', check: (url) => /^https?:\/\/[^\s]+$/.test(url) }),
    },
    releasesApiUrl: fields.optionalString('releasesApiUrl', URL_RULE),
    downloadBaseUrl: fields.string('downloadBaseUrl', URL_RULE),
    arch: fields.string('arch', { describe: '\'x64\' or \'arm64\'', check: (arch) => arch === 'x64' || arch === 'arm64' }),
    runnerVersion: fields.optionalString('runnerVersion', VERSION),
    proxy: readProxySettings(fields, 'proxy'),
    templates: {
      dataVolumeFile: templates.string('dataVolumeFile', FILE),
      bakeVmFile: templates.string('bakeVmFile', FILE),
      userDataFile: templates.string('userDataFile', FILE),
    },
    keep: fields.integer('keep', 0, 10),
    warmPools: fields.stringList('warmPools', { describe: 'a VirtualMachinePool name (a DNS label)', pattern: DNS_LABEL, max: 100 }),
    bakeTimeoutSeconds: fields.integer('bakeTimeoutSeconds', 1, MAX_TIMEOUT_SECONDS),
    ...readRuntimeSettings(fields),
  };
  release.done();
  templates.done();
  if (new Set(config.warmPools).size !== config.warmPools.length) throw new ConfigError('warmPools', `must not name a pool twice, got ${JSON.stringify(config.warmPools)}`);
  return config;
}

if (require.main === module) runEntry('image-refresher', validate, refreshImage);
