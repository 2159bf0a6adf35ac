import { setTimeout as sleep } from 'node:timers/promises';
import type { ScenarioStep, WebhookFormat } from './scenarios';
import { newWebhookId, type StandInScreening, type WebhookCredentials, webhookMessage } from './webhook-payloads';

/**
 * Plays a scenario's webhooks to a callback URL as SingleKey delivers them: each delivery is
 * retried after 5xx, time-outs and refused connections at SingleKey's schedule, then abandoned;
 * a 2xx ends it; a 4xx is not retried (SingleKey documents both; the receiver must not rely on
 * either). Times are SingleKey's divided by `speed`, so a 14.5-hour retry story can play in seconds.
 */

/** Minutes between attempts: 0, 1 min, 5 min, 30 min, 2 h, 12 h (about 14.5 h in all). */
export const retryScheduleMinutes = [0, 1, 5, 30, 120, 720] as const;
/** SingleKey waits this long for an answer (not scaled: it is about the receiver's real speed). */
const answerTimeoutMs = 30_000;
/** Copies of one delivery go out this many minutes apart. */
const copySpacingMinutes = 0.2;

export type AttemptResult = 'delivered' | 'retrying' | 'refused' | 'abandoned';

export interface DeliveryAttempt {
  event: string;
  /** 1-based copy number and how many identical copies the step sends. */
  copy: number;
  copies: number;
  attempt: number;
  /** Real milliseconds since the playback started. */
  elapsedMs: number;
  /** SingleKey's time: minutes since the request. */
  minute: number;
  /** HTTP status, or undefined when no answer came. */
  status?: number;
  latencyMs: number;
  /** The receiver's `outcome` or `error` field, or why there was no answer. */
  answer: string;
  result: AttemptResult;
}

export interface Playback {
  attempts: DeliveryAttempt[];
  /** True once every delivery was answered 2xx, refused or abandoned. */
  finished: boolean;
  done: Promise<void>;
  stop(): void;
}

export function startPlayback(options: {
  steps: ScenarioStep[];
  format: WebhookFormat;
  speed: number;
  callbackUrl: string;
  screening: StandInScreening;
  credentials: WebhookCredentials;
  onAttempt?: (attempt: DeliveryAttempt) => void;
}): Playback {
  const { speed } = options;
  const startedAt = Date.now();
  const abort = new AbortController();
  const realMs = (minutes: number) => (minutes * 60_000) / speed;
  const attempts: DeliveryAttempt[] = [];

  const deliverCopy = async (step: ScenarioStep, copy: number, message: ReturnType<typeof webhookMessage>) => {
    let due = realMs((step.sendAt ?? step.at) + (copy - 1) * copySpacingMinutes);
    for (let attempt = 1; attempt <= retryScheduleMinutes.length; attempt++) {
      if (attempt > 1) due += realMs(retryScheduleMinutes[attempt - 1]!);
      await sleep(Math.max(0, startedAt + due - Date.now()), undefined, { signal: abort.signal });
      const sent = Date.now();
      const answer = await send(message, AbortSignal.any([abort.signal, AbortSignal.timeout(answerTimeoutMs)]));
      if (abort.signal.aborted) return;
      const ok = answer.status !== undefined && answer.status >= 200 && answer.status < 300;
      const refused = answer.status !== undefined && answer.status >= 400 && answer.status < 500;
      const last = attempt === retryScheduleMinutes.length;
      const record: DeliveryAttempt = {
        event: step.event,
        copy,
        copies: step.copies ?? 1,
        attempt,
        elapsedMs: sent - startedAt,
        minute: ((sent - startedAt) * speed) / 60_000,
        status: answer.status,
        latencyMs: Date.now() - sent,
        answer: answer.text,
        result: ok ? 'delivered' : refused ? 'refused' : last ? 'abandoned' : 'retrying',
      };
      attempts.push(record);
      options.onAttempt?.(record);
      if (record.result !== 'retrying') return;
    }
  };

  const deliveries = options.steps.flatMap((step) => {
    const message = webhookMessage({
      callbackUrl: options.callbackUrl,
      format: options.format,
      step,
      screening: options.screening,
      occurredAt: new Date(startedAt + realMs(step.at)).toISOString(),
      webhookId: newWebhookId(),
      credentials: options.credentials,
    });
    return Array.from({ length: step.copies ?? 1 }, (_, i) => deliverCopy(step, i + 1, message));
  });

  const playback: Playback = {
    attempts,
    finished: false,
    done: Promise.allSettled(deliveries).then(() => {
      playback.finished = true;
    }),
    stop: () => abort.abort(),
  };
  return playback;
}

async function send(message: ReturnType<typeof webhookMessage>, signal: AbortSignal): Promise<{ status?: number; text: string }> {
  try {
    const response = await fetch(message.url, {
      method: 'POST',
      headers: message.headers(Math.floor(Date.now() / 1000)),
      body: message.body,
      redirect: 'manual',
      signal,
    });
    const text = await response.text();
    let answer = '';
    try {
      const json = JSON.parse(text) as { outcome?: unknown; error?: unknown };
      answer = String(json.outcome ?? json.error ?? '');
    } catch {
      answer = text.slice(0, 60);
    }
    return { status: response.status, text: answer };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const name = (error as Error).name;
    return { text: name === 'TimeoutError' ? `no answer in ${answerTimeoutMs / 1000} s` : (cause ?? (error as Error).message) };
  }
}
