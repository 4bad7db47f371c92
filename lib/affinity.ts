// Kubernetes' affinity (core/v1 Affinity), as the library's own types: the fields and their names are
// Kubernetes', so a value reads like the pod spec it becomes; KubeVirt copies it from the VMI to the
// VM's virt-launcher pod.

/** A rule on a node label or field: `key` `operator` `values`. */
export interface NodeSelectorRequirement {
  /** The label key (or, in `matchFields`, the field, `metadata.name`). */
  readonly key: string;
  /** `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt`. */
  readonly operator: string;
  /** The values: one or more with `In`/`NotIn`, none with `Exists`/`DoesNotExist`, one integer with `Gt`/`Lt`. @default - none */
  readonly values?: string[];
}

/** Nodes that meet every requirement of the term. */
export interface NodeSelectorTerm {
  /** Requirements on node labels. @default - none */
  readonly matchExpressions?: NodeSelectorRequirement[];
  /** Requirements on node fields. @default - none */
  readonly matchFields?: NodeSelectorRequirement[];
}

/** Nodes the VM must run on: any one of the terms. */
export interface NodeSelector {
  /** The terms, ORed. */
  readonly nodeSelectorTerms: NodeSelectorTerm[];
}

/** Nodes the scheduler prefers, with a weight. */
export interface PreferredSchedulingTerm {
  /** 1 to 100. */
  readonly weight: number;
  /** The nodes preferred. */
  readonly preference: NodeSelectorTerm;
}

/** Which nodes the VM runs on. */
export interface NodeAffinity {
  /** Nodes the VM must run on. @default - any node */
  readonly requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  /** Nodes the VM prefers. @default - no preference */
  readonly preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

/** A rule on a pod label: `key` `operator` `values`. */
export interface LabelSelectorRequirement {
  /** The label key. */
  readonly key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: string;
  /** The values: one or more with `In`/`NotIn`, none otherwise. @default - none */
  readonly values?: string[];
}

/** Pods (or namespaces) with these labels. */
export interface LabelSelector {
  /** Labels they must have. @default - none */
  readonly matchLabels?: Record<string, string>;
  /** Requirements on their labels. @default - none */
  readonly matchExpressions?: LabelSelectorRequirement[];
}

/** Pods that the VM's pod is placed with (or away from), within a topology domain. */
export interface PodAffinityTerm {
  /** The node label whose value is the domain, e.g. 'kubernetes.io/hostname' or 'topology.kubernetes.io/zone'. */
  readonly topologyKey: string;
  /** The pods. @default - no pods */
  readonly labelSelector?: LabelSelector;
  /** Namespaces whose pods count. @default - the VM's namespace */
  readonly namespaces?: string[];
  /** Namespaces, by label, whose pods count. @default - the VM's namespace */
  readonly namespaceSelector?: LabelSelector;
}

/** A pod affinity term the scheduler prefers, with a weight. */
export interface WeightedPodAffinityTerm {
  /** 1 to 100. */
  readonly weight: number;
  /** The term. */
  readonly podAffinityTerm: PodAffinityTerm;
}

/** Pods to be placed with (affinity) or away from (anti-affinity). */
export interface PodAffinity {
  /** Terms that must hold. @default - none */
  readonly requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  /** Terms the scheduler prefers. @default - none */
  readonly preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

/** Node affinity, pod affinity and pod anti-affinity of a runner VM (Kubernetes' `affinity`). */
export interface RunnerAffinity {
  /** Which nodes the VM runs on. @default - any node */
  readonly nodeAffinity?: NodeAffinity;
  /** Pods the VM runs next to. @default - none */
  readonly podAffinity?: PodAffinity;
  /** Pods the VM runs away from. @default - none */
  readonly podAntiAffinity?: PodAffinity;
}
