import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage, RunnerWarmPool, RunnerWarmPoolProps } from '../lib';
import { REGISTER_UNIT_NAME, WARM_POOL_MARKER_PATH } from '../lib/private/cloud-config';
import { parseGuestSettings, RUNNER_SETTINGS_PATH } from '../lib/private/guest-settings';
import { formatFinding, validateObjects } from '../lib/validate';
import { cloudConfigOf, K8sObject, ofKind, synth, writtenFile } from './util';
import { ALL_VM_OPTIONS, expectAllVmOptions, expectDockerEmptyDisk } from './vm-options';

function build(props: Partial<RunnerWarmPoolProps> = {}, sharing = ImageSharing.SHARED) {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', sharing, extraPackages: ['jq'] });
  const pool = new RunnerWarmPool(chart, 'warm', {
    url: 'https://github.com/acme', image, replicas: 3, tokenSecretName: 'ci-runner-token', name: 'warm', labels: ['warm'], ...props,
  });
  return { image, pool, objects: synth(chart) };
}

const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe('RunnerWarmPool', () => {
  test('a VirtualMachinePool of one-job VMs: the baked image on a copy-on-write layer, always restarted', () => {
    const { image, objects } = build();
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
    expect(config.runcmd.at(-1)).toEqual(['systemctl', 'enable', '--now', REGISTER_UNIT_NAME]);
  });

  test('with a token refresher no human creates tokens; the output is valid', () => {
    const { objects } = build({ tokenRefresher: { githubCredentialsSecret: 'github-app', deleteOfflineRunners: true } });
    const cron = named(objects, 'CronJob', 'warm-refresher');
    const env = Object.fromEntries(cron.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ REFRESHER_SECRET_NAME: 'ci-runner-token', REFRESHER_DELETE_OFFLINE_PREFIX: 'warm' });
    expect(validateObjects(objects.map((object) => ({ file: 'warm.yaml', object })), {}).map(formatFinding)).toEqual([]);
    expect(ofKind(objects, 'VirtualMachinePool')[0].metadata.annotations).toBeUndefined();
  });

  test('without a refresher, the token Secret is declared external and the output is valid', () => {
    const { objects } = build();
    expect(named(objects, 'VirtualMachinePool', 'warm').metadata.annotations).toEqual({ 'cdk8s-kubevirt-runners/external-secrets': 'ci-runner-token' });
    expect(validateObjects(objects.map((object) => ({ file: 'warm.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test('an image cloned per job cannot serve a warm pool', () => {
    expect(() => build({}, ImageSharing.CLONE_PER_JOB)).toThrow("RunnerWarmPool 'image' must be shared (ImageSharing.SHARED)");
  });

  test.each([
    [{ replicas: -1 }, "RunnerWarmPool 'replicas' must be an integer from 0 to 10000, got -1"],
    [{ labels: ['-x'] }, "RunnerWarmPool 'labels' label \"-x\""],
    [{ url: 'https://github.com/a/b/c' }, "RunnerWarmPool 'url' must name an owner"],
    [{ name: 'x'.repeat(43) }, "RunnerWarmPool 'name' must be a DNS-1123 label"],
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
  });
});
