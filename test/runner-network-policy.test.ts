import { Chart, Testing } from 'cdk8s';
import {
  NETWORK_POLICY_ANNOTATION, NetworkProtocol, NON_INTERNET_CIDRS, RUNNER_KUBERNETES_LABELS, RunnerChart, RunnerChartProps, RunnerImage,
  RunnerKedaScaleSet, RunnerNetworkPolicy, RunnerPool, RunnerScaleSet, RunnerWarmPool,
} from '../lib';
import { Cidr, isStrictSubset, parseCidr } from '../lib/private/cidr';
import { selectorMatches } from '../lib/private/network-policy';
import { formatFinding, ManifestObject, validateObjects } from '../lib/validate';
import { K8sObject, ofKind, synth } from './util';

const BASE: RunnerChartProps = { url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token' };
const chartOf = (props: Partial<RunnerChartProps> = {}) => synth(new RunnerChart(Testing.app(), 'fleet', { ...BASE, namespace: 'ci', ...props }));
const policyOf = (objects: K8sObject[]) => ofKind(objects, 'NetworkPolicy')[0];

// A label selector, evaluated here independently of the library's own matcher.
function selects(selector: any, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'DoesNotExist' && key(labels, e.key)) return false;
    if (e.operator === 'Exists' && !key(labels, e.key)) return false;
    if (e.operator === 'In' && !e.values.includes(labels[e.key])) return false;
    if (e.operator === 'NotIn' && key(labels, e.key) && e.values.includes(labels[e.key])) return false;
  }
  return true;
}
const key = (labels: Record<string, string>, k: string) => Object.prototype.hasOwnProperty.call(labels, k);

// The labels KubeVirt gives a VMI's virt-launcher pod: the VMI's, plus its own (pkg/virt-controller/services/template.go podLabels).
const launcherPodOf = (vmiLabels: Record<string, string>, hostname = 'vm-0') => ({
  ...vmiLabels, 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': '0f0e1d2c-uid', 'vm.kubevirt.io/name': hostname,
});

