import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { Webhook } from 'standardwebhooks';

/** One status webhook the stand-in's platform receiver got, whether or not it verified. */
export interface ReceivedStatusWebhook {
  webhookId: string;
  type: string | null;
  status: string | null;
  purchase_token: string | null;
  received_at: string;
  /** The signature verified with the receiver's secret, within Standard Webhooks' 5-minute window. */
  verified: boolean;
  /** What the receiver answered: 204, 401 (not verified) or 503 (`failPlatformWebhooks`). */
  answered: number;
}

export const PLATFORM_WEBHOOK_PATH = '/platform-webhooks';

/**
 * The rental platform's side of the status webhooks, for development and tests: `POST
 * /platform-webhooks` verifies each delivery as a platform would, with the `standardwebhooks`
 * library and `secret`, answers 204 (verified) or 401 (not, or no secret given), and records it.
 * `fail(n)` makes the next n verified deliveries answer 503, to show retries; `delay(ms)` makes it
 * slow to answer, to show overlapping attempts.
 */
export function createPlatformReceiver(secret: string | undefined, onReceived?: (received: ReceivedStatusWebhook) => void) {
  const received: ReceivedStatusWebhook[] = [];
  const webhook = secret ? new Webhook(secret) : undefined;
  let failures: { left: number; status: number; retryAfterSeconds?: number } = { left: 0, status: 503 };
  let delayMs = 0;

  const middleware: Middleware = async (ctx, next) => {
    if (ctx.path !== PLATFORM_WEBHOOK_PATH || ctx.method !== 'POST') return next();
    const body = (await getRawBody(ctx.req, { limit: '256kb' })).toString('utf8');
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const headers = Object.fromEntries(Object.entries(ctx.headers).map(([name, value]) => [name, String(value ?? '')]));
    let verified = false;
    try {
      webhook?.verify(body, headers);
      verified = webhook !== undefined;
    } catch {
      // a wrong signature, a stale timestamp, a missing header: recorded as not verified
    }
    const event = parsed(body);
    const failing = verified && failures.left > 0;
    if (failing) failures.left -= 1;
    ctx.status = !verified ? 401 : failing ? failures.status : 204;
    if (failing && failures.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failures.retryAfterSeconds));
    const entry: ReceivedStatusWebhook = {
      webhookId: headers['webhook-id'] ?? '',
      type: typeof event?.type === 'string' ? event.type : null,
      status: typeof event?.data?.status === 'string' ? event.data.status : null,
      purchase_token: typeof event?.data?.purchase_token === 'string' ? event.data.purchase_token : null,
      received_at: new Date().toISOString(),
      verified,
      answered: ctx.status,
    };
    received.push(entry);
    onReceived?.(entry);
  };

  return {
    middleware,
    received,
    /** Received webhooks, in arrival order; of one screening when `purchaseToken` is given. */
    list: (purchaseToken?: string) => received.filter((entry) => purchaseToken === undefined || entry.purchase_token === purchaseToken),
    /** The next `count` verified deliveries are answered `status` (503 unless given), with `Retry-After` when given. */
    fail(count: number, status = 503, retryAfterSeconds?: number) {
      failures = { left: count, status, retryAfterSeconds };
    },
    /** Every delivery from now on is answered `ms` after its body arrived (0: at once). */
    delay(ms: number) {
      delayMs = ms;
    },
  };
}

function parsed(body: string): { type?: unknown; data?: { status?: unknown; purchase_token?: unknown } } | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
