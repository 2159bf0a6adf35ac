import { z } from 'zod';
import { createDocument, type ZodOpenApiResponseObject } from 'zod-openapi';
import { version } from '../../package.json';
import {
  idempotencyKeySchema,
  problemSchema,
  purchaseTokenSchema,
  screeningCreatedSchema,
  screeningListQuerySchema,
  screeningPageSchema,
  screeningRequestSchema,
  screeningSchema,
  statusEventSchema,
} from './platform-schemas';

/** Every error answer of the platform API: a problem document (RFC 9457). */
function problem(description: string, extra: Partial<ZodOpenApiResponseObject> = {}): ZodOpenApiResponseObject {
  return { description, content: { 'application/problem+json': { schema: problemSchema } }, ...extra };
}

const unauthorized = problem('No `Authorization: Bearer <key>` with a key from PLATFORM_API_KEYS.', { id: 'Unauthorized' });
const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
/** Where a screening's token in an answer leads: `GET /screenings/{purchase_token}`. */
const readScreening = (token: string) => ({ operationId: 'getScreening', parameters: { purchase_token: `$response.body#${token}` } });

/**
 * The rental platform's API as an OpenAPI 3.1 document, generated from the zod schemas the routes
 * validate with (`platform-schemas.ts`), so it cannot drift from them. Served at `/openapi.json`;
 * `npm run openapi` writes the checked-in copy.
 */
export function openApiDocument(): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Screening lifecycle service: the rental platform’s API',
      version,
      description:
        'Create tenant screenings at SingleKey, read their state, and receive a webhook whenever one changes status. Errors are `application/problem+json` (RFC 9457).',
    },
    security: [{ platformKey: [] }],
    components: {
      securitySchemes: {
        platformKey: { type: 'http', scheme: 'bearer', description: 'A key from PLATFORM_API_KEYS; one written `<key>:personal` also sees contacts.' },
      },
    },
    paths: {
      '/screenings': {
        post: {
          operationId: 'createScreening',
          summary: 'Request a screening at SingleKey',
          description:
            'Exactly one of `tenant_form` (the tenant fills in SingleKey’s form) and `run_now` (the landlord already has the tenant’s consent and details) is true. A retry with the same `Idempotency-Key` and body answers the same screening again.',
          requestParams: {
            header: z.object({
              'Idempotency-Key': idempotencyKeySchema.describe('Chosen by the caller, one per screening it means to create; retries reuse it.'),
            }),
          },
          requestBody: { required: true, content: json(screeningRequestSchema) },
          responses: {
            '201': {
              description: 'Created (or the same screening again, for a retry with the same key and body).',
              headers: z.object({ Location: z.string().describe('The screening’s URL in this API: `/screenings/<purchase_token>`.') }),
              content: json(screeningCreatedSchema),
              links: { getScreening: readScreening('/purchase_token') },
            },
            '400': problem('`Idempotency-Key` is missing or not valid, or the body is not JSON.'),
            '401': unauthorized,
            '409': problem('This `Idempotency-Key` was used before with another body.'),
            '413': problem('The body is larger than 64 kB.'),
            '415': problem('The body is not sent as `application/json`.'),
            '422': problem('The request is not valid, by our rules or SingleKey’s; `errors` names the fields.'),
            '503': problem(
              'SingleKey (or the service’s workflow engine) has not answered in time. The request is kept and retried: send it again after `Retry-After` with the same `Idempotency-Key` to get its answer.',
              { headers: z.object({ 'Retry-After': z.number().int().min(0).describe('Seconds to wait before retrying.') }) },
            ),
          },
        },
        get: {
          operationId: 'listScreenings',
          summary: 'List screenings, newest first, a page at a time',
          requestParams: { query: screeningListQuerySchema },
          responses: {
            '200': {
              description: 'One page; `next_cursor` fetches the next.',
              content: json(screeningPageSchema),
              links: { getFirstScreening: readScreening('/screenings/0/purchase_token') },
            },
            '400': problem('A query parameter is not valid (`errors` names each), or the cursor is not one this API issued.'),
            '401': unauthorized,
          },
        },
      },
      '/screenings/{purchase_token}': {
        get: {
          operationId: 'getScreening',
          summary: 'One screening: status, milestones, result, e-mails sent, report PDF',
          requestParams: { path: z.object({ purchase_token: purchaseTokenSchema }) },
          responses: {
            '200': { description: 'The screening.', content: json(screeningSchema) },
            '401': unauthorized,
            '404': problem('No screening with that purchase token.'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'The OpenAPI document.', content: json(z.looseObject({ openapi: z.string() })) } },
        },
      },
    },
    webhooks: {
      screeningStatusChanged: {
        post: {
          operationId: 'screeningStatusChanged',
          summary: 'A screening reached a new status (sent to PLATFORM_WEBHOOK_URL)',
          description:
            'Standard Webhooks: `webhook-signature` is `v1,<base64 HMAC-SHA256>` over `<webhook-id>.<webhook-timestamp>.<body>` with the `whsec_` secret. One message per (screening, status), in the order the statuses were reached; every retry of a message carries the same `webhook-id`, so receivers dedupe on it.',
          security: [],
          requestParams: {
            header: z.object({
              'webhook-id': z.string().describe('The message’s id, the same on every retry.'),
              'webhook-timestamp': z.string().regex(/^\d+$/).describe('When this attempt was signed, in Unix seconds.'),
              'webhook-signature': z.string().describe('Space-separated `v1,<base64>` signatures (several while the secret is rotated).'),
            }),
          },
          requestBody: { required: true, content: json(statusEventSchema) },
          responses: {
            '2XX': { description: 'Received. Any answer but 2xx and 410, or none within 10 s, is retried with backoff (honouring `Retry-After`).' },
            '410': { description: 'The receiver wants no more: this message is not sent again (the next status change is).' },
          },
        },
      },
    },
  });
}
