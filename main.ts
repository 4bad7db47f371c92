import { App } from 'cdk8s';
import { RunnerChart } from './lib';

// The default fleet: the seed setup (one VM per runner, 8 CPU, 16Gi, 50Gi disk, Ubuntu 24.04,
// Docker) for two runners. Create the token Secret `ci-runner-token` first (README). The seed pinned
// runner 2.334.0; GitHub gives no jobs to a runner 30 days behind a release, so the fleet takes the
// library's default (the newest evidenced release: docs/20-versions.md) and the runner's self-update.
const app = new App();
new RunnerChart(app, 'actions-runners', {
  namespace: 'default',
  url: 'https://github.com/example-org',
  tokenSecretName: 'ci-runner-token',
  runnerLabels: ['kubevirt', 'docker', 'vm-8cpu-16gi'],
  replicas: 2,
  cpu: 8,
  memory: '16Gi',
  diskSize: '50Gi',
});
app.synth();
