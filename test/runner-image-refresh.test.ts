import { ApiObject, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { parse } from 'yaml';
import {
  Distribution, OsImage, RunnerImage, RunnerImageProps, RunnerKedaScaleSet, RunnerScaleSet, RunnerWarmPool,
} from '../lib';
import { DEFAULT_NODE_IMAGE, DEFAULT_RUNNER_VERSION } from '../lib/private/versions';
import { renderCloudConfig } from '../lib/render/cloud-config';
import { formatFinding, validateObjects } from '../lib/validate';
import { K8sObject, ofKind, synth } from './util';
import { TEST_CA_PEM } from './network-fixtures';

const NS = 'ci';
const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

function fleet(imageProps: RunnerImageProps = {}, consumers: { warm?: string[]; arc?: boolean; keda?: boolean } = {}) {
  const chart = new Chart(Testing.app(), 'ci', { namespace: NS });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', ...imageProps });
  for (const name of consumers.warm ?? []) {
    new RunnerWarmPool(chart, name, { url: 'https://github.com/acme', runnerImage: image, replicas: 2, tokenSecretName: `${name}-token`, name, runnerLabels: [name] });
  }
  if (consumers.arc) new RunnerScaleSet(chart, 'arc', { url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image, name: 'arc' });
  if (consumers.keda) {
    new RunnerKedaScaleSet(chart, 'keda', { url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image, name: 'keda', runnerLabels: ['vm'] });
  }
  return { chart, image, objects: synth(chart) };
}

const configOf = (objects: K8sObject[]) => JSON.parse(named(objects, 'ConfigMap', 'ci-image-refresh').data['config.json']);

describe('RunnerImage refresh: on by default', () => {
  test('a CronJob, its ConfigMap, ServiceAccount, Role and RoleBinding, all `<name>-refresh`; no pointer ConfigMap in the manifests', () => {
    const { image, objects } = fleet();
    expect(objects.filter((o) => o.metadata.name === 'ci-image-refresh').map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'CronJob']);
    // Only the refresher writes the pointer: re-applying the manifests never points the fleet back.
    expect(objects.some((o) => o.metadata.name === 'ci-image-current')).toBe(false);
    expect(image.refreshCronJob?.name).toBe('ci-image-refresh');
    expect(named(objects, 'RoleBinding', 'ci-image-refresh')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ci-image-refresh' },
      subjects: [{ kind: 'ServiceAccount', name: 'ci-image-refresh', namespace: NS }],
    });
  });

  test('the CronJob: daily at 03:17 UTC, one run at a time, no retry, the pinned node image, the pod\'s identity from the downward API', () => {
    const { objects } = fleet();
    const cron = named(objects, 'CronJob', 'ci-image-refresh');
    expect(cron.spec).toMatchObject({
      schedule: '17 3 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 3,
    });
    expect(cron.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3600 + 900 });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'ci-image-refresh', automountServiceAccountToken: true, restartPolicy: 'Never', securityContext: { runAsNonRoot: true } });
    expect(pod.containers[0]).toMatchObject({
      name: 'refresher', image: DEFAULT_NODE_IMAGE, command: ['node', '/etc/image-refresher/image-refresher.js', '/etc/image-refresher/config.json'],
    });
    expect(pod.containers[0].env).toEqual(['name', 'namespace', 'uid'].map((field) => ({
      name: `POD_${field.toUpperCase()}`, valueFrom: { fieldRef: { fieldPath: `metadata.${field}` } },
    })));
    expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'ci-image-refresh' } }]);
  });

  test('config.json is the ImageRefresherConfig of the synthesized image', () => {
    const { image, objects } = fleet();
    expect(configOf(objects)).toEqual({
      name: 'ci-image',
      source: image.hash,
      volumeName: image.volumeName,
      pointerConfigMap: 'ci-image-current',
      release: { version: image.release.version, sha256: image.release.sha256, downloadUrl: image.release.downloadUrl },
      downloadBaseUrl: 'https://github.com/actions/runner/releases/download',
      arch: 'x64',
      templates: {
        dataVolumeFile: '/etc/image-refresher/datavolume.json',
        bakeVmFile: '/etc/image-refresher/bake-vm.json',
        userDataFile: '/etc/image-refresher/bake-user-data.yaml',
      },
      keep: 2,
      warmPools: [],
      bakeTimeoutSeconds: 3600,
    });
    expect(Object.keys(named(objects, 'ConfigMap', 'ci-image-refresh').data).sort())
      .toEqual(['bake-user-data.yaml', 'bake-vm.json', 'config.json', 'datavolume.json', 'image-refresher.js']);
  });

  test('the templates are the bake\'s DataVolume and VirtualMachine as synthesized, and its cloud-config with the distribution\'s updates', () => {
    const { image, objects } = fleet({ extraPackages: ['jq'] });
    const data = named(objects, 'ConfigMap', 'ci-image-refresh').data;
    expect(JSON.parse(data['datavolume.json'])).toEqual(named(objects, 'DataVolume', image.volumeName));
    expect(JSON.parse(data['bake-vm.json'])).toEqual(named(objects, 'VirtualMachine', image.readyVmiName));
    const synthesized = parse(named(objects, 'Secret', image.readyVmiName).stringData.userdata);
    const refreshed = parse(data['bake-user-data.yaml']);
    expect(synthesized.package_upgrade).toBe(false);
    // Everything as synthesized, and the distribution's updates at every refresh bake.
    expect(refreshed).toEqual({ ...synthesized, package_upgrade: true });
    expect(data['bake-user-data.yaml']).toBe(renderCloudConfig({ kind: 'bake', guest: { ...image.setup, upgradePackages: true } }));
  });

  test('the refreshed bake VMs are selected by the image\'s bake NetworkPolicy: the template\'s labels hold no hash', () => {
    const { image, objects } = fleet();
    const vm = JSON.parse(named(objects, 'ConfigMap', 'ci-image-refresh').data['bake-vm.json']);
    // The policy selects virt-launcher pods (KubeVirt adds kubevirt.io=virt-launcher) with the VMI's labels, which are the template's.
    const { 'kubevirt.io': launcherPod, ...selector } = named(objects, 'NetworkPolicy', 'ci-image-bake').spec.podSelector.matchLabels;
    expect(launcherPod).toBe('virt-launcher');
    expect(vm.spec.template.metadata.labels).toMatchObject(selector);
    expect(JSON.stringify(selector)).not.toContain(image.hash);
    expect(JSON.stringify(vm.spec.template.metadata.labels)).not.toContain(image.hash);
  });

  test('a JSON patch of the bake VM (the escape hatch) is in the template too', () => {
    const chart = new Chart(Testing.app(), 'ci', { namespace: NS });
    const image = new RunnerImage(chart, 'image', { name: 'ci-image' });
    ApiObject.of(image.apiObject).addJsonPatch(JsonPatch.add('/spec/template/spec/domain/cpu', { model: 'host-passthrough' }));
    const objects = synth(chart);
    const vm = JSON.parse(named(objects, 'ConfigMap', 'ci-image-refresh').data['bake-vm.json']);
    expect(vm.spec.template.spec.domain.cpu).toEqual({ model: 'host-passthrough' });
  });

  test('least privilege: by name where Kubernetes allows it', () => {
    const { objects } = fleet();
    expect(named(objects, 'Role', 'ci-image-refresh').rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['ci-image-current'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'delete'] },
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes'], verbs: ['create', 'get', 'delete', 'list'] },
      { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: ['create', 'get', 'delete', 'list'] },
      { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['list', 'watch'] },
      { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], verbs: ['list'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
  });

  test('synthesized twice, byte for byte the same', () => {
    const twice = [0, 1].map(() => JSON.stringify(fleet({}, { warm: ['warm-b', 'warm-a'], arc: true, keda: true }).objects));
    expect(twice[0]).toBe(twice[1]);
  });

  test('the whole fleet is valid: schemas, admission, and the refresher\'s and launchers\' rights', () => {
    const { objects } = fleet({}, { warm: ['warm'], arc: true, keda: true });
    expect(validateObjects(objects.map((object) => ({ file: 'ci.yaml', object })), { externalSecrets: ['github-app', 'warm-token'] }).map(formatFinding)).toEqual([]);
  });
});