describe('RunnerNetworkPolicy through the fleets', () => {
  test('on by default: the fleet\'s virt-launcher pods, no ingress, DNS, the internet without private, link-local and CGNAT ranges', () => {
    const objects = chartOf({ replicas: 2 });
    const policy = policyOf(objects);
    expect(policy.apiVersion).toBe('networking.k8s.io/v1');
    expect(policy.metadata).toMatchObject({ name: 'actions-runner', namespace: 'ci' });
    // Applied before the VMs (kubectl applies in file order), so no VM starts unisolated.
    expect(objects.findIndex((o) => o.kind === 'NetworkPolicy')).toBeLessThan(objects.findIndex((o) => o.kind === 'VirtualMachine'));
    expect(policy.spec.podSelector).toEqual({
      matchLabels: { ...RUNNER_KUBERNETES_LABELS, 'app.kubernetes.io/instance': 'actions-runner', 'kubevirt.io': 'virt-launcher' },
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'DoesNotExist' }],
    });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      },
      {
        to: [
          { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16'] } },
          { ipBlock: { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] } },
        ],
      },
    ]);
    for (const vm of ofKind(objects, 'VirtualMachine')) {
      expect(selects(policy.spec.podSelector, launcherPodOf(vm.spec.template.metadata.labels, vm.metadata.name))).toBe(true);
      expect(vm.spec.template.metadata.annotations).toBeUndefined();
    }
  });

  test('what the internet rule leaves out holds the cloud metadata and the usual cluster addresses, not github.com', () => {
    const holds = (list: readonly string[], address: string) => list.some((block) => isStrictSubset(parseCidr(address) as Cidr, parseCidr(block) as Cidr));
    expect(holds(NON_INTERNET_CIDRS.ipv4, '169.254.169.254/32')).toBe(true); // AWS, GCP, Azure, OpenStack
    expect(holds(NON_INTERNET_CIDRS.ipv4, '100.100.100.200/32')).toBe(true); // Alibaba Cloud
    expect(holds(NON_INTERNET_CIDRS.ipv6, 'fd00:ec2::254/128')).toBe(true); // AWS over IPv6
    expect(holds(NON_INTERNET_CIDRS.ipv4, '10.96.0.1/32')).toBe(true); // a typical kubernetes service address
    expect(holds(NON_INTERNET_CIDRS.ipv4, '140.82.112.3/32')).toBe(false); // github.com
  });

  test('the exported ranges cannot be changed by a consumer', () => {
    expect(() => (NON_INTERNET_CIDRS.ipv4 as string[]).push('0.0.0.0/1')).toThrow(TypeError);
    expect(() => (NON_INTERNET_CIDRS.ipv6 as string[]).splice(0)).toThrow(TypeError);
  });

  test('opt-out: no NetworkPolicy, and the VMs say so for the validator', () => {
    const objects = chartOf({ networkPolicy: { enabled: false } });
    expect(ofKind(objects, 'NetworkPolicy')).toEqual([]);
    for (const vm of ofKind(objects, 'VirtualMachine')) {
      expect(vm.spec.template.metadata.annotations).toEqual({ [NETWORK_POLICY_ANNOTATION]: 'disabled' });
    }
    expect(validateObjects(objects.map((object) => ({ file: 'f.yaml', object }))).map(formatFinding)).toEqual([]);
  });

  test('extra destinations, internet exceptions and virtctl port-forward are rendered as given', () => {
    const policy = policyOf(chartOf({
      networkPolicy: {
        internetExcept: ['34.1.2.3/32', '2001:db8::/32'],
        allowEgressTo: [
          { cidr: '10.1.2.3/32', ports: [3128] },
          { cidr: 'fd00:1::/64' },
          { namespace: 'registry', podLabels: { app: 'zot' }, ports: [5000] },
          { namespace: 'dns', ports: [53], protocol: NetworkProtocol.UDP },
          { podLabels: { app: 'cache' } },
        ],
        portForward: { ports: [22, 8080] },
      },
    }));
    expect(policy.spec.egress[1].to).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: [...NON_INTERNET_CIDRS.ipv4, '34.1.2.3/32'] } },
      { ipBlock: { cidr: '::/0', except: [...NON_INTERNET_CIDRS.ipv6, '2001:db8::/32'] } },
    ]);
    expect(policy.spec.egress.slice(2)).toEqual([
      { to: [{ ipBlock: { cidr: '10.1.2.3/32' } }], ports: [{ protocol: 'TCP', port: 3128 }] },
      { to: [{ ipBlock: { cidr: 'fd00:1::/64' } }] },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'registry' } }, podSelector: { matchLabels: { app: 'zot' } } }],
        ports: [{ protocol: 'TCP', port: 5000 }],
      },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] },
      { to: [{ podSelector: { matchLabels: { app: 'cache' } } }] },
    ]);
    expect(policy.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kubevirt' } }, podSelector: { matchLabels: { 'kubevirt.io': 'virt-api' } } }],
      ports: [{ protocol: 'TCP', port: 22 }, { protocol: 'TCP', port: 8080 }],
    }]);
  });

  test('without the internet: DNS and the extra destinations only', () => {
    const policy = policyOf(chartOf({ networkPolicy: { allowInternet: false, allowEgressTo: [{ cidr: '10.1.2.3/32', ports: [3128] }] } }));
    expect(policy.spec.egress.map((rule: any) => rule.to[0])).toEqual([
      expect.objectContaining({ namespaceSelector: expect.anything() }), { ipBlock: { cidr: '10.1.2.3/32' } },
    ]);
  });

  test('npm run validate checks NetworkPolicy objects against the Kubernetes 1.34 schema', () => {
    const objects = chartOf();
    policyOf(objects).spec.egres = [];
    expect(validateObjects(objects.map((object) => ({ file: 'f.yaml', object }))).map(formatFinding))
      .toEqual(["f.yaml: NetworkPolicy/actions-runner: /spec: unknown field 'egres'"]);
  });

  test('the output with every option validates', () => {
    const objects = chartOf({
      networkPolicy: { internetExcept: ['34.1.2.3/32'], allowEgressTo: [{ cidr: '10.1.2.3/32', ports: [3128] }, { namespace: 'r' }], portForward: {} },
    });
    expect(validateObjects(objects.map((object) => ({ file: 'f.yaml', object }))).map(formatFinding)).toEqual([]);
  });
});

