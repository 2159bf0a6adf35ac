/**
 * The screening lifecycle as a pure function: `(state, input, now) -> { state, start, cancel,
 * duplicate, published }`. No Temporal, no I/O: the workflow (screening-workflow.ts) feeds it
 * deliveries, timer firings and the outcomes of the effects it started, and does what it answers.
 * Every business rule is here or in its two pure companions: when the next timer fires
 * (screening-deadlines.ts) and what the status query answers (screening-view.ts).
 *
 * Two choices make duplicates and reordering harmless by construction:
 * - the status is *derived* from the set of facts recorded so far (which only ever grows), so it
 *   cannot depend on the order in which the facts arrived, and progress never moves back;
 * - each delivery contributes effects that depend only on the delivery itself, and every effect has
 *   a key that is requested at most once per screening and settles at most once.
 */
import {
  type AlertReason,
  type Effect,
  effectKey,
  type EffectStatus,
  finalStatuses,
  type Milestone,
  readModelMilestones,
  type ScreeningEvent,
  type ScreeningFacts,
  type ScreeningSnapshot,
  type ScreeningStatus,
} from './messages';

/** How an effect's work ended, as the workflow reports it back. */
export type EffectResult =
  /** Done; `report` is what a report fetch or reconciliation learned. */
  | { kind: 'done'; report?: { score?: number; reportUrl?: string } }
  /** An e-mail with nobody to send it to yet. */
  | { kind: 'no_recipient' }
  /** Cancelled because the machine asked for it, or found pointless by the activity itself. */
  | { kind: 'cancelled' }
  /** Failed for good (retries exhausted, or a non-retryable failure); `unknownToken` when SingleKey does not know the screening. */
  | { kind: 'failed'; unknownToken?: boolean };

/** What drives the machine. */
export type MachineInput =
  | { kind: 'delivery'; event: ScreeningEvent }
  | { kind: 'reminder_due'; index: number }
  | { kind: 'expiry_due' }
  | { kind: 'completion_deadline_due' }
  /** Still `submitted` after `SUBMITTED_MAX_AGE`: no completion, no final failure, reconciliation found nothing. */
  | { kind: 'max_age_due' }
  | { kind: 'effect_settled'; key: string; result: EffectResult }
  /** Bookkeeping (the read model's write) that failed for good, shown with the failed effects. */
  | { kind: 'bookkeeping_failed'; what: string }
  /** The landlord directory changed for this screening's landlord: e-mails waiting for an address try again. */
  | { kind: 'landlord_directory_changed' }
  /** A new run took over after continue-as-new: effects still running in the old one start again. */
  | { kind: 'resumed' };

export interface TimelineEntry {
  type: string;
  occurredAt: string;
  appliedAt: string;
  dedupeKey?: string;
}

export interface EffectRecord {
  effect: Effect;
  status: EffectStatus;
  /** Set once the machine asked for the running work to be cancelled. */
  cancelling?: true;
}

export interface ScreeningState extends ScreeningFacts {
  /** Each status reached is sent to the platform (set when the workflow starts, from PLATFORM_WEBHOOK_URL). */
  notifyPlatform?: true;
  inviteType?: string;
  /** Where the score came from: a completion's own score outranks the full report's, which outranks any other. */
  scoreFrom?: 'completion' | 'report';
  /** Workflow-clock times the timers count from (set when first learned, never moved). */
  clock: { firstSeen?: string; invited?: string; submitted?: string; terminal?: string };
  /** Dedupe keys of every applied delivery. */
  appliedKeys: string[];
  /** Every effect requested so far, by key (see `effectKey`), with where it stands. */
  effects: Record<string, EffectRecord>;
  timeline: TimelineEntry[];
  /** Increases whenever what readers see (facts, status) changes; the read model ignores a smaller one. */
  version: number;
  duplicatesIgnored: number;
  bookkeepingFailed: string[];
}

export interface Transition {
  state: ScreeningState;
  /** Effects to start now: newly requested ones, and waiting e-mails whose recipient arrived. */
  start: Effect[];
  /** Keys of running effects whose work became pointless: cancel them. */
  cancel: string[];
  /** The input was a delivery whose dedupe key had already been applied. */
  duplicate: boolean;
  /** What readers see (the read model's columns: status, ids, contacts' addresses, dated milestones, outcome) changed: publish it. */
  published: boolean;
}

