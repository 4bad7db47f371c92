import { Chart, Testing } from 'cdk8s';
import { TEST_CA_PEM } from './network-fixtures';
import { K8sObject, synth } from './util';
import {
  ImageSharing, ProxyOptions, RunnerImage, RunnerKedaScaleSet, RunnerPool, RunnerScaleSet, RunnerSetupOptions, RunnerTokenRefresher, RunnerWarmPool,
} from '../lib';
import { formatFinding, validateObjects } from '../lib/validate';

// The in-cluster parts that talk to GitHub use the fleet's proxy and CA: the token refresher (pool,
// chart, warm pool), the KEDA launcher (mint mode) and ARC's AutoscalingRunnerSet.

const NS = 'ci';
const PROXY: ProxyOptions = { http: 'http://proxy.corp:3128', https: 'http://proxy.corp:3129', noProxy: ['.corp', '10.0.0.0/8'] };
const NO_PROXY = 'localhost,127.0.0.1,::1,.corp,10.0.0.0/8,.svc,.cluster.local';
const REFRESHER = { githubCredentialsSecret: 'github-app' };

const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const NO_PROXY_LIST = NO_PROXY.split(',');
/** The token refresher's config file, from the ConfigMap its pod mounts. */
const refresherConfig = (objects: K8sObject[], pod: any) => JSON.parse(named(objects, 'ConfigMap', pod.volumes[0].configMap.name).data['config.json']);
const envOf = (container: any): Record<string, unknown> => Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
const cronPod = (objects: K8sObject[], name: string) => named(objects, 'CronJob', name).spec.jobTemplate.spec.template.spec;
const valid = (objects: K8sObject[], externalSecrets: string[] = []) =>
  expect(validateObjects(objects.map((object) => ({ file: 'ci.yaml', object })), { externalSecrets }).map(formatFinding)).toEqual([]);

function chart() {
  return new Chart(Testing.app(), 'ci', { namespace: NS });
}

function image(c: Chart, setup: RunnerSetupOptions) {
  return new RunnerImage(c, 'image', { name: 'ci-image', namespace: NS, sharing: ImageSharing.SHARED, ...setup });
}