describe('every fleet kind: the policy selects its VMs\' pods and nothing that needs the Kubernetes API', () => {
  // One namespace with every kind, the same instance names where they can clash.
  function everything(networkPolicy?: { enabled: false }) {
    const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
    const image = new RunnerImage(chart, 'image', { name: 'runners', networkPolicy });
    const pool = new RunnerPool(chart, 'pool', {
      ...BASE, replicas: 2, name: 'runners', tokenRefresher: { githubCredentialsSecret: 'github-app' }, networkPolicy,
    });
    const warm = new RunnerWarmPool(chart, 'warm', {
      url: BASE.url, runnerImage: image, replicas: 1, tokenSecretName: 't', name: 'warm', tokenRefresher: { githubCredentialsSecret: 'github-app' }, networkPolicy,
      activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5' },
    });
    const arc = new RunnerScaleSet(chart, 'arc', { url: BASE.url, githubCredentialsSecret: 'github-app', runnerImage: image, name: 'arc', networkPolicy });
    const keda = new RunnerKedaScaleSet(chart, 'keda', { url: BASE.url, githubCredentialsSecret: 'github-app', runnerImage: image, name: 'keda', runnerLabels: ['vm'], networkPolicy });
    return { objects: synth(chart), image, pool, warm, arc, keda };
  }

  const { objects, image, pool, warm, arc, keda } = everything();
  const policy = (name: string) => objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name)!;
  const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  /** A refresher's one-off Job (`<refresher>-now-<hash>`). */
  const oneOffJob = (refresher: string) => objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith(`${refresher}-now-`))!;
  const vmiJson = (configMap: string) => JSON.parse(named('ConfigMap', configMap).data['vmi.json']);

  // Each fleet's VM pods, as KubeVirt labels them.
  const vmPods: Record<string, Record<string, string>[]> = {
    runners: ofKind(objects, 'VirtualMachine').filter((vm) => !vm.metadata.name.endsWith('-bake'))
      .map((vm) => launcherPodOf(vm.spec.template.metadata.labels, vm.metadata.name)),
    'runners-bake': [launcherPodOf(named('VirtualMachine', image.readyVmiName).spec.template.metadata.labels, image.readyVmiName)],
    warm: [launcherPodOf(named('VirtualMachinePool', 'warm').spec.virtualMachineTemplate.spec.template.metadata.labels, 'warm-0')],
    arc: [launcherPodOf({ ...vmiJson('arc-launcher').metadata.labels, 'cdk8s-kubevirt-runners/runner': 'arc-abcde-runner-fghij' }, 'arc-abcde-runner-fghij')],
    keda: [launcherPodOf({ ...vmiJson('keda-launcher').metadata.labels, 'cdk8s-kubevirt-runners/runner': 'keda-abcde-fghij' }, 'keda-abcde-fghij')],
  };

  // Pods that talk to the Kubernetes API: the scale sets' launchers, as ARC and the Job controller
  // label them, the token refreshers' Job pods and the warm pool scaler's.
  const arcTemplate = named('AutoscalingRunnerSet', 'arc').spec.template.metadata.labels;
  const apiPods: Record<string, Record<string, string>> = {
    'ARC runner pod (launcher)': {
      'app.kubernetes.io/component': 'runner', 'app.kubernetes.io/part-of': 'gha-runner-scale-set', 'actions.github.com/scale-set-name': 'arc',
      ...arcTemplate, 'actions-ephemeral-runner': 'True', 'actions.github.com/pod-template-hash': 'abc',
    },
    'ARC runner pod, had ARC\'s component label won': { ...arcTemplate, 'app.kubernetes.io/component': 'runner', 'actions-ephemeral-runner': 'True' },
    'KEDA Job pod (launcher)': { ...named('ScaledJob', 'keda').spec.jobTargetRef.template.metadata.labels, 'batch.kubernetes.io/job-name': 'keda-abcde', 'scaledjob.keda.sh/name': 'keda' },
    'pool token refresher Job pod': { ...oneOffJob('runners-refresher').spec.template.metadata.labels, 'batch.kubernetes.io/job-name': oneOffJob('runners-refresher').metadata.name },
    'pool token refresher CronJob pod': { ...named('CronJob', 'runners-refresher').spec.jobTemplate.metadata.labels },
    'warm pool token refresher Job pod': { ...oneOffJob('warm-refresher').spec.template.metadata.labels },
    'warm pool scaler CronJob pod (activeHours)': { ...named('CronJob', 'warm-scale-down').spec.jobTemplate.spec.template.metadata.labels },
  };

  test('one policy per fleet, named after it', () => {
    expect(ofKind(objects, 'NetworkPolicy').map((p) => p.metadata.name).sort()).toEqual(['arc', 'keda', 'runners', 'runners-bake', 'warm']);
    expect([pool, warm, arc, keda].map((f) => f.networkPolicy?.name)).toEqual(['runners', 'warm', 'arc', 'keda']);
    expect(image.networkPolicy?.name).toBe('runners-bake');
  });

  test.each(Object.keys(vmPods))('%s: selects its own VMs\' pods and no other fleet\'s', (fleet) => {
    const selector = policy(fleet).spec.podSelector;
    for (const [other, pods] of Object.entries(vmPods)) {
      for (const pod of pods) {
        expect([other, selects(selector, pod)]).toEqual([other, other === fleet]);
        expect(selectorMatches(selector, pod)).toBe(other === fleet);
      }
    }
  });

  test.each(Object.keys(vmPods))('%s: selects no launcher or refresher pod', (fleet) => {
    const selector = policy(fleet).spec.podSelector;
    for (const [pod, labels] of Object.entries(apiPods)) {
      expect([pod, selects(selector, labels)]).toEqual([pod, false]);
      expect(selectorMatches(selector, labels)).toBe(false);
    }
  });

  test('the validator sees every fleet covered; without the policies, every fleet but the opted-out is reported', () => {
    const items = (list: K8sObject[]): ManifestObject[] => list.map((object) => ({ file: 'f.yaml', object }));
    expect(validateObjects(items(objects)).map(formatFinding)).toEqual([]);
    const stripped = validateObjects(items(objects.filter((o) => o.kind !== 'NetworkPolicy'))).map(formatFinding);
    expect(stripped.map((line) => line.split(': ').slice(1, 3).join(': '))).toEqual([
      `VirtualMachine/${image.readyVmiName}: /spec/template/metadata/labels`,
      'VirtualMachine/runners-0: /spec/template/metadata/labels',
      'VirtualMachine/runners-1: /spec/template/metadata/labels',
      'VirtualMachinePool/warm: /spec/virtualMachineTemplate/spec/template/metadata/labels',
      'ConfigMap/arc-launcher: /data/vmi.json#/metadata/labels',
      'ConfigMap/keda-launcher: /data/vmi.json#/metadata/labels',
    ]);
    expect(stripped[1]).toContain("runner VMs of fleet 'runners' are isolated by no NetworkPolicy with Egress in namespace ci");
    const optedOut = everything({ enabled: false }).objects;
    expect(ofKind(optedOut, 'NetworkPolicy')).toEqual([]);
    expect(validateObjects(items(optedOut)).map(formatFinding)).toEqual([]);
  });
});

