import { Chart, Duration, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage, RunnerScaleSet, RunnerScaleSetProps } from '../lib';
import { clusterBundle } from '../lib/render/cluster-bundle';
import { formatFinding, validateObjects } from '../lib/validate';
import { K8sObject, ofKind, synth } from './util';
import { ALL_VM_OPTIONS, expectAllVmOptions, expectDockerEmptyDisk } from './vm-options';

function build(props: Partial<RunnerScaleSetProps> = {}, sharing = ImageSharing.SHARED, refresh = true) {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'arc-runners' });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', sharing, ...(refresh ? {} : { refresh: { enabled: false } }) });
  const scaleSet = new RunnerScaleSet(chart, 'runners', {
    url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image, name: 'kubevirt-vm', ...props,
  });
  return { image, scaleSet, objects: synth(chart) };
}

const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe('RunnerScaleSet', () => {
  test('an AutoscalingRunnerSet as ARC 0.15.0 (the default arcVersion) expects it', () => {
    // Image refresh off: the snapshot shows the output without it (the refresher's objects have their own tests).
    const { objects } = build({ runnerLabels: ['kubevirt', 'docker'], runnerGroup: 'vm runners', minRunners: 1, maxRunners: 5 }, ImageSharing.SHARED, false);
    const set = ofKind(objects, 'AutoscalingRunnerSet')[0];
    expect(set.apiVersion).toBe('actions.github.com/v1alpha1');
    expect(set.metadata.name).toBe('kubevirt-vm');
    expect(set.metadata.labels['app.kubernetes.io/version']).toBe('0.15.0');
    expect(set.metadata.annotations).toMatchObject({
      'actions.github.com/cleanup-manager-role-name': 'kubevirt-vm-gha-rs-manager',
      'actions.github.com/cleanup-manager-role-binding': 'kubevirt-vm-gha-rs-manager',
    });
    expect(set.spec).toMatchObject({
      githubConfigUrl: 'https://github.com/acme', githubConfigSecret: 'github-app', runnerScaleSetName: 'kubevirt-vm',
      runnerScaleSetLabels: ['kubevirt', 'docker'], runnerGroup: 'vm runners', minRunners: 1, maxRunners: 5,
    });
    const pod = set.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.serviceAccountName).toBe('kubevirt-vm-launcher');
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({
      name: 'runner', image: 'node:26.12.1-alpine', command: ['node', '/etc/arc-launcher/arc-launcher.js', '/etc/arc-launcher/config.json'],
    });
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    expect(env).toEqual({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', POD_UID: 'metadata.uid' });
    expect(JSON.parse(named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data['config.json'])).toEqual({
      vmiTemplateFile: '/etc/arc-launcher/vmi.json', imageReadyVmi: expect.stringMatching(/^ci-image-[0-9a-f]{10}-bake$/),
      bootTimeoutSeconds: 900, jobTimeoutSeconds: 86400, readRunnerExit: true,
    });
    expect(objects).toMatchSnapshot();
  });

  test('the manager RBAC of the chart, with the cleanup finalizer the AutoscalingRunnerSet names', () => {
    const { objects } = build({ controllerServiceAccount: { name: 'arc-controller', namespace: 'arc' } });
    const role = named(objects, 'Role', 'kubevirt-vm-gha-rs-manager');
    const binding = named(objects, 'RoleBinding', 'kubevirt-vm-gha-rs-manager');
    expect(role.metadata.finalizers).toEqual(['actions.github.com/cleanup-protection']);
    expect(binding.metadata.finalizers).toEqual(['actions.github.com/cleanup-protection']);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'arc-controller', namespace: 'arc' }]);
    expect(role.rules.map((r: any) => r.resources[0])).toEqual(['pods', 'pods/status', 'secrets', 'serviceaccounts', 'rolebindings', 'roles']);
  });

  test('the launcher may only create, watch and delete VMIs, own them by its pod (update on pods/finalizers, for OwnerReferencesPermissionEnforcement), read their serial console log, and record Events', () => {
    const { objects } = build();
    expect(named(objects, 'Role', 'kubevirt-vm-launcher').rules).toEqual([
      { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/finalizers'], verbs: ['update'] },
      // The runner's exit status: the VMI's virt-launcher pod (by its label) and its guest-console-log container.
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      // The job's steps in `kubectl get events`: create only.
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      // The refreshed image's pointer, by name, once per job.
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['ci-image-current'], verbs: ['get'] },
    ]);
    expect(JSON.parse(named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data['config.json']).imagePointer)
      .toEqual({ configMap: 'ci-image-current', source: build().image.hash });
    expect(named(build({}, ImageSharing.SHARED, false).objects, 'Role', 'kubevirt-vm-launcher').rules.map((r: any) => r.resources[0]))
      .toEqual(['virtualmachineinstances', 'pods/finalizers', 'pods', 'pods/log', 'events']);
    expect(named(objects, 'RoleBinding', 'kubevirt-vm-launcher').subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubevirt-vm-launcher', namespace: 'arc-runners' }]);
    expect(objects.some((o) => o.kind === 'Secret' && o.metadata.name.includes('github'))).toBe(false);
  });

  test('the ConfigMap ships the launcher and the per-job VMI template: a copy-on-write layer over the baked volume, the JIT Secret by serial', () => {
    const { image, objects } = build({ cpu: 8, memory: '32Gi' });
    const data = named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data;
    expect(data['arc-launcher.js']).toBe(clusterBundle('arc-launcher'));
    expect(Object.keys(data).sort()).toEqual(['arc-launcher.js', 'config.json', 'vmi.json']);
    const vmi = JSON.parse(data['vmi.json']);
    expect(vmi.kind).toBe('VirtualMachineInstance');
    expect(vmi.spec.volumes).toEqual([
      { name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName: image.volumeName, readOnly: true } } },
      { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '#cloud-config\nusers: []\nssh_pwauth: false\nssh_genkeytypes: [ed25519]\nmanage_etc_hosts: true\n' } },
      { name: 'jit', secret: { secretName: 'set-by-launcher' } },
    ]);
    expect(vmi.spec.domain.devices.disks.find((d: any) => d.name === 'jit')).toEqual({ name: 'jit', serial: 'RUNNERJIT', disk: { bus: 'virtio', readonly: true } });
    expect(vmi.spec.domain.resources.requests).toEqual({ cpu: '8', memory: '32Gi' });
    expect(vmi.spec.evictionStrategy).toBe('None');
    // The template is a valid VMI once the launcher names it.
    const named_ = { ...vmi, metadata: { ...vmi.metadata, name: 'kubevirt-vm-abcde-runner-x', namespace: 'arc-runners' } };
    expect(validateObjects([{ file: 'vmi.json', object: named_ }], { externalVolumes: [image.volumeName], externalSecrets: ['set-by-launcher'] }).map(formatFinding)).toEqual([]);
  });

  test('cloned per job: a DataVolume template and the rights to clone', () => {
    const { image, objects } = build({}, ImageSharing.CLONE_PER_JOB);
    const data = named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data;
    const dataVolume = JSON.parse(data['datavolume.json']);
    expect(dataVolume.spec.source).toEqual({ pvc: { namespace: 'arc-runners', name: image.volumeName } });
    expect(dataVolume.spec.storage).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
    expect(JSON.parse(data['vmi.json']).spec.volumes[0]).toEqual({ name: 'rootdisk', dataVolume: { name: 'set-by-launcher' } });
    expect(named(objects, 'Role', 'kubevirt-vm-launcher').rules.map((r: any) => r.resources[0]))
      .toEqual(['virtualmachineinstances', 'datavolumes', 'datavolumes/source', 'pods/finalizers', 'pods', 'pods/log', 'events', 'configmaps']);
    expect(JSON.parse(data['config.json']).dataVolumeTemplateFile).toBe('/etc/arc-launcher/datavolume.json');
  });

  test('the whole output, image included, is valid: schemas, admission and ARC rules', () => {
    const { objects } = build({ runnerLabels: ['gpu'] });
    expect(validateObjects(objects.map((object) => ({ file: 'ci.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test('timeouts and launcher image', () => {
    const { objects } = build({ bootTimeout: Duration.minutes(5), jobTimeout: Duration.hours(6), launcherContainerImage: 'registry.internal/node:26.12.1-alpine' });
    const container = ofKind(objects, 'AutoscalingRunnerSet')[0].spec.template.spec.containers[0];
    expect(container.image).toBe('registry.internal/node:26.12.1-alpine');
    expect(JSON.parse(named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data['config.json'])).toMatchObject({ bootTimeoutSeconds: 300, jobTimeoutSeconds: 21600 });
  });

  test('arcVersion labels every object for that controller, and changes nothing else', () => {
    const older = build({ arcVersion: '0.14.2' }).objects;
    const newer = build().objects;
    for (const object of older) expect(object.metadata.labels?.['app.kubernetes.io/version'] ?? '0.14.2').toBe('0.14.2');
    expect(older.filter((o) => o.metadata.labels?.['app.kubernetes.io/version'] === '0.14.2').map((o) => o.kind).sort())
      .toEqual(['AutoscalingRunnerSet', 'ConfigMap', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'ServiceAccount']);
    const relabel = (objects: K8sObject[]) => JSON.stringify(objects).split('"app.kubernetes.io/version":"0.14.2"').join('"app.kubernetes.io/version":"0.15.0"');
    expect(relabel(older)).toBe(JSON.stringify(newer));
    expect(validateObjects(older.map((object) => ({ file: 'a.yaml', object })), { externalSecrets: ['github-app'] }).map(formatFinding)).toEqual([]);
  });

  test.each([
    [{ name: 'a'.repeat(45) }, "RunnerScaleSet 'name' must be a DNS-1123 label", 'at most 44 characters'],
    [{ minRunners: 3, maxRunners: 2 }, "RunnerScaleSet 'maxRunners' must be at least 'minRunners' (3), got 2", undefined],
    [{ maxRunners: 0 }, "RunnerScaleSet 'maxRunners' must be an integer from 1 to 10000, got 0", undefined],
    [{ minRunners: -1 }, "RunnerScaleSet 'minRunners' must be an integer from 0 to 10000, got -1", undefined],
    [{ url: 'https://github.com/acme/app/issues' }, "RunnerScaleSet 'url' must name an owner", undefined],
    [{ githubCredentialsSecret: 'GitHub App' }, "RunnerScaleSet 'githubCredentialsSecret' must be a DNS-1123 subdomain", undefined],
    [{ runnerLabels: ['--ephemeral'] }, "RunnerScaleSet 'runnerLabels' label \"--ephemeral\"", undefined],
    [{ launcherContainerImage: 'node' }, "RunnerScaleSet 'launcherContainerImage' must be a pinned image reference", undefined],
    [{ launcherContainerImage: 'node:latest' }, "RunnerScaleSet 'launcherContainerImage' must be a pinned image reference", undefined],
    [{ memory: '16' }, "RunnerScaleSet 'memory' must be at least 1Gi", undefined],
    [{ bootTimeout: Duration.millis(1500) }, "RunnerScaleSet 'bootTimeout' must be a Duration of whole seconds", undefined],
    [{ runnerImage: 'ubuntu' }, "RunnerScaleSet 'runnerImage' must be a RunnerImage", undefined],
    [{ controllerServiceAccount: { name: 'arc', namespace: 'ARC' } }, "RunnerScaleSet 'controllerServiceAccount.namespace' must be a DNS-1123 label", undefined],
    [{ arcVersion: '0.13.1' }, "RunnerScaleSet 'arcVersion' must be an actions-runner-controller release whose CRD the library knows ('0.14.2', '0.15.0'), got \"0.13.1\"", undefined],
    [{ arcVersion: '0.14.1' }, "got \"0.14.1\": the controller compares major.minor only, so '0.14.2' serves a 0.14.x controller", undefined],
    [{ arcVersion: 'v0.15.0' }, "RunnerScaleSet 'arcVersion' must be an actions-runner-controller release", undefined],
  ])('rejects %j', (props, message, more) => {
    expect(() => build(props as Partial<RunnerScaleSetProps>)).toThrow(message);
    if (more) expect(() => build(props as Partial<RunnerScaleSetProps>)).toThrow(more);
  });

  test('an image in another namespace is refused', () => {
    const app = Testing.app();
    const image = new RunnerImage(new Chart(app, 'images', { namespace: 'images' }), 'image', {});
    expect(() => new RunnerScaleSet(new Chart(app, 'ci', { namespace: 'arc-runners' }), 'runners', {
      url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image,
    })).toThrow("RunnerScaleSet 'runnerImage' is in namespace images but the chart is in arc-runners");
  });

  describe('VM options', () => {
    test('every option reaches the per-job VMI template; Docker gets an emptyDisk; the template stays a valid VMI', () => {
      const { image, objects } = build({ ...ALL_VM_OPTIONS, dockerDataDisk: { size: '60Gi' } });
      const vmi = JSON.parse(named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data['vmi.json']);
      expect(vmi.metadata.labels['cdk8s-kubevirt-runners/fleet']).toBe('scale-set.kubevirt-vm');
      expectAllVmOptions(vmi.spec, 'scale-set.kubevirt-vm', 'actions-runner');
      expectDockerEmptyDisk(vmi.spec, '60Gi');
      const named_ = { ...vmi, metadata: { ...vmi.metadata, name: 'kubevirt-vm-abcde-runner-x', namespace: 'arc-runners' } };
      expect(validateObjects([{ file: 'vmi.json', object: named_ }], { externalVolumes: [image.volumeName], externalSecrets: ['set-by-launcher'] }).map(formatFinding)).toEqual([]);
    });

    test('defaults: spread across nodes by the fleet label, a readiness probe', () => {
      const vmi = JSON.parse(named(build().objects, 'ConfigMap', 'kubevirt-vm-launcher').data['vmi.json']);
      expect(vmi.spec.topologySpreadConstraints[0].labelSelector).toEqual({ matchLabels: { 'cdk8s-kubevirt-runners/fleet': 'scale-set.kubevirt-vm' } });
      expect(vmi.spec.readinessProbe.guestAgentPing).toEqual({});
    });

    test('bad values name the construct and prop', () => {
      expect(() => build({ priorityClassName: 'High' })).toThrow("RunnerScaleSet 'priorityClassName' must be a DNS-1123 subdomain");
      expect(() => build({ dockerDataDisk: { size: '60Gi', volumeMode: 'Block' } as any })).toThrow("RunnerScaleSet 'dockerDataDisk.volumeMode' does not apply");
    });
  });
});
