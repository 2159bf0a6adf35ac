/** Load helpers of the benchmark: closed and open loops, percentiles, progress lines on stderr. */
import { setTimeout as sleep } from 'node:timers/promises';

export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** A progress line: rewritten in place on a terminal, every tenth of the way otherwise. */
export function progress(label: string, done: number, total: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\r  ${label}: ${done}/${total}   `);
  else if (done === total || done % Math.max(1, Math.floor(total / 10)) === 0) say(`  ${label}: ${done}/${total}`);
  if (process.stderr.isTTY && done === total) process.stderr.write('\n');
}

/** The `p`th percentile of ascending `sorted` (NaN when empty). */
export const pct = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs `fn(0)` … `fn(count - 1)` in `lanes` parallel lanes, each taking the next index as soon as it is done with one. */
export async function inLanes(lanes: number, count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

export interface ClosedLoopResult {
  count: number;
  rps: number;
  /** Ascending, in milliseconds. */
  latencies: number[];
}

/** Runs `fn` in `concurrency` loops for `durationMs`; returns the count and sorted latencies (ms). */
export async function closedLoop(label: string, concurrency: number, durationMs: number, fn: (i: number) => Promise<void>): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const ticker = setInterval(() => progress(label, Math.round((performance.now() - started) / 1000), durationMs / 1000), 1000);
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - started < durationMs) {
          const i = next++;
          const t0 = performance.now();
          await fn(i);
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  progress(label, durationMs / 1000, durationMs / 1000);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count: latencies.length, rps: latencies.length / seconds, latencies };
}

export interface OpenLoopResult {
  sent: number;
  /** Requests whose `send` rejected (including the answers it rejected as wrong). */
  failed: number;
}

/**
 * Sends `items` at `rate` per second counted from `started`, whatever the answers (an open loop),
 * with at most `maxInFlight` requests outstanding, and resolves once every request has settled.
 * A request that fails is counted and frees its slot, so it shows in the result instead of
 * leaving the loop waiting forever.
 */
export async function openLoop<T>(
  label: string,
  items: readonly T[],
  options: { rate: number; maxInFlight: number; started: number },
  send: (item: T) => Promise<void>,
): Promise<OpenLoopResult> {
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  const settle = async (item: T) => {
    try {
      await send(item);
    } catch {
      failed += 1;
    } finally {
      inFlight -= 1;
    }
  };
  for (const item of items) {
    const due = options.started + (sent * 1000) / options.rate;
    if (due > performance.now()) await sleep(due - performance.now());
    while (inFlight >= options.maxInFlight) await sleep(1);
    inFlight += 1;
    sent += 1;
    // Not awaited: the next request goes out on schedule; `settle` never rejects.
    void settle(item);
    progress(label, sent, items.length);
  }
  while (inFlight > 0) await sleep(5);
  return { sent, failed };
}