describe('RunnerNetworkPolicy alone', () => {
  test('selects the given VM labels in the chart\'s namespace', () => {
    const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
    const np = new RunnerNetworkPolicy(chart, 'isolate', { vmLabels: { app: 'gpu-runner' }, allowEgressTo: [{ cidr: '10.0.0.0/8', ports: [443] }] });
    const [policy] = synth(chart);
    expect(np.namespace).toBe('ci');
    expect(policy.metadata.name).toBe(np.name);
    expect(policy.spec.podSelector).toEqual({
      matchLabels: { 'app': 'gpu-runner', 'kubevirt.io': 'virt-launcher' },
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'DoesNotExist' }],
    });
    expect(policy.spec.egress[2]).toEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ protocol: 'TCP', port: 443 }] });
  });

  test.each<[object, string]>([
    [{ vmLabels: {} }, "RunnerNetworkPolicy 'vmLabels' must be the runner VMs' template labels (at least one), got {}"],
    [{ vmLabels: { 'a b': 'c' } }, "RunnerNetworkPolicy 'vmLabels' has an invalid Kubernetes label key \"a b\""],
    [{ vmLabels: { a: 'b' }, allowInternet: 'yes' }, "RunnerNetworkPolicy 'allowInternet' must be true or false, got \"yes\""],
    [{ vmLabels: { a: 'b' }, name: 'Policy' }, "RunnerNetworkPolicy 'name' must be a DNS-1123 label"],
  ])('%j', (props, message) => {
    expect(() => new RunnerNetworkPolicy(Testing.chart(), 'p', props as any)).toThrow(message);
  });
});

