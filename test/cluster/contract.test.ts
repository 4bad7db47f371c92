import { Chart, Testing } from 'cdk8s';
import { ImageSharing, RunnerImage, RunnerKedaScaleSet, RunnerScaleSet, RunnerTokenRefresher, RunnerWarmPool } from '../../lib';
import { CLUSTER_ENTRIES, ClusterEntry, ClusterEntryConfigs } from '../../lib/cluster/contract';
import { validate as validateArcLauncher } from '../../lib/cluster/entries/arc-launcher';
import { validate as validateImageRefresher } from '../../lib/cluster/entries/image-refresher';
import { validate as validateMintLauncher } from '../../lib/cluster/entries/mint-launcher';
import { validate as validatePoolScaler } from '../../lib/cluster/entries/pool-scaler';
import { validate as validateTokenRefresher } from '../../lib/cluster/entries/token-refresher';
import { Fields } from '../../lib/cluster/runtime/config';
import { K8sObject, synth } from '../util';

// The generator -> runtime contract: every config file the library renders (from the resolved spec,
// through the types of lib/cluster/contract.ts) is read back by the runtime's validator of that
// entry into the same object, with no field left unread. The types make a renamed field a compile
// error on both sides; this makes a value the runtime would refuse a test failure.

const VALIDATORS: { readonly [E in ClusterEntry]: (fields: Fields) => ClusterEntryConfigs[E] } = {
  'pool-scaler': validatePoolScaler,
  'token-refresher': validateTokenRefresher,
  'arc-launcher': validateArcLauncher,
  'mint-launcher': validateMintLauncher,
  'image-refresher': validateImageRefresher,
};

/**
 * Each entry's config files in the output: the JSON files of the ConfigMaps that carry `<entry>.js`,
 * except the Kubernetes objects a launcher uses as templates (vmi.json, datavolume.json).
 */
function renderedConfigs(objects: K8sObject[]): { entry: ClusterEntry; file: string; json: Record<string, unknown> }[] {
  return objects.filter((o) => o.kind === 'ConfigMap').flatMap((configMap) => {
    const entry = CLUSTER_ENTRIES.find((e) => `${e}.js` in configMap.data);
    if (!entry) return [];
    return Object.entries(configMap.data as Record<string, string>).filter(([file]) => file.endsWith('.json'))
      .map(([file, text]) => ({ entry, file: `${configMap.metadata.name}/${file}`, json: JSON.parse(text) }))
      .filter(({ json }) => !('apiVersion' in json && 'kind' in json));
  });
}

function readBack(entry: ClusterEntry, json: Record<string, unknown>): unknown {
  const fields = new Fields(json, '');
  const config = VALIDATORS[entry](fields);
  fields.done();
  return JSON.parse(JSON.stringify(config));
}

test('every config the library renders is read back unchanged by its entry\'s validator', () => {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
  const image = new RunnerImage(chart, 'image', {
    name: 'ci-image', sharing: ImageSharing.SHARED, proxy: { https: 'http://proxy.corp:3129', noProxy: ['.corp'] },
  });
  new RunnerWarmPool(chart, 'warm', {
    url: 'https://ghes.corp/acme', runnerImage: image, replicas: 3, tokenSecretName: 'warm-token', name: 'warm',
    activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5', offHoursReplicas: 1 },
    tokenRefresher: { githubCredentialsSecret: 'github-app', deleteOfflineRunners: true },
  });
  new RunnerTokenRefresher(chart, 'refresher', {
    url: 'https://github.com/enterprises/acme', githubCredentialsSecret: 'github-pat', tokenSecretName: 'other-token', tokenSecretKey: 'registration.token', name: 'tokens',
  });
  new RunnerScaleSet(chart, 'arc', { url: 'https://github.com/acme', githubCredentialsSecret: 'arc-app', runnerImage: image, name: 'arc' });
  new RunnerKedaScaleSet(chart, 'keda', {
    url: 'https://ghes.corp/acme', githubCredentialsSecret: 'github-app', runnerImage: image, name: 'keda', runnerLabels: ['vm'], runnerGroup: 'ci',
  });
  const configs = renderedConfigs(synth(chart));
  expect(configs.map((c) => `${c.entry} ${c.file}`).sort()).toEqual([
    'arc-launcher arc-launcher/config.json', 'image-refresher ci-image-refresh/config.json', 'mint-launcher keda-launcher/config.json',
    'pool-scaler warm-scaler/scale-down.json', 'pool-scaler warm-scaler/scale-up.json', 'token-refresher tokens/config.json', 'token-refresher warm-refresher/config.json',
  ]);
  for (const { entry, json } of configs) expect(readBack(entry, json)).toEqual(json);
  expect(configs.find((c) => c.file === 'warm-refresher/config.json')!.json).toEqual({
    github: {
      url: 'https://ghes.corp/acme', credentialsDir: '/etc/github-credentials',
      proxy: { url: 'http://proxy.corp:3129', noProxy: ['localhost', '127.0.0.1', '::1', '.corp', '.svc', '.cluster.local'] },
    },
    secretName: 'warm-token', secretKey: 'token', deleteOfflineRunnersPrefix: 'warm',
    // The pool's VMs' consoles, for a deprecated runner (lib/cluster/pool/outdated-runners.ts).
    warmPool: { pool: 'warm', podSelector: 'kubevirt.io=virt-launcher,cdk8s-kubevirt-runners/fleet=warm-pool.warm' },
  });
  expect(configs.find((c) => c.file === 'tokens/config.json')!.json.warmPool).toBeUndefined();
});

test('the token refresher refuses a warm pool whose selector is not key=value pairs', () => {
  const read = (warmPool: unknown) => () => readBack('token-refresher', {
    github: { url: 'https://github.com/acme', credentialsDir: '/x' }, secretName: 's', secretKey: 'token', warmPool,
  });
  expect(read({ pool: 'warm', podSelector: 'a=b,c=d' })).not.toThrow();
  expect(read({ pool: 'warm', podSelector: 'a in (b)' })).toThrow(/warmPool\.podSelector/);
  expect(read({ pool: 'warm', podSelector: 'a=b', extra: 1 })).toThrow(/warmPool\.extra/);
  expect(read({ pool: 'Warm!', podSelector: 'a=b' })).toThrow(/warmPool\.pool/);
});
