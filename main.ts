import { App } from 'cdk8s';
import { RunnerChart } from './lib';

// The default fleet: the seed setup (one VM per runner, 8 CPU, 16Gi, 50Gi disk, Ubuntu 24.04,
// Docker, runner 2.334.0) for two runners. Create the token Secret `ci-runner-token` first (README).
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
  runnerVersion: '2.334.0',
});
app.synth();