export function initialState(purchaseToken: string, options: { notifyPlatform?: boolean } = {}): ScreeningState {
  return {
    purchaseToken,
    ...(options.notifyPlatform ? { notifyPlatform: true } : {}),
    moments: {},
    clock: {},
    appliedKeys: [],
    effects: {},
    timeline: [],
    version: 0,
    duplicatesIgnored: 0,
    bookkeepingFailed: [],
  };
}

/**
 * A screening picked up again from the read model, after its workflow closed and a delivery came
 * that changes its outcome: its facts as last published, its version, and no effects requested
 * (each one's send ledger or upsert keeps what was already done from happening twice).
 */
export function stateFromSnapshot(snapshot: ScreeningSnapshot, options: { notifyPlatform?: boolean } = {}): ScreeningState {
  const { status: _status, version, ...facts } = snapshot;
  return { ...initialState(snapshot.purchaseToken, options), ...facts, version };
}

/** Whether `event` changes the status of a screening in `state` (a late completion after expiry, say). */
export function changesStatus(state: ScreeningState, event: ScreeningEvent, now: string): boolean {
  return statusOf(transition(state, { kind: 'delivery', event }, now).state) !== statusOf(state);
}

/** The status follows from the recorded facts alone; see the module comment. */
export function statusOf(state: ScreeningFacts): ScreeningStatus {
  const { moments, failure } = state;
  if (moments.completed) return 'completed';
  if (moments.failed && failure && !failure.recoverable) return 'failed';
  if (moments.stalled) return 'stalled';
  if (moments.submitted || moments.paymentCaptured || moments.partialReport) return 'submitted';
  if (moments.expired) return 'expired';
  if (moments.formOpened) return 'form_opened';
  if (moments.invited) return 'invited';
  if (moments.requested) return 'requested';
  return 'unknown';
}

export function isTerminal(status: ScreeningStatus): boolean {
  return finalStatuses.includes(status);
}

/** An invitation not yet answered by a submission can expire. */
export function canExpire(status: ScreeningStatus): boolean {
  return status === 'requested' || status === 'unknown' || status === 'invited' || status === 'form_opened';
}

export function transition(previous: ScreeningState, input: MachineInput, now: string): Transition {
  // A repeated delivery is answered before any copying: floods of duplicates are the common case.
  if (input.kind === 'delivery' && previous.appliedKeys.includes(input.event.dedupeKey)) {
    return { state: { ...previous, duplicatesIgnored: previous.duplicatesIgnored + 1 }, start: [], cancel: [], duplicate: true, published: false };
  }
  // JSON round trip rather than structuredClone, which the workflow sandbox may not offer.
  const state = JSON.parse(JSON.stringify(previous)) as ScreeningState;
  const starting: string[] = [];
  const request = (effect: Effect) => {
    const key = effectKey(effect);
    if (state.effects[key]) return;
    state.effects[key] = { effect, status: 'running' };
    starting.push(key);
  };
  const statusBefore = statusOf(previous);

  switch (input.kind) {
    case 'delivery': {
      const { event } = input;
      state.appliedKeys.push(event.dedupeKey);
      state.timeline.push({ type: event.type, occurredAt: event.occurredAt, appliedAt: now, dedupeKey: event.dedupeKey });
      state.clock.firstSeen ??= now;
      recordFacts(state, event);
      applyEvent(state, event, now, request);
      break;
    }
    case 'reminder_due':
      if (statusBefore === 'invited') request({ kind: 'remind_tenant', index: input.index });
      break;
    case 'expiry_due':
      if (canExpire(statusBefore)) {
        state.moments.expired = now;
        state.timeline.push({ type: 'screening.expired', occurredAt: now, appliedAt: now });
        request({ kind: 'notify_landlord', milestone: 'expired' });
      }
      break;
    case 'completion_deadline_due':
      if (statusBefore === 'submitted') request({ kind: 'reconcile' });
      break;
    case 'max_age_due':
      // Every run ends: a screening SingleKey never finishes is closed as `stalled`, and people look at it.
      if (statusBefore === 'submitted') {
        state.moments.stalled = now;
        state.timeline.push({ type: 'screening.stalled', occurredAt: now, appliedAt: now });
        request(alert('stalled'));
      }
      break;
    case 'effect_settled':
      settle(state, input.key, input.result, now, request);
      break;
    case 'bookkeeping_failed':
      state.bookkeepingFailed.push(input.what);
      break;
    case 'landlord_directory_changed':
      for (const [key, record] of Object.entries(state.effects)) {
        if (record.status !== 'waiting' || record.effect.kind !== 'notify_landlord') continue;
        record.status = 'running';
        starting.push(key);
      }
      break;
    case 'resumed':
      for (const [key, record] of Object.entries(state.effects)) {
        if (record.status !== 'running') continue;
        // Work cancelled in the old run is not started again: it was pointless.
        if (record.cancelling) record.status = 'superseded';
        else starting.push(key);
      }
      break;
  }

  const statusAfter = statusOf(state);
  if (state.notifyPlatform && statusAfter !== statusBefore) {
    // The platform hears of every status reached, in that order; `unknown` is where every screening starts.
    const previousStatus = statusBefore === 'unknown' && previous.version === 0 ? null : statusBefore;
    request({ kind: 'notify_platform', status: statusAfter, previous: previousStatus, at: now });
  }
  const cancel = reconsiderEffects(state, starting);
  // The dedupe window counts from the moment the screening last reached a terminal status (expired, then completed, counts twice).
  if (isTerminal(statusAfter) && statusAfter !== statusBefore) state.clock.terminal = now;
  const published = canonical(readerView(state)) !== canonical(readerView(previous));
  if (published) state.version += 1;
  const start = starting.filter((key) => state.effects[key]!.status === 'running').map((key) => state.effects[key]!.effect);
  return { state, start, cancel, duplicate: false, published };
}

