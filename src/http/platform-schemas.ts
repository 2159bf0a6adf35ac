/**
 * The rental platform's contract, in one place: what `POST /screenings` accepts and answers, what
 * the read API answers, and the status webhook the service sends to PLATFORM_WEBHOOK_URL. The
 * routes validate with these schemas and the OpenAPI document is generated from them, so the
 * document cannot drift from the code.
 */
import { z } from 'zod';

/** Every status a screening can have, in the order a clean lifecycle passes through them. */
export const platformStatuses = ['requested', 'unknown', 'invited', 'form_opened', 'submitted', 'completed', 'failed', 'expired', 'stalled'] as const;
export const screeningStatusSchema = z.enum(platformStatuses).meta({
  id: 'ScreeningStatus',
  description:
    '`requested`: created through POST /screenings, no word from SingleKey yet; `unknown`: SingleKey spoke of it, but of no step that sets a status.',
});

/** The dated milestones the platform sees, as read-model columns. */
export const milestoneKeys = ['requested_at', 'invited_at', 'form_opened_at', 'submitted_at', 'completed_at', 'failed_at', 'expired_at', 'stalled_at'] as const;
const instant = z.iso.datetime({ offset: true });
export const milestonesSchema = z
  .object(Object.fromEntries(milestoneKeys.map((key) => [key, instant.nullable()])) as Record<(typeof milestoneKeys)[number], z.ZodNullable<typeof instant>>)
  .meta({ id: 'Milestones', description: 'When each step happened (SingleKey’s time where it gave one), null until it has.' });

/** Text the service stores: PostgreSQL cannot hold U+0000 in text, so it is refused here, not at the INSERT. */
const storable = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // eslint-disable-next-line no-control-regex -- the control character is the point; a regex (not a refine) shows in the OpenAPI document
    .regex(/^[^\x00]*$/, 'must not contain U+0000');
const externalId = storable(255);
const score = z.number().int().min(300).max(900).nullable();
const recommendation = z.enum(['approved', 'conditional', 'declined']).nullable();

/** A purchase token as the read API accepts it in a path; any other is unknown (404). */
export const purchaseTokenSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/);
const name = storable(255).optional();
const phone = storable(32).min(3).optional();

/**
 * `POST /screenings`: SingleKey's own `POST /api/request` fields, without `callback_url` (the
 * service sets it to its own webhook URL). Exactly one of `tenant_form` (the tenant fills in
 * SingleKey's form) and `run_now` (the landlord already has the tenant's consent and details) is true.
 */
export const screeningRequestSchema = z
  .strictObject({
    external_customer_id: externalId.describe('The landlord’s id in the platform; the screening belongs to it for good.'),
    external_tenant_id: externalId.describe('The tenant’s id in the platform.'),
    ll_first_name: name,
    ll_last_name: name,
    ll_email: z.email().max(320).optional(),
    ll_tel: phone,
    ten_first_name: name,
    ten_last_name: name,
    ten_email: z.email().max(320).optional(),
    ten_tel: phone,
    purchase_address: storable(500).optional(),
    tenant_form: z.boolean().optional(),
    run_now: z.boolean().optional(),
  })
  .refine((body) => (body.tenant_form === true) !== (body.run_now === true), {
    message: 'exactly one of tenant_form and run_now must be true',
    path: ['tenant_form'],
  })
  .meta({ id: 'ScreeningRequest' });
export type ScreeningRequestBody = z.infer<typeof screeningRequestSchema>;

/** The `Idempotency-Key` header of `POST /screenings`: printable ASCII, up to 255 characters. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'printable ASCII without spaces, 1 to 255 characters');

/** `201` of `POST /screenings`, and the same again for a retry with the same key and body. */
export const screeningCreatedSchema = z
  .object({
    purchase_token: z.string(),
    form_url: z.url().nullable(),
    tenant_form_url: z.url().nullable(),
    status: screeningStatusSchema,
  })
  .meta({ id: 'ScreeningCreated' });
export type ScreeningCreated = z.infer<typeof screeningCreatedSchema>;

/** Errors (RFC 9457). `errors` names the fields or parameters at fault, for 400 and 422. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

/**
 * The body of the status webhook (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64>` over `id.timestamp.body` with the `whsec_` secret). One per
 * (screening, status), in the order the statuses were reached; `webhook-id` is the same on every
 * retry of one message, so receivers dedupe on it.
 */
export const statusEventSchema = z
  .object({
    type: z.literal('screening.status_changed'),
    timestamp: instant.describe('When the screening reached this status (the service’s clock).'),
    data: z.object({
      purchase_token: z.string(),
      status: screeningStatusSchema,
      previous_status: screeningStatusSchema.nullable(),
      external_customer_id: z.string().nullable(),
      external_tenant_id: z.string().nullable(),
      milestones: milestonesSchema,
      score,
      recommendation,
      screening_url: z.url().describe('GET it with a platform API key for the whole screening.'),
    }),
  })
  .meta({ id: 'ScreeningStatusChanged' });
export type StatusEvent = z.infer<typeof statusEventSchema>;

/** `GET /screenings` query: filters (all optional, combined with AND), page size and the cursor of the previous page. */
export const screeningListQuerySchema = z.object({
  external_customer_id: externalId.optional(),
  external_tenant_id: externalId.optional(),
  status: screeningStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Screenings per page.'),
  cursor: z.string().max(512).optional().describe('`next_cursor` of the previous page.'),
});

/** A screening as `GET /screenings` lists it: the read model's row, contacts only for a personal key. */
export const screeningSummarySchema = z
  .object({
    purchase_token: z.string(),
    status: screeningStatusSchema,
    external_customer_id: z.string().nullable(),
    external_tenant_id: z.string().nullable(),
    milestones: milestonesSchema,
    score,
    recommendation,
    erased: z.boolean().describe('The tenant’s personal data was erased (withdrawn consent).'),
    updated_at: instant,
    contacts: z
      .object({ tenant_email: z.string().nullable(), landlord_email: z.string().nullable() })
      .optional()
      .describe('Only for a key written `<key>:personal` in PLATFORM_API_KEYS.'),
  })
  .meta({ id: 'ScreeningSummary' });
export type ScreeningSummary = z.infer<typeof screeningSummarySchema>;

/** `GET /screenings/<purchase_token>`: the summary, the e-mails sent and the report PDF link. */
export const screeningSchema = screeningSummarySchema
  .extend({
    effects_sent: z.array(z.string()).describe('The e-mails sent, by send-ledger kind, oldest first.'),
    report_pdf: z.url().nullable().describe('A signed, expiring link to the archived report PDF; null until archived or once erased.'),
  })
  .meta({ id: 'Screening' });
export type Screening = z.infer<typeof screeningSchema>;

/** A page of `GET /screenings`, newest first. */
export const screeningPageSchema = z
  .object({
    screenings: z.array(screeningSummarySchema),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.'),
  })
  .meta({ id: 'ScreeningPage' });
export type ScreeningPage = z.infer<typeof screeningPageSchema>;
