// Bench child: synthesizes N runners with the library's constructs (precompiled, build/) and prints
// one JSON line: the time spent building and synthesizing, and the process's peak RSS.
const { App } = require('cdk8s');
const { RunnerChart } = require('../../build/lib');

const replicas = Number(process.argv[2]);
const start = process.hrtime.bigint();
const app = new App({ outdir: '/dev/null' });
new RunnerChart(app, 'fleet', {
  url: 'https://github.com/example-org', tokenSecretName: 'ci-runner-token', labels: ['kubevirt', 'docker'],
  replicas, cpu: 8, memory: '16Gi', diskSize: '50Gi',
});
const yaml = app.synthYaml();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
console.log(JSON.stringify({ ms, bytes: yaml.length, maxRssKb: process.resourceUsage().maxRSS }));
