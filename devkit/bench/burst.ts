import { screeningEvent } from '../builders';
import { envelopeOf, post } from './deliveries';
import { setTimeout as sleep } from 'node:timers/promises';
import { inLanes, progress, say } from './load';
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
  say(`\n[4/6] burst: ${BURST} deliveries as fast as the client can send`);
  const sent = await sendBurst(service, BURST, `${service.tokens}b`, 'burst answered');
  const drainSeconds = await waitForRows(service, 'burst drained (rows written)', `${service.tokens}b`, BURST);
  return { deliveries: BURST, ...sent, drainSeconds };
}

/** `count` invite.sent deliveries to `target` over 100 connections, each retried up to 6 times on a non-2xx answer. */
export async function sendBurst(
  target: Pick<BenchService, 'apis' | 'secret'>,
  count: number,
  tokenPrefix: string,
  label: string,
): Promise<Pick<BurstResult, 'sendSeconds' | 'firstAttempt' | 'lostAfterRetries'>> {
  const BURST = count;
  const firstAttempt = new Map<number, number>();
  let lost = 0;
  let done = 0;
  const burstStarted = performance.now();
  await inLanes(100, BURST, async (i) => {
    const body = envelopeOf(screeningEvent(`${tokenPrefix}${i}`, 'invite.sent'));
    for (let attempt = 1; ; attempt += 1) {
      const { status, retryAfter } = await post(target, body).catch(() => ({ status: 0, retryAfter: 1 }));
      if (attempt === 1) firstAttempt.set(status, (firstAttempt.get(status) ?? 0) + 1);
      if (status >= 200 && status < 300) break;
      if (attempt === 6) {
        lost += 1;
        break;
      }
      // SingleKey would wait minutes; the benchmark honours Retry-After scaled down to seconds.
      await sleep(Math.min(retryAfter, 1) * 1000);
    }
    progress(label, ++done, BURST);
  });
  const sendSeconds = (performance.now() - burstStarted) / 1000;
  return { sendSeconds, firstAttempt: Object.fromEntries(firstAttempt), lostAfterRetries: lost };
}
