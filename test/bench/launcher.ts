// npm run bench:launcher: the ARC launcher's own share of a job's start and end, and its Kubernetes
// API requests, against the fake API server (test/cluster/fake-kube.ts) with a set latency per
// request. One launcher at a time, BENCH_RUNS runs per configuration (medians and ranges):
// - from process start to the VMI created (the 201 of its POST), split at the first request (node
//   starting and loading the bundle: the machine's load shows most there);
// - from the VMI's phase Succeeded to the process's exit, split at the DELETE;
// - every request by verb and resource.
// BENCH_LATENCY_MS (default 20) is the latency the fake adds to every answer; BENCH_ONLY runs only the
// configurations whose label contains it. It only reports.
import { cpus, loadavg } from 'node:os';
import { runFleet, verbAndResource, type FleetOptions, type JobRun } from '../cluster/load/launcher-fleet';
import type { Exchange } from '../cluster/fake-kube';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);

const CONFIGURATIONS: readonly { readonly label: string; readonly features: FleetOptions['features']; readonly bakeMs?: number }[] = [
  { label: 'bare launcher (no image check, no exit status)', features: { imageReadyVmi: false, readRunnerExit: false } },
  { label: 'as synthesized: shared image (imageReadyVmi, readRunnerExit)', features: {} },
  { label: 'as synthesized, refreshed image (+ imagePointer)', features: { imagePointer: true } },
  { label: 'as synthesized, clone per job (+ DataVolume)', features: { clone: true } },
  { label: 'as synthesized, shared image, its bake still running for 10 s', features: {}, bakeMs: 10_000 },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(0)} ms`;
const figure = (xs: number[]) => `${ms(median(xs)).padStart(7)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`;

interface Timings { toFirstRequest: number; toCreated: number; succeededToDelete: number; succeededToExit: number; requests: string[] }

function timingsOf(job: JobRun, exchanges: readonly Exchange[]): Timings {
  const mine = exchanges.filter((e) => e.client === job.client);
  const created = mine.find((e) => e.request.method === 'POST' && e.request.url.endsWith('/virtualmachineinstances') && e.status === 201);
  const deleted = mine.find((e) => e.request.method === 'DELETE' && e.request.url.includes('/virtualmachineinstances/'));
  if (job.code !== 0 || !created || !deleted || job.succeededAt === undefined) {
    throw new Error(`the launcher did not run its job as expected (exit ${job.code}):\n${job.stdout}${job.stderr}`);
  }
  return {
    toFirstRequest: mine[0].receivedAt - job.spawnedAt!,
    toCreated: created.answeredAt! - job.spawnedAt!,
    succeededToDelete: deleted.receivedAt - job.succeededAt,
    succeededToExit: job.exitedAt! - job.succeededAt,
    requests: mine.map((e) => verbAndResource(e.request.method, e.request.url, e.watch)),
  };
}

async function main(): Promise<void> {
  console.log(`the ARC launcher against the fake API with ${LATENCY_MS} ms per request, no faults; ${RUNS} runs each, one launcher at a time `
    + `(medians [min–max]); ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  for (const { label, features, bakeMs } of CONFIGURATIONS.filter((c) => c.label.includes(process.env.BENCH_ONLY ?? ''))) {
    const runs: Timings[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const result = await runFleet({
        jobs: 1, load: { latencyMs: LATENCY_MS }, features, bakeMs, runningAfterMs: [50, 50], jobMs: [100, 100],
        bootTimeoutSeconds: 60, jobTimeoutSeconds: 60, retryBaseDelayMs: 1000, deadlineMs: 60_000,
      });
      // The first run warms the disk cache and the bundle: not counted.
      if (i > 0) runs.push(timingsOf(result.jobs[0], result.api.exchanges));
    }
    const requests = runs[0].requests;
    const counts = new Map<string, number>();
    for (const r of requests) counts.set(r, (counts.get(r) ?? 0) + 1);
    // Requests sent at once (clone mode's two POSTs, the Events) may arrive in either order: the same requests is what counts.
    const same = runs.every((r) => [...r.requests].sort().join() === [...requests].sort().join());
    console.log(`\n${label}: ${requests.length} requests per job${same ? '' : ' (varied between runs!)'}`);
    console.log(`  ${[...counts].map(([r, n]) => `${n} x ${r}`).join(', ')}`);
    console.log(`  in order (first run): ${requests.join(' -> ')}`);
    console.log(`  process start -> first request     ${figure(runs.map((r) => r.toFirstRequest))}  (node starts, loads the bundle, reads its config)`);
    console.log(`  process start -> VMI created       ${figure(runs.map((r) => r.toCreated))}`);
    console.log(`  first request -> VMI created       ${figure(runs.map((r) => r.toCreated - r.toFirstRequest))}  (the launcher's requests alone)`);
    console.log(`  VMI Succeeded -> DELETE sent       ${figure(runs.map((r) => r.succeededToDelete))}`);
    console.log(`  VMI Succeeded -> process exit      ${figure(runs.map((r) => r.succeededToExit))}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
