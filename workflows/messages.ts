/**
 * Everything the HTTP edge, the worker, the workflow and the tests agree on: signal and query
 * definitions, their payload types, search attribute keys and the workflow id scheme.
 * Imports only Temporal's workflow-safe packages (`@temporalio/common` is the source of the
 * search-attribute helpers that `@temporalio/workflow` does not re-export).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** A verified, normalised SingleKey delivery: the only shape the workflow ever sees. */
export interface ScreeningEvent {
  /** SingleKey's event name, e.g. `invite.sent`, `screening.completed`. */
  type: string;
  purchaseToken: string;
  /** `webhook_id` when SingleKey sent one, otherwise a hash of the raw body. */
  dedupeKey: string;
  /** ISO 8601; when SingleKey says the event happened. */
  occurredAt: string;
  /** ISO 8601; when this service accepted the delivery. */
  receivedAt: string;
  externalCustomerId?: string;
  externalTenantId?: string;
}

export type ScreeningStatus = 'unknown' | 'invited' | 'form_opened' | 'submitted' | 'completed' | 'failed' | 'expired';

/** What `temporal workflow query --type status` answers. */
export interface ScreeningView {
  purchaseToken: string;
  status: ScreeningStatus;
  externalCustomerId?: string;
  externalTenantId?: string;
  eventsApplied: number;
  lastEventType?: string;
  lastEventAt?: string;
}

export interface ScreeningWorkflowInput {
  purchaseToken: string;
}

export const screeningEventSignal = defineSignal<[ScreeningEvent]>('screeningEvent');
export const statusQuery = defineQuery<ScreeningView>('status');

export const workflowType = 'screeningWorkflow';

/** One workflow per screening: `screening-<purchase_token>`. */
export function workflowIdFor(purchaseToken: string): string {
  return `screening-${purchaseToken}`;
}

export const searchAttributes = {
  status: defineSearchAttributeKey('ScreeningStatus', SearchAttributeType.KEYWORD),
  externalCustomerId: defineSearchAttributeKey('ExternalCustomerId', SearchAttributeType.KEYWORD),
  externalTenantId: defineSearchAttributeKey('ExternalTenantId', SearchAttributeType.KEYWORD),
  singleKeyScore: defineSearchAttributeKey('SingleKeyScore', SearchAttributeType.INT),
} as const;

/** The same keys in the spelling `temporal server start-dev --search-attribute` and the admin tools use. */
export const searchAttributeTypes: Record<string, 'Keyword' | 'Int'> = {
  ScreeningStatus: 'Keyword',
  ExternalCustomerId: 'Keyword',
  ExternalTenantId: 'Keyword',
  SingleKeyScore: 'Int',
};
