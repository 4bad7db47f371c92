import type { RunnerPackage } from '../contract';

// The refresher bakes from the synthesized image's own templates (its bake cloud-config, DataVolume
// and VirtualMachine), with one change: the runner package. The library renders the templates for the
// synthesized release; this swaps its three strings (download URL, SHA-256, version) for the new
// release's. The library's tests check that swapping release A for B in the template rendered for A
// gives exactly the template rendered for B, so the refresher never needs the renderer.

/** `text` with every occurrence of `from`'s URL, checksum and version replaced by `to`'s. */
export function swapRunnerPackage(text: string, from: RunnerPackage, to: RunnerPackage): string {
  const version = new RegExp(`(?<![0-9.])${from.version.replace(/\./g, '\\.')}(?![0-9]|\\.[0-9])`, 'g');
  return text
    .split(from.downloadUrl).join(to.downloadUrl)
    .split(from.sha256).join(to.sha256)
    .replace(version, to.version);
}
