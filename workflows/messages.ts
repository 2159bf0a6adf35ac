/**
 * The service's one vocabulary, shared by the HTTP edge, the worker, the workflow, the activities
 * and the tests: event types, milestones, effect kinds, failure type names, signal and query
 * definitions with their payload types, search attribute keys, the task queue default and the
 * workflow id scheme. Defined here once and imported everywhere else.
 * Imports only Temporal's workflow-safe packages (`@temporalio/common` is the source of the
 * search-attribute helpers that `@temporalio/workflow` does not re-export).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CarriedState } from './carried-state';

/** The event kinds the lifecycle understands; SingleKey's other names become `unknown` at the edge. */
export const screeningEventTypes = [
  /** The platform asked for the screening through `POST /screenings` (not a SingleKey webhook). */
  'screening.requested',
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

/** The dated steps of a screening (`moments`, and the read model's `*_at` columns). */
export type Milestone =
  'requested' | 'invited' | 'inviteOpened' | 'formOpened' | 'submitted' | 'paymentCaptured' | 'partialReport' | 'completed' | 'failed' | 'expired' | 'stalled';

/** The milestones the read model dates (a column each): the others are kept in the workflow only. */
export const readModelMilestones = [
  'requested',
  'invited',
  'formOpened',
  'submitted',
  'completed',
  'failed',
  'expired',
  'stalled',
] as const satisfies readonly Milestone[];

/** The milestones the landlord hears about by e-mail. */
export const landlordMilestones = ['submitted', 'completed', 'failed', 'expired'] as const;
export type LandlordMilestone = (typeof landlordMilestones)[number];

/** Why the team is alerted. */
export const alertReasons = ['recoverable_failure', 'failed', 'reconciliation_gave_up', 'stalled'] as const;
export type AlertReason = (typeof alertReasons)[number];

/** What a report fetch archives: the partial report (`Partial Report Complete`) or the full one. */
export const reportScopes = ['partial', 'full'] as const;

/** What the state machine asks the workflow to do; each is done at most once per screening (see `effectKey`). */
export type Effect =
  | { kind: 'notify_landlord'; milestone: LandlordMilestone }
  | { kind: 'remind_tenant'; index: number }
  | { kind: 'alert_team'; reason: AlertReason }
  | { kind: 'fetch_report'; scope: (typeof reportScopes)[number] }
  | { kind: 'reconcile' }
  /** The status webhook to the platform (PLATFORM_WEBHOOK_URL): one per status reached, sent one at a time in that order. */
  | { kind: 'notify_platform'; status: ScreeningStatus; previous: ScreeningStatus | null; at: string };

/** The effects that send an e-mail (through the send ledger). */
export const isEmail = (effect: Effect): boolean => effect.kind === 'notify_landlord' || effect.kind === 'remind_tenant' || effect.kind === 'alert_team';

/** An effect's key, unique per screening: `notify_landlord:completed`, `remind_tenant:1`, `reconcile`. */
export function effectKey(effect: Effect): string {
  switch (effect.kind) {
    case 'notify_landlord':
      return `notify_landlord:${effect.milestone}`;
    case 'remind_tenant':
      return `remind_tenant:${effect.index}`;
    case 'alert_team':
      return `alert_team:${effect.reason}`;
    case 'fetch_report':
      return `fetch_report:${effect.scope}`;
    case 'reconcile':
      return 'reconcile';
    case 'notify_platform':
      return `notify_platform:${effect.status}`;
  }
}

/**
 * Where a requested effect stands: `running` (its activity is under way), `waiting` (an e-mail with
 * no recipient yet), `queued` (a status webhook behind an earlier one), or settled.
 */
export const effectStatuses = ['running', 'waiting', 'queued', 'done', 'superseded', 'failed'] as const;
export type EffectStatus = (typeof effectStatuses)[number];

/** Types of the `ApplicationFailure`s activities throw; the non-retryable ones are named in the retry policies. */
export const failureTypes = {
  /** SingleKey refused the call for good (400, 401, 403): retrying cannot help. */
  singleKeyRejected: 'SingleKeyRejected',
  /** SingleKey's 400 to `POST /api/request`: the request's fields are wrong (details: SingleKey's `errors`). */
  singleKeyInvalidRequest: 'SingleKeyInvalidRequest',
  /** SingleKey is still preparing the report: retried. */
  reportNotReady: 'ReportNotReady',
  /** SingleKey does not know the purchase token (404): retried a few times, then for good. */
  unknownPurchaseToken: 'UnknownPurchaseToken',
  /** SingleKey answered 429 or 5xx: retried (honouring `Retry-After`). */
  singleKeyUnavailable: 'SingleKeyUnavailable',
  /** The SMTP server refused the message for good (5xx). */
  mailRejected: 'MailRejected',
  /** Another attempt holds the send ledger's claim on this e-mail and may be sending it now: retried. */
  mailBeingSent: 'MailBeingSent',
  /** The platform answered 410 Gone to a status webhook: it wants no more at PLATFORM_WEBHOOK_URL. */
  platformWebhookRejected: 'PlatformWebhookRejected',
  /** The platform answered a status webhook with anything but 2xx or 410: retried (honouring `Retry-After`). */
  platformWebhookUnavailable: 'PlatformWebhookUnavailable',
  /** Another attempt holds the status-webhook ledger's claim and may be posting it now: retried. */
  platformWebhookBeingSent: 'PlatformWebhookBeingSent',
} as const;

/** What the workflow knows about a screening beyond its parties. */
export interface ScreeningFacts extends ScreeningParties {
  purchaseToken: string;
  /** The request workflow of `POST /screenings` that created it (erased with it). */
  requestId?: string;
  formUrl?: string;
  failure?: { reason?: string; message?: string; recoverable: boolean };
  /** When SingleKey says each milestone happened (earliest seen). */
  moments: Partial<Record<Milestone, string>>;
}

/**
 * A verified, normalised SingleKey delivery: the only shape the workflow ever sees, whichever of
 * SingleKey's payload shapes (signed envelope, flat or nested; partner portal) it arrived in.
 */
export interface ScreeningEvent extends ScreeningParties {
  type: ScreeningEventType;
  /** The name as SingleKey sent it: the envelope's `event` or the portal's `detail`. */
  sourceEvent: string;
  /** `platform`: the `screening.requested` event of `POST /screenings`. */
  format: 'envelope' | 'portal' | 'platform';
  purchaseToken: string;
  /** `webhook_id` when SingleKey sent one, otherwise `sha256:` + the hash of the raw body. */
  dedupeKey: string;
  /** ISO 8601: when SingleKey says it happened (event-specific moment, else envelope timestamp, else receipt). */
  occurredAt: string;
  /** ISO 8601: when this service accepted the delivery. */
  receivedAt: string;
  failure?: { reason?: string; message?: string; errors?: string[]; recoverable?: boolean };
  /** `screening.requested` only: the request workflow's id. */
  requestId?: string;
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

export type ScreeningStatus = 'requested' | 'unknown' | 'invited' | 'form_opened' | 'submitted' | 'completed' | 'failed' | 'expired' | 'stalled';

/** The statuses a screening ends in (a later outcome can still replace one while its workflow is open). */
export const finalStatuses: readonly ScreeningStatus[] = ['completed', 'failed', 'expired', 'stalled'];

/** One line of the delivery log (table `delivery_log`). */
export interface DeliveryLogEntry {
  dedupeKey: string;
  purchaseToken: string;
  type: string;
  sourceEvent: string;
  outcome: 'applied' | 'unknown' | 'late';
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
  /** Effect keys by outcome (`pending`: running or queued); `waiting` are e-mails whose recipient no delivery has named yet. */
  effects: { done: string[]; pending: string[]; waiting: string[]; superseded: string[]; failed: string[] };
}

/** Lifecycle durations in Temporal's duration syntax; from config, overridable per workflow (tests, demos). */
export interface LifecycleDurations {
  reminderSchedule: string[];
  screeningExpiry: string;
  completionSla: string;
  /** A screening still `submitted` this long after submission ends `stalled`, and the team is told. */
  submittedMaxAge: string;
  dedupeWindow: string;
}

export interface ScreeningWorkflowInput {
  purchaseToken: string;
  lifecycle: LifecycleDurations;
  /** Set only by continue-as-new: what the previous run hands over (validated on entry, see carried-state.ts). */
  carried?: CarriedState;
  /** Set only when a late delivery reopens an ended screening: the facts the read model last showed. */
  reopened?: ScreeningSnapshot;
  /** The score is credit data: a search attribute (visible to anyone who can list workflows) only when SCORE_SEARCH_ATTRIBUTE asks for it. */
  publishScore?: boolean;
  /** PLATFORM_WEBHOOK_URL is set: every status reached is sent to the platform (`notify_platform`). */
  notifyPlatform?: boolean;
}

export const screeningEventSignal = defineSignal<[ScreeningEvent]>('screeningEvent');
export const statusQuery = defineQuery<ScreeningView>('status');
/** The landlord directory changed for this screening's landlord: e-mails waiting for an address try again. */
export const landlordDirectoryChangedSignal = defineSignal('landlordDirectoryChanged');

/** What `POST /screenings` asks SingleKey for (its field names), `callback_url` set by the service. */
export interface ScreeningRequestInput {
  request: Record<string, unknown> & { external_customer_id: string; external_tenant_id: string };
  callbackUrl: string;
  /** SHA-256 of the request as accepted: a retry with the same Idempotency-Key and another body is refused. */
  bodyHash: string;
}

/** What the request workflow ends with: the answer every retry with the same Idempotency-Key gets. */
export type ScreeningRequestOutcome =
  | { outcome: 'created'; purchaseToken: string; formUrl?: string; tenantFormUrl?: string }
  /** SingleKey refused the request's fields (its 400). */
  | { outcome: 'rejected'; errors: { field: string; message: string }[] };

export const requestWorkflowType = 'screeningRequestWorkflow';

/** One request workflow per Idempotency-Key (hashed: the key is the platform's and may be long). */
export const requestWorkflowIdFor = (idempotencyKeyHash: string) => `request-${idempotencyKeyHash}`;

export const workflowType = 'screeningWorkflow';

/** Task queue of the screening workers unless TEMPORAL_TASK_QUEUE says otherwise. */
export const DEFAULT_TASK_QUEUE = 'screenings';

const WORKFLOW_ID_PREFIX = 'screening-';

/** One workflow per screening: `screening-<purchase_token>`. */
export function workflowIdFor(purchaseToken: string): string {
  return `${WORKFLOW_ID_PREFIX}${purchaseToken}`;
}

/** The purchase token a screening workflow id stands for, or undefined for any other id. */
export function purchaseTokenOf(workflowId: string): string | undefined {
  return workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) || undefined : undefined;
}

export const searchAttributes = {
  status: defineSearchAttributeKey('ScreeningStatus', SearchAttributeType.KEYWORD),
  externalCustomerId: defineSearchAttributeKey('ExternalCustomerId', SearchAttributeType.KEYWORD),
  externalTenantId: defineSearchAttributeKey('ExternalTenantId', SearchAttributeType.KEYWORD),
  singleKeyScore: defineSearchAttributeKey('SingleKeyScore', SearchAttributeType.INT),
} as const;

/** The same keys in the spelling `temporal server start-dev --search-attribute` and the admin tools use. */
export const searchAttributeTypes: Record<string, 'Keyword' | 'Int'> = Object.fromEntries(
  Object.values(searchAttributes).map((key) => [key.name, key.type === SearchAttributeType.INT ? 'Int' : 'Keyword']),
);
