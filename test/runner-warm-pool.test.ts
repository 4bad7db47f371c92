import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, JsonPatch, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { ImageSharing, RunnerImage, RunnerImageProps, RunnerWarmPool, RunnerWarmPoolProps } from '../lib';
import { clusterBundle } from '../lib/render/cluster-bundle';
import { readGuestFile, REGISTER_UNIT_NAME, REGISTER_UNIT_PATH, REPORT_EXIT_SCRIPT_PATH, REPORT_EXIT_UNIT_PATH, WARM_POOL_MARKER_PATH } from '../lib/render/cloud-config';
import { DEFAULT_NODE_IMAGE } from '../lib/private/node-image';
import { parseGuestSettings, RUNNER_SETTINGS_PATH } from '../lib/render/guest-settings';
import { formatFinding, validateObjects } from '../lib/validate';
import { cloudConfigOf, K8sObject, ofKind, synth, writtenFile } from './util';
import { ALL_VM_OPTIONS, expectAllVmOptions, expectDockerEmptyDisk } from './vm-options';

function build(props: Partial<RunnerWarmPoolProps> = {}, sharing = ImageSharing.SHARED, refresh = true) {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', sharing, extraPackages: ['jq'], ...(refresh ? {} : { refresh: { enabled: false } }) });
  const pool = new RunnerWarmPool(chart, 'warm', {
    url: 'https://github.com/acme', runnerImage: image, replicas: 3, tokenSecretName: 'ci-runner-token', name: 'warm', runnerLabels: ['warm'], ...props,
  });
  return { image, pool, objects: synth(chart) };
}