describe('bad values name the construct, the prop and the value', () => {
  test.each<[object, string]>([
    [{ enabled: 'no' }, "RunnerChart 'networkPolicy.enabled' must be true or false, got \"no\""],
    [{ enabled: false, allowEgressTo: [] }, "RunnerChart 'networkPolicy.enabled' is false, so 'networkPolicy.allowEgressTo' would be ignored: remove them"],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/24' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].cidr' must be a CIDR such as '10.1.2.3/32' or 'fd00:1::/64' (host bits set: the block is 10.1.2.0/24), got \"10.1.2.3/24\""],
    [{ allowEgressTo: [{ cidr: '10.1.2.3' }] }, "(no prefix length (write '10.1.2.3/32' for one address)), got \"10.1.2.3\""],
    [{ allowEgressTo: [{ cidr: '10.01.2.3/32' }] }, '(not an IPv4 address a.b.c.d (no leading zeros)), got "10.01.2.3/32"'],
    [{ allowEgressTo: [{ cidr: '256.1.2.3/32' }] }, '(not an IPv4 address a.b.c.d (no leading zeros))'],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/33' }] }, '(a prefix length from 0 to 32)'],
    [{ allowEgressTo: [{ cidr: 'fd00::1/64' }] }, '(host bits set: the block is fd00::/64)'],
    [{ allowEgressTo: [{ cidr: 'fe80::1%eth0/128' }] }, '(not an IPv6 address (no zone, no embedded IPv4))'],
    [{ allowEgressTo: [{ cidr: '::ffff:10.1.2.3/128' }] }, '(not an IPv6 address (no zone, no embedded IPv4))'],
    [{ allowEgressTo: [{ cidr: '1:2:3:4:5:6:7:8:9/128' }] }, '(not an IPv6 address'],
    [{ allowEgressTo: [{ cidr: '128.0.0.0/1' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].cidr' \"128.0.0.0/1\" holds the cloud metadata address 169.254.169.254"],
    [{ allowEgressTo: [{ cidr: '169.254.169.254/32' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].cidr' \"169.254.169.254/32\" holds the cloud metadata address 169.254.169.254"],
    [{ allowEgressTo: [{ cidr: 'fd00::/8' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].cidr' \"fd00::/8\" holds the cloud metadata address fd00:ec2::254"],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/32', namespace: 'x' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0]' must have either a 'cidr' or a 'namespace' and/or 'podLabels', not both"],
    [{ allowEgressTo: [{ ports: [80] }] }, "RunnerChart 'networkPolicy.allowEgressTo[0]' must have either a 'cidr' or a 'namespace' and/or 'podLabels', not neither"],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/32', ports: [0] }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].ports[0]' must be an integer from 1 to 65535 (a port number), got 0"],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/32', ports: [3128.5] }] }, "'networkPolicy.allowEgressTo[0].ports[0]' must be an integer from 1 to 65535 (a port number), got 3128.5"],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/32', ports: ['443'] }] }, "'networkPolicy.allowEgressTo[0].ports[0]' must be an integer from 1 to 65535 (a port number), got \"443\""],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/32', ports: [443, 443] }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].ports' names port 443 twice"],
    [{ allowEgressTo: [{ cidr: '10.1.2.3/32', protocol: 'ICMP' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].protocol' must be one of TCP, UDP, got \"ICMP\""],
    [{ allowEgressTo: [{ namespace: 'Kube_System' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].namespace' must be a DNS-1123 label"],
    [{ allowEgressTo: [{ podLabels: { app: 'a b' } }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].podLabels' has an invalid value for label \"app\": \"a b\""],
    [{ allowEgressTo: [{ podLabels: 'app=x' }] }, "RunnerChart 'networkPolicy.allowEgressTo[0].podLabels' must be an object, got \"app=x\""],
    [{ allowEgressTo: { cidr: '10.1.2.3/32' } }, "RunnerChart 'networkPolicy.allowEgressTo' must be a list, got {\"cidr\":\"10.1.2.3/32\"}"],
    [{ allowEgressTo: ['10.1.2.3/32'] }, "RunnerChart 'networkPolicy.allowEgressTo[0]' must be an object, got \"10.1.2.3/32\""],
    [{ internetExcept: ['0.0.0.0/0'] }, "RunnerChart 'networkPolicy.internetExcept[0]' must be smaller than the whole address space: to reach no internet at all, set 'networkPolicy.allowInternet' to false; got \"0.0.0.0/0\""],
    [{ internetExcept: ['34.1.2.3'] }, "RunnerChart 'networkPolicy.internetExcept[0]' must be a CIDR"],
    [{ allowInternet: false, internetExcept: ['34.1.2.3/32'] }, "RunnerChart 'networkPolicy.allowInternet' is false, so 'networkPolicy.internetExcept' would be ignored: remove it"],
    [{ portForward: { ports: [] } }, "RunnerChart 'networkPolicy.portForward.ports' must name at least one port, got []"],
    [{ portForward: { ports: [70000] } }, "RunnerChart 'networkPolicy.portForward.ports[0]' must be an integer from 1 to 65535 (a port number), got 70000"],
    [{ portForward: { kubevirtNamespace: 'KubeVirt' } }, "RunnerChart 'networkPolicy.portForward.kubevirtNamespace' must be a DNS-1123 label"],
    [{ portForward: true }, "RunnerChart 'networkPolicy.portForward' must be an object, got true"],
  ])('%j', (networkPolicy, message) => {
    expect(() => chartOf({ networkPolicy: networkPolicy as any })).toThrow(message);
  });

  test('not an object', () => {
    expect(() => chartOf({ networkPolicy: false as any })).toThrow("RunnerChart 'networkPolicy' must be an object such as { allowEgressTo: [...] } or { enabled: false }, got false");
  });

  test('every fleet construct names itself', () => {
    const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
    const image = new RunnerImage(chart, 'image', { name: 'img' });
    const bad = { allowEgressTo: [{ cidr: 'x' }] };
    const at = "'networkPolicy.allowEgressTo[0].cidr' must be a CIDR";
    expect(() => new RunnerImage(chart, 'image2', { name: 'img2', networkPolicy: bad })).toThrow(`RunnerImage ${at}`);
    expect(() => new RunnerPool(chart, 'pool', { ...BASE, replicas: 1, networkPolicy: bad })).toThrow(`RunnerPool ${at}`);
    expect(() => new RunnerWarmPool(chart, 'warm', { url: BASE.url, runnerImage: image, replicas: 1, tokenSecretName: 't', networkPolicy: bad })).toThrow(`RunnerWarmPool ${at}`);
    expect(() => new RunnerScaleSet(chart, 'arc', { url: BASE.url, githubCredentialsSecret: 'g', runnerImage: image, networkPolicy: bad })).toThrow(`RunnerScaleSet ${at}`);
    expect(() => new RunnerKedaScaleSet(chart, 'keda', { url: BASE.url, githubCredentialsSecret: 'g', runnerImage: image, runnerLabels: ['x'], networkPolicy: bad }))
      .toThrow(`RunnerKedaScaleSet ${at}`);
  });
});

describe('CIDRs', () => {
  test.each([
    ['0.0.0.0/0', 4, 0n, 0], ['10.1.2.3/32', 4, 0x0a010203n, 32], ['::/0', 6, 0n, 0], ['fd00:ec2::254/128', 6, 0xfd000ec2000000000000000000000254n, 128],
    ['2001:DB8::/32', 6, 0x20010db8n << 96n, 32], ['1:2:3:4:5:6:7:8/128', 6, 0x00010002000300040005000600070008n, 128], ['::1/128', 6, 1n, 128],
  ])('%s', (text, family, network, prefix) => {
    expect(parseCidr(text)).toEqual({ family, network, prefix });
  });

  test('strict subsets, as an ipBlock except needs them', () => {
    const c = (text: string) => parseCidr(text) as any;
    expect(isStrictSubset(c('10.1.0.0/16'), c('10.0.0.0/8'))).toBe(true);
    expect(isStrictSubset(c('10.0.0.0/8'), c('10.0.0.0/8'))).toBe(false);
    expect(isStrictSubset(c('11.0.0.0/16'), c('10.0.0.0/8'))).toBe(false);
    expect(isStrictSubset(c('fc00::/7'), c('::/0'))).toBe(true);
    expect(isStrictSubset(c('10.0.0.0/8'), c('::/0'))).toBe(false);
    expect(parseCidr('10.1.2.3/24', { maskHostBits: true })).toEqual(c('10.1.2.0/24'));
  });
});
