/**
 * The status webhook to the rental platform, in the Standard Webhooks format
 * (https://www.standardwebhooks.com): the body (`StatusEvent`, src/http/platform-schemas.ts), its
 * stable `webhook-id`, the signed headers, and one POST of it. Signing is the `standardwebhooks`
 * library's (Svix's reference implementation), so any receiver's copy of it verifies what is sent.
 * The ledger that sends each message once lives in activities/platform-webhook.ts.
 */
import { Webhook } from 'standardwebhooks';
import type { Milestone, ScreeningSnapshot, ScreeningStatus } from '../../workflows/messages';
import { milestoneKeys, type StatusEvent } from '../http/platform-schemas';

/** Where status webhooks go and what signs them (PLATFORM_WEBHOOK_URL, PLATFORM_WEBHOOK_SECRET). */
export interface PlatformWebhookTarget {
  url: string;
  /** `whsec_<base64>`. */
  secret: string;
}

/** How long the receiver has to answer one delivery. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Which `moments` entry each platform milestone comes from. */
const momentOf: Record<(typeof milestoneKeys)[number], Milestone> = {
  requested_at: 'requested',
  invited_at: 'invited',
  form_opened_at: 'formOpened',
  submitted_at: 'submitted',
  completed_at: 'completed',
  failed_at: 'failed',
  expired_at: 'expired',
  stalled_at: 'stalled',
};

/** A status change as the workflow reports it: the status reached, the one before (null: the first), and when (ISO 8601). */
export interface StatusChange {
  status: ScreeningStatus;
  previous: ScreeningStatus | null;
  at: string;
}

/** The webhook body for `change`, from the screening as it stood then. */
export function statusEventOf(screening: ScreeningSnapshot, change: StatusChange, publicBaseUrl: string): StatusEvent {
  const moments = screening.moments as Record<string, string | undefined>;
  const score = screening.score;
  return {
    type: 'screening.status_changed',
    timestamp: isoInstant(change.at) ?? new Date().toISOString(),
    data: {
      purchase_token: screening.purchaseToken,
      status: change.status,
      previous_status: change.previous,
      external_customer_id: screening.externalCustomerId ?? null,
      external_tenant_id: screening.externalTenantId ?? null,
      milestones: Object.fromEntries(milestoneKeys.map((key) => [key, isoInstant(moments[momentOf[key]])])) as StatusEvent['data']['milestones'],
      score: score !== undefined && Number.isInteger(score) && score >= 300 && score <= 900 ? score : null,
      recommendation: screening.recommendation ?? null,
      screening_url: `${publicBaseUrl.replace(/\/+$/, '')}/screenings/${encodeURIComponent(screening.purchaseToken)}`,
    },
  };
}

/**
 * `webhook-id` of the message for one status of one screening: the same on every retry and in every
 * run of the workflow, so the platform dedupes on it. Standard Webhooks forbids a `.` in it (it
 * delimits the signed content); purchase tokens and statuses have none.
 */
export function webhookIdOf(purchaseToken: string, status: ScreeningStatus): string {
  return `scr_${purchaseToken}_${status}`;
}

/** The request headers of one attempt: `webhook-timestamp` is the attempt's time (as Svix sends it), the signature covers id, timestamp and `body`. */
export function signedHeaders(secret: string, webhookId: string, body: string, attemptAt: Date): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(attemptAt.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(webhookId, attemptAt, body),
  };
}

/** The receiver's answer to one attempt; `retryAfterMs` from its `Retry-After` (seconds or an HTTP date). */
export interface DeliveryAnswer {
  status: number;
  retryAfterMs?: number;
}

/**
 * POSTs `body` (exactly these bytes, as signed) with a fresh signature. Redirects are not followed:
 * Standard Webhooks counts a 3xx as a failure (the URL should be updated instead). Rejects when no
 * answer came within DELIVERY_TIMEOUT_MS or the connection failed.
 */
export async function postStatusWebhook(target: PlatformWebhookTarget, webhookId: string, body: string): Promise<DeliveryAnswer> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: signedHeaders(target.secret, webhookId, body, new Date()),
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  });
  // The answer's body means nothing here; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  return { status: response.status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
}

/** The longest `Retry-After` honoured: a receiver asking for a day would otherwise hold its webhook that long. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

function isoInstant(value: string | undefined): string | null {
  const time = value === undefined ? NaN : Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}
