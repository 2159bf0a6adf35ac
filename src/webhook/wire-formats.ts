import { z } from 'zod';

/**
 * zod schemas for every payload shape SingleKey documents (shared/singlekey-wire-formats.md).
 * Identity fields are strict: without them a delivery cannot be routed, so it is refused.
 * Facts are lenient: a malformed optional fact is dropped (`.catch(undefined)`) rather than the
 * whole delivery refused, because a refused delivery is never retried and would be lost.
 */

export const purchaseTokenSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'expected 1-128 letters, digits, ".", "_" or "-"');

const externalId = z.union([z.string().trim().min(1).max(255), z.number().transform(String)]).optional();
const text = (max = 255) => z.string().trim().min(1).max(max).optional().catch(undefined);
const email = z.string().trim().pipe(z.email()).optional().catch(undefined);
const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .optional()
  .catch(undefined);
const instant = z.iso.datetime({ offset: true }).optional().catch(undefined);
const integer = z.coerce.number().int().optional().catch(undefined);
const bool = z.boolean().optional().catch(undefined);
const score = z.coerce.number().int().min(300).max(900).optional().catch(undefined);

const personSchema = z
  .looseObject({ email, first_name: text(), last_name: text(), phone: text(64) })
  .optional()
  .catch(undefined);

/** `data` of the signed envelope, with both the flat and the nested field layouts allowed. */
const envelopeDataSchema = z.looseObject({
  purchase_token: purchaseTokenSchema,
  external_customer_id: externalId,
  external_tenant_id: externalId,
  external_deal_id: externalId.catch(undefined),
  external_listing_id: externalId.catch(undefined),
  // flat layout
  tenant_email: email,
  landlord_email: email,
  singlekey_score: score,
  report_url: httpUrl,
  reason: text(),
  errors: z.array(z.string()).max(50).optional().catch(undefined),
  invite_type: text(32),
  amount: z.coerce.number().optional().catch(undefined),
  currency: text(8),
  payment_method: text(64),
  // nested layout
  tenant: personSchema,
  landlord: personSchema,
  result: z
    .looseObject({ singlekey_score: score, recommendation: z.enum(['approved', 'conditional', 'declined']).optional().catch(undefined) })
    .optional()
    .catch(undefined),
  links: z.looseObject({ report: httpUrl, pdf: httpUrl }).optional().catch(undefined),
  failure: z
    .looseObject({
      reason: text(),
      message: text(2000),
      errors: z.array(z.string()).max(50).optional().catch(undefined),
      recoverable: bool,
    })
    .optional()
    .catch(undefined),
  invite: z
    .looseObject({ type: text(32), form_url: httpUrl })
    .optional()
    .catch(undefined),
  payment: z
    .looseObject({ amount: integer, tax: integer, total: integer, currency: text(8), method: text(64), paid_by: text(64) })
    .optional()
    .catch(undefined),
  // moments
  submitted_at: instant,
  completed_at: instant,
  failed_at: instant,
  opened_at: instant,
  sent_at: instant,
  charged_at: instant,
});

/** The signed event envelope: `{ event, timestamp, webhook_id?, api_version?, data }`. */
export const envelopeSchema = z.looseObject({
  event: z.string().trim().min(1).max(128),
  timestamp: instant,
  webhook_id: z.string().trim().min(1).max(255).optional(),
  api_version: z.string().max(32).optional().catch(undefined),
  data: envelopeDataSchema,
});

/** The partner-portal format: `{ detail, purchase_token, external_customer_id, external_tenant_id }`. */
export const portalSchema = z.looseObject({
  detail: z.string().trim().min(1).max(128),
  purchase_token: purchaseTokenSchema.optional(),
  external_customer_id: externalId,
  external_tenant_id: externalId,
});

export type EnvelopeData = z.output<typeof envelopeDataSchema>;
