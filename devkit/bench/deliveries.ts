import { deliver, envelope, signedRequest } from '../builders';
import type { ScreeningEvent } from '../../workflows/messages';
import type { BenchService } from './service';

/** The body SingleKey would send for `e` (the signed envelope, nested layout). */
export const envelopeOf = (e: ScreeningEvent, data: Record<string, unknown> = {}): string =>
  JSON.stringify(envelope(e.type, { purchase_token: e.purchaseToken, ...data }, { webhookId: e.dedupeKey, timestamp: e.occurredAt }));

export interface DeliveryAnswer {
  status: number;
  /** Seconds, 0 when the answer had no `Retry-After`. */
  retryAfter: number;
}

let turn = 0;

/** Posts `body` to the service's webhook (its API processes in turn), signed exactly as the SingleKey stand-in signs. */
export async function post(service: Pick<BenchService, 'apis' | 'secret'>, body: string): Promise<DeliveryAnswer> {
  const api = service.apis[turn++ % service.apis.length]!;
  const response = await deliver(`${api}/webhooks/singlekey`, signedRequest(body, service.secret));
  await response.arrayBuffer();
  return { status: response.status, retryAfter: Number(response.headers.get('retry-after') ?? 0) };
}
