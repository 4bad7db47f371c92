import { Testing } from 'cdk8s';
import {
  AccessMode, EXTERNAL_SECRETS_ANNOTATION, ImageSharing, OsImage, RunnerImage, RunnerImageProps, RunnerRelease, TaintEffect, TolerationOperator,
} from '../lib';
import { parse } from 'yaml';
import {
  BAKE_SCRIPT_PATH, JIT_SCRIPT_PATH, JIT_UNIT_PATH, REGISTER_SCRIPT_PATH, REGISTER_UNIT_PATH, REGISTER_WARM_POOL_DROP_IN_PATH, renderJobCloudConfig, RUNNER_UNIT_TEMPLATE_PATH,
  WARM_POOL_MARKER_PATH,
} from '../lib/render/cloud-config';
import { parseGuestSettings, RUNNER_SETTINGS_PATH } from '../lib/render/guest-settings';
import { CloudConfigSchema, formatFinding, validateObjects } from '../lib/validate';
import { cloudConfigOf, ofKind, synth, writtenFile } from './util';

function bake(props: RunnerImageProps = {}) {
  const chart = Testing.chart();
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', ...props });
  return { image, objects: synth(chart) };
}

describe('RunnerImage', () => {
  test('a baked volume, its bake cloud-config and a run-once bake VM, named by a hash of what goes in', () => {
    // Image refresh off: the snapshot predates refresh, so it shows that the output without it is unchanged, byte for byte.
    const { image, objects } = bake({ refresh: { enabled: false } });
    expect(image.volumeName).toMatch(/^ci-image-[0-9a-f]{10}$/);
    expect(image.readyVmiName).toBe(`${image.volumeName}-bake`);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      `DataVolume/${image.volumeName}`, `Secret/${image.readyVmiName}`, 'NetworkPolicy/ci-image-bake', `VirtualMachine/${image.readyVmiName}`,
    ]);
    const [volume, , , vm] = objects;
    expect(volume.spec.source.http.url).toContain('noble-server-cloudimg-amd64.img');
    expect(volume.spec.storage).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '50Gi' } } });
    expect(volume.metadata.annotations['cdi.kubevirt.io/storage.bind.immediate.requested']).toBe('true');
    expect(vm.spec.runStrategy).toBe('Once');
    expect(vm.spec.template.spec.volumes).toEqual([
      { name: 'rootdisk', dataVolume: { name: image.volumeName } },
      { name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: image.readyVmiName } } },
    ]);
    expect(vm.spec.template.spec.domain.resources.requests).toEqual({ cpu: '2', memory: '4Gi' });
    expect(objects).toMatchSnapshot();
  });

  test('the bake cloud-config installs the runner and the per-job unit, and runs the bake script last', () => {
    const { objects } = bake({ extraPackages: ['jq'] });
    const config = cloudConfigOf(ofKind(objects, 'Secret')[0]);
    expect(config.write_files.map((f: any) => f.path)).toEqual(expect.arrayContaining([
      RUNNER_SETTINGS_PATH, REGISTER_SCRIPT_PATH, BAKE_SCRIPT_PATH, JIT_SCRIPT_PATH, JIT_UNIT_PATH,
    ]));
    // The registration unit too, for the warm pools that boot the image, enabled by the bake script
    // and skipped by its drop-in wherever a warm pool's cloud-config wrote no marker.
    expect(config.write_files.map((f: any) => f.path)).toEqual(expect.arrayContaining([REGISTER_UNIT_PATH, RUNNER_UNIT_TEMPLATE_PATH, REGISTER_WARM_POOL_DROP_IN_PATH]));
    expect(writtenFile(config, REGISTER_WARM_POOL_DROP_IN_PATH)).toContain(`\n[Unit]\nConditionPathExists=${WARM_POOL_MARKER_PATH}\n`);
    expect(config.runcmd.at(-1)).toEqual([BAKE_SCRIPT_PATH]);
    expect(config.packages).toEqual(expect.arrayContaining(['git', 'docker-ce', 'jq']));
    const settings = parseGuestSettings(writtenFile(config, RUNNER_SETTINGS_PATH));
    expect(settings).toMatchObject({ tokenDiskSerial: 'RUNNERJIT', tokenFileName: 'jitToken', user: 'actions-runner', url: '' });
    expect(settings.sha256).toBe(RunnerRelease.latestKnown().sha256);
  });

  test('the output is valid: schemas, admission rules and cloud-config', () => {
    const { objects } = bake();
    expect(validateObjects(objects.map((object) => ({ file: 'image.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test('the bake VM can be placed on tainted nodes; the placement is not part of the hash; the output is valid', () => {
    const scheduling: RunnerImageProps = {
      nodeSelector: { 'node-role.kubernetes.io/ci': '' },
      tolerations: [{ key: 'dedicated', operator: TolerationOperator.EQUAL, value: 'ci', effect: TaintEffect.NO_SCHEDULE }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }] } } },
      priorityClassName: 'ci-runners',
    };
    const { image, objects } = bake(scheduling);
    const vmi = ofKind(objects, 'VirtualMachine')[0].spec.template.spec;
    expect(vmi.nodeSelector).toEqual({ 'node-role.kubernetes.io/ci': '' });
    expect(vmi.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' }]);
    expect(vmi.affinity).toEqual(scheduling.affinity);
    expect(vmi.priorityClassName).toBe('ci-runners');
    expect(vmi.topologySpreadConstraints).toBeUndefined();
    expect(vmi.readinessProbe).toBeUndefined();
    expect(image.volumeName).toBe(bake().image.volumeName);
    expect(validateObjects(objects.map((object) => ({ file: 'image.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test.each([
    [{ tolerations: [{ key: 'k', tolerationSeconds: 5 }] }, "RunnerImage 'tolerations[0].tolerationSeconds' only applies with effect NO_EXECUTE"],
    [{ nodeSelector: { zone: 'a b' } }, "RunnerImage 'nodeSelector' has an invalid value for label \"zone\""],
    [{ priorityClassName: 'High' }, "RunnerImage 'priorityClassName' must be a DNS-1123 subdomain"],
  ])('rejects scheduling %j', (props, message) => {
    expect(() => bake(props as RunnerImageProps)).toThrow(message);
  });

  test('same inputs, same name; any change to what is baked, a new name', () => {
    const name = (props: RunnerImageProps = {}) => bake(props).image.volumeName;
    expect(name()).toBe(name());
    const base = name();
    expect(name({ extraPackages: ['jq'] })).not.toBe(base);
    expect(name({ release: RunnerRelease.of('2.334.0', { downloadBaseUrl: 'https://mirror.internal/runner' }) })).not.toBe(base);
    expect(name({ size: '60Gi' })).not.toBe(base);
    expect(name({ baseOsImage: OsImage.debian12() })).not.toBe(base);
    // The bake VM's size does not change the image.
    expect(name({ bakeCpu: 4 })).toBe(base);
  });

  test('cloned per job: ReadWriteOnce storage', () => {
    const { image, objects } = bake({ sharing: ImageSharing.CLONE_PER_JOB });
    expect(image.sharing).toBe(ImageSharing.CLONE_PER_JOB);
    expect(ofKind(objects, 'DataVolume')[0].spec.storage.accessModes).toEqual([AccessMode.READ_WRITE_ONCE]);
  });

  test.each([
    [{ name: 'x'.repeat(48) }, "RunnerImage 'name' must be a DNS-1123 label"],
    [{ size: '2Gi' }, "RunnerImage 'size' must be at least 4Gi"],
    [{ sharing: 'sometimes' }, "RunnerImage 'sharing' must be one of shared, clone-per-job"],
    [{ baseOsImage: OsImage.blank() }, "RunnerImage 'baseOsImage' must hold an operating system"],
    [{ baseOsImage: OsImage.debian12({ arch: 'arm64' as never }) }, "RunnerImage 'baseOsImage' is arm64 but the runner release is x64"],
    [{ bakeMemory: '512Mi' }, "RunnerImage 'bakeMemory' must be at least 1Gi"],
    [{ user: 'root' }, "RunnerImage 'user' must be a new Linux user name"],
    [{ release: '2.334.0' }, "RunnerImage 'release' must be a RunnerRelease"],
  ])('rejects %j', (props, message) => {
    expect(() => bake(props as RunnerImageProps)).toThrow(message);
  });
});

describe('the user-data of a per-job VM booting the image', () => {
  test('is a valid cloud-config, small enough to go inline, and creates no user (not even the image\'s default one)', () => {
    const userData = renderJobCloudConfig();
    expect(new CloudConfigSchema().validate(userData)).toEqual([]);
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(2048);
    expect(parse(userData)).toEqual({ users: [], ssh_pwauth: false, ssh_genkeytypes: ['ed25519'], manage_etc_hosts: true });
  });
});

describe('RunnerImage: the guest\'s network options are baked in', () => {
  test('a CA from a Secret is a disk of the bake VM (serial RUNNERCA), declared external; the image name follows it', () => {
    const { image, objects } = bake({ caCertificatesFrom: { secret: 'corp-ca', key: 'ca.crt' }, proxy: { https: 'http://proxy:3128' } });
    const vm = ofKind(objects, 'VirtualMachine')[0];
    expect(vm.spec.template.spec.domain.devices.disks).toContainEqual({ name: 'runnerca', serial: 'RUNNERCA', disk: { bus: 'virtio', readonly: true } });
    expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'runnerca', secret: { secretName: 'corp-ca' } });
    expect(vm.metadata.annotations[EXTERNAL_SECRETS_ANNOTATION]).toBe('corp-ca');
    expect(validateObjects(objects.map((object) => ({ file: 'image.yaml', object })), {}).map(formatFinding)).toEqual([]);
    expect(bake({ caCertificatesFrom: { secret: 'other-ca', key: 'ca.crt' } }).image.hash).not.toBe(image.hash);
    const config = cloudConfigOf(ofKind(objects, 'Secret')[0]);
    expect(config.bootcmd[0].slice(3)).toEqual(['install-runner-ca', 'ca.crt']);
    expect(parseGuestSettings(writtenFile(config, RUNNER_SETTINGS_PATH))).toMatchObject({
      httpsProxy: 'http://proxy:3128', nodeExtraCaCerts: '/etc/ssl/certs/ca-certificates.crt',
    });
  });

  test('the Docker data disk\'s script, unit and drop-ins are baked in, for every VM that boots the image', () => {
    const config = cloudConfigOf(ofKind(bake().objects, 'Secret')[0]);
    const paths = config.write_files.map((f: any) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['/usr/local/sbin/mount-docker-data', '/etc/systemd/system/runner-docker-data.service',
      '/etc/systemd/system/docker.service.d/runner-docker-data.conf', '/etc/systemd/system/containerd.service.d/runner-docker-data.conf']));
    expect(writtenFile(config, '/etc/systemd/system/docker.service.d/runner-docker-data.conf')).toContain('[Unit]\nRequires=runner-docker-data.service\nAfter=runner-docker-data.service\n');
  });

  test('no CA disk without caCertificatesFrom', () => {
    const vm = ofKind(bake().objects, 'VirtualMachine')[0];
    expect(vm.spec.template.spec.domain.devices.disks.map((d: any) => d.name)).toEqual(['rootdisk', 'cloudinitdisk']);
  });
});
