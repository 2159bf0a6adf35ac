import type Router from '@koa/router';
import getRawBody from 'raw-body';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { ScreeningSignaler } from '../temporal/screening-signaler';
import { authenticate } from '../webhook/authenticate';
import { parseDelivery } from '../webhook/parse-delivery';
import { HttpError } from './errors';

export const MAX_BODY_BYTES = 256 * 1024;

/**
 * `POST /webhooks/singlekey`: raw bytes first (the HMAC is over them), then authentication, then
 * parsing, then the signal. It answers 200 only once Temporal has durably accepted the signal, so a
 * 2xx never hides a lost event; when Temporal is unreachable it answers 503 and SingleKey retries.
 */
export function registerWebhookRoute(router: Router, deps: { config: Config; logger: Logger; signaler: ScreeningSignaler }) {
  const { singlekey } = deps.config;
  router.post('/webhooks/singlekey', async (ctx) => {
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
      deps.logger.warn({ code: auth.code, reason: auth.reason, bytes: rawBody.length }, 'webhook rejected');
      throw new HttpError(401, auth.code, 'delivery could not be authenticated');
    }

    const parsed = parseDelivery(rawBody, new Date());
    if (!parsed.ok) throw new HttpError(400, parsed.code, 'delivery is not a valid SingleKey webhook', parsed.issues);
    const { event } = parsed;

    try {
      const { workflowId } = await deps.signaler.signal(event);
      deps.logger.info({ event: event.type, purchaseToken: event.purchaseToken, dedupeKey: event.dedupeKey, workflowId }, 'webhook accepted');
      ctx.body = { received: true, workflowId };
    } catch (error) {
      deps.logger.error({ err: error, event: event.type, purchaseToken: event.purchaseToken }, 'signal failed');
      throw new HttpError(503, 'temporarily_unavailable', 'could not record the delivery; retry later', undefined, { 'Retry-After': '30' });
    }
  });
}
