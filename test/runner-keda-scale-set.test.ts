import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import { GitHubCredentialsKind, ImageSharing, RunnerImage, RunnerKedaScaleSet, RunnerKedaScaleSetProps } from '../lib';
import { formatFinding, validateObjects } from '../lib/validate';
import { FakeGitHubApi } from './cluster/fake-github-api';
import { FakeKube, FakeKubeOptions } from './cluster/fake-kube';
import { LauncherRun } from './cluster/launcher-run';
import { clusterBundle } from '../lib/render/cluster-bundle';
import { K8sObject, ofKind, synth } from './util';
import { ALL_VM_OPTIONS, expectAllVmOptions, expectDockerEmptyDisk } from './vm-options';

jest.setTimeout(30_000);

const NS = 'ci';

function build(props: Partial<RunnerKedaScaleSetProps> = {}, sharing = ImageSharing.SHARED, refresh = true) {
  const chart = new Chart(Testing.app(), 'ci', { namespace: NS });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', namespace: NS, sharing, ...(refresh ? {} : { refresh: { enabled: false } }) });
  const scaleSet = new RunnerKedaScaleSet(chart, 'runners', {
    url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image, name: 'kubevirt-vm', runnerLabels: ['kubevirt', 'docker'], ...props,
  });
  return { image, scaleSet, objects: synth(chart) };
}

const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const envOf = (container: any) => Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef?.fieldPath ?? e.valueFrom.secretKeyRef]));

