import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';

// The README's library examples are run as written, with the package name mapped to lib/.
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.includes("from 'cdk8s-kubevirt-runners'"));

function runExample(code: string): any[] {
  const outdir = mkdtempSync(join(tmpdir(), 'runners-readme-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  try {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const load = (name: string) => require(name === 'cdk8s-kubevirt-runners' ? '../lib' : name);
    new Function('require', 'exports', js)(load, {});
    return readdirSync(outdir).flatMap((f) => parseAllDocuments(readFileSync(join(outdir, f), 'utf8')).map((d) => d.toJS()));
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('README examples', () => {
  test('there are library examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  test('the whole-fleet example is under 15 lines and synthesizes 4 runners', () => {
    const fleet = examples.find((code) => code.includes('new RunnerChart'))!;
    expect(fleet.trim().split('\n').filter((line) => line.trim() !== '').length).toBeLessThan(15);
    const objects = runExample(fleet);
    expect(objects.map((o) => o.kind)).toEqual(['Secret', 'DataVolume', 'VirtualMachine', 'VirtualMachine', 'VirtualMachine', 'VirtualMachine']);
  });

  test('the composition example synthesizes a Secret, a golden DataVolume and a VM cloning it', () => {
    const composed = examples.find((code) => code.includes('new RunnerVm'))!;
    const objects = runExample(composed);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}`)).toEqual(['Secret/ci', 'DataVolume/ci', 'VirtualMachine/ci']);
    const vm = objects[2];
    expect(vm.spec.dataVolumeTemplates[0].spec.source.pvc).toEqual({ namespace: 'ci', name: objects[1].metadata.name });
    expect(vm.spec.template.spec.domain.resources.requests).toEqual({ cpu: '16', memory: '64Gi' });
  });
});

describe('README: corporate networks', () => {
  test('the example synthesizes runners with the CA disk, behind the proxy, on the mirror', () => {
    const example = examples.find((code) => code.includes('caCertificatesFrom'))!;
    const objects = runExample(example);
    const vms = objects.filter((o) => o.kind === 'VirtualMachine');
    expect(vms).toHaveLength(2);
    for (const vm of vms) expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'runnerca', configMap: { name: 'corp-root-ca' } });
    const userData: string = objects.find((o) => o.kind === 'Secret').stringData.userdata;
    expect(userData).toContain('https_proxy: http://proxy.corp.example:3128');
    expect(userData).toContain('runner-mirror.list');
    expect(userData).toContain('docker.io');
  });
});
