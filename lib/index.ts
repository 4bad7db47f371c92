// The public API, and nothing else: helpers shared between the library's files live in
// lib/private/ and are not exported. The validator has its own entry point,
// 'cdk8s-kubevirt-runners/validate'.
export { GitHubScope, GitHubScopeKind } from './github';
export { AccessMode, EvictionStrategy, ResourceScope, RunStrategy, VolumeMode } from './kubevirt-options';
export { OsImage } from './os-image';
export type {
  DataVolumeSourceJson, DataVolumeSourceRefJson, HttpImageOptions, OsImageKind, OsImageOptions, PresetImageOptions, PrivateSourceOptions,
  RegistryImageOptions,
} from './os-image';
export { Distribution, RunnerArch } from './platform';
export { BASE_PACKAGES, DOCKER_APT_KEY_FINGERPRINT, DOCKER_PACKAGES, RUNNER_INSTALL_DIR } from './private/cloud-config';
export { EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
export { MAX_LABEL_LENGTH, MAX_LABELS } from './private/github-rules';
export { DEFAULT_TOKEN_KEY, TOKEN_DISK_SERIAL } from './private/token-disk';
export { RunnerChart } from './runner-chart';
export type { RunnerChartProps } from './runner-chart';
export { RunnerCloudInit } from './runner-cloud-init';
export type { RunnerCloudInitProps } from './runner-cloud-init';
export { RunnerDisk } from './runner-disk';
export type { RunnerDiskProps } from './runner-disk';
export { RunnerPool } from './runner-pool';
export type { RunnerPoolProps } from './runner-pool';
export {
  DEFAULT_RUNNER_DOWNLOAD_BASE_URL, DEFAULT_RUNNER_VERSION, KNOWN_RUNNER_CHECKSUMS, MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM, RunnerRelease,
} from './runner-release';
export type { RunnerReleaseOptions } from './runner-release';
export { DEFAULT_ROOT_DISK_SIZE, DockerSource, MAX_REPLICAS } from './runner-spec';
export type {
  AptMirrorOptions, AptSigningKey, DiskSpec, DiskStorageOptions, DockerAptOptions, DockerDaemonOptions, KeyReference, ProxyOptions,
  ResourceReference, RunnerGuestOptions, RunnerRegistrationOptions, RunnerSetupOptions, RunnerVmSizeOptions,
} from './runner-spec';
export { RUNNER_KUBERNETES_LABELS, RunnerVm } from './runner-vm';
export type { RunnerVmProps } from './runner-vm';
export { ImageSharing, RunnerImage } from './runner-image';
export type { RunnerImageProps } from './runner-image';
export { RunnerTokenRefresher } from './runner-token-refresher';
export type { RunnerTokenRefresherProps } from './runner-token-refresher';
export type { TokenRefresherOptions } from './runner-spec';
export { ARC_VERSION, RunnerScaleSet } from './runner-scale-set';
export type { RunnerScaleSetProps, ServiceAccountReference } from './runner-scale-set';
export { GitHubCredentialsKind, RunnerKedaScaleSet } from './runner-keda-scale-set';
export type { RunnerKedaScaleSetProps } from './runner-keda-scale-set';
export { RunnerWarmPool } from './runner-warm-pool';
export type { RunnerWarmPoolProps } from './runner-warm-pool';
