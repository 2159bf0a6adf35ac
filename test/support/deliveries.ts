import { randomUUID } from 'node:crypto';
import { newWebhookId, signedHeaders } from '../../devkit/stand-in/webhook-payloads';

/** A signed-envelope delivery as SingleKey sends it: the body bytes and its headers. */
export function signedDelivery(
  event: string,
  data: Record<string, unknown>,
  secret: string,
  options: { webhookId?: string; timestamp?: number } = {},
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    event,
    timestamp: new Date().toISOString(),
    webhook_id: options.webhookId ?? newWebhookId(),
    api_version: '2024-01',
    data,
  });
  return { body, headers: signedHeaders(event, body, secret, options.timestamp ?? Math.floor(Date.now() / 1000)) };
}

export function uniqueToken(prefix = 'pt'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