describe('RunnerImage refresh: its consumers', () => {
  test('warm pools registered after the image: in its config and, by name, in its Role; their pools update opportunistically', () => {
    const { objects } = fleet({}, { warm: ['warm-b', 'warm-a'] });
    expect(configOf(objects).warmPools).toEqual(['warm-a', 'warm-b']);
    expect(named(objects, 'Role', 'ci-image-refresh').rules).toContainEqual(
      { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], resourceNames: ['warm-a', 'warm-b'], verbs: ['get', 'patch'] });
    for (const pool of ['warm-a', 'warm-b']) {
      // The refresher re-points the template; a VM takes it when it next starts, after its job: no busy VM is stopped.
      expect(named(objects, 'VirtualMachinePool', pool).spec.updateStrategy).toEqual({ opportunistic: {} });
    }
  });

  test('the launchers of ARC and KEDA read the pointer once per job, by name', () => {
    const { image, objects } = fleet({}, { arc: true, keda: true });
    for (const launcher of ['arc-launcher', 'keda-launcher']) {
      expect(JSON.parse(named(objects, 'ConfigMap', launcher).data['config.json']).imagePointer).toEqual({ configMap: 'ci-image-current', source: image.hash });
      expect(named(objects, 'Role', launcher).rules).toContainEqual({ apiGroups: [''], resources: ['configmaps'], resourceNames: ['ci-image-current'], verbs: ['get'] });
    }
  });

  test('refresh off: no refresher, no pointer, no update strategy; names as before refresh existed', () => {
    const { image, objects } = fleet({ refresh: { enabled: false } }, { warm: ['warm'], arc: true, keda: true });
    expect(image.refreshCronJob).toBeUndefined();
    expect(objects.some((o) => o.metadata.name.startsWith('ci-image-refresh'))).toBe(false);
    expect(named(objects, 'VirtualMachinePool', 'warm').spec).not.toHaveProperty('updateStrategy');
    for (const launcher of ['arc-launcher', 'keda-launcher']) {
      expect(JSON.parse(named(objects, 'ConfigMap', launcher).data['config.json'])).not.toHaveProperty('imagePointer');
      expect(JSON.stringify(named(objects, 'Role', launcher).rules)).not.toContain('configmaps');
    }
    // A derived name keeps today's limit (47) without refresh; with it, 44 (`<name>-refresh` is a CronJob, 52 at most).
    const long = (refresh: RunnerImageProps['refresh']) => new RunnerImage(Testing.chart(), `i${'x'.repeat(60)}`, { refresh });
    expect(long({ enabled: false }).volumeName.length).toBe(47 + 11);
    expect(long(undefined).volumeName.length).toBe(44 + 11);
  });
});