/** Applies an effect's outcome; an effect settles once, and later reports for it change nothing. */
function settle(state: ScreeningState, key: string, result: EffectResult, now: string, request: (effect: Effect) => void): void {
  const record = state.effects[key];
  if (!record || record.status !== 'running') return;
  const cancelling = record.cancelling;
  delete record.cancelling;
  switch (result.kind) {
    case 'no_recipient':
      record.status = 'waiting';
      return;
    case 'cancelled':
      record.status = 'superseded';
      return;
    case 'failed':
      // Work the machine cancelled may fail instead of reporting the cancellation: it was pointless all the same.
      record.status = cancelling ? 'superseded' : 'failed';
      if (cancelling) return;
      // A token SingleKey does not know is counted and alerted on in aggregate (metrics), not by one e-mail each.
      if (record.effect.kind === 'reconcile' && !state.moments.completed && !result.unknownToken) request(alert('reconciliation_gave_up'));
      return;
    case 'done':
      record.status = 'done';
      if (record.effect.kind === 'fetch_report') {
        // A portal "Report Complete" names no score: the archived report does.
        scoreFromReport(state, result.report?.score, record.effect.scope === 'full');
      } else if (record.effect.kind === 'reconcile' && !state.moments.completed) {
        state.timeline.push({ type: 'screening.reconciled', occurredAt: now, appliedAt: now });
        scoreFromReport(state, result.report?.score, true);
        if (result.report?.reportUrl) state.links = { ...state.links, report: state.links?.report ?? result.report.reportUrl };
        markCompleted(state, now, request);
      }
      return;
  }
}

/** A report's score: the full report's replaces any but a completion's own; a partial one only fills a gap. */
function scoreFromReport(state: ScreeningState, score: number | undefined, full: boolean): void {
  if (score === undefined || state.scoreFrom === 'completion') return;
  if (full) {
    state.score = score;
    state.scoreFrom = 'report';
  } else if (state.score === undefined) {
    state.score = score;
  }
}

/**
 * The rules for effects not settled yet, applied after every input:
 * - work not started yet (`starting`, `waiting`) that became pointless is superseded and never runs:
 *   the "submitted" e-mail once the outcome is known, a reminder once the tenant is past `invited`;
 * - a waiting e-mail starts once a delivery has named its recipient;
 * - a running reconciliation is cancelled once a delivery settled the outcome;
 * - status webhooks go one at a time, in the order they were requested: one starts only once the
 *   one before it has settled (sent, or failed for good).
 * Returns the keys of running effects to cancel.
 */
