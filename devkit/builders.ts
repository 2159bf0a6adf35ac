import { randomUUID } from 'node:crypto';
import { newWebhookId, SINGLEKEY_USER_AGENT, signedHeaders } from './stand-in/webhook-payloads';
import type { ScreeningEvent, ScreeningEventType } from '../workflows/messages';

/**
 * What tests (and the command-line tools) send to the service and signal to the workflow: SingleKey
 * deliveries as the bytes and headers it sends them, and the normalised `ScreeningEvent` the edge
 * hands to the workflow. Nothing here needs the test environment, so anything may import it.
 */

/** One HTTP delivery: the exact body bytes and the headers sent with them. */
export interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** A purchase token no other test uses: `<prefix>_` and 32 hex digits. */
export function uniqueToken(prefix = 'pt'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

export interface EnvelopeOptions {
  /** `webhook_id`: a fresh `wh_…` unless given. */
  webhookId?: string;
  /** The envelope's `timestamp` (ISO 8601): now unless given. */
  timestamp?: string;
}

/** The signed envelope's JSON: `{ event, timestamp, webhook_id, api_version, data }`. */
export function envelope(event: string, data: Record<string, unknown>, options: EnvelopeOptions = {}): Record<string, unknown> {
  return {
    event,
    timestamp: options.timestamp ?? new Date().toISOString(),
    webhook_id: options.webhookId ?? newWebhookId(),
    api_version: '2024-01',
    data,
  };
}

export interface SignOptions {
  /** `X-SingleKey-Timestamp` in Unix seconds: now unless given. */
  signedAt?: number;
}

/**
 * Any body signed as SingleKey signs a delivery, with the same headers. `X-SingleKey-Event` names
 * the body's `event` when it has one a header can carry, else is empty (the service ignores it).
 */
export function signedRequest(body: string, secret: string, options: SignOptions = {}): Delivery {
  return { body, headers: signedHeaders(eventNameIn(body), body, secret, options.signedAt ?? Math.floor(Date.now() / 1000)) };
}

/** A signed-envelope delivery as SingleKey sends it: `envelope(...)` serialised and signed. */
export function signedDelivery(event: string, data: Record<string, unknown>, secret: string, options: EnvelopeOptions & SignOptions = {}): Delivery {
  return signedRequest(JSON.stringify(envelope(event, data, options)), secret, options);
}

/**
 * A partner-portal delivery: `{ detail, ...data }` authenticated by its `Handshake-Token` header
 * (SingleKey adds `?pt=<purchase_token>` to the callback URL).
 */
export function portalDelivery(detail: string, data: Record<string, unknown>, handshakeToken: string): Delivery {
  return {
    body: JSON.stringify({ detail, ...data }),
    headers: { 'Content-Type': 'application/json', 'User-Agent': SINGLEKEY_USER_AGENT, 'Handshake-Token': handshakeToken },
  };
}

/** Posts a delivery to `url` as SingleKey does: its body and headers, nothing else. */
export function deliver(url: string, delivery: Delivery): Promise<Response> {
  return fetch(url, { method: 'POST', body: delivery.body, headers: delivery.headers });
}

/**
 * The normalised event the edge would signal for a signed-envelope delivery of `type`: `sourceEvent`
 * is `type`, the dedupe key is `wh_<type>_<purchaseToken>`, and it occurred and was received now.
 * `extra` overrides any of these and adds the parties, failure, invite or payment.
 */
export function screeningEvent(purchaseToken: string, type: ScreeningEventType, extra: Partial<ScreeningEvent> = {}): ScreeningEvent {
  const now = new Date().toISOString();
  return {
    type,
    sourceEvent: type,
    format: 'envelope',
    purchaseToken,
    dedupeKey: `wh_${type}_${purchaseToken}`,
    occurredAt: now,
    receivedAt: now,
    ...extra,
  };
}

function eventNameIn(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const event = typeof parsed === 'object' && parsed !== null ? (parsed as { event?: unknown }).event : undefined;
    return typeof event === 'string' && /^[\x21-\x7e]*$/.test(event) ? event : '';
  } catch {
    return '';
  }
}
