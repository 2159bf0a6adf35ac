import type Router from '@koa/router';
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Middleware } from 'koa';
import { createHash } from 'node:crypto';
import getRawBody from 'raw-body';
import { requestWorkflowIdFor, requestWorkflowType, type ScreeningRequestInput, type ScreeningRequestOutcome } from '../../workflows/messages';
import { canonical } from '../../workflows/screening-machine';
import { HttpError } from './errors';
import { idempotencyKeySchema, type ScreeningCreated, screeningRequestSchema } from './platform-schemas';

export interface ScreeningRequestDeps {
  client: Client;
  taskQueue: string;
  /** SingleKey's `callback_url`: this service's webhook endpoint, as SingleKey reaches it. */
  callbackUrl: string;
  /** How long a POST waits for SingleKey before answering 503 (the request carries on regardless). */
  waitMs?: number;
}

/** What a 503 asks the platform to wait before retrying with the same Idempotency-Key. */
const RETRY_AFTER_SECONDS = 5;

/**
 * `POST /screenings`: the platform asks for a screening; the service asks SingleKey, with its own
 * webhook URL as `callback_url`. Idempotent by `Idempotency-Key`: each key is one request workflow
 * (workflows/request-workflow.ts), so a retry joins the request already under way, or gets its
 * answer once it has one; the same key with another body is refused (409). Keys are remembered for
 * as long as Temporal retains the workflow (TEMPORAL_RETENTION), or until a request failed for good.
 */
export function registerScreeningRequestRoute(router: Router, guard: Middleware, deps: ScreeningRequestDeps): void {
  const { client } = deps;
  router.post('/screenings', guard, async (ctx) => {
    const key = idempotencyKeySchema.safeParse(ctx.get('Idempotency-Key'));
    if (!key.success) throw new HttpError(400, 'idempotency_key_required', 'send an Idempotency-Key header (printable ASCII, up to 255 characters)');
    if (!ctx.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'send the request body as application/json');
    let body: unknown;
    try {
      body = JSON.parse(await getRawBody(ctx.req, { limit: '64kb', encoding: 'utf8' }));
    } catch (error) {
      if ((error as { type?: string }).type === 'entity.too.large') throw new HttpError(413, 'body_too_large', 'the request body is larger than 64 kB');
      throw new HttpError(400, 'invalid_json', 'the request body is not JSON');
    }
    const parsed = screeningRequestSchema.safeParse(body);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
      throw new HttpError(422, 'invalid_request', 'the request is not valid', errors);
    }
    const input: ScreeningRequestInput = { request: parsed.data, callbackUrl: deps.callbackUrl, bodyHash: sha256(canonical(parsed.data)) };
    const workflowId = requestWorkflowIdFor(sha256(key.data).slice(0, 40));

    let handle;
    try {
      handle = await client.workflow.start(requestWorkflowType, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        memo: { bodyHash: input.bodyHash },
        // A request under way is joined; one that ended is answered again; one that failed for good may start over.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        staticSummary: `Screening request for landlord ${parsed.data.external_customer_id}, tenant ${parsed.data.external_tenant_id}`,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw unavailable('Temporal', error);
      handle = client.workflow.getHandle(workflowId);
    }
    const description = await handle.describe().catch((error: unknown) => {
      throw unavailable('Temporal', error);
    });
    if (description.memo?.bodyHash !== input.bodyHash) {
      throw new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was used for another request body; use a new key for a new request');
    }

    let outcome: ScreeningRequestOutcome;
    try {
      outcome = (await client.connection.withDeadline(Date.now() + (deps.waitMs ?? 5_000), () => handle.result())) as ScreeningRequestOutcome;
    } catch (error) {
      // Failed (SingleKey unreachable for a day) or terminated by an operator: the key may start a new request.
      if (error instanceof WorkflowFailedError) throw unavailable('SingleKey', error, 'the request did not complete; send it again');
      const attempt = (await handle.describe().catch(() => undefined))?.raw.pendingActivities?.[0]?.attempt;
      throw unavailable('SingleKey', error, `SingleKey has not answered yet${attempt ? ` (attempt ${attempt})` : ''}; the request is kept and retried`);
    }
    if (outcome.outcome === 'rejected') throw new HttpError(422, 'rejected_by_singlekey', 'SingleKey refused the request', outcome.errors);
    const created: ScreeningCreated = {
      purchase_token: outcome.purchaseToken,
      form_url: outcome.formUrl ?? null,
      tenant_form_url: outcome.tenantFormUrl ?? null,
      status: 'requested',
    };
    ctx.status = 201;
    ctx.set('Location', `/screenings/${encodeURIComponent(outcome.purchaseToken)}`);
    ctx.body = created;
  });
}

function unavailable(what: string, cause: unknown, detail = `${what} is unavailable`): HttpError {
  const error = new HttpError(503, 'unavailable', `${detail}: retry with the same Idempotency-Key`, undefined, `${what.toLowerCase()}_unavailable`);
  error.headers = { 'Retry-After': String(RETRY_AFTER_SECONDS) };
  error.cause = cause;
  return error;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
