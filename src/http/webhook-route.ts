import type Router from '@koa/router';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { ScreeningSignaler } from '../temporal/screening-signaler';
import type { DeliveryLogEntry } from '../../workflows/messages';
import { authenticate } from '../webhook/authenticate';
import { parseDelivery } from '../webhook/parse-delivery';
import { HttpError } from './errors';
import type { WebhookInbox } from '../webhook/inbox';

export const MAX_BODY_BYTES = 256 * 1024;
/** Seconds SingleKey is asked to wait before retrying after a 503 (it follows its own schedule anyway). */
export const RETRY_AFTER_SECONDS = 60;

interface Deps {
  config: Config;
  logger: Logger;
  signaler: ScreeningSignaler;
  metrics: Metrics;
  /** The delivery log: every delivery handed on or acknowledged; a failing write is logged, not answered. */
  deliveryLog?: (records: DeliveryLogEntry[]) => Promise<void>;
  /** WEBHOOK_INBOX `fallback` or `always`: deliveries are committed to PostgreSQL and forwarded from there. */
  inbox?: WebhookInbox;
}

/**
 * `POST /webhooks/singlekey[?pt=<purchase_token>]`: raw bytes first (the HMAC is over them), then
 * authentication, then parsing, then the hand-over to Temporal. It answers 200 only once Temporal
 * has durably accepted the signal, so a 2xx never hides a lost event; when Temporal is unreachable
 * it answers 503 and SingleKey retries. Log lines carry the purchase token, event, dedupe key,
 * outcome and latency, never a name, e-mail, phone number or the body.
 */
export function registerWebhookRoute(router: Router, deps: Deps): void {
  router.post('/webhooks/singlekey', async (ctx) => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      await receive(ctx, deps, seconds);
    } catch (error) {
      if (error instanceof HttpError) deps.metrics.deliveries.inc({ event: 'none', outcome: 'rejected', reason: error.reason });
      throw error;
    } finally {
      deps.metrics.requestSeconds.observe({ status: String(ctx.status) }, seconds());
    }
  });
}

