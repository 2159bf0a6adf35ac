import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { statusQuery, workflowIdFor } from '../../workflows/messages';
import { envelopeOf, post } from './deliveries';
import { screeningEvent } from '../builders';
import { progress, say } from './load';
import type { BenchOptions } from './options';
import { countRows, waitForRows } from './rows';
import type { BenchService } from './service';

/** What a screening costs: Temporal history, PostgreSQL rows, service memory with many open. */
export interface CostResult {
  /** History of the first end-to-end screening (completed). */
  historyEvents: number;
  historyBytes: number;
  /** History of a clean lifecycle (invite, opened, submitted, paid, completed, one at a time), once its effects settled. */
  cleanLifecycleEvents: number;
  /** Rows per end-to-end screening in each table. */
  rowsPerScreening: Record<string, number>;
  openScreenings: number;
  /** Resident memory of the service process (API and worker). */
  serviceRssMiB: number;
}

/**
 * Phase 5: measures a completed screening, then starts open ones until the run has
 * `options.open` (`started`: how many earlier phases started outside the end-to-end one).
 */
export async function measureCost(service: BenchService, options: BenchOptions, started: number): Promise<CostResult> {
  const { open: OPEN, screenings: N } = options;
  say(`\n[5/5] cost: history, rows, worker memory with ${OPEN} open screenings`);
  const sample = await service.client.workflow.getHandle(workflowIdFor(`${service.tokens}e0`)).describe();
  const cleanLifecycleEvents = await cleanLifecycle(service);
  const rows: Record<string, number> = {};
  for (const table of ['screenings', 'delivery_log', 'notifications', 'reports']) {
    rows[table] = (await countRows(service, table, `${service.tokens}e`)) / N;
  }
  for (let i = started; i < OPEN; i += 1) {
    await service.signaler.signal(screeningEvent(`${service.tokens}o${i}`, 'invite.sent'));
    progress('open screenings started', i + 1, OPEN);
  }
  await waitForRows(service, 'open screenings recorded', service.tokens, Math.max(OPEN, started));
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${service.pid}/status`, 'utf8'))?.[1] ?? NaN);
  return {
    historyEvents: Number(sample.historyLength),
    cleanLifecycleEvents,
    historyBytes: Number(sample.historySize),
    rowsPerScreening: rows,
    openScreenings: Math.max(OPEN, started),
    serviceRssMiB: rssKiB / 1024,
  };
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