describe('RunnerImage refresh: its options', () => {
  test('schedule, time zone, pinned runner, keep, bake timeout, releases mirror and container image reach the CronJob and config.json', () => {
    const { objects } = fleet({
      refresh: {
        schedule: '0 4 * * 1', timeZone: 'Europe/Berlin', runnerVersion: '2.338.0', keep: 0, bakeTimeout: Duration.minutes(90),
        releasesApiUrl: 'https://mirror.corp/api/repos/actions/runner/releases', containerImage: 'registry.corp/node:26.13.0-alpine3.24',
      },
    });
    const cron = named(objects, 'CronJob', 'ci-image-refresh');
    expect(cron.spec).toMatchObject({ schedule: '0 4 * * 1', timeZone: 'Europe/Berlin' });
    expect(cron.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(5400 + 900);
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].image).toBe('registry.corp/node:26.13.0-alpine3.24');
    expect(configOf(objects)).toMatchObject({
      runnerVersion: '2.338.0', keep: 0, bakeTimeoutSeconds: 5400, releasesApiUrl: 'https://mirror.corp/api/repos/actions/runner/releases',
    });
  });

  test('the image\'s proxy (https) and CA: GitHub through the proxy, the CA as NODE_EXTRA_CA_CERTS', () => {
    const { objects } = fleet({ proxy: { http: 'http://proxy.corp:3128', https: 'http://proxy.corp:3129', noProxy: ['.corp'] }, caCertificates: [TEST_CA_PEM] });
    expect(configOf(objects).proxy).toEqual({ url: 'http://proxy.corp:3129', noProxy: ['localhost', '127.0.0.1', '::1', '.corp', '.svc', '.cluster.local'] });
    const data = named(objects, 'ConfigMap', 'ci-image-refresh').data;
    expect(data['ca-certificates.pem']).toBe(TEST_CA_PEM);
    expect(named(objects, 'CronJob', 'ci-image-refresh').spec.jobTemplate.spec.template.spec.containers[0].env)
      .toContainEqual({ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/image-refresher/ca-certificates.pem' });
    expect(validateObjects(objects.map((object) => ({ file: 'ci.yaml', object }))).map(formatFinding)).toEqual([]);
  });

  test('a base image cloned from a PVC: the rights to clone it, in the namespace CDI checks them', () => {
    const here = fleet({ baseOsImage: OsImage.pvc(NS, 'golden', { distribution: Distribution.UBUNTU }) }).objects;
    expect(named(here, 'Role', 'ci-image-refresh').rules).toContainEqual({ apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] });
    const there = fleet({ baseOsImage: OsImage.pvc('images', 'golden', { distribution: Distribution.UBUNTU }) }).objects;
    const clone = ofKind(there, 'Role').filter((r) => r.metadata.namespace === 'images');
    expect(clone.map((r) => [r.metadata.name, r.rules])).toEqual([['ci-image-refresh', [{ apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] }]]]);
    expect(ofKind(there, 'RoleBinding').find((b) => b.metadata.namespace === 'images')!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ci-image-refresh', namespace: NS }]);
  });

  test.each<[RunnerImageProps, string]>([
    [{ refresh: 'daily' as any }, "RunnerImage 'refresh' must be { enabled?, schedule?, runnerVersion?, keep?, ... }, got \"daily\""],
    [{ refresh: { enabled: 'yes' as any } }, "RunnerImage 'refresh.enabled' must be true or false, got \"yes\""],
    [{ refresh: { schedule: '0 3 * *' } }, "RunnerImage 'refresh.schedule' must be a cron schedule of five fields such as '17 3 * * *', got \"0 3 * *\": it has 4 fields"],
    [{ refresh: { timeZone: 'europe/berlin' } }, "RunnerImage 'refresh.timeZone' must be an IANA time zone name"],
    [{ refresh: { keep: 11 } }, "RunnerImage 'refresh.keep' must be an integer from 0 to 10, got 11"],
    [{ refresh: { keep: 1.5 } }, "RunnerImage 'refresh.keep' must be an integer from 0 to 10, got 1.5"],
    [{ refresh: { bakeTimeout: Duration.seconds(30) } }, "RunnerImage 'refresh.bakeTimeout' must be from 1 minute to 24 hours, got 30 seconds"],
    [{ refresh: { bakeTimeout: Duration.hours(25) } }, "RunnerImage 'refresh.bakeTimeout' must be from 1 minute to 24 hours, got 90000 seconds"],
    [{ refresh: { runnerVersion: 'latest' } }, "RunnerImage 'refresh.runnerVersion' must be a release version such as '2.338.0', got \"latest\""],
    [{ refresh: { runnerVersion: '2.333.9' } }, `RunnerImage 'refresh.runnerVersion' must not be older than the image's release ${DEFAULT_RUNNER_VERSION} (the refresher never goes back to an older runner), got "2.333.9"`],
    [{ refresh: { releasesApiUrl: 'ftp://mirror.corp/releases' } }, "RunnerImage 'refresh.releasesApiUrl' must be a URL (https, http); the scheme \"ftp:\" is not accepted"],
    [{ refresh: { containerImage: 'node:latest' } }, "RunnerImage 'refresh.containerImage' must be a pinned image reference"],
    [{ name: 'x'.repeat(45) }, `RunnerImage 'name' must be at most 44 characters with refresh on (its CronJob '<name>-refresh' may have 52), got "${'x'.repeat(45)}" (45)`],
    [{ caCertificates: [TEST_CA_PEM], caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' } }, "RunnerImage 'caCertificatesFrom' and RunnerImage 'caCertificates' are both set, but the image refresher trusts one extra CA file"],
  ])('refuses %j', (props, message) => {
    expect(() => new RunnerImage(Testing.chart(), 'image', props)).toThrow(message);
  });

  test('random options (fast-check): an error naming the refresh prop, or a refresher the validator accepts', () => {
    const often = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
    const options = fc.record({
      schedule: often(fc.constantFrom(undefined, '0 4 * * 1', '*/30 * * * *', '@daily', '17 3 * * MON-FRI'), fc.constantFrom('0 3 * *', '61 * * * *', '@reboot', '')),
      timeZone: often(fc.constantFrom(undefined, 'Etc/UTC', 'Europe/Berlin', 'America/New_York'), fc.constantFrom('Local', 'europe/berlin', '+01:00')),
      runnerVersion: often(fc.constantFrom(undefined, '2.334.0', '2.338.0', '3.0.0'), fc.constantFrom('2.333.0', 'v2.338.0', '2.338', 'latest')),
      keep: often(fc.integer({ min: 0, max: 10 }), fc.constantFrom(-1, 11, 2.5)),
      bakeTimeout: often(fc.integer({ min: 60, max: 86400 }), fc.constantFrom(0, 59, 86401)).map((s) => Duration.seconds(s)),
      releasesApiUrl: often(fc.constantFrom(undefined, 'https://mirror.corp/releases', 'http://mirror.svc:8080/api'), fc.constantFrom('mirror.corp', 'https://u:p@mirror.corp', 'ftp://x.corp')),
    }, { requiredKeys: [] });
    let accepted = 0;
    let rejected = 0;
    fc.assert(fc.property(options, (refresh) => {
      let objects: K8sObject[];
      try {
        objects = fleet({ refresh }, { warm: ['warm'] }).objects;
      } catch (e) {
        expect((e as Error).message).toMatch(/^RunnerImage 'refresh\.(schedule|timeZone|runnerVersion|keep|bakeTimeout|releasesApiUrl)' /);
        rejected++;
        return;
      }
      accepted++;
      expect(validateObjects(objects.map((object) => ({ file: 'ci.yaml', object })), { externalSecrets: ['warm-token'] }).map(formatFinding)).toEqual([]);
    }), { seed: 20261207, numRuns: 60 });
    expect(accepted).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
  });

  test('refresh off accepts what it would refuse with refresh on: a 45-character name, both CA sources', () => {
    expect(() => new RunnerImage(Testing.chart(), 'image', { name: 'x'.repeat(45), refresh: { enabled: false } })).not.toThrow();
    expect(() => new RunnerImage(Testing.chart(), 'image', {
      caCertificates: [TEST_CA_PEM], caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' }, refresh: { enabled: false },
    })).not.toThrow();
  });
});