describe('the token refresher uses the fleet\'s proxy and CA', () => {
  test('RunnerPool: the https proxy and noProxy with the cluster\'s domains in its config (GitHub is https); inline CAs in its ConfigMap, NODE_EXTRA_CA_CERTS', () => {
    const c = chart();
    new RunnerPool(c, 'pool', {
      url: 'https://ghes.corp/acme', tokenSecretName: 'ci-token', replicas: 1, name: 'ci', proxy: PROXY, caCertificates: [TEST_CA_PEM], tokenRefresher: REFRESHER,
    });
    const objects = synth(c);
    const [container] = cronPod(objects, 'ci-refresher').containers;
    expect(envOf(container)).toEqual({
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } }, POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } }, POD_UID: { fieldRef: { fieldPath: 'metadata.uid' } },
      NODE_EXTRA_CA_CERTS: '/etc/token-refresher/ca-certificates.pem',
    });
    expect(refresherConfig(objects, cronPod(objects, 'ci-refresher')).github.proxy).toEqual({ url: 'http://proxy.corp:3129', noProxy: NO_PROXY_LIST });
    const data = named(objects, 'ConfigMap', 'ci-refresher').data;
    expect(Object.keys(data).sort()).toEqual(['ca-certificates.pem', 'config.json', 'token-refresher.js']);
    expect(data['ca-certificates.pem']).toBe(TEST_CA_PEM);
    // The Job that runs at once is the same pod.
    expect(objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0].env).toEqual(container.env);
    valid(objects, ['ci-token', 'github-app']);
  });

  test('no proxy, no CA: the pod is as before (no proxy variables, no CA file)', () => {
    const c = chart();
    new RunnerPool(c, 'pool', { url: 'https://github.com/acme', tokenSecretName: 'ci-token', replicas: 1, name: 'ci', tokenRefresher: REFRESHER });
    const objects = synth(c);
    const pod = cronPod(objects, 'ci-refresher');
    expect(Object.keys(envOf(pod.containers[0]))).not.toEqual(expect.arrayContaining(['HTTPS_PROXY']));
    expect(Object.keys(envOf(pod.containers[0])).filter((n) => /PROXY|CA_CERTS/.test(n))).toEqual([]);
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['config', 'github-credentials']);
    expect(Object.keys(named(objects, 'ConfigMap', 'ci-refresher').data).sort()).toEqual(['config.json', 'token-refresher.js']);
    expect(refresherConfig(objects, pod).github).toEqual({ url: 'https://github.com/acme', credentialsDir: '/etc/github-credentials' });
  });

  test('RunnerTokenRefresher on its own, CA from a Secret key: a volume of that key, NODE_EXTRA_CA_CERTS, the Secret declared external', () => {
    const c = chart();
    new RunnerTokenRefresher(c, 'refresher', {
      url: 'https://ghes.corp/acme', tokenSecretName: 'ci-token', name: 'refresher', ...REFRESHER,
      proxy: { https: 'http://proxy.corp:3129' }, caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' },
    });
    const objects = synth(c);
    const pod = cronPod(objects, 'refresher');
    expect(pod.volumes).toContainEqual({ name: 'extra-ca', secret: { secretName: 'corp-ca', items: [{ key: 'ca.pem', path: 'ca-certificates.pem' }], defaultMode: 0o444 } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'extra-ca', mountPath: '/etc/extra-ca', readOnly: true });
    expect(envOf(pod.containers[0])).toMatchObject({ NODE_EXTRA_CA_CERTS: '/etc/extra-ca/ca-certificates.pem' });
    expect(refresherConfig(objects, pod).github.proxy).toEqual({ url: 'http://proxy.corp:3129', noProxy: ['localhost', '127.0.0.1', '::1', '.svc', '.cluster.local'] });
    expect(named(objects, 'CronJob', 'refresher').metadata.annotations['cdk8s-kubevirt-runners/external-secrets']).toBe('github-app,corp-ca');
    valid(objects, ['ci-token']);
  });

  test('RunnerTokenRefresher: a proxy with credentials is refused, named by prop', () => {
    expect(() => new RunnerTokenRefresher(chart(), 'refresher', {
      url: 'https://github.com/acme', tokenSecretName: 'ci-token', ...REFRESHER, proxy: { https: 'http://user:pw@proxy.corp:3128' },
    })).toThrow(/RunnerTokenRefresher 'proxy.https' must not contain credentials/);
  });

  test('RunnerWarmPool: its image\'s proxy and CA (a ConfigMap key)', () => {
    const c = chart();
    const img = image(c, { proxy: PROXY, caCertificatesFrom: { configMap: 'corp-ca', key: 'ca.crt' } });
    new RunnerWarmPool(c, 'warm', { url: 'https://ghes.corp/acme', runnerImage: img, replicas: 1, tokenSecretName: 't', name: 'warm', tokenRefresher: REFRESHER });
    const objects = synth(c);
    const pod = cronPod(objects, 'warm-refresher');
    expect(envOf(pod.containers[0])).toMatchObject({ NODE_EXTRA_CA_CERTS: '/etc/extra-ca/ca-certificates.pem' });
    expect(refresherConfig(objects, pod).github.proxy).toEqual({ url: 'http://proxy.corp:3129', noProxy: NO_PROXY_LIST });
    expect(pod.volumes).toContainEqual({ name: 'extra-ca', configMap: { name: 'corp-ca', items: [{ key: 'ca.crt', path: 'ca-certificates.pem' }] } });
  });

  test('both inline CAs and a CA key: refused for the refresher (Node trusts one extra CA file), naming both props', () => {
    expect(() => new RunnerPool(chart(), 'pool', {
      url: 'https://ghes.corp/acme', tokenSecretName: 't', replicas: 1, tokenRefresher: REFRESHER,
      caCertificates: [TEST_CA_PEM], caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' },
    })).toThrow(/RunnerPool 'caCertificatesFrom' and RunnerPool 'caCertificates' are both set, but the token refresher trusts one extra CA file/);
    // Without a refresher, the guests alone take both.
    expect(() => new RunnerPool(chart(), 'pool', {
      url: 'https://ghes.corp/acme', tokenSecretName: 't', replicas: 1, caCertificates: [TEST_CA_PEM], caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' },
    })).not.toThrow();
  });
});

