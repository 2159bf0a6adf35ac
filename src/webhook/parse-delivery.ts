import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { ScreeningEvent, ScreeningEventType } from '../../workflows/messages';
import { type EnvelopeData, envelopeSchema, portalSchema, purchaseTokenSchema } from './wire-formats';

export interface ParseIssue {
  path: string;
  message: string;
}

export type ParseResult =
  | { ok: true; event: ScreeningEvent }
  /** Authentic and well-formed, but an event this service does not act on: acknowledge, do nothing. */
  | { ok: true; unknown: { sourceEvent: string; purchaseToken: string; dedupeKey: string } }
  | { ok: false; code: 'invalid_json' | 'invalid_payload' | 'purchase_token_mismatch' | 'handshake_not_for_this_shape'; issues: ParseIssue[] };

const envelopeTypes: Record<string, ScreeningEventType> = {
  'invite.sent': 'invite.sent',
  'invite.opened': 'invite.opened',
  'form.opened': 'form.opened',
  'screening.submitted': 'screening.submitted',
  'screening.payment_captured': 'screening.payment_captured',
  'screening.completed': 'screening.completed',
  'screening.failed': 'screening.failed',
};

const portalTypes: Record<string, ScreeningEventType> = {
  'request sent to tenant': 'invite.sent',
  'tenant email opened': 'form.opened',
  'report in progress': 'screening.submitted',
  'partial report complete': 'report.partial',
  'report complete': 'screening.completed',
};

/** The moment field that dates each event in the nested layout. */
const momentField: Partial<Record<ScreeningEventType, keyof EnvelopeData>> = {
  'invite.sent': 'sent_at',
  'invite.opened': 'opened_at',
  'form.opened': 'opened_at',
  'screening.submitted': 'submitted_at',
  'screening.payment_captured': 'charged_at',
  'screening.completed': 'completed_at',
  'screening.failed': 'failed_at',
};

/**
 * Turns the raw bytes of an authenticated delivery into one `ScreeningEvent`, whichever shape it
 * came in. `queryPurchaseToken` is the `?pt=` of the request URL, which must agree with the body.
 * What authenticated it limits what it may be: the portal's `Handshake-Token` vouches only for the
 * portal shape; a signed delivery names its purchase token inside the signed bytes, never only in
 * the (unsigned) URL.
 */
