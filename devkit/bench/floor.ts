import path from 'node:path';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, type InjectedSinks, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { workflowTaskSettings } from '../../src/temporal/worker';
import { readPidFile } from '../embedded/managed-process';
import { inLanes, progress, say } from './load';
import { cpuSecondsOf } from './proc';
import type { BenchOptions } from './options';
import type { BenchService } from './service';
import { floorDeliverySignal, type FloorSinks, type floorWorkflow } from './floor-workflows';

/** One pass of the floor phase: `workflows` new workflows, started as the edge starts screenings. */
export interface FloorPass {
  workflows: number;
  /** From the first signal-with-start until the last workflow took its signal. */
  drainSeconds: number;
  /** CPU time per workflow of the Temporal dev server and of the process running the worker and the client. */
  temporalCpuMs: number;
  workerCpuMs: number;
}

/** The least `--burst` new workflows cost here: taking their signal, then also one local activity each. */
export interface FloorResult {
  signalOnly: FloorPass;
  localActivity: FloorPass;
}

/** As many signal-with-starts at a time as the inbox forwarder runs (src/webhook/inbox.ts). */
const LANES = 32;
const PASS_TIMEOUT_MS = 600_000;

/**
 * Phase 5: the floor under the burst row. The same number of new workflows as the burst, started
 * with signal-with-start from 32 lanes against the service's own Temporal dev server, on a worker
 * in this process with the service's worker settings: workflows that do nothing but take their first
 * signal, then the same recording themselves with one local activity. No HTTP, no inbox, no
 * encryption, no PostgreSQL: no design with one workflow per screening drains a burst faster here.
 */
export async function measureFloor(service: BenchService, options: BenchOptions): Promise<FloorResult> {
  const N = options.burst;
  say(`\n[5/6] floor: ${N} new workflows that do nothing but take their signal, then the same with one local activity each`);
  const address = service.workerEnv?.TEMPORAL_ADDRESS;
  if (!address) throw new Error('the floor phase needs the address of the service’s Temporal dev server');
  const temporalPid = readPidFile(path.join(service.dataDir, 'temporal', 'temporal.pid'))?.pid;
  if (!temporalPid) throw new Error('the floor phase needs the pid of the service’s Temporal dev server');
  const taskQueue = `${service.tokens}floor`;
  let passName = '';
  let taken = 0;
  let lastTakenAt = 0;
  const took = () => {
    taken += 1;
    lastTakenAt = performance.now();
    progress(passName, taken, N);
  };
  try {
    // The SDK's own lines at WARN: its INFO lines (worker state changes) would break the progress lines.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed by an earlier call in this process: keep it.
  }
  // The service's connection without its payload codec: the floor encrypts nothing.
  const client = new Client({ connection: service.client.connection });
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./floor-workflows'), logger: new DefaultLogger('WARN') }),
      activities: { recordFloor: async () => took() },
      sinks: { floor: { taken: { fn: took, callDuringReplay: false } } } satisfies InjectedSinks<FloorSinks>,
      // The service's worker settings.
      maxCachedWorkflows: loadConfig({}).workerMaxCachedWorkflows,
      ...workflowTaskSettings,
    });
    const pass = async (name: string, recordWithLocalActivity: boolean): Promise<FloorPass> => {
      passName = name;
      taken = 0;
      const cpu0 = { temporal: cpuSecondsOf(temporalPid), worker: cpuSecondsOf(process.pid) };
      const started = performance.now();
      await inLanes(LANES, N, async (i) => {
        const id = `${recordWithLocalActivity ? 'la' : 'signal'}-${i}`;
        await client.workflow.signalWithStart<typeof floorWorkflow, [unknown]>('floorWorkflow', {
          workflowId: `${service.tokens}floor-${id}`,
          taskQueue,
          args: [id, recordWithLocalActivity],
          signal: floorDeliverySignal,
          signalArgs: [{}],
        });
      });
      while (taken < N) {
        if (performance.now() - started > PASS_TIMEOUT_MS)
          throw new Error(`floor: ${name}: ${taken} of ${N} workflows took their signal in ${PASS_TIMEOUT_MS / 60_000} minutes`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return {
        workflows: N,
        drainSeconds: (lastTakenAt - started) / 1000,
        temporalCpuMs: ((cpuSecondsOf(temporalPid) - cpu0.temporal) * 1000) / N,
        workerCpuMs: ((cpuSecondsOf(process.pid) - cpu0.worker) * 1000) / N,
      };
    };
    return await worker.runUntil(async () => ({
      signalOnly: await pass('signal only', false),
      localActivity: await pass('one local activity', true),
    }));
  } finally {
    await connection.close();
  }
}
