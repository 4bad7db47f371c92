import { App, Chart, Testing } from 'cdk8s';
import { OsImage, RunnerChart, RunnerCloudInit, RunnerPool, RunnerVm } from '../lib';

const FLEET = { url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token' };

describe('collisions across the App are refused at synth time', () => {
  test('two RunnerCharts with the default name', () => {
    const app = Testing.app();
    new RunnerChart(app, 'cpu', { ...FLEET, runnerLabels: ['cpu'] });
    new RunnerChart(app, 'gpu', { ...FLEET, runnerLabels: ['gpu'] });
    expect(() => app.synth()).toThrow(/two objects would be Secret default\/actions-runner-cloud-init \(v1\), at cpu\/Pool\/CloudInit\/Resource\/Resource and gpu\/Pool\/CloudInit\/Resource\/Resource/);
    expect(() => app.synth()).toThrow(/two objects would be VirtualMachine default\/actions-runner-0/);
    expect(() => app.synth()).toThrow(/two objects would be DataVolume default\/actions-runner-image/);
  });

  test('a failed synth writes nothing', () => {
    const outdir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'collide-'));
    const app = new App({ outdir });
    new RunnerChart(app, 'a', FLEET);
    new RunnerChart(app, 'b', FLEET);
    expect(() => app.synth()).toThrow(/two objects would be/);
    expect(require('node:fs').readdirSync(outdir)).toEqual([]);
  });

  test('two pools in one chart', () => {
    const chart = Testing.chart();
    new RunnerPool(chart, 'a', { ...FLEET, replicas: 1, name: 'runners' });
    new RunnerPool(chart, 'b', { ...FLEET, replicas: 2, name: 'runners' });
    expect(() => Testing.synth(chart)).toThrow(/two objects would be VirtualMachine test\/runners-0|two objects would be Secret/);
  });

  test('a RunnerVm named like a pool VM', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'ci' });
    const pool = new RunnerPool(chart, 'pool', { ...FLEET, replicas: 1, name: 'runners' });
    new RunnerVm(chart, 'extra', {
      cloudInit: pool.cloudInit, tokenSecretName: 't', name: 'runners-0', rootDisk: { osImage: pool.goldenImage!.asImage(), size: '50Gi' },
    });
    expect(() => Testing.synth(chart)).toThrow(/two objects would be VirtualMachine ci\/runners-0/);
  });

  test('the same runner names for the same GitHub URL in two namespaces replace each other on GitHub', () => {
    const app = Testing.app();
    new RunnerChart(app, 'staging', { ...FLEET, namespace: 'staging' });
    new RunnerChart(app, 'production', { ...FLEET, url: 'https://github.com/ACME', namespace: 'production' });
    expect(() => app.synth()).toThrow(/two runners named 'actions-runner-0' would register with https:\/\/github.com\/ACME \(staging\/Pool\/Runner0 in namespace staging, production\/Pool\/Runner0 in namespace production\)/);
  });

  test('distinct fleets synthesize', () => {
    const app = Testing.app();
    new RunnerChart(app, 'cpu', { ...FLEET, name: 'cpu-runner' });
    new RunnerChart(app, 'gpu', { ...FLEET, name: 'gpu-runner', osImage: OsImage.debian12() });
    new RunnerChart(app, 'other-org', { ...FLEET, url: 'https://github.com/other', namespace: 'other' });
    expect(() => app.synthYaml()).not.toThrow();
  });

  test('one cloud-init shared by many VMs is not a collision', () => {
    const chart = Testing.chart();
    const cloudInit = new RunnerCloudInit(chart, 'ci', { url: FLEET.url });
    for (const name of ['a', 'b']) {
      new RunnerVm(chart, name, { cloudInit, name, tokenSecretName: 't', rootDisk: { osImage: OsImage.pvc('test', 'golden', { distribution: cloudInit.distribution }), size: '20Gi' } });
    }
    expect(() => Testing.synth(chart)).not.toThrow();
  });
});
