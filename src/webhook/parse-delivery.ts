import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ScreeningEvent } from '../../workflows/messages';

/**
 * Walking skeleton of the wire format: the signed envelope with a nested `data` object.
 * The ingress issue extends this to every shape in shared/singlekey-wire-formats.md.
 */
const purchaseToken = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'expected 1-128 letters, digits, _ or -');

const envelopeSchema = z.object({
  event: z.string().min(1).max(64),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  webhook_id: z.string().min(1).max(255).optional(),
  data: z.looseObject({
    purchase_token: purchaseToken,
    external_customer_id: z.string().max(255).optional(),
    external_tenant_id: z.string().max(255).optional(),
  }),
});

export type ParseResult =
  | { ok: true; event: ScreeningEvent }
  | { ok: false; code: 'invalid_json' | 'invalid_payload'; issues: { path: string; message: string }[] };

export function parseDelivery(rawBody: Buffer, receivedAt: Date): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    return { ok: false, code: 'invalid_json', issues: [{ path: '', message: (error as Error).message }] };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'invalid_payload',
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    };
  }
  const body = parsed.data;
  return {
    ok: true,
    event: {
      type: body.event,
      purchaseToken: body.data.purchase_token,
      dedupeKey: body.webhook_id ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`,
      occurredAt: body.timestamp ? new Date(body.timestamp).toISOString() : receivedAt.toISOString(),
      receivedAt: receivedAt.toISOString(),
      externalCustomerId: body.data.external_customer_id,
      externalTenantId: body.data.external_tenant_id,
    },
  };
}
