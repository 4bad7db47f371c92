import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { K8sObject, cloudConfigOf, sourceEnvFile, writtenFile } from './util';
import { DEFAULT_RUNNER_VERSION } from '../lib/private/versions';

/** Runs main.ts the way `cdk8s synth` does, into a fresh output folder, and reads what it wrote. */
function synthDefaultApp(): { files: Record<string, string>; objects: K8sObject[] } {
  const outdir = mkdtempSync(join(tmpdir(), 'runners-main-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  try {
    jest.isolateModules(() => require('../main'));
    const files = Object.fromEntries(readdirSync(outdir).sort().map((f) => [f, readFileSync(join(outdir, f), 'utf8')]));
    const objects = Object.values(files).flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as K8sObject));
    return { files, objects };
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('the default app (main.ts)', () => {
  const { files, objects } = synthDefaultApp();

  test('writes one cloud-init Secret, one golden DataVolume, the fleet NetworkPolicy and two VMs with their own root disks', () => {
    expect(Object.keys(files)).toEqual(['actions-runners.k8s.yaml']);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/actions-runner-cloud-init',
      'DataVolume/actions-runner-image',
      'NetworkPolicy/actions-runner',
      'VirtualMachine/actions-runner-0',
      'VirtualMachine/actions-runner-1',
    ]);
    const vms = objects.filter((o) => o.kind === 'VirtualMachine');
    expect(vms.map((vm) => vm.spec.dataVolumeTemplates[0].metadata.name)).toEqual(['actions-runner-0-root', 'actions-runner-1-root']);
  });

  test('is the seed setup: Always, 8 CPU, 16Gi, 50Gi RWO disk from an HTTP qcow2 image, token Secret ci-runner-token', () => {
    const golden = objects.find((o) => o.kind === 'DataVolume')!;
    expect(golden.spec.source.http.url).toMatch(/^https:\/\/cloud-images\.ubuntu\.com\//);
    for (const vm of objects.filter((o) => o.kind === 'VirtualMachine')) {
      expect(vm.spec.runStrategy).toBe('Always');
      expect(vm.spec.template.spec.domain.resources.requests).toEqual({ cpu: '8', memory: '16Gi' });
      expect(vm.spec.dataVolumeTemplates[0].spec.storage).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
      expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'token', secret: { secretName: 'ci-runner-token', optional: true } });
    }
    const config = cloudConfigOf(objects.find((o) => o.kind === 'Secret')!);
    expect(config.users[0].name).toBe('actions-runner');
    expect(config.packages).toEqual(expect.arrayContaining(['ca-certificates', 'curl', 'git', 'docker-ce', 'docker-ce-cli',
      'containerd.io', 'docker-buildx-plugin', 'docker-compose-plugin']));
    const settings = sourceEnvFile(writtenFile(config, '/etc/actions-runner/runner.env'));
    expect(settings.RUNNER_DOWNLOAD_URL).toContain(`/v${DEFAULT_RUNNER_VERSION}/actions-runner-linux-x64-${DEFAULT_RUNNER_VERSION}.tar.gz`);
    expect(settings.RUNNER_DIR).toBe('/opt/actions-runner/runner');
  });

  test('matches the reviewed snapshot', () => {
    expect(files).toMatchSnapshot();
  });

  test('is byte-identical when synthesized again', () => {
    expect(synthDefaultApp().files).toEqual(files);
  });
});