describe('the KEDA launcher (mint mode) uses its image\'s proxy and CA', () => {
  test('the proxy in its config.json, the CA in the launcher\'s ConfigMap; KEDA\'s trigger itself has no proxy or CA field', () => {
    const c = chart();
    const img = image(c, { proxy: PROXY, caCertificates: [TEST_CA_PEM] });
    new RunnerKedaScaleSet(c, 'runners', { url: 'https://ghes.corp/acme', githubCredentialsSecret: 'github-app', runnerImage: img, name: 'kvm', runnerLabels: ['kubevirt'] });
    const objects = synth(c);
    const pod = named(objects, 'ScaledJob', 'kvm').spec.jobTargetRef.template.spec;
    const env = envOf(pod.containers[0]);
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/etc/mint-launcher/ca-certificates.pem');
    expect(Object.keys(env).filter((name) => /proxy/i.test(name))).toEqual([]);
    const data = named(objects, 'ConfigMap', 'kvm-launcher').data;
    expect(data['ca-certificates.pem']).toBe(TEST_CA_PEM);
    expect(JSON.parse(data['config.json']).github).toEqual({
      url: 'https://ghes.corp/acme', credentialsDir: '/etc/github-credentials', proxy: { url: 'http://proxy.corp:3129', noProxy: NO_PROXY_LIST },
    });
  });

  test('a CA from a Secret: mounted, and declared external on the ScaledJob', () => {
    const c = chart();
    const img = image(c, { caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' } });
    new RunnerKedaScaleSet(c, 'runners', { url: 'https://ghes.corp/acme', githubCredentialsSecret: 'github-app', runnerImage: img, name: 'kvm', runnerLabels: ['kubevirt'] });
    const objects = synth(c);
    const scaledJob = named(objects, 'ScaledJob', 'kvm');
    const pod = scaledJob.spec.jobTargetRef.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'extra-ca', secret: { secretName: 'corp-ca', items: [{ key: 'ca.pem', path: 'ca-certificates.pem' }], defaultMode: 0o444 } });
    expect(envOf(pod.containers[0]).NODE_EXTRA_CA_CERTS).toBe('/etc/extra-ca/ca-certificates.pem');
    expect(scaledJob.metadata.annotations['cdk8s-kubevirt-runners/external-secrets']).toBe('github-app,corp-ca');
  });
});

describe('ARC\'s AutoscalingRunnerSet: spec.proxy and spec.githubServerTLS from its image\'s setup', () => {
  const build = (setup: RunnerSetupOptions) => {
    const c = chart();
    const img = image(c, setup);
    new RunnerScaleSet(c, 'runners', { url: 'https://ghes.corp/acme', githubCredentialsSecret: 'arc-github', runnerImage: img, name: 'kvm' });
    const objects = synth(c);
    return { objects, ars: named(objects, 'AutoscalingRunnerSet', 'kvm') };
  };

  test('inline CAs: a ConfigMap <name>-github-ca the controller reads; the proxy with the cluster\'s domains', () => {
    const { objects, ars } = build({ proxy: PROXY, caCertificates: [TEST_CA_PEM] });
    expect(ars.spec.proxy).toEqual({
      http: { url: 'http://proxy.corp:3128' }, https: { url: 'http://proxy.corp:3129' }, noProxy: NO_PROXY.split(','),
    });
    expect(ars.spec.githubServerTLS).toEqual({ certificateFrom: { configMapKeyRef: { name: 'kvm-github-ca', key: 'ca.crt' } } });
    expect(named(objects, 'ConfigMap', 'kvm-github-ca')).toMatchObject({ metadata: { namespace: NS }, data: { 'ca.crt': TEST_CA_PEM } });
    valid(objects, ['arc-github']);
  });

  test('a ConfigMap key: referenced as it is; no proxy, no proxy field', () => {
    const { objects, ars } = build({ caCertificatesFrom: { configMap: 'corp-ca', key: 'root.pem' } });
    expect(ars.spec.githubServerTLS).toEqual({ certificateFrom: { configMapKeyRef: { name: 'corp-ca', key: 'root.pem' } } });
    expect(ars.spec).not.toHaveProperty('proxy');
    expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual(['ci-image-refresh', 'kvm-launcher']);
  });

  test('neither: no githubServerTLS', () => {
    const { ars } = build({});
    expect(ars.spec).not.toHaveProperty('githubServerTLS');
    expect(ars.spec).not.toHaveProperty('proxy');
  });

  test('a Secret key: refused, explaining that ARC reads its CA from a ConfigMap only', () => {
    expect(() => build({ caCertificatesFrom: { secret: 'corp-ca', key: 'ca.pem' } }))
      .toThrow(/caCertificatesFrom' names Secret "corp-ca", but ARC's controller reads its GitHub CA .* only from a ConfigMap key/);
  });
});
