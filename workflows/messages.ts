/**
 * Everything the HTTP edge, the worker, the workflow and the tests agree on: signal and query
 * definitions, their payload types, search attribute keys and the workflow id scheme.
 * Imports only Temporal's workflow-safe packages (`@temporalio/common` is the source of the
 * search-attribute helpers that `@temporalio/workflow` does not re-export).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** The event kinds the lifecycle understands; SingleKey's other names become `unknown` at the edge. */
export const screeningEventTypes = [
  'invite.sent',
  'invite.opened',
  'form.opened',
  'screening.submitted',
  'screening.payment_captured',
  'report.partial',
  'screening.completed',
  'screening.failed',
] as const;
export type ScreeningEventType = (typeof screeningEventTypes)[number];

export interface Person {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
}

/** Who and what a screening is about: carried by events, accumulated by the workflow. */
export interface ScreeningParties {
  externalCustomerId?: string;
  externalTenantId?: string;
  externalDealId?: string;
  externalListingId?: string;
  tenant?: Person;
  landlord?: Person;
  /** 300-900. */
  score?: number;
  recommendation?: 'approved' | 'conditional' | 'declined';
  links?: { report?: string; pdf?: string };
}

export type Milestones = 'invited' | 'inviteOpened' | 'formOpened' | 'submitted' | 'paymentCaptured' | 'partialReport' | 'completed' | 'failed' | 'expired';

/** What the workflow knows about a screening beyond its parties. */
export interface ScreeningFacts extends ScreeningParties {
  purchaseToken: string;
  formUrl?: string;
  failure?: { reason?: string; message?: string; recoverable: boolean };
  /** When SingleKey says each milestone happened (earliest seen). */
  moments: Partial<Record<Milestones, string>>;
}

/**
 * A verified, normalised SingleKey delivery: the only shape the workflow ever sees, whichever of
 * SingleKey's payload shapes (signed envelope, flat or nested; partner portal) it arrived in.
 */
export interface ScreeningEvent extends ScreeningParties {
  type: ScreeningEventType;
  /** The name as SingleKey sent it: the envelope's `event` or the portal's `detail`. */
  sourceEvent: string;
  format: 'envelope' | 'portal';
  purchaseToken: string;
  /** `webhook_id` when SingleKey sent one, otherwise `sha256:` + the hash of the raw body. */
  dedupeKey: string;
  /** ISO 8601: when SingleKey says it happened (event-specific moment, else envelope timestamp, else receipt). */
  occurredAt: string;
  /** ISO 8601: when this service accepted the delivery. */
  receivedAt: string;
  failure?: { reason?: string; message?: string; errors?: string[]; recoverable?: boolean };
  invite?: { type?: 'email' | 'sms' | 'reminder'; formUrl?: string };
  /** Nested layout amounts are in cents; the flat layout's `amount` is kept as sent in `amount`. */
  payment?: {
    amountCents?: number;
    taxCents?: number;
    totalCents?: number;
    amount?: number;
    currency?: string;
    method?: string;
    paidBy?: string;
  };
}

export type ScreeningStatus = 'unknown' | 'invited' | 'form_opened' | 'submitted' | 'completed' | 'failed' | 'expired';

/** One line of the delivery log (`screening_events`). */
export interface EventRecord {
  dedupeKey: string;
  purchaseToken: string;
  type: string;
  sourceEvent: string;
  outcome: 'applied' | 'duplicate' | 'unknown' | 'late';
  occurredAt?: string;
  receivedAt: string;
}

/** The screening as activities and the read model see it (no workflow bookkeeping). */
export interface ScreeningSnapshot extends ScreeningFacts {
  status: ScreeningStatus;
  /** Increases with every applied change; the read model ignores a smaller one. */
  version: number;
}

/** What `temporal workflow query --type status` answers. */
export interface ScreeningView {
  purchaseToken: string;
  status: ScreeningStatus;
  version: number;
  externalCustomerId?: string;
  externalTenantId?: string;
  score?: number;
  recommendation?: string;
  failure?: { reason?: string; recoverable: boolean };
  /** Applied events in the order they were applied, with SingleKey's time and ours. */
  timeline: { type: string; occurredAt: string; appliedAt: string }[];
  duplicatesIgnored: number;
  remindersSent: number;
  nextDeadline?: { kind: string; at: string };
  /** Effect keys by outcome; `waiting` are e-mails whose recipient no delivery has named yet. */
  effects: { done: string[]; pending: string[]; waiting: string[]; superseded: string[]; failed: string[] };
}

/** Lifecycle durations in Temporal's duration syntax; from config, overridable per workflow (tests, demos). */
export interface LifecycleDurations {
  reminderSchedule: string[];
  screeningExpiry: string;
  completionSla: string;
  dedupeWindow: string;
}

export interface ScreeningWorkflowInput {
  purchaseToken: string;
  lifecycle: LifecycleDurations;
  /** Set only by continue-as-new: the state, queue and unfinished work carried over (opaque here). */
  carried?: unknown;
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
