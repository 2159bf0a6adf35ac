import { setTimeout as sleep } from 'node:timers/promises';
import { signedRequest } from '../builders';
import { envelopeOf } from '../bench/deliveries';
import { screeningEvent } from '../builders';
import type { ScreeningEventType } from '../../workflows/messages';

/** How the deliveries of one fault's screenings were answered. */
export interface DeliveryTally {
  /** HTTP requests made, retries and duplicate copies included. */
  requests: number;
  ok: number;
  unavailable: number;
  /** No answer at all (connection refused or reset, or none within the timeout); retried like a 503. */
  noAnswer: number;
  /** Answers other than 200 and 503, as `status event token` (each one is a failure of the suite). */
  other: string[];
}

/** A screening's lifecycle as SingleKey reports it, in order. */
const lifecycle: { type: ScreeningEventType; data: (token: string) => Record<string, unknown> }[] = [
  { type: 'invite.sent', data: (token) => ({ landlord: { email: `landlord.${token}@chaos.test` }, tenant: { email: `tenant.${token}@chaos.test` } }) },
  { type: 'form.opened', data: () => ({}) },
  { type: 'screening.submitted', data: () => ({}) },
  { type: 'screening.payment_captured', data: () => ({}) },
  { type: 'screening.completed', data: () => ({ singlekey_score: 720 }) },
];

export interface LoadOptions {
  /** Purchase tokens are `<prefix><n>`. */
  prefix: string;
  screenings: number;
  /** New screenings started per second. */
  rate: number;
  /** Pause between a screening's deliveries (SingleKey's steps take time). */
  stepGapMs: number;
  /** Share of deliveries sent a second time after their 200, as an at-least-once sender does. */
  duplicateShare: number;
  apis: string[];
  secret: string;
  /** Gives up retrying a delivery after this long (a screening then counts as lost). */
  giveUpAfterMs: number;
}

/**
 * Plays whole lifecycles to the two API processes as SingleKey would: each delivery is signed when
 * sent, retried after a 503 or no answer (against the other process, as a load balancer would) until
 * it is answered 200, and a share of them is delivered twice. Resolves when every delivery is answered.
 */
export async function playLifecycles(options: LoadOptions, tally: DeliveryTally): Promise<void> {
  let next = 0;
  const screenings = Array.from({ length: options.screenings }, async (_, n) => {
    await sleep((n / options.rate) * 1000);
    const token = `${options.prefix}${n}`;
    for (const step of lifecycle) {
      const body = envelopeOf(screeningEvent(token, step.type), { ...step.data(token) });
      await deliverUntilAccepted(options, tally, body, `${step.type} ${token}`, () => next++);
      if (Math.random() < options.duplicateShare) await deliverUntilAccepted(options, tally, body, `${step.type} ${token} (copy)`, () => next++);
      await sleep(options.stepGapMs);
    }
  });
  await Promise.all(screenings);
}

async function deliverUntilAccepted(options: LoadOptions, tally: DeliveryTally, body: string, what: string, turn: () => number): Promise<void> {
  const deadline = Date.now() + options.giveUpAfterMs;
  for (let attempt = 0; Date.now() < deadline; attempt += 1) {
    const api = options.apis[turn() % options.apis.length]!;
    const delivery = signedRequest(body, options.secret);
    tally.requests += 1;
    let status: number;
    try {
      const response = await fetch(`${api}/webhooks/singlekey`, {
        method: 'POST',
        body: delivery.body,
        headers: delivery.headers,
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      tally.noAnswer += 1;
      await sleep(500);
      continue;
    }
    if (status === 200) {
      tally.ok += 1;
      return;
    }
    if (status !== 503) {
      tally.other.push(`${status} ${what}`);
      return;
    }
    tally.unavailable += 1;
    // SingleKey backs off on its own schedule; a short one keeps the suite quick.
    await sleep(Math.min(5_000, 500 * 2 ** Math.min(attempt, 4)));
  }
}
