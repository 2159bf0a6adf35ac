import { screeningEvent } from '../builders';
import { envelopeOf, post } from './deliveries';
import { setTimeout as sleep } from 'node:timers/promises';
import { progress, say } from './load';
import type { BenchOptions } from './options';
import { waitForRows } from './rows';
import type { BenchService } from './service';

/** Deliveries sent as fast as 100 connections allow, retried like SingleKey but sooner. */
export interface BurstResult {
  deliveries: number;
  sendSeconds: number;
  /** How many first attempts got each HTTP status (0: no answer). */
  firstAttempt: Record<string, number>;
  /** Deliveries still not accepted after 6 attempts. */
  lostAfterRetries: number;
  drainSeconds: number;
}

/** Phase 4: the burst, then waits for the worker to record its screenings. */
export async function measureBurst(service: BenchService, options: BenchOptions): Promise<BurstResult> {
  const BURST = options.burst;
  say(`\n[4/5] burst: ${BURST} deliveries as fast as the client can send`);
  const firstAttempt = new Map<number, number>();
  let lost = 0;
  let done = 0;
  let next = 0;
  const burstStarted = performance.now();
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < BURST) {
        const i = next++;
        const body = envelopeOf(screeningEvent(`${service.tokens}b${i}`, 'invite.sent'));
        for (let attempt = 1; ; attempt += 1) {
          const { status, retryAfter } = await post(service, body).catch(() => ({ status: 0, retryAfter: 1 }));
          if (attempt === 1) firstAttempt.set(status, (firstAttempt.get(status) ?? 0) + 1);
          if (status >= 200 && status < 300) break;
          if (attempt === 6) {
            lost += 1;
            break;
          }
          // SingleKey would wait minutes; the benchmark honours Retry-After scaled down to seconds.
          await sleep(Math.min(retryAfter, 1) * 1000);
        }
        progress('burst answered', ++done, BURST);
      }
    }),
  );
  const sendSeconds = (performance.now() - burstStarted) / 1000;
  const drainSeconds = await waitForRows(service, 'burst drained (rows written)', `${service.tokens}b`, BURST);
  return { deliveries: BURST, sendSeconds, firstAttempt: Object.fromEntries(firstAttempt), lostAfterRetries: lost, drainSeconds };
}