async function receive(ctx: Context, deps: Deps, seconds: () => number): Promise<void> {
  const { singlekey } = deps.config;
  let log = (ctx.state.log as Logger | undefined) ?? deps.logger;
  const ms = () => Math.round(seconds() * 1e5) / 100;
  if (!ctx.request.is('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
  }
  let rawBody: Buffer;
  try {
    rawBody = await getRawBody(ctx.req, { limit: MAX_BODY_BYTES, length: ctx.request.length });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw new HttpError(413, 'payload_too_large', `body exceeds ${MAX_BODY_BYTES} bytes`);
    throw new HttpError(400, 'unreadable_body', 'request body could not be read');
  }
  deps.metrics.bodyBytes.observe(rawBody.length);

  const auth = authenticate(
    {
      rawBody,
      signature: ctx.get('X-SingleKey-Signature') || undefined,
      timestamp: ctx.get('X-SingleKey-Timestamp') || undefined,
      handshakeToken: ctx.get('Handshake-Token') || undefined,
    },
    { secrets: singlekey.webhookSecrets, handshakeToken: singlekey.handshakeToken, toleranceSeconds: singlekey.toleranceSeconds },
  );
  if (!auth.ok) {
    log.warn({ outcome: 'rejected', code: auth.code, reason: auth.reason, bytes: rawBody.length, ms: ms() }, 'webhook rejected');
    throw unauthenticated(auth.code);
  }
  // Which secret verified it: a rotation is complete when the old one's count stops moving.
  deps.metrics.authenticated.inc({ method: auth.method, secret: auth.method === 'hmac' ? String(auth.secretIndex) : '' });

  const pt = ctx.query.pt;
  const parsed = parseDelivery(rawBody, { receivedAt: new Date(), queryPurchaseToken: Array.isArray(pt) ? pt[0] : pt, authenticatedBy: auth.method });
  if (!parsed.ok && parsed.code === 'handshake_not_for_this_shape') {
    // The portal's static token vouches for portal deliveries only, never for an envelope that could, say, name a new landlord e-mail.
    log.warn({ outcome: 'rejected', code: parsed.code, ms: ms() }, 'webhook rejected: Handshake-Token on a body that is not a portal delivery');
    throw unauthenticated(parsed.code);
  }
  if (!parsed.ok) {
    log.warn({ outcome: 'rejected', code: parsed.code, issues: parsed.issues.map((i) => i.path), ms: ms() }, 'webhook invalid');
    throw new HttpError(400, parsed.code, 'delivery is not a valid SingleKey webhook', parsed.issues);
  }
  if ('unknown' in parsed) {
    const { sourceEvent, purchaseToken, dedupeKey } = parsed.unknown;
    deps.metrics.deliveries.inc({ event: 'unknown', outcome: 'unknown_event', reason: '' });
    await logDelivery(deps, { dedupeKey, purchaseToken, type: 'unknown', sourceEvent, outcome: 'unknown', receivedAt: new Date().toISOString() });
    log.info({ outcome: 'unknown_event', event: sourceEvent, purchaseToken, dedupeKey, ms: ms() }, 'webhook acknowledged: unknown event');
    ctx.body = { received: true, outcome: 'unknown_event' };
    return;
  }

  const { event } = parsed;
  log = log.child({ purchaseToken: event.purchaseToken });
  ctx.state.log = log;
  const logFields = { event: event.type, dedupeKey: event.dedupeKey };
  const { inbox } = deps;
  /** Commits the delivery to the inbox and answers 200; PostgreSQL away is a 503, as Temporal away is without an inbox. */
  const queue = async (why: string) => {
    try {
      await inbox!.enqueue(event);
    } catch (error) {
      deps.metrics.deliveries.inc({ event: event.type, outcome: 'unavailable', reason: '' });
      log.error({ ...logFields, outcome: 'unavailable', err: error, ms: ms() }, 'inbox unavailable; asking SingleKey to retry');
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      ctx.status = 503;
      ctx.body = { error: 'temporarily_unavailable', message: 'could not record the delivery; retry later' };
      return;
    }
    const outcome = 'queued';
    deps.metrics.deliveries.inc({ event: event.type, outcome, reason: why });
    log.info({ ...logFields, outcome, reason: why, ms: ms() }, `webhook ${outcome}`);
    ctx.body = { received: true, outcome };
  };
  // Queued deliveries of this screening go first: a direct signal now would overtake them.
  if (inbox?.mode === 'always') return queue('inbox');
  if (inbox?.mode === 'fallback' && (await inbox.hasQueued(event.purchaseToken).catch(() => false))) return queue('behind_queued');

  let result;
  const signalStarted = process.hrtime.bigint();
  const signalSeconds = () => Number(process.hrtime.bigint() - signalStarted) / 1e9;
  try {
    result = await deps.signaler.signal(event);
    deps.metrics.signalSeconds.observe({ outcome: result.outcome }, signalSeconds());
  } catch (error) {
    deps.metrics.signalSeconds.observe({ outcome: 'failed' }, signalSeconds());
    if (inbox?.mode === 'fallback') {
      log.warn({ ...logFields, err: error }, 'signal failed or slow; queueing the delivery in the inbox');
      return queue('temporal_unavailable');
    }
    deps.metrics.deliveries.inc({ event: event.type, outcome: 'unavailable', reason: '' });
    log.error({ ...logFields, outcome: 'unavailable', err: error, ms: ms() }, 'signal failed; asking SingleKey to retry');
    ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
    ctx.status = 503;
    ctx.body = { error: 'temporarily_unavailable', message: 'could not record the delivery; retry later' };
    return;
  }
  // `reopened`: a late delivery that changes an ended screening's outcome (counted: it means a webhook came very late).
  const outcome = result.outcome === 'signalled' ? 'accepted' : result.outcome;
  // The edge's own record of what it accepted, written here rather than by the workflow: it costs the
  // workflow no activity, and it is there whatever Temporal does next. A repeat is counted on its row.
  const { dedupeKey, purchaseToken, type, sourceEvent, occurredAt, receivedAt } = event;
  await logDelivery(deps, { dedupeKey, purchaseToken, type, sourceEvent, occurredAt, receivedAt, outcome: outcome === 'late' ? 'late' : 'applied' });
  deps.metrics.deliveries.inc({ event: event.type, outcome, reason: '' });
  log.info({ ...logFields, outcome, workflowId: result.workflowId, ms: ms() }, `webhook ${outcome}`);
  ctx.body = { received: true, outcome, workflowId: result.workflowId };
}

/**
 * Every authentication failure gets the same answer, so a caller cannot tell a good signature with a
 * stale timestamp from a bad signature; the precise reason goes to the log and the metrics.
 */
function unauthenticated(reason: string): HttpError {
  return new HttpError(401, 'unauthenticated', 'delivery could not be authenticated', undefined, reason);
}

async function logDelivery(deps: Deps, record: DeliveryLogEntry): Promise<void> {
  try {
    await deps.deliveryLog?.([record]);
  } catch (error) {
    deps.logger.error({ err: error, purchaseToken: record.purchaseToken, dedupeKey: record.dedupeKey }, 'could not log the delivery');
  }
}
