/** CPU architectures for which GitHub publishes a Linux runner. */
export enum RunnerArch {
  X64 = 'x64',
  ARM64 = 'arm64',
}

/** Guest distributions whose package manager and Docker repository the cloud-config knows. */
export enum Distribution {
  UBUNTU = 'ubuntu',
  DEBIAN = 'debian',
}

/**
 * The architecture's name in Debian/Ubuntu image file names and in KubeVirt's
 * `spec.template.spec.architecture`: both use the Debian names.
 */
export const ARCH_NAME: Readonly<Record<RunnerArch, string>> = Object.freeze({
  [RunnerArch.X64]: 'amd64',
  [RunnerArch.ARM64]: 'arm64',
});
