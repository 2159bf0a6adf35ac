import { readFileSync } from 'node:fs';
import { workflowIdFor } from '../../workflows/messages';
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
    historyBytes: Number(sample.historySize),
    rowsPerScreening: rows,
    openScreenings: Math.max(OPEN, started),
    serviceRssMiB: rssKiB / 1024,
  };
}
