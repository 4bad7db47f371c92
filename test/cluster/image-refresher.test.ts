import { CLUSTER_NODES } from './node-binaries';
import {
  REFRESHER_RULES, bake, putRefreshedImage, created, DVS, events, h, NS, OLDER, POD, POD_UID, pointer, poolImage, refresh, setUp, synthesized, tearDown, V0, V1, VMIS, VMS,
} from './image-refresher-harness';
import { fakeSha256, runnerReleaseBody } from './fake-github-releases';
import { refreshedVolumeName } from '../../lib/cluster/refresh/image-objects';

// The image refresher's run (lib/cluster/entries/image-refresher.ts, lib/cluster/refresh/): the
// release resolved from GitHub's releases API, the bake from the synthesized image's templates with
// the new runner package, the switch, and what a failure leaves: nothing changed, an Event, exit 1.

jest.setTimeout(60_000);

const decode = (secret: any) => Buffer.from(secret.data.userdata, 'base64').toString('utf8');

describe.each(CLUSTER_NODES)('the image refresher under $label', (clusterNode) => {
  beforeAll(() => {
    h.node = clusterNode;
  });
  afterEach(tearDown);

  describe('with a newer release published', () => {
    beforeEach(() => setUp([{ version: V0 }, { version: V1 }]));

    test('a refresh that succeeds: bakes the new runner from the templates, switches the pointer once, points the pool, records ImageRefreshed', async () => {
      const [run, vmName] = await Promise.all([refresh(), bake('Succeeded')]);

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const volume = vmName.replace(/-bake$/, '');
      expect(volume).toMatch(new RegExp(`^${synthesized.name}-[0-9a-f]{10}$`));
      expect(volume).toHaveLength(synthesized.volumeName.length);
      // Unauthenticated, one request to GitHub.
      expect(h.releases.requests.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`)).toEqual(['GET /repos/actions/runner/releases/latest']);
      expect(h.releases.requests[0].headers.authorization).toBeUndefined();

      const secret = h.kube.object('secrets', NS, vmName);
      const userData = decode(secret);
      const sha = fakeSha256(V1, 'linux-x64');
      expect(userData).toBe(synthesized.userData.split(synthesized.release.downloadUrl).join(`https://github.com/actions/runner/releases/download/v${V1}/actions-runner-linux-x64-${V1}.tar.gz`)
        .split(synthesized.release.sha256).join(sha).split(V0).join(V1));
      expect(userData).not.toContain(synthesized.release.sha256);
      const dv = h.kube.object(DVS, NS, volume);
      expect(dv.spec).toEqual(synthesized.dataVolume.spec);
      const labels = {
        'app.kubernetes.io/managed-by': 'kubevirt-runners-image-refresher', 'cdk8s-kubevirt-runners/image': 'ci-image',
        'cdk8s-kubevirt-runners/image-source': synthesized.source, 'cdk8s-kubevirt-runners/runner-version': V1,
      };
      for (const object of [secret, dv, h.kube.object(VMS, NS, vmName)]) {
        expect(object.metadata.labels).toMatchObject(labels);
        expect(object.metadata.labels['cdk8s-kubevirt-runners/baked-on']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(object.metadata.annotations['cdk8s-kubevirt-runners/runner-sha256']).toBe(sha);
        expect(object.metadata.ownerReferences).toBeUndefined();
        // Never pruned as one of the manifests' objects.
        expect(object.metadata.labels['app.kubernetes.io/instance']).toBeUndefined();
      }
      const vm = h.kube.object(VMS, NS, vmName);
      const volumes = vm.spec.template.spec.volumes;
      expect(volumes.find((v: any) => v.name === 'rootdisk')).toEqual({ name: 'rootdisk', dataVolume: { name: volume } });
      expect(volumes.find((v: any) => v.cloudInitNoCloud).cloudInitNoCloud).toEqual({ secretRef: { name: vmName } });
      expect(vm.spec.template.spec.hostname).toBe(vmName);
      // The bake's NetworkPolicy selects the VMI template's labels: the refreshed bake gets the same.
      expect(vm.spec.template.metadata).toEqual(synthesized.bakeVm.spec.template.metadata);
      expect(JSON.stringify(vm)).not.toContain(synthesized.volumeName);

      expect(pointer()).toEqual({ volumeName: volume, source: synthesized.source, runnerVersion: V1, bakedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
      expect(h.kube.requestsOf('POST', '/configmaps')).toHaveLength(1);
      expect(poolImage()).toBe(volume);
      const [patch] = h.kube.requestsOf('PATCH', '/virtualmachinepools/warm');
      expect(patch.headers['content-type']).toBe('application/json-patch+json');
      const path = '/spec/virtualMachineTemplate/spec/template/spec/volumes/0/ephemeral/persistentVolumeClaim/claimName';
      expect(JSON.parse(patch.body)).toEqual([{ op: 'test', path, value: synthesized.volumeName }, { op: 'replace', path, value: volume }]);
      // A watch, not polling: the bake VMI is never read by name.
      expect(h.kube.requestsOf('GET', `/virtualmachineinstances/${vmName}`)).toEqual([]);
      expect(h.kube.watchesOpened).toBeGreaterThanOrEqual(1);
      expect(events()).toEqual([expect.objectContaining({
        type: 'Normal', reason: 'ImageRefreshed', count: 1,
        involvedObject: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: synthesized.bakeVmName, namespace: NS, uid: h.kube.object(VMS, NS, synthesized.bakeVmName).metadata.uid },
        source: { component: 'kubevirt-runners-image-refresher' },
      })]);
      expect(events()[0].message).toContain(`${volume}: runner ${V1}`);
      expect(run.stdout).toContain(`switched the fleet to ${volume} (runner ${V1})`);
      // The synthesized image stays.
      expect(h.kube.object(DVS, NS, synthesized.volumeName)).toBeDefined();
    });

    test('a bake that fails changes nothing: what the run created is deleted, Warning Events on the image and the pod, exit 1', async () => {
      const [run, vmName] = await Promise.all([refresh(), bake('Failed')]);

      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^image-refresher: the bake of runner ${V1.replace(/\./g, '\\.')} into ${vmName.replace(/-bake$/, '')} failed: `
        + `VirtualMachineInstance ${NS}/${vmName} failed: reason PodFailed; .*; the fleet keeps ${synthesized.volumeName} \\(runner ${V0.replace(/\./g, '\\.')}\\), nothing else changed\n$`));
      expect(h.kube.object('secrets', NS, vmName)).toBeUndefined();
      expect(h.kube.object(DVS, NS, vmName.replace(/-bake$/, ''))).toBeUndefined();
      expect(h.kube.object(VMS, NS, vmName)).toBeUndefined();
      expect(pointer()).toBeUndefined();
      expect(poolImage()).toBe(synthesized.volumeName);
      expect(h.kube.requestsOf('PATCH')).toEqual([]);
      expect(events().map((e) => [e.type, e.reason, e.involvedObject.kind, e.involvedObject.name, e.involvedObject.uid])).toEqual([
        ['Warning', 'ImageRefreshFailed', 'VirtualMachine', synthesized.bakeVmName, h.kube.object(VMS, NS, synthesized.bakeVmName).metadata.uid],
        ['Warning', 'ImageRefreshFailed', 'Pod', POD, POD_UID],
      ]);
      expect(events()[0].message).toContain('failed: reason PodFailed');
    });

    test('a bake that does not finish within bakeTimeoutSeconds is deleted again; the message says where it was', async () => {
      const [run, vmName] = await Promise.all([refresh({ bakeTimeoutSeconds: 1 }), bake('hang')]);

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`the bake did not finish within 1s (bakeTimeoutSeconds): VirtualMachineInstance ${NS}/${vmName} is in phase Running`);
      expect(created(VMS)).toEqual([vmName]);
      expect(h.kube.object(VMS, NS, vmName)).toBeUndefined();
      expect(h.kube.object(DVS, NS, vmName.replace(/-bake$/, ''))).toBeUndefined();
      expect(pointer()).toBeUndefined();
    });

    test('an older pinned version is refused before anything is made', async () => {
      h.releases.setReleases([{ version: OLDER }, { version: V0 }, { version: V1 }]);
      const run = await refresh({ runnerVersion: OLDER });

      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`image-refresher: refusing the pinned runnerVersion ${OLDER}: ${OLDER} is older than ${V0}, the runner version in use; `
        + 'nothing was changed (the refresher never rolls a fleet back)\n');
      expect(h.releases.requests.map((r) => r.url)).toEqual([`/repos/actions/runner/releases/tags/v${OLDER}`]);
      expect(created(DVS)).toEqual([]);
      expect(events().map((e) => e.reason)).toEqual(['ImageRefreshFailed', 'ImageRefreshFailed']);
    });

    test('a pinned version that is not a release: GitHub\'s 404, refused', async () => {
      const run = await refresh({ runnerVersion: '2.999.0' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('cannot read release v2.999.0 of actions/runner');
      expect(run.stderr).toContain('HTTP 404: Not Found');
      expect(run.stderr).toContain('runnerVersion 2.999.0 is not a published release of actions/runner');
      expect(created(DVS)).toEqual([]);
    });
  });

  test('a Role without a permission the bake needs: the refusal explained, what was made deleted, exit 1', async () => {
    await setUp([{ version: V0 }, { version: V1 }], { rules: REFRESHER_RULES.map((r) => (r.resources?.includes('datavolumes') ? { ...r, verbs: ['get', 'list', 'delete'] } : r)) });
    const run = await refresh();

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^image-refresher: the bake of runner .* failed: cannot create DataVolume ci\/ci-image-[0-9a-f]{10}: HTTP 403 Forbidden: .*The pod's ServiceAccount may not create datavolumes in API group cdi\.kubevirt\.io: its Role needs that verb on that resource in namespace ci; the fleet keeps/);
    const [secret] = created('secrets');
    expect(h.kube.object('secrets', NS, secret)).toBeUndefined();
    expect(pointer()).toBeUndefined();
  });

  test('a switch the API server refuses: the baked image is deleted again, the fleet stays on its image, exit 1', async () => {
    await setUp([{ version: V0 }, { version: V1 }], { rules: REFRESHER_RULES.filter((r) => !(r.resources?.includes('configmaps') && r.verbs.includes('create'))) });
    const [run, vmName] = await Promise.all([refresh(), bake('Succeeded')]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot create ConfigMap ${NS}/ci-image-current: HTTP 403 Forbidden`);
    expect(run.stderr).toContain('The pod\'s ServiceAccount may not create configmaps: its Role needs that verb on that resource in namespace ci');
    expect(h.kube.object(VMS, NS, vmName)).toBeUndefined();
    expect(h.kube.object(DVS, NS, vmName.replace(/-bake$/, ''))).toBeUndefined();
    expect(pointer()).toBeUndefined();
    expect(poolImage()).toBe(synthesized.volumeName);
    expect(events().map((e) => e.reason)).toEqual(['ImageRefreshFailed', 'ImageRefreshFailed']);
  });

  test('a rerun after a run that stopped once its bake was made (the same inputs on the same day): the bake is taken over, not made again', async () => {
    await setUp([{ version: V0 }, { version: V1 }]);
    // Today's name, and tomorrow's for a run that crosses midnight.
    const days = [0, 1].map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10));
    const volumes = days.map((bakeDate) => refreshedVolumeName(synthesized.name, { source: synthesized.source, runnerVersion: V1, bakeDate }));
    for (const volume of volumes) putRefreshedImage(volume, V1, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    const run = await refresh();

    expect(run.code).toBe(0);
    const volume = pointer()!.volumeName;
    expect(volumes).toContain(volume);
    expect(run.stdout).toContain(`DataVolume ${NS}/${volume} exists from an earlier run of this bake: taking it over`);
    expect(run.stdout).toContain(`VirtualMachineInstance ${NS}/${volume}-bake phase Succeeded`);
    expect(h.kube.requestsOf('DELETE')).toEqual([]);
    expect(poolImage()).toBe(volume);
  });

  test('a release whose notes publish no checksum is refused: no bake, exit 1, an Event', async () => {
    await setUp([{ version: V0 }, { version: V1, body: runnerReleaseBody(V1, { 'linux-arm64': fakeSha256(V1, 'linux-arm64') }) }]);
    const run = await refresh();

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`image-refresher: refusing the latest release of actions/runner: the release notes of ${V1} publish no SHA-256 for `
      + `actions-runner-linux-x64-${V1}.tar.gz (no <!-- BEGIN SHA linux-x64 --> block with 64 hex digits); nothing was changed\n`);
    expect(created(DVS)).toEqual([]);
    expect(created('secrets')).toEqual([]);
    expect(pointer()).toBeUndefined();
    expect(events()[0]).toMatchObject({ type: 'Warning', reason: 'ImageRefreshFailed', involvedObject: { name: synthesized.bakeVmName } });
  });

  test('nothing newer: the latest release is the one in use; no bake, no write, exit 0', async () => {
    await setUp([{ version: OLDER }, { version: V0 }, { version: V1, prerelease: true }, { version: '9.0.0', draft: true }]);
    const run = await refresh();

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`image-refresher: nothing newer: the latest release of actions/runner is ${V0}, the runner version in use\n`);
    expect(h.kube.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(pointer()).toBeUndefined();
  });

  test('the runner in use is the pointer\'s when it was refreshed from the same inputs', async () => {
    await setUp([{ version: V0 }, { version: V1 }]);
    h.kube.put('configmaps', {
      metadata: { name: 'ci-image-current', namespace: NS },
      data: { volumeName: synthesized.volumeName, source: synthesized.source, runnerVersion: V1, bakedAt: '2026-12-01T03:00:00Z' },
    });
    const run = await refresh();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`nothing newer: the latest release of actions/runner is ${V1}, the runner version in use`);
    expect(created(DVS)).toEqual([]);
  });

  test('GitHub\'s rate limit: a short one waited out, a long one reported (the next run tries again)', async () => {
    await setUp([{ version: V0 }]);
    h.releases.inject({ rateLimit: 'secondary', seconds: 0, status: 429 });
    expect((await refresh()).code).toBe(0);
    expect(h.releases.requests).toHaveLength(2);

    h.releases.inject({ rateLimit: 'primary', seconds: 1800 });
    const run = await refresh();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot read the latest release of actions/runner');
    expect(run.stderr).toContain('HTTP 403: API rate limit exceeded for 127.0.0.1.');
    expect(run.stderr).toMatch(/the rate limit lifts in 1[78]\d\ds, later than this run waits: the next run will try again/);
  });

  test('a template that is not the synthesized image\'s bake is a configuration error (exit 2) before any request', async () => {
    await setUp([{ version: V0 }]);
    const run = await refresh({ volumeName: `${synthesized.name}-0123456789` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`configuration error: templates.dataVolumeFile ${h.dir}/datavolume.json must be the DataVolume ${synthesized.name}-0123456789 (volumeName)`);
    expect(h.kube.requests).toEqual([]);
    expect(h.releases.requests).toEqual([]);
  });

  test.each([
    ['keep', 11, 'keep must be a whole number from 0 to 10, got 11'],
    ['arch', 'arm', 'arch must be \'x64\' or \'arm64\', got "arm"'],
    ['runnerVersion', 'v2.335.0', 'runnerVersion must be a runner version x.y.z, got "v2.335.0"'],
    ['warmPools', ['warm', 'warm'], 'warmPools must not name a pool twice'],
  ])('config %s = %j: exit 2 naming the field', async (field, value, message) => {
    await setUp([{ version: V0 }]);
    const run = await refresh({ [field]: value });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  test('an API server that throttles the bake\'s watch (429, Retry-After 1 s, 200 times the retry base) is waited out within the bake timeout', async () => {
    await setUp([{ version: V0 }, { version: V1 }]);
    h.kube.inject('GET', VMIS, { status: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.', retryAfter: '1' }, { watch: true });
    const [run] = await Promise.all([refresh(), bake('Succeeded')]);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('(Retry-After 1.0s)');
    expect(h.kube.requests.filter((r) => r.url.includes(`/${VMIS}`) && r.url.includes('watch=1')).length).toBeGreaterThanOrEqual(2);
  });

  test('the bake VMI is never polled: one list and one watch of its name, resumed when the API server ends the watch', async () => {
    await setUp([{ version: V0 }, { version: V1 }]);
    const ending = (async () => {
      await h.kube.until(() => h.kube.openWatches > 0);
      h.kube.endWatches();
    })();
    const [run, vmName] = await Promise.all([refresh(), ending.then(() => bake('Succeeded'))]);

    expect(run.code).toBe(0);
    const selector = `fieldSelector=metadata.name%3D${vmName}`;
    const vmiRequests = h.kube.requests.filter((r) => r.url.includes(`/${VMIS}`)).map((r) => r.url.replace(/^.*\?/, '').replace(/&resourceVersion=\d+/, ''));
    expect(vmiRequests).toEqual([
      selector,
      `${selector}&watch=1&allowWatchBookmarks=true&timeoutSeconds=300`,
      `${selector}&watch=1&allowWatchBookmarks=true&timeoutSeconds=300`,
    ]);
  });
});
