import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { supervise } from '../embedded/supervised';
import { statusQuery, workflowIdFor } from '../../workflows/messages';
import { envelopeOf, post } from './deliveries';
import { screeningEvent } from '../builders';
import { inLanes, progress, say } from './load';
import type { BenchOptions } from './options';
import { rssMiBOf } from './proc';
import { countRows, waitForRows } from './rows';
import type { BenchService } from './service';

/** What a screening costs: Temporal history, PostgreSQL rows, process memory with many open. */
export interface CostResult {
  /** History of the first end-to-end screening (completed). */
  historyEvents: number;
  historyBytes: number;
  /** History of a clean lifecycle (invite, opened, submitted, paid, completed, one at a time), once its effects settled. */
  cleanLifecycleEvents: number;
  /** Rows per end-to-end screening in each table. */
  rowsPerScreening: Record<string, number>;
  /** Screenings the earlier phases left open in the service. */
  openScreenings: number;
  /** Resident memory of the service process (`npm start`: API and worker in one), after every earlier phase. */
  serviceRssMiB: number;
  /** Screenings a worker process of its own (`npm run worker`, as deployed) started and holds open. */
  workerOpenScreenings: number;
  /** Resident memory of that worker process as it recorded the last of them. */
  workerRssMiB: number;
  /** The same a minute later, without work (open screenings sleep for days between deliveries). */
  workerSettledRssMiB: number;
}

/** How long the cost phase leaves the worker without work before it reads its memory again. */
const SETTLE_MS = 60_000;

/**
 * Phase 6: measures a completed screening and the service's memory (`started`: how many screenings
 * earlier phases left open), then a worker process of its own holding `options.open` open screenings.
 */
export async function measureCost(service: BenchService, options: BenchOptions, started: number): Promise<CostResult> {
  const { open: OPEN, screenings: N } = options;
  say(`\n[6/6] cost: history, rows, memory of the service and of a worker with ${OPEN} open screenings`);
  const sample = await service.client.workflow.getHandle(workflowIdFor(`${service.tokens}e0`)).describe();
  const cleanLifecycleEvents = await cleanLifecycle(service);
  const rows: Record<string, number> = {};
  for (const table of ['screenings', 'delivery_log', 'notifications', 'reports']) {
    rows[table] = (await countRows(service, table, `${service.tokens}e`)) / N;
  }
  const serviceRssMiB = rssMiBOf(service.pid);
  return {
    historyEvents: Number(sample.historyLength),
    cleanLifecycleEvents,
    historyBytes: Number(sample.historySize),
    rowsPerScreening: rows,
    openScreenings: started,
    serviceRssMiB,
    workerOpenScreenings: OPEN,
    ...(await workerHolding(service, OPEN)),
  };
}

/**
 * Starts `cli/worker.ts` as deployed (its own process, the production settings) on a task queue of
 * its own, starts `count` screenings there (an invitation each, as SingleKey's first delivery),
 * waits until it recorded every one, and returns its resident memory then and a minute later. V8
 * keeps the pages a busy minute grew its heaps to until its memory reducer runs, a few tens of
 * seconds after the work stopped: the first figure is the worker's as a burst ends, the second
 * its own while it holds sleeping screenings.
 */
async function workerHolding(service: BenchService, count: number): Promise<Pick<CostResult, 'workerRssMiB' | 'workerSettledRssMiB'>> {
  if (!service.workerEnv) throw new Error('this service cannot start a worker of its own');
  const taskQueue = `${service.tokens}worker`;
  const worker = supervise({
    name: 'bench worker',
    entry: 'cli/worker.ts',
    env: { ...service.workerEnv, TEMPORAL_TASK_QUEUE: taskQueue },
    logFile: path.join(service.dataDir, 'bench-worker.log'),
  });
  try {
    await worker.ready();
    const signaler = createScreeningSignaler(service.client, { taskQueue, lifecycle: loadConfig({}).lifecycle });
    const prefix = `${service.tokens}w`;
    let done = 0;
    await inLanes(16, count, async (i) => {
      await signaler.signal(screeningEvent(`${prefix}${i}`, 'invite.sent'));
      progress('screenings started on the worker', ++done, count);
    });
    await waitForRows(service, 'screenings recorded by the worker', prefix, count);
    const recorded = await countRows(service, 'screenings', prefix);
    if (recorded < count) throw new Error(`the worker recorded ${recorded} of ${count} screenings in time; see ${service.dataDir}/bench-worker.log`);
    const workerRssMiB = rssMiBOf(worker.child?.pid);
    say(`  worker RSS ${Math.round(workerRssMiB)} MiB; reading it again after ${SETTLE_MS / 1000} s without work ...`);
    await sleep(SETTLE_MS);
    if (worker.starts !== 1) throw new Error(`the worker restarted (${worker.starts} starts); see ${service.dataDir}/bench-worker.log`);
    return { workerRssMiB, workerSettledRssMiB: rssMiBOf(worker.child?.pid) };
  } finally {
    await worker.stop();
  }
}

/**
 * One clean lifecycle through the webhook, each delivery applied before the next is sent (as
 * SingleKey's minutes apart would be), and its history length once every effect has settled.
 */
async function cleanLifecycle(service: BenchService): Promise<number> {
  const token = `${service.tokens}clean`;
  const handle = service.client.workflow.getHandle(workflowIdFor(token));
  const steps = [
    ['invite.sent', { landlord: { email: `${token}@landlord.test` } }],
    ['form.opened', {}],
    ['screening.submitted', {}],
    ['screening.payment_captured', {}],
    ['screening.completed', { singlekey_score: 700 }],
  ] as const;
  const settled = async (applied: number) => {
    for (let waited = 0; waited < 30_000; waited += 50) {
      const view = await handle.query(statusQuery).catch(() => undefined);
      if (view && view.timeline.length >= applied && view.effects.pending.length === 0) return;
      await sleep(50);
    }
    throw new Error(`the clean lifecycle ${token} did not settle after ${applied} deliveries`);
  };
  for (const [i, [type, data]] of steps.entries()) {
    await post(service, envelopeOf(screeningEvent(token, type), data));
    await settled(i + 1);
  }
  return Number((await handle.describe()).historyLength);
}
