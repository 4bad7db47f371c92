// The public API. Helpers used between the library's own files stay unexported here; the
// validator has its own entry point, 'cdk8s-kubevirt-runners/validate'.
export { BASE_PACKAGES, DOCKER_APT_KEY_FINGERPRINT, DOCKER_PACKAGES, RUNNER_INSTALL_DIR } from './cloud-config';
export type { DockerAptOptions } from './cloud-config';
export { EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './external-references';
export { GitHubScope, GitHubScopeKind, MAX_LABEL_LENGTH, MAX_LABELS } from './github';
export { Distribution, OsImage } from './os-image';
export type {
  DataVolumeSourceJson, DataVolumeSourceRefJson, HttpImageOptions, OsImageOptions, PresetImageOptions, RegistryImageOptions,
} from './os-image';
export { RunnerChart } from './runner-chart';
export type { RunnerChartProps } from './runner-chart';
export { RunnerCloudInit } from './runner-cloud-init';
export type { RunnerCloudInitProps } from './runner-cloud-init';
export { AccessMode, RunnerDisk, VolumeMode } from './runner-disk';
export type { DiskSpec, DiskStorageOptions, RunnerDiskProps } from './runner-disk';
export { DEFAULT_ROOT_DISK_SIZE, RunnerPool } from './runner-pool';
export type { RunnerPoolProps } from './runner-pool';
export {
  DEFAULT_RUNNER_DOWNLOAD_BASE_URL, DEFAULT_RUNNER_VERSION, KNOWN_RUNNER_CHECKSUMS, MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM, RunnerArch,
  RunnerRelease,
} from './runner-release';
export type { RunnerReleaseOptions } from './runner-release';
export { EvictionStrategy, ResourceScope, RUNNER_LABELS, RunnerVm, RunStrategy } from './runner-vm';
export type { ResourceReference, RunnerVmProps, RunnerVmSizeOptions } from './runner-vm';
export { DEFAULT_TOKEN_KEY, TOKEN_DISK_SERIAL } from './token-disk';
