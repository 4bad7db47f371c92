// The public API, and nothing else. The constructs (lib/runner-*.ts) render; their props and the
// options every kind shares are declared where they are resolved (lib/spec/); helpers shared between
// the library's files (lib/private/, lib/render/) are not exported. The validator has its own entry
// point, 'cdk8s-kubevirt-runners/validate'.
export type {
  LabelSelector, LabelSelectorRequirement, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodAffinity, PodAffinityTerm,
  PreferredSchedulingTerm, RunnerAffinity, WeightedPodAffinityTerm,
} from './affinity';
export { GitHubScope, GitHubScopeKind } from './github';
export {
  AccessMode, CpuVendor, EvictionStrategy, NestedCpuModel, ResourceScope, RunStrategy, TaintEffect, TolerationOperator, VolumeMode,
} from './kubevirt-options';
export { OsImage } from './os-image';
export type {
  DataVolumeSourceJson, DataVolumeSourceRefJson, HttpImageOptions, OsImageKind, OsImageOptions, PresetImageOptions, PrivateSourceOptions,
  RegistryImageOptions,
} from './os-image';
export { Distribution, RunnerArch } from './platform';
export { EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
export { MAX_RUNNER_LABEL_LENGTH as MAX_LABEL_LENGTH, MAX_RUNNER_LABELS as MAX_LABELS } from './private/github-rules';
export { NETWORK_POLICY_ANNOTATION, NETWORK_POLICY_DISABLED, NetworkProtocol, NON_INTERNET_CIDRS } from './private/network-policy';
export { DEFAULT_TOKEN_KEY, DOCKER_DATA_DISK_SERIAL, TOKEN_DISK_SERIAL } from './private/token-disk';
export { BASE_PACKAGES, DOCKER_APT_KEY_FINGERPRINT, DOCKER_PACKAGES, RUNNER_INSTALL_DIR } from './render/cloud-config';
export { FLEET_LABEL, RUNNER_KUBERNETES_LABELS } from './render/vmi-spec';
export {
  DEFAULT_RUNNER_DOWNLOAD_BASE_URL, DEFAULT_RUNNER_VERSION, KNOWN_RUNNER_CHECKSUMS, MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM, RunnerRelease,
} from './runner-release';
export type { RunnerReleaseOptions } from './runner-release';
export {
  ARC_RELEASES, ARC_VERSIONS_WITH_KNOWN_CRD, DEFAULT_NODE_IMAGE, DEFAULT_NODE_IMAGE_PUBLISHED, KEDA_MINIMUM_VERSION, KEDA_RELEASE, RUNNER_RELEASES,
} from './private/versions';
export type { ArcReleaseRecord, RunnerReleaseRecord } from './private/versions';

// The options every kind shares.
export { DEFAULT_ROOT_DISK_SIZE, DockerSource, MAX_REPLICAS, MINIMUM_DOCKER_DATA_DISK_SIZE } from './spec/options';
export type {
  ActiveHoursOptions, AptMirrorOptions, AptSigningKey, DiskSpec, DiskStorageOptions, DockerAptOptions, DockerDaemonOptions, KeyReference,
  NestedVirtualizationOptions, ProxyOptions, ResourceReference, RunnerGuestOptions, RunnerRegistrationOptions, RunnerSetupOptions,
  RunnerToleration, RunnerVmOptions, RunnerVmSizeOptions, TokenRefresherOptions,
} from './spec/options';
export type { EgressDestination, NetworkPolicyRules, PortForwardOptions, RunnerNetworkPolicyOptions } from './spec/network-policy';

// The constructs and their props.
export { RunnerChart } from './runner-chart';
export type { RunnerChartProps } from './spec/chart';
export { RunnerPool } from './runner-pool';
export type { RunnerPoolProps } from './spec/pool';
export { RunnerCloudInit } from './runner-cloud-init';
export type { IRunnerCloudInit, RunnerCloudInitProps } from './spec/cloud-init';
export { RunnerDisk } from './runner-disk';
export type { RunnerDiskProps } from './spec/disk';
export { RunnerVm } from './runner-vm';
export type { RunnerVmProps } from './spec/vm';
export { RunnerImage } from './runner-image';
export { ImageSharing } from './spec/image';
export type { IRunnerImage, RunnerImageProps } from './spec/image';
export type { RunnerImageRefreshOptions } from './spec/image-refresh';
export { RunnerWarmPool } from './runner-warm-pool';
export type { RunnerWarmPoolProps } from './spec/warm-pool';
export { ARC_VERSION, RunnerScaleSet } from './runner-scale-set';
export type { RunnerScaleSetProps, ServiceAccountReference } from './spec/scale-set';
export { RunnerKedaScaleSet } from './runner-keda-scale-set';
export { GitHubCredentialsKind } from './spec/keda-scale-set';
export type { RunnerKedaScaleSetProps } from './spec/keda-scale-set';
export { RunnerTokenRefresher } from './runner-token-refresher';
export type { RunnerTokenRefresherProps } from './spec/token-refresher';
export { RunnerNetworkPolicy } from './runner-network-policy';
export type { RunnerNetworkPolicyProps } from './spec/network-policy';