export function parseDelivery(rawBody: Buffer, options: { receivedAt: Date; queryPurchaseToken?: string; authenticatedBy: 'hmac' | 'handshake' }): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    return { ok: false, code: 'invalid_json', issues: [{ path: '', message: (error as Error).message }] };
  }
  const dedupeFromBody = `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
  const receivedAt = options.receivedAt.toISOString();

  let queryToken: string | undefined;
  if (options.queryPurchaseToken !== undefined) {
    const parsed = purchaseTokenSchema.safeParse(options.queryPurchaseToken);
    if (!parsed.success) return invalid(parsed.error, 'pt');
    queryToken = parsed.data;
  }

  const isPortal = typeof json === 'object' && json !== null && 'detail' in json && !('event' in json);
  if (!isPortal && options.authenticatedBy === 'handshake') {
    return { ok: false, code: 'handshake_not_for_this_shape', issues: [{ path: '', message: 'Handshake-Token authenticates partner-portal deliveries only' }] };
  }
  if (isPortal) {
    const parsed = portalSchema.safeParse(json);
    if (!parsed.success) return invalid(parsed.error);
    const body = parsed.data;
    const purchaseToken = options.authenticatedBy === 'hmac' ? body.purchase_token : (body.purchase_token ?? queryToken);
    if (!purchaseToken) {
      const where = options.authenticatedBy === 'hmac' ? 'in the signed body' : 'in the body or as ?pt=';
      return { ok: false, code: 'invalid_payload', issues: [{ path: 'purchase_token', message: `required (${where})` }] };
    }
    if (queryToken && body.purchase_token && queryToken !== body.purchase_token) return mismatch();
    const type = portalTypes[body.detail.toLowerCase()];
    if (!type) return { ok: true, unknown: { sourceEvent: body.detail, purchaseToken, dedupeKey: dedupeFromBody } };
    return {
      ok: true,
      event: {
        type,
        sourceEvent: body.detail,
        format: 'portal',
        purchaseToken,
        dedupeKey: dedupeFromBody,
        occurredAt: receivedAt,
        receivedAt,
        externalCustomerId: body.external_customer_id,
        externalTenantId: body.external_tenant_id,
      },
    };
  }

  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return invalid(parsed.error);
  const { event: name, data, webhook_id: webhookId, timestamp } = parsed.data;
  if (queryToken && queryToken !== data.purchase_token) return mismatch();
  const dedupeKey = webhookId ?? dedupeFromBody;
  const type = envelopeTypes[name];
  if (!type) return { ok: true, unknown: { sourceEvent: name, purchaseToken: data.purchase_token, dedupeKey } };

  const moment = momentField[type];
  const occurred = (moment && (data[moment] as string | undefined)) ?? timestamp;
  return {
    ok: true,
    event: withoutUndefined({
      type,
      sourceEvent: name,
      format: 'envelope',
      purchaseToken: data.purchase_token,
      dedupeKey,
      occurredAt: occurred ? new Date(occurred).toISOString() : receivedAt,
      receivedAt,
      externalCustomerId: data.external_customer_id,
      externalTenantId: data.external_tenant_id,
      externalDealId: data.external_deal_id,
      externalListingId: data.external_listing_id,
      tenant: person(data.tenant, data.tenant_email),
      landlord: person(data.landlord, data.landlord_email),
      score: data.result?.singlekey_score ?? data.singlekey_score,
      recommendation: data.result?.recommendation,
      links: compact({ report: data.links?.report ?? data.report_url, pdf: data.links?.pdf }),
      failure:
        type === 'screening.failed'
          ? compact({
              reason: data.failure?.reason ?? data.reason,
              message: data.failure?.message,
              errors: data.failure?.errors ?? data.errors,
              recoverable: data.failure?.recoverable,
            })
          : undefined,
      invite: compact({ type: inviteType(data.invite?.type ?? data.invite_type), formUrl: data.invite?.form_url }),
      payment: compact({
        amountCents: data.payment?.amount,
        taxCents: data.payment?.tax,
        totalCents: data.payment?.total,
        amount: data.amount,
        currency: data.payment?.currency ?? data.currency,
        method: data.payment?.method ?? data.payment_method,
        paidBy: data.payment?.paid_by,
      }),
    }),
  };
}

function person(nested: EnvelopeData['tenant'], flatEmail: string | undefined) {
  return compact({ email: nested?.email ?? flatEmail, firstName: nested?.first_name, lastName: nested?.last_name, phone: nested?.phone });
}

function inviteType(value: string | undefined): 'email' | 'sms' | 'reminder' | undefined {
  return value === 'email' || value === 'sms' || value === 'reminder' ? value : undefined;
}

/** Drops undefined fields, so events carry only the facts SingleKey sent and stay small in history. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Like `withoutUndefined`, but an object left empty becomes undefined. */
function compact<T extends object>(value: T): T | undefined {
  const result = withoutUndefined(value);
  return Object.keys(result).length ? result : undefined;
}

function invalid(error: z.ZodError, prefix?: string): ParseResult {
  return {
    ok: false,
    code: 'invalid_payload',
    issues: error.issues.map((issue) => ({ path: [prefix, ...issue.path].filter((p) => p !== undefined).join('.'), message: issue.message })),
  };
}

function mismatch(): ParseResult {
  return { ok: false, code: 'purchase_token_mismatch', issues: [{ path: 'pt', message: '?pt= differs from the purchase_token in the body' }] };
}
