import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { treeDefaults } from './private/names';
import { NON_INTERNET_CIDRS, runnerPodSelector } from './private/network-policy';
import { RUNNER_KUBERNETES_LABELS } from './render/vmi-spec';
import { NetworkPolicySpec, ResolvedNetworkRules, resolveNetworkPolicyObject, RunnerNetworkPolicyProps } from './spec/network-policy';
import { isSealed } from './spec/sealed';

const INSTANCE_LABEL = 'app.kubernetes.io/instance';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * A NetworkPolicy (networking.k8s.io/v1) that isolates runner VMs: it selects their virt-launcher
 * pods only (by the VMs' template labels and `kubevirt.io: virt-launcher`, never the launcher or
 * refresher pods, which need the Kubernetes API), lets nothing in (unless `portForward`), and lets
 * them reach DNS (kube-dns in kube-system, UDP and TCP 53), the internet and `allowEgressTo`; not
 * other pods, the Kubernetes API or the cloud metadata address. Every runner fleet has one by default.
 */
export class RunnerNetworkPolicy extends Construct {
  /** `metadata.name` of the NetworkPolicy. */
  public readonly name: string;
  /** Namespace of the NetworkPolicy. */
  public readonly namespace: string;
  /** The NetworkPolicy, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerNetworkPolicyProps);
  /** @internal A fleet's policy, from the spec its resolver made. */
  constructor(scope: Construct, id: string, spec: NetworkPolicySpec);
  constructor(scope: Construct, id: string, input: RunnerNetworkPolicyProps | NetworkPolicySpec) {
    super(scope, id);
    const spec = isSealed<NetworkPolicySpec>(input, 'network-policy') ? input : resolveNetworkPolicyObject(input, treeDefaults(this, 'RunnerNetworkPolicy'));
    this.name = spec.name;
    this.namespace = spec.namespace;
    const instance = spec.vmLabels[INSTANCE_LABEL];
    this.apiObject = new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: {
          ...RUNNER_KUBERNETES_LABELS,
          ...(instance !== undefined ? { [INSTANCE_LABEL]: instance } : {}),
          'app.kubernetes.io/component': 'network-policy',
        },
      },
      spec: {
        podSelector: runnerPodSelector(spec.vmLabels),
        policyTypes: ['Ingress', 'Egress'],
        ingress: spec.rules.portForward ? [{
          from: [{
            namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: spec.rules.portForward.kubevirtNamespace } },
            podSelector: { matchLabels: { 'kubevirt.io': 'virt-api' } },
          }],
          ports: spec.rules.portForward.ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
        }] : [],
        egress: egressRules(spec.rules),
      },
    });
  }
}

function egressRules(rules: ResolvedNetworkRules): k8s.NetworkPolicyEgressRule[] {
  const port = (protocol: string, number: number) => ({ protocol, port: k8s.IntOrString.fromNumber(number) });
  const internetExcept = rules.internetExcept.map((cidr) => ({ cidr, ipv6: cidr.includes(':') }));
  return [
    // The guest's resolver is the pod's (masquerade hands it the pod's DNS settings): the cluster DNS service.
    {
      to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [port('UDP', 53), port('TCP', 53)],
    },
    ...(rules.allowInternet ? [{
      to: [
        { ipBlock: { cidr: '0.0.0.0/0', except: [...NON_INTERNET_CIDRS.ipv4, ...internetExcept.filter((c) => !c.ipv6).map((c) => c.cidr)] } },
        { ipBlock: { cidr: '::/0', except: [...NON_INTERNET_CIDRS.ipv6, ...internetExcept.filter((c) => c.ipv6).map((c) => c.cidr)] } },
      ],
    }] : []),
    ...rules.allowEgressTo.map((d) => ({
      to: [d.cidr !== undefined ? { ipBlock: { cidr: d.cidr } } : {
        ...(d.namespace !== undefined ? { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: d.namespace } } } : {}),
        ...(d.podLabels !== undefined ? { podSelector: { matchLabels: { ...d.podLabels } } } : {}),
      }],
      ...(d.ports.length > 0 ? { ports: d.ports.map((p) => port(d.protocol, p)) } : {}),
    })),
  ];
}
