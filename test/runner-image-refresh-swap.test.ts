import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { Distribution, OsImage, RunnerArch, RunnerImage, RunnerRelease } from '../lib';
import { swapRunnerPackage } from '../lib/cluster/refresh/runner-package';
import { K8sObject, synth } from './util';

// The image refresher never renders: it bakes from the templates in its ConfigMap, rendered for the
// synthesized release A, with A's runner package swapped for the new release B's
// (lib/cluster/refresh/runner-package.ts). That is right only if swapping A for B in what the library
// renders for A gives exactly what it renders for B. Checked here on real RunnerImages: Ubuntu and
// Debian, both architectures, Docker on and off, with a mirror, over releases built with
// RunnerRelease.of (versions in actions/runner's range, random checksums).

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const version = fc.tuple(fc.constant(2), fc.integer({ min: 300, max: 999 }), fc.integer({ min: 0, max: 20 })).map((v) => v.join('.'));

interface Setup {
  readonly arch: RunnerArch;
  readonly distribution: Distribution;
  readonly docker: boolean;
  readonly mirror: boolean;
}

function refresherData(setup: Setup, release: RunnerRelease): { data: Record<string, string>; volumeName: string } {
  const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
  const baseOsImage = setup.distribution === Distribution.UBUNTU ? OsImage.ubuntu2404({ arch: setup.arch }) : OsImage.debian12({ arch: setup.arch });
  const image = new RunnerImage(chart, 'image', { name: 'ci-image', release, baseOsImage, docker: setup.docker });
  const configMap = synth(chart).find((o: K8sObject) => o.kind === 'ConfigMap' && o.metadata.name === 'ci-image-refresh')!;
  return { data: configMap.data, volumeName: image.volumeName };
}

const packageOf = (release: RunnerRelease) => ({ version: release.version, sha256: release.sha256, downloadUrl: release.downloadUrl });

describe('swapRunnerPackage on what RunnerImage renders', () => {
  test('render(A) with A swapped for B is render(B): the bake cloud-config, byte for byte', () => {
    const setup = fc.record({
      arch: fc.constantFrom(RunnerArch.X64, RunnerArch.ARM64),
      distribution: fc.constantFrom(Distribution.UBUNTU, Distribution.DEBIAN),
      docker: fc.boolean(),
      mirror: fc.boolean(),
    });
    fc.assert(fc.property(setup, version, hex64, version, hex64, (s, versionA, shaA, versionB, shaB) => {
      fc.pre(versionA !== versionB && shaA !== shaB);
      const options = { arch: s.arch, ...(s.mirror ? { downloadBaseUrl: 'https://mirror.corp/actions-runner' } : {}) };
      const a = RunnerRelease.of(versionA, { ...options, sha256: shaA });
      const b = RunnerRelease.of(versionB, { ...options, sha256: shaB });
      const renderedA = refresherData(s, a);
      const renderedB = refresherData(s, b);
      const userDataA = renderedA.data['bake-user-data.yaml'];
      // The template holds A's package; the swap leaves nothing of it.
      expect(userDataA).toContain(a.downloadUrl);
      expect(userDataA).toContain(a.sha256);
      const swapped = swapRunnerPackage(userDataA, packageOf(a), packageOf(b));
      expect(swapped).toBe(renderedB.data['bake-user-data.yaml']);
      // The bake's VirtualMachine and DataVolume hold no package, only the volume's name, which the refresher renames.
      for (const file of ['bake-vm.json', 'datavolume.json']) {
        expect(renderedA.data[file].split(renderedA.volumeName).join(renderedB.volumeName)).toBe(renderedB.data[file]);
        expect(renderedA.data[file]).not.toContain(a.sha256);
      }
    }), { seed: 20261207, numRuns: 40 });
  });

  test('the library\'s own release, swapped for a newer one, the same way', () => {
    const a = RunnerRelease.latestKnown(RunnerArch.ARM64);
    const b = RunnerRelease.of('2.338.0', { arch: RunnerArch.ARM64, sha256: 'ab'.repeat(32) });
    const setup: Setup = { arch: RunnerArch.ARM64, distribution: Distribution.DEBIAN, docker: true, mirror: false };
    expect(swapRunnerPackage(refresherData(setup, a).data['bake-user-data.yaml'], packageOf(a), packageOf(b)))
      .toBe(refresherData(setup, b).data['bake-user-data.yaml']);
  });
});
