import { metadataAddressIn, parseCidr } from '../../private/cidr';
import { NETWORK_POLICY_ANNOTATION, NETWORK_POLICY_DISABLED, selectorMatches, VIRT_LAUNCHER_POD_LABELS } from '../../private/network-policy';
import { Finding, ManifestObject, objectLabel } from '../finding';
import { namespaceOf } from '../manifest-values';
import { reporterFor } from '../report';
import { runnerTemplates } from './runner-templates';

// The library's labels on every runner VM (RUNNER_KUBERNETES_LABELS; not imported: the validator loads
// no construct), and the one a fleet adds: what makes a VM template one of a fleet's runners. A
// RunnerVm used alone belongs to no fleet: it has no instance label.
const RUNNER_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'github-actions-runner',
  'app.kubernetes.io/managed-by': 'cdk8s-kubevirt-runners',
};

// Every runner fleet the library emits has a NetworkPolicy that selects its VMs' virt-launcher pods
// (KubeVirt copies the VMI's labels to the pod and adds kubevirt.io: virt-launcher), unless the user
// opted out, which marks the VMs' template: a policy lost on the way to the cluster (filtered out, or
// an object patched) would let every job reach other pods, the Kubernetes API and the cloud metadata
// address. Any NetworkPolicy of the namespace that isolates the pods' egress counts.
export function checkRunnerIsolation(items: readonly ManifestObject[]): Finding[] {
  const policies = items.filter(({ object }) => object?.apiVersion === 'networking.k8s.io/v1' && object?.kind === 'NetworkPolicy'
    && isEgressPolicy(object.spec)).map(({ object }) => object);
  const findings: Finding[] = [];
  for (const template of runnerTemplates(items)) {
    const labels = template.metadata?.labels ?? {};
    const isFleet = Object.entries(RUNNER_LABELS).every(([k, v]) => labels[k] === v) && typeof labels['app.kubernetes.io/instance'] === 'string';
    if (!isFleet || template.metadata?.annotations?.[NETWORK_POLICY_ANNOTATION] === NETWORK_POLICY_DISABLED) continue;
    const namespace = namespaceOf(template.item.object);
    const pod = { ...labels, ...VIRT_LAUNCHER_POD_LABELS };
    if (policies.some((p) => namespaceOf(p) === namespace && selectorMatches(p.spec?.podSelector ?? {}, pod))) continue;
    findings.push({
      file: template.item.file, object: objectLabel(template.item.object), path: `${template.path}/labels`,
      message: `runner VMs of fleet '${labels['app.kubernetes.io/instance']}' are isolated by no NetworkPolicy with Egress in namespace ${namespace}: `
        + 'their jobs could reach other pods, the Kubernetes API and the cloud metadata address; keep the fleet\'s NetworkPolicy '
        + `(networkPolicy, on by default) or opt out with networkPolicy: { enabled: false } (annotation ${NETWORK_POLICY_ANNOTATION}: ${NETWORK_POLICY_DISABLED})`,
    });
  }
  return findings;
}

// A policy restricts egress when policyTypes says so or, without policyTypes, when it has egress rules.
function isEgressPolicy(spec: any): boolean {
  return Array.isArray(spec?.policyTypes) ? spec.policyTypes.includes('Egress') : spec?.egress !== undefined;
}

// A runner fleet's NetworkPolicy (the library's, app.kubernetes.io/component: network-policy) must not
// let jobs reach the cloud metadata address, where a node's cloud credentials can be read: an egress
// rule to every destination, or an ipBlock that holds the address without an `except` that covers it.
export function checkMetadataEgress(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const item of items) {
    const object = item.object;
    if (object?.apiVersion !== 'networking.k8s.io/v1' || object?.kind !== 'NetworkPolicy') continue;
    if (object.metadata?.labels?.['app.kubernetes.io/component'] !== 'network-policy' || !isEgressPolicy(object.spec)) continue;
    const report = reporterFor(findings, item);
    const rules: any[] = Array.isArray(object.spec?.egress) ? object.spec.egress : [];
    rules.forEach((rule, i) => {
      const to: any[] = Array.isArray(rule?.to) ? rule.to : [];
      if (to.length === 0) {
        report(`/spec/egress/${i}`, "egress rule without 'to' allows every destination, the cloud metadata address 169.254.169.254 included: "
          + "a job could read the node's cloud credentials");
      }
      to.forEach((peer, j) => {
        const block = parseCidr(peer?.ipBlock?.cidr, { maskHostBits: true });
        const address = typeof block === 'string' ? undefined : metadataAddressIn(block);
        if (!address) return; // a bad CIDR is the admission check's
        const except: unknown[] = Array.isArray(peer.ipBlock.except) ? peer.ipBlock.except : [];
        if (except.some((e) => { const c = parseCidr(e, { maskHostBits: true }); return typeof c !== 'string' && metadataAddressIn(c) === address; })) return;
        report(`/spec/egress/${i}/to/${j}/ipBlock`, `ipBlock ${JSON.stringify(peer.ipBlock.cidr)} allows the cloud metadata address ${address} `
          + "and no 'except' covers it: a job could read the node's cloud credentials; leave the address out (an 'except' such as 169.254.0.0/16)");
      });
    });
  }
  return findings;
}
