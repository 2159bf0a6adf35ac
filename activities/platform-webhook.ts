import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../src/db/connection';
import { isErased } from '../src/db/erasure';
import { type PlatformWebhookTarget, postStatusWebhook, type StatusChange, statusEventOf, webhookIdOf } from '../src/platform/status-webhook';
import { failureTypes, type ScreeningSnapshot } from '../workflows/messages';
import { CLAIM_MS, claimedUntil, whileClaimed } from './ledger-claim';

export type PlatformWebhookOutcome =
  | { outcome: 'sent'; webhookId: string }
  /** PLATFORM_WEBHOOK_URL is not set: the platform is not told. */
  | { outcome: 'not_configured' }
  /** The screening was erased: nothing about it goes out any more. */
  | { outcome: 'not_needed' };

/** What the workflow passes for one status change: the change, and the screening as it stood then. */
export interface StatusWebhookInput extends StatusChange {
  screening: ScreeningSnapshot;
}

export interface PlatformWebhookDeps {
  db: Db;
  /** Unset when PLATFORM_WEBHOOK_URL is. `publicBaseUrl` makes `screening_url`; `claimMs` shortens the claim's lease (tests). */
  platformWebhook?: PlatformWebhookTarget & { publicBaseUrl: string; claimMs?: number };
}

/** One ledger row's key and the attempt count of the claim on it: writes after the POST touch the row only while it is still this attempt's. */
type Claim = { purchase_token: string; screening_status: string; status: 'sending'; attempts: number };

/**
 * Sends the status webhook for one (screening, status) once, whatever Temporal retries or restarts,
 * through the ledger `platform_webhooks`, as sendOnce (send-once.ts) sends e-mail: the row is
 * claimed in one UPDATE (`sending` until `claimed_until`, renewed while the POST runs) and marked
 * `sent` after a 2xx. An attempt that finds it sent sends nothing; one that finds a live claim fails
 * retryably (`PlatformWebhookBeingSent`) without sending. The body is fixed when the row is first
 * written, so every attempt sends the same bytes under the same `webhook-id`; a crash between the
 * receiver's 2xx and `sent` re-sends them once the claim has expired, which receivers dedupe.
 */
export async function deliverStatusWebhook(deps: PlatformWebhookDeps, input: StatusWebhookInput): Promise<PlatformWebhookOutcome> {
  const { db, platformWebhook: target } = deps;
  if (!target) return { outcome: 'not_configured' };
  const { purchaseToken } = input.screening;
  const key = { purchase_token: purchaseToken, screening_status: input.status };
  const webhookId = webhookIdOf(purchaseToken, input.status);
  // Erased (withdrawn consent, retention): nothing about the screening leaves the service again.
  if (await isErased(db, purchaseToken)) return { outcome: 'not_needed' };
  const body = JSON.stringify(statusEventOf(input.screening, input, target.publicBaseUrl));
  await db('platform_webhooks')
    .insert({ ...key, webhook_id: webhookId, body, status: 'pending' })
    .onConflict(['purchase_token', 'screening_status'])
    .ignore();
  const claimSeconds = (target.claimMs ?? CLAIM_MS) / 1000;
  const claimed = (await db('platform_webhooks')
    .where(key)
    .andWhere((q) => q.where('status', 'pending').orWhere((expired) => expired.where('status', 'sending').andWhere('claimed_until', '<', db.fn.now())))
    .update({ status: 'sending', claimed_until: claimedUntil(db, claimSeconds), attempts: db.raw('attempts + 1'), updated_at: db.fn.now() }, [
      'attempts',
      'body',
    ])) as { attempts: number; body: string }[];
  if (claimed[0]) {
    const ours: Claim = { ...key, status: 'sending', attempts: claimed[0].attempts };
    const stored = claimed[0].body;
    return whileClaimed(db, 'platform_webhooks', ours, claimSeconds, () => deliver(db, target, ours, webhookId, stored));
  }
  const row = (await db('platform_webhooks').where(key).first()) as { status: string; error: string | null; claimed_until: Date | null } | undefined;
  if (!row) return { outcome: 'not_needed' }; // deleted by an erasure since it was written
  if (row.status === 'sent') return { outcome: 'sent', webhookId };
  if (row.status === 'failed') {
    throw ApplicationFailure.create({ type: failureTypes.platformWebhookRejected, nonRetryable: true, message: `refused earlier: ${row.error ?? ''}` });
  }
  throw ApplicationFailure.create({
    type: failureTypes.platformWebhookBeingSent,
    message: `another attempt is sending webhook ${webhookId} (claimed until ${row.claimed_until?.toISOString() ?? '?'}); retrying later`,
  });
}

/**
 * One POST of a claimed webhook, and the ledger's record of its answer. Following Standard Webhooks
 * (and Svix, which retries any non-2xx): 2xx is delivered; 410 Gone means the receiver wants no more
 * webhooks, so it fails for good (`PlatformWebhookRejected`); every other answer (3xx, 4xx such as
 * 400/401/404 from a receiver not deployed or configured yet, 429, 5xx) and no answer at all are
 * retried on the activity's schedule, honouring `Retry-After`. Giving up on a 4xx would lose the
 * platform's status for good over what is usually a fault the platform fixes within hours.
 */
async function deliver(db: Db, target: PlatformWebhookTarget, ours: Claim, webhookId: string, body: string): Promise<PlatformWebhookOutcome> {
  const record = (fields: Record<string, unknown>) =>
    db('platform_webhooks')
      .where(ours)
      .update({ ...fields, updated_at: db.fn.now() });
  let answer;
  try {
    answer = await postStatusWebhook(target, webhookId, body);
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    const message = `no answer: ${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}`.slice(0, 1000);
    await record({ status: 'pending', claimed_until: null, response_code: null, error: message });
    throw error;
  }
  if (answer.status >= 200 && answer.status < 300) {
    await record({ status: 'sent', claimed_until: null, response_code: answer.status, error: null, sent_at: db.fn.now() });
    return { outcome: 'sent', webhookId };
  }
  if (answer.status === 410) {
    const message = 'the platform answered 410 Gone: it takes no more status webhooks at PLATFORM_WEBHOOK_URL';
    await record({ status: 'failed', claimed_until: null, response_code: 410, error: message });
    throw ApplicationFailure.create({ type: failureTypes.platformWebhookRejected, nonRetryable: true, message });
  }
  const message = `the platform answered ${answer.status}`;
  await record({ status: 'pending', claimed_until: null, response_code: answer.status, error: message });
  throw ApplicationFailure.create({ type: failureTypes.platformWebhookUnavailable, message, nextRetryDelay: answer.retryAfterMs });
}
