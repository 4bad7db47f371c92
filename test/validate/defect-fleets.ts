import { Chart, Testing } from 'cdk8s';
import { ManifestObject } from '../../lib/validate';
import { ImageSharing, RunnerImage, RunnerKedaScaleSet, RunnerScaleSet, RunnerWarmPool } from '../../lib';
import { synth } from '../util';

/** The four fleets the defect set mutates, each as the objects of one file. */
export type FleetName = 'arc' | 'arc-clone' | 'warm' | 'keda';

function build(name: FleetName): Chart {
  const app = Testing.app();
  switch (name) {
    case 'arc':
    case 'arc-clone': {
      const chart = new Chart(app, name, { namespace: 'arc-runners' });
      const image = new RunnerImage(chart, 'image', { name: 'ci-image', ...(name === 'arc-clone' ? { sharing: ImageSharing.CLONE_PER_JOB } : {}) });
      new RunnerScaleSet(chart, 'runners', { url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image, name: 'kubevirt-vm' });
      return chart;
    }
    case 'warm': {
      const chart = new Chart(app, name, { namespace: 'warm' });
      const image = new RunnerImage(chart, 'image', { name: 'ci-image' });
      new RunnerWarmPool(chart, 'warm', {
        url: 'https://github.com/acme', runnerImage: image, replicas: 3, tokenSecretName: 'ci-runner-token', name: 'warm', runnerLabels: ['warm'],
        tokenRefresher: { githubCredentialsSecret: 'github-app' }, activeHours: { start: '0 7 * * 1-5', end: '0 19 * * 1-5', timeZone: 'Europe/Berlin' },
      });
      return chart;
    }
    case 'keda': {
      const chart = new Chart(app, name, { namespace: 'keda-runners' });
      const image = new RunnerImage(chart, 'image', { name: 'ci-image' });
      new RunnerKedaScaleSet(chart, 'runners', { url: 'https://github.com/acme', githubCredentialsSecret: 'github-app', runnerImage: image, name: 'kubevirt-vm', runnerLabels: ['kubevirt'] });
      return chart;
    }
  }
}

const cache = new Map<FleetName, string>();

/** A fresh deep copy of a fleet's objects, for one test to break. */
export function fleet(name: FleetName): ManifestObject[] {
  if (!cache.has(name)) cache.set(name, JSON.stringify(synth(build(name))));
  return (JSON.parse(cache.get(name)!) as any[]).map((object) => ({ file: `${name}.yaml`, object }));
}
