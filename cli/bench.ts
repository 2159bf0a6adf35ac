/**
 * `npm run bench [-- --duration 10 --concurrency 16 --screenings 200 --burst 5000 --open 10000]`:
 * starts the service on embedded defaults (with a SingleKey stand-in whose reports are ready at
 * once), measures it side by side in one run, prints a table and writes bench-results/<time>.json.
 * Figures on a shared machine are noisy: compare the ratios, not the absolute numbers.
 * `--profile <dir>` writes V8 CPU profiles of the service (open them in Chrome DevTools).
 * The phases live in devkit/bench/, one file each.
 */
import path from 'node:path';
import { measureBurst } from '../devkit/bench/burst';
import { measureCeiling } from '../devkit/bench/ceiling';
import { measureCost } from '../devkit/bench/cost';
import { measureEndToEnd } from '../devkit/bench/end-to-end';
import { measureFloor } from '../devkit/bench/floor';
import { measureGenerator } from '../devkit/bench/generator';
import { measureIngest } from '../devkit/bench/ingest';
import { measurePeer } from '../devkit/bench/peer';
import { parseBenchOptions, usage } from '../devkit/bench/options';
import { type BenchResults, describeMachine, renderTable, writeResults } from '../devkit/bench/report';
import { startBenchService } from '../devkit/bench/service';
import { startBenchCluster } from '../devkit/bench/cluster-service';
import { say } from '../devkit/bench/load';

async function main(): Promise<void> {
  let options;
  try {
    options = parseBenchOptions();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (!options) {
    console.log(usage);
    return;
  }
  const machine = describeMachine();
  const service = await startBenchService(options);
  let results: BenchResults;
  try {
    const generator = await measureGenerator(service, options);
    const ceiling = await measureCeiling(service, options);
    const ingest = await measureIngest(service, options, ceiling.backlog.screenings);
    const endToEnd = await measureEndToEnd(service, options, ingest.rps);
    const knee = [];
    for (const [i, rate] of options.knee.entries()) knee.push(await measureEndToEnd(service, options, ingest.rps, { rate, prefix: `${service.tokens}k${i}x` }));
    const burst = await measureBurst(service, options);
    const peer = await measurePeer(service, options);
    const floor = await measureFloor(service, options);
    // Screenings left open so far (the end-to-end ones completed): the cost phase tops up to --open.
    const started = ceiling.backlog.screenings + ingest.backlog.screenings + burst.deliveries;
    const cost = await measureCost(service, options, started);
    results = { machine, options, generator, ceiling, ingest, endToEnd, knee, burst, peer, floor, cost };
  } finally {
    await service.stop();
  }
  if (options.cluster) {
    say('\n=== the same ceiling, ingest and end-to-end phases on the cluster profile ===');
    const cluster = await startBenchCluster(`bench-${Date.now().toString(36)}-`);
    try {
      const clusterCeiling = await measureCeiling(cluster, options);
      const clusterIngest = await measureIngest(cluster, options, clusterCeiling.backlog.screenings);
      const clusterEndToEnd = await measureEndToEnd(cluster, options, clusterIngest.rps);
      // The burst and its peer again, with the API in processes of its own (the production layout).
      const clusterBurst = await measureBurst(cluster, options);
      const clusterPeer = await measurePeer(cluster, options);
      results.cluster = { ceiling: clusterCeiling, ingest: clusterIngest, endToEnd: clusterEndToEnd, burst: clusterBurst, peer: clusterPeer };
    } finally {
      await cluster.stop();
    }
  }
  const file = writeResults(results);
  console.log(renderTable(results));
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
