import { screeningEvent } from '../builders';
import { closedLoop, pct, say } from './load';
import type { BenchOptions } from './options';
import { waitForRows } from './rows';
import type { BenchService } from './service';

/** Screenings a phase started and how long the worker took to record them all after it. */
export interface Backlog {
  screenings: number;
  drainSeconds: number;
}

/** Closed-loop signal-with-start straight to Temporal: what the webhook edge could reach at best. */
export interface CeilingResult {
  rps: number;
  p50: number;
  p99: number;
  backlog: Backlog;
}

/** Phase 1: the ceiling, then waits for the worker to record every screening it started. */
export async function measureCeiling(service: BenchService, options: BenchOptions): Promise<CeilingResult> {
  say('\n[1/6] ceiling: signal-with-start straight to Temporal');
  const ceiling = await closedLoop('signal-with-start', options.concurrency, options.durationMs, async (i) => {
    await service.signaler.signal(screeningEvent(`${service.tokens}c${i}`, 'invite.sent'));
  });
  // Let the worker catch up first, so the ingest phase runs against the same idle worker.
  const drainSeconds = await waitForRows(service, 'worker catching up (rows written)', service.tokens, ceiling.count);
  return { rps: ceiling.rps, p50: pct(ceiling.latencies, 50), p99: pct(ceiling.latencies, 99), backlog: { screenings: ceiling.count, drainSeconds } };
}