function reconsiderEffects(state: ScreeningState, starting: string[]): string[] {
  const status = statusOf(state);
  const cancel: string[] = [];
  for (const [key, record] of Object.entries(state.effects)) {
    const notStarted = record.status === 'waiting' || (record.status === 'running' && starting.includes(key));
    if (notStarted && isPointless(record.effect, status)) {
      record.status = 'superseded';
    } else if (record.status === 'waiting' && hasRecipient(record.effect, state)) {
      record.status = 'running';
      starting.push(key);
    } else if (record.status === 'running' && !notStarted && !record.cancelling && record.effect.kind === 'reconcile' && isTerminal(status)) {
      record.cancelling = true;
      cancel.push(key);
    }
  }
  queuePlatformNotifications(state, starting);
  return cancel;
}

/** Keeps at most one status webhook running; the others wait as `queued`, in request order (the record's insertion order). */
function queuePlatformNotifications(state: ScreeningState, starting: string[]): void {
  let busy = false;
  for (const [key, record] of Object.entries(state.effects)) {
    if (record.effect.kind !== 'notify_platform') continue;
    const fresh = record.status === 'running' && starting.includes(key);
    if (record.status === 'running' && !fresh) busy = true;
    else if (fresh || record.status === 'queued') {
      if (busy) {
        record.status = 'queued';
        if (fresh) starting.splice(starting.indexOf(key), 1);
      } else {
        record.status = 'running';
        if (!fresh) starting.push(key);
        busy = true;
      }
    }
  }
}

function isPointless(effect: Effect, status: ScreeningStatus): boolean {
  if (effect.kind === 'notify_landlord' && effect.milestone === 'submitted') return isTerminal(status);
  // The completion won: telling the landlord it could not be completed would contradict the report they got.
  if (effect.kind === 'notify_landlord' && effect.milestone === 'failed') return status === 'completed';
  if (effect.kind === 'remind_tenant') return status !== 'invited';
  if (effect.kind === 'reconcile') return isTerminal(status);
  return false;
}

function hasRecipient(effect: Effect, state: ScreeningState): boolean {
  if (effect.kind === 'notify_landlord') return Boolean(state.landlord?.email);
  if (effect.kind === 'remind_tenant') return Boolean(state.tenant?.email);
  return true;
}

const alert = (reason: AlertReason): Effect => ({ kind: 'alert_team', reason });

/** The milestone each event dates (completion and failure are dated with their outcome, below). */
const momentOf: Partial<Record<ScreeningEvent['type'], Milestone>> = {
  'screening.requested': 'requested',
  'invite.sent': 'invited',
  'invite.opened': 'inviteOpened',
  'form.opened': 'formOpened',
  'screening.submitted': 'submitted',
  'screening.payment_captured': 'paymentCaptured',
  'report.partial': 'partialReport',
};

/** Events that show the tenant was invited: reminders and expiry count from the first of them. */
const showsInvitation: ReadonlySet<ScreeningEvent['type']> = new Set(['invite.sent', 'invite.opened', 'form.opened']);

/**
 * Events that show the application was submitted: a captured payment or a partial report is proof
 * enough when the `screening.submitted` delivery itself was lost, so the screening cannot expire,
 * the landlord hears of it and the completion deadline runs from the first of them.
 */
const showsSubmission: ReadonlySet<ScreeningEvent['type']> = new Set(['screening.submitted', 'screening.payment_captured', 'report.partial']);

function applyEvent(state: ScreeningState, event: ScreeningEvent, now: string, request: (effect: Effect) => void): void {
  const moment = momentOf[event.type];
  if (moment) earliest(state.moments, moment, event.occurredAt);
  if (showsInvitation.has(event.type)) state.clock.invited ??= now;
  if (showsSubmission.has(event.type)) {
    state.clock.submitted ??= now;
    request({ kind: 'notify_landlord', milestone: 'submitted' });
  }
  switch (event.type) {
    case 'report.partial':
      request({ kind: 'fetch_report', scope: 'partial' });
      break;
    case 'screening.completed':
      markCompleted(state, event.occurredAt, request);
      break;
    case 'screening.failed': {
      const recoverable = event.failure?.recoverable === true;
      // An unrecoverable failure outranks a recoverable one, whichever arrived first.
      if (!state.failure || (state.failure.recoverable && !recoverable)) {
        state.failure = { reason: event.failure?.reason, message: event.failure?.message, recoverable };
        state.moments.failed = event.occurredAt;
      }
      if (recoverable) request(alert('recoverable_failure'));
      else {
        request(alert('failed'));
        request({ kind: 'notify_landlord', milestone: 'failed' });
      }
      break;
    }
  }
}

