import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../src/db/connection';
import type { ScreeningRequest, ScreeningRequested, SingleKeyClient } from '../src/singlekey/client';
import type { ScreeningSignaler } from '../src/temporal/screening-signaler';
import type { Person, ScreeningEvent, ScreeningRequestInput } from '../workflows/messages';

/** The two steps of `POST /screenings` (workflows/request-workflow.ts). */
export function screeningRequestActivities(deps: { db: Db; singlekey: SingleKeyClient; signaler?: ScreeningSignaler }) {
  return {
    /** SingleKey's `POST /api/request`, with the service's own webhook URL as `callback_url`. */
    async requestScreening(input: { request: ScreeningRequestInput['request']; callbackUrl: string }): Promise<ScreeningRequested> {
      return deps.singlekey.requestScreening({ ...(input.request as unknown as ScreeningRequest), callback_url: input.callbackUrl });
    },

    /**
     * Signals (or starts) the screening's workflow with the request: its owner, contacts and form
     * URL. First it gives the read model a bare `requested` row (version 0, which the workflow's
     * first write replaces), so the `201` the platform gets next is readable at once with GET.
     */
    async startRequestedScreening(input: ScreeningRequested & { request: ScreeningRequestInput['request']; requestId: string }): Promise<void> {
      // Retried, never final: SingleKey has created the screening, so the request must not fail now
      // (a failed request frees its Idempotency-Key, and a retry would ask SingleKey again).
      if (!deps.signaler) throw ApplicationFailure.create({ type: 'RequestsUnavailable', message: 'this worker has no Temporal client; another may take it' });
      const event = requestedEventOf(input, new Date().toISOString());
      await deps
        .db('screenings')
        .insert({
          purchase_token: event.purchaseToken,
          status: 'requested',
          version: 0,
          external_customer_id: event.externalCustomerId,
          external_tenant_id: event.externalTenantId,
          requested_at: event.occurredAt,
          request_id: event.requestId,
        })
        .onConflict('purchase_token')
        .ignore();
      await deps.signaler.signal(event);
    },
  };
}

/** The request as the one event the state machine understands: SingleKey's field names become the event's. */
export function requestedEventOf(input: ScreeningRequested & { request: ScreeningRequestInput['request']; requestId: string }, now: string): ScreeningEvent {
  const r = input.request as Partial<Record<string, string>>;
  const person = (prefix: 'll' | 'ten'): Person | undefined => {
    const found: Person = { email: r[`${prefix}_email`], firstName: r[`${prefix}_first_name`], lastName: r[`${prefix}_last_name`], phone: r[`${prefix}_tel`] };
    const known = Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined)) as Person;
    return Object.keys(known).length > 0 ? known : undefined;
  };
  return {
    type: 'screening.requested',
    sourceEvent: 'POST /screenings',
    format: 'platform',
    purchaseToken: input.purchaseToken,
    dedupeKey: `request:${input.requestId}`,
    occurredAt: now,
    receivedAt: now,
    requestId: input.requestId,
    externalCustomerId: input.request.external_customer_id,
    externalTenantId: input.request.external_tenant_id,
    landlord: person('ll'),
    tenant: person('ten'),
    ...(input.tenantFormUrl || input.formUrl ? { invite: { formUrl: input.tenantFormUrl ?? input.formUrl } } : {}),
  };
}
