// Bench child: the same objects as synth-constructs.cjs, written as raw cdk8s ApiObjects from a JSON
// fixture (loaded before the clock starts), synthesized the same way.
const { readFileSync } = require('node:fs');
const { ApiObject, App, Chart } = require('cdk8s');

const objects = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const start = process.hrtime.bigint();
const app = new App({ outdir: '/dev/null' });
const chart = new Chart(app, 'fleet');
objects.forEach((object, i) => new ApiObject(chart, `o${i}`, object));
const yaml = app.synthYaml();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
console.log(JSON.stringify({ ms, bytes: yaml.length, maxRssKb: process.resourceUsage().maxRSS }));