const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe('RunnerWarmPool', () => {
  test('a VirtualMachinePool of one-job VMs: the baked image on a copy-on-write layer, always restarted', () => {
    // Image refresh off: the snapshot predates refresh, so it shows that the output without it is unchanged, byte for byte.
    const { image, objects } = build({}, ImageSharing.SHARED, false);
    const pool = named(objects, 'VirtualMachinePool', 'warm');
    expect(pool.apiVersion).toBe('pool.kubevirt.io/v1beta1');
    expect(pool.spec.replicas).toBe(3);
    expect(pool.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'warm', 'app.kubernetes.io/component': 'warm-runner' });
    const vm = pool.spec.virtualMachineTemplate;
    expect(vm.metadata.labels).toMatchObject(pool.spec.selector.matchLabels);
    expect(vm.spec.runStrategy).toBe('Always');
    expect(vm.spec.template.spec.volumes).toEqual([
      { name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName: image.volumeName, readOnly: true } } },
      { name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: 'warm-cloud-init' } } },
      { name: 'token', secret: { secretName: 'ci-runner-token', optional: true } },
    ]);
    expect(vm.spec.template.spec.hostname).toBeUndefined();
    expect(objects).toMatchSnapshot();
  });

  test('each boot registers an ephemeral runner, powers off after its job, installs nothing, and the per-job unit is skipped by its condition', () => {
    const { objects } = build();
    const config = cloudConfigOf(named(objects, 'Secret', 'warm-cloud-init'));
    const settings = parseGuestSettings(writtenFile(config, RUNNER_SETTINGS_PATH));
    expect(settings).toMatchObject({ url: 'https://github.com/acme', labels: ['warm'], ephemeral: true, powerOffAfterJob: true, tokenDiskSerial: 'RUNNERTOKEN' });
    expect(config.packages).toBeUndefined();
    expect(config.apt).toBeUndefined();
    expect(config.write_files.map((f: any) => f.path)).toContain(WARM_POOL_MARKER_PATH);
    expect(readFileSync(join(__dirname, '..', 'lib', 'guest', 'actions-runner-jit.service'), 'utf8')).toContain(`ConditionPathExists=!${WARM_POOL_MARKER_PATH}`);
    // Nothing to run or create at boot: the image has the runner user and the registration unit,
    // enabled by its bake; the pool's cloud-config writes the settings and the marker its drop-in needs.
    expect(config.runcmd).toBeUndefined();
    expect(config.users).toEqual([]);
    expect(config.write_files.map((f: any) => f.path)).not.toContain(REGISTER_UNIT_PATH);
    expect(readFileSync(join(__dirname, '..', 'lib', 'guest', 'bake-runner-image.sh'), 'utf8')).toContain('systemctl enable "$JIT_UNIT" "$REGISTER_UNIT"');
    expect(readFileSync(join(__dirname, '..', 'lib', 'guest', 'bake-runner-image.sh'), 'utf8')).toContain(`REGISTER_UNIT=${REGISTER_UNIT_NAME}\n`);
  });

  test('each VM says on its serial console how its runner ended (a deprecated one holds the VM): the report script and unit, and the console logged', () => {
    const { objects } = build();
    const config = cloudConfigOf(named(objects, 'Secret', 'warm-cloud-init'));
    expect(config.write_files.find((f: any) => f.path === REPORT_EXIT_SCRIPT_PATH)).toEqual({
      path: REPORT_EXIT_SCRIPT_PATH, owner: 'root:root', permissions: '0755', content: readGuestFile('report-runner-exit.sh'),
    });
    expect(config.write_files.find((f: any) => f.path === REPORT_EXIT_UNIT_PATH)).toEqual({
      path: REPORT_EXIT_UNIT_PATH, owner: 'root:root', permissions: '0644', content: readGuestFile('report-runner-exit.service'),
    });
    expect(named(objects, 'VirtualMachinePool', 'warm').spec.virtualMachineTemplate.spec.template.spec.domain.devices.logSerialConsole).toBe(true);
    // Only a warm pool's VMs run it: a baked image's bake VM gets neither.
    const bake = cloudConfigOf(objects.find((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-bake'))!);
    expect(bake.write_files.map((f: any) => f.path)).not.toContain(REPORT_EXIT_SCRIPT_PATH);
  });

  test('with a token refresher no human creates tokens; the output is valid', () => {
    const { objects } = build({ tokenRefresher: { githubCredentialsSecret: 'github-app', deleteOfflineRunners: true } });
    const cron = named(objects, 'CronJob', 'warm-refresher');
    const config = JSON.parse(named(objects, 'ConfigMap', cron.spec.jobTemplate.spec.template.spec.volumes[0].configMap.name).data['config.json']);
    expect(config).toMatchObject({ secretName: 'ci-runner-token', deleteOfflineRunnersPrefix: 'warm' });
    // It also reads the pool's VMs' consoles for a deprecated runner (test/cluster/token-refresher-warm-pool.test.ts): pods by label, their logs, the pool.
    expect(config.warmPool).toEqual({ pool: 'warm', podSelector: 'kubevirt.io=virt-launcher,cdk8s-kubevirt-runners/fleet=warm-pool.warm' });
    expect(named(objects, 'Role', 'warm-refresher').rules.slice(2)).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], resourceNames: ['warm'], verbs: ['get'] },
    ]);
    expect(validateObjects(objects.map((object) => ({ file: 'warm.yaml', object })), {}).map(formatFinding)).toEqual([]);
    expect(ofKind(objects, 'VirtualMachinePool')[0].metadata.annotations).toBeUndefined();
  });

  test('without a refresher, the token Secret is declared external and the output is valid', () => {
    const { objects } = build();
    expect(named(objects, 'VirtualMachinePool', 'warm').metadata.annotations).toEqual({ 'cdk8s-kubevirt-runners/external-secrets': 'ci-runner-token' });
    expect(validateObjects(objects.map((object) => ({ file: 'warm.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test('an image cloned per job cannot serve a warm pool', () => {
    expect(() => build({}, ImageSharing.CLONE_PER_JOB)).toThrow("RunnerWarmPool 'runnerImage' must be shared (ImageSharing.SHARED)");
  });

  test.each([
    [{ replicas: -1 }, "RunnerWarmPool 'replicas' must be an integer from 0 to 10000, got -1"],
    [{ runnerLabels: ['-x'] }, "RunnerWarmPool 'runnerLabels' label \"-x\""],
    [{ url: 'https://github.com/a/b/c' }, "RunnerWarmPool 'url' must name an owner"],
    [{ name: 'x'.repeat(42) }, "RunnerWarmPool 'name' must be a DNS-1123 label"],
    [{ tokenRefresher: { githubCredentialsSecret: 'ci-runner-token' } }, "RunnerWarmPool 'tokenRefresher.githubCredentialsSecret' must not be the token Secret"],
    [{ memory: '100Mi' }, "RunnerWarmPool 'memory' must be at least 1Gi"],
  ])('rejects %j', (props, message) => {
    expect(() => build(props as Partial<RunnerWarmPoolProps>)).toThrow(message);
  });

  describe('VM options', () => {
    test('every option reaches the VM template; Docker gets an emptyDisk; the output stays valid', () => {
      const { objects } = build({ ...ALL_VM_OPTIONS, dockerDataDisk: { size: '60Gi' } });
      const pool = named(objects, 'VirtualMachinePool', 'warm');
      const template = pool.spec.virtualMachineTemplate.spec.template;
      expect(template.metadata.labels['cdk8s-kubevirt-runners/fleet']).toBe('warm-pool.warm');
      // The selector is unchanged: a pool's selector cannot change after it was applied.
      expect(pool.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'warm', 'app.kubernetes.io/component': 'warm-runner' });
      expectAllVmOptions(template.spec, 'warm-pool.warm', 'actions-runner');
      expectDockerEmptyDisk(template.spec, '60Gi');
      expect(pool.spec.virtualMachineTemplate.spec.dataVolumeTemplates).toBeUndefined();
      expect(validateObjects(objects.map((object) => ({ file: 'warm.yaml', object })), {}).map(formatFinding)).toEqual([]);
    });

    test('a one-job Docker disk only has a size', () => {
      expect(() => build({ dockerDataDisk: { size: '60Gi', storageClassName: 'fast' } }))
        .toThrow("RunnerWarmPool 'dockerDataDisk.storageClassName' does not apply: a one-job VM's Docker disk is an emptyDisk");
      expect(() => build({ spreadAcrossNodes: 'no' as unknown as boolean })).toThrow("RunnerWarmPool 'spreadAcrossNodes' must be true or false");
    });

    // The inline keys and Docker of a warm pool's VMs are baked into its image.
    const withImage = (imageProps: RunnerImageProps, props: Partial<RunnerWarmPoolProps>) => {
      const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
      const image = new RunnerImage(chart, 'image', { name: 'ci-image', ...imageProps });
      return new RunnerWarmPool(chart, 'warm', { url: 'https://github.com/acme', runnerImage: image, replicas: 1, tokenSecretName: 't', name: 'warm', ...props });
    };

    test('SSH keys from a Secret are refused when the image has inline keys (the guest agent would overwrite them)', () => {
      expect(() => withImage({ sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0000000000000000000000000000000000000000000 ops'] }, { sshPublicKeysSecret: 'ci-ssh-keys' }))
        .toThrow("RunnerWarmPool 'sshPublicKeysSecret' cannot be used with RunnerImage 'sshAuthorizedKeys': KubeVirt's guest agent replaces");
      expect(() => withImage({}, { sshPublicKeysSecret: 'ci-ssh-keys' })).not.toThrow();
    });

    test('a Docker disk is refused when the image has no Docker (nothing would mount it)', () => {
      expect(() => withImage({ docker: false }, { dockerDataDisk: { size: '20Gi' } }))
        .toThrow("RunnerWarmPool 'dockerDataDisk' would be ignored: RunnerImage 'docker' is false, so nothing mounts the disk");
      expect(() => withImage({}, { dockerDataDisk: { size: '20Gi' } })).not.toThrow();
    });
  });

  describe('activeHours', () => {
    const BERLIN = { start: '0 7 * * 1-5', end: '0 19 * * 1-5', timeZone: 'Europe/Berlin' };
    const podOf = (cron: K8sObject) => cron.spec.jobTemplate.spec.template.spec;
    /** The config file the CronJob's container runs the scaler with, parsed from the ConfigMap it mounts. */
    const configOf = (objects: K8sObject[], cron: K8sObject) => {
      const file = podOf(cron).containers[0].command[2].replace('/etc/pool-scaler/', '');
      return JSON.parse(named(objects, 'ConfigMap', podOf(cron).volumes[0].configMap.name).data[file]);
    };

    test('off by default: no CronJob, no scaler', () => {
      const { objects, pool } = build();
      expect(ofKind(objects, 'CronJob').map((c) => c.metadata.name)).toEqual(['ci-image-refresh']);
      expect(objects.filter((o) => o.metadata.name.startsWith('warm-scale'))).toEqual([]);
      expect(pool.scaleUpCronJob).toBeUndefined();
    });

    test('weekdays 07:00-19:00 in Berlin: a CronJob to replicas at the start, one to 0 at the end, in that time zone', () => {
      // Image refresh off: the snapshot predates it.
      const { objects, pool } = build({ activeHours: BERLIN }, ImageSharing.SHARED, false);
      const up = named(objects, 'CronJob', 'warm-scale-up');
      const down = named(objects, 'CronJob', 'warm-scale-down');
      expect(up.spec).toMatchObject({ schedule: '0 7 * * 1-5', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
      expect(down.spec).toMatchObject({ schedule: '0 19 * * 1-5', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
      expect(configOf(objects, up)).toEqual({ pool: 'warm', replicas: 3 });
      expect(configOf(objects, down)).toEqual({ pool: 'warm', replicas: 0 });
      // The pool's namespace, and the pod's name and uid for a failure's Event.
      expect(podOf(up).containers[0].env.map((e: any) => [e.name, e.valueFrom.fieldRef.fieldPath]))
        .toEqual([['POD_NAME', 'metadata.name'], ['POD_NAMESPACE', 'metadata.namespace'], ['POD_UID', 'metadata.uid']]);
      expect(pool.scaleUpCronJob?.name).toBe('warm-scale-up');
      expect(pool.scaleDownCronJob?.name).toBe('warm-scale-down');
      // The pool is always synthesized at its active-hours size: the same output whenever it is synthesized.
      expect(named(objects, 'VirtualMachinePool', 'warm').spec.replicas).toBe(3);
      expect(objects.filter((o) => ['CronJob', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap'].includes(o.kind))).toMatchSnapshot();
    });

    test('the pool-scaler bundle and its two configs in a ConfigMap, run by the pinned node image as a non-root user with nothing else mounted', () => {
      const { objects } = build({ activeHours: { ...BERLIN, offHoursReplicas: 1, containerImage: 'registry.example/node:26-alpine' } });
      expect(named(objects, 'ConfigMap', 'warm-scaler').data).toEqual({
        'pool-scaler.js': clusterBundle('pool-scaler'),
        'scale-up.json': '{\n  "pool": "warm",\n  "replicas": 3\n}\n',
        'scale-down.json': '{\n  "pool": "warm",\n  "replicas": 1\n}\n',
      });
      const down = named(objects, 'CronJob', 'warm-scale-down');
      const pod = podOf(down);
      expect(pod).toMatchObject({ serviceAccountName: 'warm-scaler', restartPolicy: 'Never', securityContext: { runAsNonRoot: true, runAsUser: 1000 } });
      expect(pod.containers[0]).toMatchObject({
        image: 'registry.example/node:26-alpine',
        command: ['node', '/etc/pool-scaler/pool-scaler.js', '/etc/pool-scaler/scale-down.json'],
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      });
      expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'warm-scaler' } }]);
      expect(podOf(named(build({ activeHours: BERLIN }).objects, 'CronJob', 'warm-scale-up')).containers[0].image).toBe(DEFAULT_NODE_IMAGE);
    });

    test('its ServiceAccount may only get and patch (the script never updates) the scale of this one pool, and create Events', () => {
      const { objects } = build({ activeHours: BERLIN });
      expect(named(objects, 'Role', 'warm-scaler').rules).toEqual([
        { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools/scale'], resourceNames: ['warm'], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ]);
      expect(named(objects, 'RoleBinding', 'warm-scaler')).toMatchObject({
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'warm-scaler' },
        subjects: [{ kind: 'ServiceAccount', name: 'warm-scaler', namespace: 'ci' }],
      });
    });

    test('the output is valid (schemas and fleet checks), with a refresher too; UTC by default', () => {
      const { objects } = build({
        activeHours: { start: '30 6 * * MON-FRI', end: '0 20 * * MON-FRI' }, tokenRefresher: { githubCredentialsSecret: 'github-app' }, name: 'x'.repeat(41),
      });
      expect(named(objects, 'CronJob', `${'x'.repeat(41)}-scale-down`).spec.timeZone).toBe('Etc/UTC');
      expect(validateObjects(objects.map((object) => ({ file: 'warm.yaml', object })), {}).map(formatFinding)).toEqual([]);
    });

    test('for GitOps tools that take spec.replicas back (README): the escape hatch leaves it to the CronJobs, and the output stays valid', () => {
      const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
      const image = new RunnerImage(chart, 'image', { name: 'ci-image', sharing: ImageSharing.SHARED });
      const pool = new RunnerWarmPool(chart, 'warm', { url: 'https://github.com/acme', runnerImage: image, replicas: 3, tokenSecretName: 't', name: 'warm', activeHours: BERLIN });
      pool.apiObject.addJsonPatch(JsonPatch.remove('/spec/replicas'));
      const objects = synth(chart);
      expect(named(objects, 'VirtualMachinePool', 'warm').spec.replicas).toBeUndefined();
      expect(validateObjects(objects.map((object) => ({ file: 'warm.yaml', object })), {}).map(formatFinding)).toEqual([]);
    });

    test.each([
      [{ start: '0 7 * * 1-5' }, "RunnerWarmPool 'activeHours.end' must be a cron schedule of five fields such as '0 19 * * 1-5', got undefined"],
      [{ ...BERLIN, start: '0 25 * * 1-5' }, "RunnerWarmPool 'activeHours.start' must be a cron schedule of five fields such as '0 7 * * 1-5', got \"0 25 * * 1-5\": the hour field \"25\" is out of 0-23"],
      [{ ...BERLIN, end: '0 19 * * 1-7' }, "RunnerWarmPool 'activeHours.end' must be a cron schedule of five fields such as '0 19 * * 1-5', got \"0 19 * * 1-7\": the day of week field \"1-7\" is out of 0-6 (or SUN-SAT)"],
      [{ ...BERLIN, end: '0 19 * * 5-1' }, 'has a range that runs backwards'],
      [{ ...BERLIN, start: 'TZ=UTC 0 7 * * *' }, "RunnerWarmPool 'activeHours.start' must be a cron schedule"],
      [{ ...BERLIN, start: '0 7 * * 1-5 ; reboot' }, "RunnerWarmPool 'activeHours.start' must be a cron schedule"],
      [{ ...BERLIN, end: '0 7 * * 1-5' }, "RunnerWarmPool 'activeHours.end' must differ from 'activeHours.start', got \"0 7 * * 1-5\" for both"],
      [{ ...BERLIN, timeZone: 'Europe/Berlín' }, "RunnerWarmPool 'activeHours.timeZone' must be an IANA time zone name such as 'Europe/Berlin' or 'Etc/UTC', got \"Europe/Berlín\""],
      [{ ...BERLIN, timeZone: 'europe/berlin' }, 'got "europe/berlin" (spelt "Europe/Berlin")'],
      [{ ...BERLIN, timeZone: 'Local' }, "RunnerWarmPool 'activeHours.timeZone' must be an IANA time zone name"],
      [{ ...BERLIN, timeZone: '+01:00' }, "RunnerWarmPool 'activeHours.timeZone' must be an IANA time zone name"],
      [{ ...BERLIN, timeZone: 'Mars/Olympus_Mons' }, "RunnerWarmPool 'activeHours.timeZone' must be an IANA time zone name"],
      [{ ...BERLIN, offHoursReplicas: 3 }, "RunnerWarmPool 'activeHours.offHoursReplicas' must be an integer from 0 to 2 (less than 'replicas'), got 3"],
      [{ ...BERLIN, offHoursReplicas: -1 }, "RunnerWarmPool 'activeHours.offHoursReplicas' must be an integer from 0 to 2"],
      [{ ...BERLIN, containerImage: 'node:latest' }, "RunnerWarmPool 'activeHours.containerImage' must be a pinned image reference"],
    ])('rejects activeHours %j', (activeHours, message) => {
      expect(() => build({ activeHours } as Partial<RunnerWarmPoolProps>)).toThrow(message);
    });

    test('needs a pool that is ever active', () => {
      expect(() => build({ replicas: 0, activeHours: BERLIN })).toThrow("RunnerWarmPool 'activeHours' needs 'replicas' of at least 1 (the size during active hours), got 0");
    });

    test('random schedules, time zones and sizes (fast-check): an error naming activeHours, or CronJobs the validator accepts', () => {
      const often = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
      const badField = fc.oneof(
        fc.constantFrom('?', '5-1', '0/0', 'TZ=UTC', 'FOO', '', '1;2', '$(id)'),
        fc.integer({ min: 24, max: 99 }).map(String),
      );
      const cron = fc.oneof(
        {
          arbitrary: fc.tuple(
            often(fc.oneof(fc.integer({ min: 0, max: 59 }).map(String), fc.constant('*/15')), badField),
            often(fc.oneof(fc.integer({ min: 0, max: 23 }).map(String), fc.constant('6-18')), badField),
            often(fc.constantFrom('*', '?', '1,15', '1-7'), badField),
            often(fc.constantFrom('*', 'JAN-MAR', '1-12', 'dec'), badField),
            often(fc.constantFrom('*', '1-5', 'MON-FRI', 'sun', '0,6', '?'), badField),
          ).map((f) => f.join(' ')),
          weight: 12,
        },
        { arbitrary: fc.constantFrom('@daily', '@every 2h', '@reboot', '0 7 * * 1-5; reboot', '0 7 * * * *', '0 7 * *'), weight: 1 },
      );
      const timeZone = often(fc.constantFrom(undefined, 'Europe/Berlin', 'Etc/UTC', 'US/Pacific', 'America/Argentina/Buenos_Aires'),
        fc.constantFrom('europe/berlin', 'Local', '+01:00', 'Mars/Base', 'UTC ', ''));
      let accepted = 0;
      let rejected = 0;
      fc.assert(fc.property(cron, cron, timeZone, often(fc.integer({ min: 0, max: 2 }), fc.constantFrom(-1, 3, 1.5)), (start, end, zone, offHoursReplicas) => {
        let objects: K8sObject[];
        try {
          objects = build({ activeHours: { start, end, timeZone: zone, offHoursReplicas } }).objects;
        } catch (e) {
          expect((e as Error).message).toMatch(/^RunnerWarmPool 'activeHours(\.(start|end|timeZone|offHoursReplicas))?' /);
          rejected++;
          return;
        }
        accepted++;
        const cronJobs = ofKind(objects, 'CronJob').filter((c) => c.metadata.name.startsWith('warm-scale-'));
        expect(cronJobs.map((c) => [c.spec.schedule, c.spec.timeZone])).toEqual([[start, zone ?? 'Etc/UTC'], [end, zone ?? 'Etc/UTC']]);
        // With the scaler's Role and its pool: the validator checks that the Role lets the CronJobs scale it.
        const scaler = objects.filter((o) => ['CronJob', 'Role', 'RoleBinding', 'ServiceAccount', 'ConfigMap', 'VirtualMachinePool', 'NetworkPolicy', 'Secret', 'DataVolume'].includes(o.kind));
        expect(validateObjects(scaler.map((object) => ({ file: 'warm.yaml', object }))).map(formatFinding)).toEqual([]);
      }), { seed: 20261128, numRuns: 200 });
      if (process.env.PROPERTY_STATS) console.log(`activeHours: ${accepted} accepted, ${rejected} rejected`);
      // Both paths must really be exercised.
      expect(accepted).toBeGreaterThan(40);
      expect(rejected).toBeGreaterThan(40);
    });

    test.each(['Etc/UTC', 'UTC', 'America/New_York', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires', 'Etc/GMT+1', 'US/Pacific'])('accepts the time zone %s', (timeZone) => {
      expect(named(build({ activeHours: { ...BERLIN, timeZone } }).objects, 'CronJob', 'warm-scale-up').spec.timeZone).toBe(timeZone);
    });

    test.each(['*/15 6-18 * * 1-5', '0 7 1,15 * *', '0 7 ? JAN-MAR MON', '@daily', '5/10 * * * *', '0 0 * * sun'])('accepts the schedule %s', (start) => {
      expect(named(build({ activeHours: { ...BERLIN, start } }).objects, 'CronJob', 'warm-scale-up').spec.schedule).toBe(start);
    });
  });
});
