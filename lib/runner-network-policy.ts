import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Naming, propLabel, show } from './private/naming';
import { defaultDnsLabel, validateLabelMap } from './private/names';
import { NetworkProtocol, NON_INTERNET_CIDRS, runnerPodSelector } from './private/network-policy';
import { resolvedOf } from './private/resolved';
import { ResolvedNetworkRules, resolveNetworkRules } from './private/resolve-network-policy';
import { validateName } from './private/resolve-vm';
import { RUNNER_KUBERNETES_LABELS } from './runner-vm';

/**
 * One more destination the runner VMs may reach: an IP block (`cidr`), or pods in the cluster
 * (`namespace` and/or `podLabels`), on some ports or all.
 */
export interface EgressDestination {
  /**
   * An IP block, e.g. '10.1.2.3/32' (a proxy or an apt mirror) or 'fd00:1::/64'. Not with `namespace` or `podLabels`.
   * A block that holds a cloud metadata address (169.254.169.254, fd00:ec2::254, 100.100.100.200) is refused.
   * @default - none: pods by `namespace`/`podLabels`
   */
  readonly cidr?: string;
  /** Pods of this namespace (by its name). With `podLabels`, only those pods of it. @default - the fleet's namespace when `podLabels` is given */
  readonly namespace?: string;
  /** Pods with these labels (in `namespace`, else in the fleet's namespace). @default - every pod of `namespace` */
  readonly podLabels?: Record<string, string>;
  /** Destination ports. @default - every port */
  readonly ports?: number[];
  /** Protocol of `ports` (one destination, one protocol: give UDP and TCP as two destinations). @default NetworkProtocol.TCP */
  readonly protocol?: NetworkProtocol;
}

/** Ingress for `virtctl ssh` and `virtctl port-forward`. */
export interface PortForwardOptions {
  /** The guest ports virt-api may reach. @default [22] */
  readonly ports?: number[];
  /** Namespace KubeVirt is installed in, where its virt-api pods run. @default 'kubevirt' */
  readonly kubevirtNamespace?: string;
}

/** What a runner fleet's NetworkPolicy lets its VMs reach. */
export interface NetworkPolicyRules {
  /**
   * Let the VMs reach the internet: every address except the private (10/8, 172.16/12, 192.168/16,
   * fc00::/7), link-local (169.254/16, fe80::/10: the cloud metadata address) and shared/CGNAT
   * (100.64/10) ranges, in which clusters keep their pod, service and node addresses.
   * @default true
   */
  readonly allowInternet?: boolean;
  /**
   * More CIDRs the internet rule leaves out, e.g. a Kubernetes API server or an office network on
   * public addresses. Does not take back `allowEgressTo` or DNS.
   * @default - only the private, link-local and CGNAT ranges
   */
  readonly internetExcept?: string[];
  /** More destinations: a proxy, an apt or registry mirror, a GitHub Enterprise Server on a private address, in-cluster pods. @default - none */
  readonly allowEgressTo?: EgressDestination[];
  /**
   * Let `virtctl ssh` and `virtctl port-forward` in: KubeVirt's virt-api dials the VM's pod address.
   * (`virtctl console` and `vnc` go through virt-handler and a socket in the pod, not the network:
   * they work without this.)
   * @default - no ingress at all
   */
  readonly portForward?: PortForwardOptions;
}

/** A fleet's `networkPolicy` prop: its NetworkPolicy's rules, or the opt-out. */
export interface RunnerNetworkPolicyOptions extends NetworkPolicyRules {
  /**
   * Isolate the fleet's runner VMs with a NetworkPolicy. `false` emits none and marks the VMs'
   * template with the annotation `cdk8s-kubevirt-runners/network-policy: disabled`
   * (NETWORK_POLICY_ANNOTATION), so that validation knows it was meant (for example when the
   * namespace has policies of its own).
   * @default true
   */
  readonly enabled?: boolean;
}

/** Props of RunnerNetworkPolicy. */
export interface RunnerNetworkPolicyProps extends NetworkPolicyRules {
  /**
   * The labels of the runner VMs' VirtualMachineInstances (their template's labels). KubeVirt copies
   * them to each VM's virt-launcher pod, which the policy selects by them and by `kubevirt.io: virt-launcher`.
   */
  readonly vmLabels: Record<string, string>;
  /** `metadata.name` of the NetworkPolicy. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the NetworkPolicy: the VMs'. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
}

/** What a RunnerNetworkPolicy renders. */
export interface NetworkPolicySpec {
  readonly name: string;
  readonly namespace: string;
  readonly vmLabels: Readonly<Record<string, string>>;
  readonly rules: ResolvedNetworkRules;
}

const INSTANCE_LABEL = 'app.kubernetes.io/instance';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const NAMING: Naming = { owner: 'RunnerNetworkPolicy' };

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

  constructor(scope: Construct, id: string, props: RunnerNetworkPolicyProps) {
    super(scope, id);
    const spec = resolvedOf<NetworkPolicySpec>(props) ?? resolveAlone(props, this);
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

// A policy made alone: its own props.
function resolveAlone(props: RunnerNetworkPolicyProps, self: Construct): NetworkPolicySpec {
  if (typeof props?.vmLabels !== 'object' || props.vmLabels === null || Object.keys(props.vmLabels).length === 0) {
    throw new Error(`${propLabel(NAMING, 'vmLabels')} must be the runner VMs' template labels (at least one), got ${show(props?.vmLabels)}`);
  }
  return {
    name: validateName(NAMING, 'name', props.name ?? defaultDnsLabel(self)),
    namespace: validateName(NAMING, 'namespace', props.namespace ?? Chart.of(self).namespace ?? 'default'),
    vmLabels: Object.freeze({ ...validateLabelMap(NAMING.owner, 'vmLabels', props.vmLabels) }),
    rules: resolveNetworkRules(props, NAMING, ''),
  };
}