describe('RunnerKedaScaleSet', () => {
  test('a ScaledJob scaled by the github-runner scaler: one launcher Job per queued job, minting its own JIT runner', () => {
    const { objects, scaleSet, image } = build({ runnerGroup: 'vm runners', maxRunners: 5 });
    expect(scaleSet.name).toBe('kubevirt-vm');
    expect(scaleSet.namespace).toBe(NS);
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`).filter((o) => !/^(DataVolume|Secret|VirtualMachine) /.test(o)).sort()).toEqual([
      'ConfigMap ci-image-refresh', 'ConfigMap kubevirt-vm-launcher', 'CronJob ci-image-refresh', 'NetworkPolicy ci-image-bake', 'NetworkPolicy kubevirt-vm',
      'Role ci-image-refresh', 'Role kubevirt-vm-launcher', 'RoleBinding ci-image-refresh', 'RoleBinding kubevirt-vm-launcher', 'ScaledJob kubevirt-vm',
      'ServiceAccount ci-image-refresh', 'ServiceAccount kubevirt-vm-launcher', 'TriggerAuthentication kubevirt-vm-github',
    ]);
    const job = ofKind(objects, 'ScaledJob')[0];
    expect(job.apiVersion).toBe('keda.sh/v1alpha1');
    expect(job.spec).toMatchObject({
      pollingInterval: 30, minReplicaCount: 0, maxReplicaCount: 5, rollout: { strategy: 'gradual' },
      successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 5, jobTargetRef: { backoffLimit: 0 },
    });
    expect(job.spec.triggers).toEqual([{
      type: 'github-runner',
      metadata: {
        githubApiURL: 'https://api.github.com', owner: 'acme', runnerScope: 'org', labels: 'kubevirt,docker', targetWorkflowQueueLength: '1',
        applicationIDFromEnv: 'GITHUB_APP_ID', installationIDFromEnv: 'GITHUB_APP_INSTALLATION_ID',
      },
      authenticationRef: { name: 'kubevirt-vm-github' },
    }]);
    const pod = job.spec.jobTargetRef.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.serviceAccountName).toBe('kubevirt-vm-launcher');
    expect(pod.securityContext.fsGroup).toBe(1000);
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(pod.volumes).toEqual([
      { name: 'config', configMap: { name: 'kubevirt-vm-launcher' } },
      { name: 'github-credentials', secret: { secretName: 'github-app', defaultMode: 0o440 } },
    ]);
    const [container] = pod.containers;
    expect(container.name).toBe('runner');
    expect(container.command).toEqual(['node', '/etc/mint-launcher/mint-launcher.js', '/etc/mint-launcher/config.json']);
    expect(container.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/mint-launcher', readOnly: true },
      { name: 'github-credentials', mountPath: '/etc/github-credentials', readOnly: true },
    ]);
    expect(envOf(container)).toEqual({
      POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', POD_UID: 'metadata.uid',
      GITHUB_APP_ID: { name: 'github-app', key: 'github_app_id' }, GITHUB_APP_INSTALLATION_ID: { name: 'github-app', key: 'github_app_installation_id' },
    });
    expect(JSON.parse(named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data['config.json'])).toEqual({
      vmiTemplateFile: '/etc/mint-launcher/vmi.json', imageReadyVmi: image.readyVmiName, bootTimeoutSeconds: 900, jobTimeoutSeconds: 86400,
      imagePointer: { configMap: 'ci-image-current', source: image.hash },
      github: { url: 'https://github.com/acme', credentialsDir: '/etc/github-credentials' },
      runnerLabels: ['kubevirt', 'docker'], runnerGroup: 'vm runners', idleTimeoutSeconds: 600, readRunnerExit: true,
    });
    expect(named(objects, 'TriggerAuthentication', 'kubevirt-vm-github').spec).toEqual({
      secretTargetRef: [{ parameter: 'appKey', name: 'github-app', key: 'github_app_private_key' }],
    });
  });

  test('a repository with a PAT on GHES: repo scope, repos, the GHES API, personalAccessToken', () => {
    const { objects } = build({ url: 'https://ghe.example.com/acme/app', githubCredentialsKind: GitHubCredentialsKind.PAT, pollingInterval: Duration.minutes(1) });
    const job = ofKind(objects, 'ScaledJob')[0];
    expect(job.spec.pollingInterval).toBe(60);
    expect(job.spec.triggers[0].metadata).toEqual({
      githubApiURL: 'https://ghe.example.com/api/v3', owner: 'acme', runnerScope: 'repo', repos: 'app', labels: 'kubevirt,docker', targetWorkflowQueueLength: '1',
    });
    expect(ofKind(objects, 'TriggerAuthentication')[0].spec.secretTargetRef).toEqual([{ parameter: 'personalAccessToken', name: 'github-app', key: 'github_token' }]);
    expect(Object.keys(envOf(job.spec.jobTargetRef.template.spec.containers[0]))).not.toContain('GITHUB_APP_ID');
  });

  test('an enterprise: ent scope, the slug as owner', () => {
    const { objects } = build({ url: 'https://github.com/enterprises/big' });
    expect(ofKind(objects, 'ScaledJob')[0].spec.triggers[0].metadata).toMatchObject({ owner: 'big', runnerScope: 'ent' });
  });

  test('the launcher Role: VMIs and their console log as the ARC launcher, update on pods/finalizers (blockOwnerDeletion), the image pointer (get, by name), Secrets (create, get, delete), Events (create)', () => {
    const { objects } = build();
    expect(named(objects, 'Role', 'kubevirt-vm-launcher').rules).toEqual([
      { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/finalizers'], verbs: ['update'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['ci-image-current'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'delete'] },
    ]);
    expect(named(objects, 'RoleBinding', 'kubevirt-vm-launcher').subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubevirt-vm-launcher', namespace: NS }]);
  });

  test('the ConfigMap ships the mint launcher\'s bundle, its config and the templates', () => {
    const { objects } = build({}, ImageSharing.CLONE_PER_JOB);
    const data = named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data;
    expect(Object.keys(data).sort()).toEqual(['config.json', 'datavolume.json', 'mint-launcher.js', 'vmi.json']);
    expect(data['mint-launcher.js']).toBe(clusterBundle('mint-launcher'));
    expect(JSON.parse(data['config.json']).dataVolumeTemplateFile).toBe('/etc/mint-launcher/datavolume.json');
    expect(JSON.parse(data['vmi.json']).spec.volumes.find((v: any) => v.name === 'jit')).toEqual({ name: 'jit', secret: { secretName: 'set-by-launcher' } });
  });

  test.each([ImageSharing.SHARED, ImageSharing.CLONE_PER_JOB])('the whole output (%s), image included, is valid: schemas and admission', (sharing) => {
    const { objects } = build({ runnerGroup: 'vm runners' }, sharing);
    expect(validateObjects(objects.map((object) => ({ file: 'ci.yaml', object })), {}).map(formatFinding)).toEqual([]);
  });

  test('timeouts', () => {
    const { objects } = build({ idleTimeout: Duration.minutes(3), bootTimeout: Duration.minutes(5), jobTimeout: Duration.hours(6) });
    const config = JSON.parse(named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data['config.json']);
    expect(config).toMatchObject({ idleTimeoutSeconds: 180, bootTimeoutSeconds: 300, jobTimeoutSeconds: 21600 });
  });

  test.each([
    [{ name: 'a'.repeat(51) }, "RunnerKedaScaleSet 'name' must be a DNS-1123 label"],
    [{ runnerLabels: [] }, "RunnerKedaScaleSet 'runnerLabels' must name at least one label"],
    [{ runnerLabels: undefined }, "RunnerKedaScaleSet 'runnerLabels' must name at least one label"],
    [{ runnerLabels: ['--ephemeral'] }, "RunnerKedaScaleSet 'runnerLabels' label \"--ephemeral\""],
    [{ url: 'https://github.com/acme/app', runnerGroup: 'vm' },
      "RunnerKedaScaleSet 'runnerGroup' \"vm\" needs an organization or enterprise URL; repository runners have no groups (url https://github.com/acme/app)"],
    [{ url: 'https://github.com/acme/app/issues' }, "RunnerKedaScaleSet 'url' must name an owner"],
    [{ githubCredentialsSecret: 'GitHub App' }, "RunnerKedaScaleSet 'githubCredentialsSecret' must be a DNS-1123 subdomain"],
    [{ githubCredentialsKind: 'oauth' }, "RunnerKedaScaleSet 'githubCredentialsKind' must be one of app, pat"],
    [{ maxRunners: 0 }, "RunnerKedaScaleSet 'maxRunners' must be an integer from 1 to 10000, got 0"],
    [{ idleTimeout: Duration.millis(1500) }, "RunnerKedaScaleSet 'idleTimeout' must be a Duration of whole seconds"],
    [{ pollingInterval: Duration.millis(10) }, "RunnerKedaScaleSet 'pollingInterval' must be a Duration of whole seconds"],
    [{ launcherContainerImage: 'node:latest' }, "RunnerKedaScaleSet 'launcherContainerImage' must be a pinned image reference"],
    [{ memory: '16' }, "RunnerKedaScaleSet 'memory' must be at least 1Gi"],
    [{ runnerImage: 'ubuntu' }, "RunnerKedaScaleSet 'runnerImage' must be a RunnerImage"],
  ])('rejects %j', (props, message) => {
    expect(() => build(props as Partial<RunnerKedaScaleSetProps>)).toThrow(message);
  });

  test('an image in another namespace is refused', () => {
    const app = Testing.app();
    const image = new RunnerImage(new Chart(app, 'images', { namespace: 'images' }), 'image', {});
    expect(() => new RunnerKedaScaleSet(new Chart(app, 'ci', { namespace: 'runners' }), 'runners', {
      url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image, runnerLabels: ['vm'],
    })).toThrow("RunnerKedaScaleSet 'runnerImage' is in namespace images but the chart is in runners");
  });
});

describe('the synthesized launcher in mint mode, as the ScaledJob runs it', () => {
  // The Job's pod as Kubernetes would start it: the ConfigMap's and the credentials Secret's files
  // where the container mounts them (under a test folder), the env with the downward API and the
  // secretKeyRefs resolved; the Kubernetes and GitHub APIs are the fakes.
  let dir: string;
  let api: FakeKube;
  let github: FakeGitHubApi;
  const run: LauncherRun[] = [];

  afterEach(async () => {
    for (const r of run.splice(0)) if (r.running) r.kill('SIGKILL');
    await api?.stop();
    await github?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The Job's pod as Kubernetes starts it, its launcher running against the fakes (with `kubeOptions`). */
  async function startPod(kubeOptions: Partial<FakeKubeOptions> = {}) {
    dir = mkdtempSync(join(tmpdir(), 'keda-launcher-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const credentials: Record<string, string> = { github_app_id: '1234', github_app_installation_id: '5678', github_app_private_key: pem };
    const token = `token-${randomUUID()}`;
    writeFileSync(join(dir, 'token'), token);
    const { objects, image } = build({ runnerGroup: 'vm runners' }, ImageSharing.SHARED);
    const podSpec = ofKind(objects, 'ScaledJob')[0].spec.jobTargetRef.template.spec;
    // RBAC from the Role the synthesized RoleBinding gives the pod's ServiceAccount.
    const binding = ofKind(objects, 'RoleBinding').find((b) => b.subjects.some((s: any) => s.name === podSpec.serviceAccountName))!;
    api = new FakeKube({ token, role: { namespace: NS, serviceAccount: podSpec.serviceAccountName, rules: named(objects, 'Role', binding.roleRef.name).rules }, ...kubeOptions });
    await api.start();
    github = new FakeGitHubApi({
      basePath: '', organizations: ['acme'], runnerGroups: { 'orgs/acme': [{ id: 1, name: 'Default' }, { id: 3, name: 'vm runners' }] },
      app: { issuer: '1234', publicKey, installationId: '5678', account: 'acme', permissions: { organization_self_hosted_runners: 'write' } },
    });
    await github.start();

    const configMap = named(objects, 'ConfigMap', 'kubevirt-vm-launcher');
    const [container] = podSpec.containers;
    const root = join(dir, 'pod');
    const mounted = (path: string) => join(root, path);
    for (const mount of container.volumeMounts) {
      const volume = podSpec.volumes.find((v: any) => v.name === mount.name);
      const files: Record<string, string> = volume.configMap ? configMap.data : credentials;
      expect(volume.configMap?.name ?? volume.secret.secretName).toBe(volume.configMap ? configMap.metadata.name : 'github-app');
      for (const [file, content] of Object.entries(files)) {
        mkdirSync(dirname(mounted(`${mount.mountPath}/${file}`)), { recursive: true });
        writeFileSync(mounted(`${mount.mountPath}/${file}`), content);
      }
    }
    const pod = { name: 'kubevirt-vm-x7k2p-9qv4d', uid: randomUUID() };
    const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': NS, 'metadata.uid': pod.uid };
    const env: Record<string, string> = { PATH: process.env.PATH! };
    for (const variable of container.env) {
      const value: string = variable.valueFrom?.fieldRef ? fields[variable.valueFrom.fieldRef.fieldPath]
        : variable.valueFrom?.secretKeyRef ? credentials[variable.valueFrom.secretKeyRef.key] : variable.value;
      env[variable.name] = value.startsWith('/') ? mounted(value) : value;
    }
    expect(readFileSync(mounted(container.command[1]), 'utf8')).toBe(clusterBundle('mint-launcher'));
    // The config as rendered, its paths moved under the test folder; the fakes' URLs and small delays added.
    const configFile = mounted(container.command[2]);
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, JSON.stringify({
      ...config, vmiTemplateFile: mounted(config.vmiTemplateFile), kubernetes: { apiUrl: api.url, tokenFile: join(dir, 'token') }, retryBaseDelayMs: 5,
      github: { ...config.github, apiUrl: github.url, credentialsDir: mounted(config.github.credentialsDir) },
    }));
    api.put('virtualmachineinstances', { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: image.readyVmiName, namespace: NS }, spec: { domain: { devices: {} } } });
    api.setStatus('virtualmachineinstances', NS, image.readyVmiName, { phase: 'Succeeded' });

    const launcher = new LauncherRun(mounted(container.command[1]), configFile, env);
    run.push(launcher);
    return { launcher, pod, image, token, pem };
  }

  test('mints the JIT runner with the rendered labels and group, boots the VMI from the rendered template, exits 0', async () => {
    const { launcher, pod, token, pem } = await startPod();
    await api.until(() => api.object('virtualmachineinstances', NS, pod.name) !== undefined);
    expect(github.jitRunners).toEqual([expect.objectContaining({ name: pod.name, scope: 'orgs/acme', runnerGroupId: 3, labels: ['kubevirt', 'docker'], workFolder: '_work' })]);
    const vmi = api.object('virtualmachineinstances', NS, pod.name);
    expect(vmi.spec.volumes.find((v: any) => v.name === 'jit').secret.secretName).toBe(`${pod.name}-jit`);
    expect(api.object('secrets', NS, `${pod.name}-jit`).metadata.ownerReferences[0].uid).toBe(pod.uid);
    api.setStatus('virtualmachineinstances', NS, pod.name, { phase: 'Running' });
    github.removeRunner('orgs/acme', github.jitRunners[0].id);
    api.setStatus('virtualmachineinstances', NS, pod.name, { phase: 'Succeeded' });
    expect(await launcher.exit).toBe(0);
    expect(api.object('virtualmachineinstances', NS, pod.name)).toBeUndefined();
    expect(api.violations).toEqual([]);
    expect(github.violations).toEqual([]);
    for (const output of [launcher.stdout, launcher.stderr]) {
      for (const value of [token, pem, ...github.issued]) expect(output).not.toContain(value);
    }
  });

  test('on OpenShift (OwnerReferencesPermissionEnforcement): the synthesized Role (update on pods/finalizers) lets the pod own its JIT Secret and VMI, exit 0', async () => {
    // The launcher sets blockOwnerDeletion on its objects' owner (the pod), which this admission
    // plugin allows only with `update` on pods/finalizers: the Role has it.
    const { launcher, pod } = await startPod({ ownerReferencesPermissionEnforcement: true });
    await api.until(() => api.object('virtualmachineinstances', NS, pod.name) !== undefined);
    expect(api.object('secrets', NS, `${pod.name}-jit`).metadata.ownerReferences[0]).toMatchObject({ uid: pod.uid, blockOwnerDeletion: true });
    // KubeVirt's virt-launcher pod, whose console log the synthesized Role may read: the runner exited 0.
    api.put('pods', {
      metadata: { name: `virt-launcher-${pod.name}-abcde`, namespace: NS, labels: { 'kubevirt.io/created-by': api.object('virtualmachineinstances', NS, pod.name).metadata.uid } },
      spec: { initContainers: [{ name: 'guest-console-log', image: 'virt-launcher' }], containers: [{ name: 'compute', image: 'virt-launcher' }] },
    });
    api.setContainerLog(NS, `virt-launcher-${pod.name}-abcde`, 'guest-console-log', 'kubevirt-runners: runner exited 0\n');
    api.setStatus('virtualmachineinstances', NS, pod.name, { phase: 'Running' });
    api.setStatus('virtualmachineinstances', NS, pod.name, { phase: 'Succeeded' });
    expect(await launcher.exit).toBe(0);
    expect(launcher.stderr).toBe('');
    expect(api.requestsOf('POST').map((r) => r.url).filter((url) => !url.endsWith('/events')))
      .toEqual([`/api/v1/namespaces/${NS}/secrets`, `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`]);
    // The synthesized Role lets the launcher record its Events: VmiCreated, VmiRunning, JobFinished.
    expect(api.requestsOf('POST', '/events').map((r) => JSON.parse(r.body).reason)).toEqual(['VmiCreated', 'VmiRunning', 'JobFinished']);
    expect(api.violations).toEqual([]);
  });

  describe('VM options', () => {
    test('every option reaches the per-job VMI template; Docker gets an emptyDisk; the template stays a valid VMI', () => {
      const { image, objects } = build({ ...ALL_VM_OPTIONS, dockerDataDisk: { size: '60Gi' } });
      const vmi = JSON.parse(named(objects, 'ConfigMap', 'kubevirt-vm-launcher').data['vmi.json']);
      expect(vmi.metadata.labels['cdk8s-kubevirt-runners/fleet']).toBe('keda.kubevirt-vm');
      expectAllVmOptions(vmi.spec, 'keda.kubevirt-vm', 'actions-runner');
      expectDockerEmptyDisk(vmi.spec, '60Gi');
      const named_ = { ...vmi, metadata: { ...vmi.metadata, name: 'kubevirt-vm-abcde-runner-x', namespace: NS } };
      expect(validateObjects([{ file: 'vmi.json', object: named_ }], { externalVolumes: [image.volumeName], externalSecrets: ['set-by-launcher'] }).map(formatFinding)).toEqual([]);
    });

    test('defaults: spread across nodes by the fleet label, a readiness probe', () => {
      const vmi = JSON.parse(named(build().objects, 'ConfigMap', 'kubevirt-vm-launcher').data['vmi.json']);
      expect(vmi.spec.topologySpreadConstraints[0].labelSelector).toEqual({ matchLabels: { 'cdk8s-kubevirt-runners/fleet': 'keda.kubevirt-vm' } });
      expect(vmi.spec.readinessProbe.guestAgentPing).toEqual({});
    });

    test('bad values name the construct and prop', () => {
      expect(() => build({ priorityClassName: 'High' })).toThrow("RunnerKedaScaleSet 'priorityClassName' must be a DNS-1123 subdomain");
      expect(() => build({ dockerDataDisk: { size: '60Gi', volumeMode: 'Block' } as any })).toThrow("RunnerKedaScaleSet 'dockerDataDisk.volumeMode' does not apply");
    });
  });
});