function markCompleted(state: ScreeningState, occurredAt: string, request: (effect: Effect) => void): void {
  earliest(state.moments, 'completed', occurredAt);
  request({ kind: 'notify_landlord', milestone: 'completed' });
  request({ kind: 'fetch_report', scope: 'full' });
}

/**
 * Facts only fill gaps, except two kinds that are authoritative: the platform's own request
 * (ownership and contacts: webhooks may add to them, never change them) and the result of the completion.
 */
function recordFacts(state: ScreeningState, event: ScreeningEvent): void {
  if (event.type === 'screening.requested') {
    state.externalCustomerId = event.externalCustomerId;
    state.externalTenantId = event.externalTenantId;
    state.requestId = event.requestId;
    state.tenant = { ...state.tenant, ...event.tenant };
    state.landlord = { ...state.landlord, ...event.landlord };
  }
  state.externalCustomerId ??= event.externalCustomerId;
  state.externalTenantId ??= event.externalTenantId;
  state.externalDealId ??= event.externalDealId;
  state.externalListingId ??= event.externalListingId;
  if (event.tenant) state.tenant = { ...event.tenant, ...state.tenant };
  if (event.landlord) state.landlord = { ...event.landlord, ...state.landlord };
  if (event.invite?.formUrl) state.formUrl ??= event.invite.formUrl;
  if (event.invite?.type) state.inviteType ??= event.invite.type;
  const authoritative = event.type === 'screening.completed';
  if (event.score !== undefined && authoritative) {
    state.score = event.score;
    state.scoreFrom = 'completion';
  } else if (event.score !== undefined && state.scoreFrom === undefined) {
    state.score ??= event.score;
  }
  if (event.recommendation && (authoritative || !state.recommendation)) state.recommendation = event.recommendation;
  if (event.links) state.links = authoritative ? { ...state.links, ...event.links } : { ...event.links, ...state.links };
}

/**
 * JSON with object keys sorted, so that equal facts compare equal whatever order their keys were
 * merged in. Hand-written: a dependency for ten lines would also enter the workflow bundle.
 */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function earliest<K extends string>(moments: Partial<Record<K, string>>, key: K, at: string): void {
  const current = moments[key];
  if (current === undefined || at < current) moments[key] = at;
}

/**
 * What the read model and the search attributes show of a screening: a change to anything else (a
 * payment time, a tenant's phone number) is kept in the state for the effects, and costs no write.
 */
function readerView(state: ScreeningState) {
  const { status, moments, tenant, landlord, failure, ...rest } = snapshotOf(state);
  const { purchaseToken, externalCustomerId, externalTenantId, externalDealId, externalListingId, requestId, score, recommendation } = rest;
  return {
    ...{ purchaseToken, status, externalCustomerId, externalTenantId, externalDealId, externalListingId, requestId, score, recommendation },
    tenantEmail: tenant?.email,
    landlordEmail: landlord?.email,
    moments: readModelMilestones.map((milestone) => moments[milestone]),
    failure: failure && { reason: failure.reason, recoverable: failure.recoverable },
  };
}

/** The screening as activities and the read model see it: its facts and status, no machine bookkeeping. */
export function snapshotOf(state: ScreeningState): ScreeningSnapshot {
  const {
    notifyPlatform: _notifyPlatform,
    inviteType: _inviteType,
    scoreFrom: _scoreFrom,
    clock: _clock,
    appliedKeys: _appliedKeys,
    effects: _effects,
    timeline: _timeline,
    version,
    duplicatesIgnored: _duplicatesIgnored,
    bookkeepingFailed: _bookkeepingFailed,
    ...facts
  } = state;
  return { ...facts, status: statusOf(state), version };
}
