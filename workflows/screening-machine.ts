/**
 * The screening lifecycle as a pure function: `(state, input, now) -> { state, effects }`.
 * No Temporal, no I/O: the workflow (screening-workflow.ts) feeds it signals and timer firings and
 * carries out the effects it asks for.
 *
 * Two choices make duplicates and reordering harmless by construction:
 * - the status is *derived* from the set of facts recorded so far (which only ever grows), so it
 *   cannot depend on the order in which the facts arrived, and progress never moves back;
 * - each delivery contributes effects that depend only on the delivery itself, and every effect has
 *   a key that is requested at most once per screening; so the set of requested effects is the same
 *   for any order and any number of repeats.
 */
import type { Milestones, ScreeningEvent, ScreeningFacts, ScreeningStatus } from './messages';

export type Milestone = 'submitted' | 'completed' | 'failed' | 'expired';

export type Effect =
  | { kind: 'notify_landlord'; milestone: Milestone }
  | { kind: 'remind_tenant'; index: number }
  | { kind: 'alert_team'; reason: 'recoverable_failure' | 'failed' | 'reconciliation_gave_up' }
  | { kind: 'fetch_report'; scope: 'partial' | 'full' }
  | { kind: 'reconcile' };

/** What drives the machine: a delivery, a timer the workflow set from `nextDeadline`, or a reconciliation outcome. */
export type MachineInput =
  | { kind: 'delivery'; event: ScreeningEvent }
  | { kind: 'reminder_due'; index: number }
  | { kind: 'expiry_due' }
  | { kind: 'completion_deadline_due' }
  | { kind: 'reconciled'; score?: number; reportUrl?: string; completedAt?: string }
  /** The archived report's score, for completions that named none (the partner-portal format). */
  | { kind: 'report_fetched'; score?: number }
  | { kind: 'reconciliation_gave_up' };

export interface TimelineEntry {
  type: string;
  occurredAt: string;
  appliedAt: string;
  dedupeKey?: string;
}

export interface ScreeningState extends ScreeningFacts {
  inviteType?: string;
  /** Workflow-clock times the timers count from (set when first learned, never moved). */
  clock: { firstSeen?: string; invited?: string; submitted?: string; terminal?: string };
  /** Dedupe keys of every applied delivery. */
  appliedKeys: string[];
  /** Keys of every effect requested so far (see `effectKey`). */
  requested: string[];
  timeline: TimelineEntry[];
}

export interface Durations {
  /** Milliseconds after the invitation for each tenant reminder. */
  reminders: number[];
  expiry: number;
  completionSla: number;
  dedupeWindow: number;
}

export type DeadlineKind = 'reminder' | 'expiry' | 'completion_deadline' | 'close';
export interface Deadline {
  kind: DeadlineKind;
  /** ISO 8601 on the workflow clock. */
  at: string;
  /** Reminder number (1-based) for `reminder`. */
  index?: number;
}

export interface Transition {
  state: ScreeningState;
  effects: Effect[];
  /** False when the input changed nothing (a duplicate, a timer for something already settled). */
  changed: boolean;
}

export function initialState(purchaseToken: string): ScreeningState {
  return { purchaseToken, moments: {}, clock: {}, appliedKeys: [], requested: [], timeline: [] };
}

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
  }
}

/** The status follows from the recorded facts alone; see the module comment. */
export function statusOf(state: ScreeningState): ScreeningStatus {
  const { moments, failure } = state;
  if (moments.completed) return 'completed';
  if (moments.failed && failure && !failure.recoverable) return 'failed';
  if (moments.submitted) return 'submitted';
  if (moments.expired) return 'expired';
  if (moments.formOpened) return 'form_opened';
  if (moments.invited) return 'invited';
  return 'unknown';
}

export function isTerminal(status: ScreeningStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'expired';
}

export function transition(previous: ScreeningState, input: MachineInput, now: string): Transition {
  // A repeated delivery is answered before any copying: floods of duplicates are the common case.
  if (input.kind === 'delivery' && previous.appliedKeys.includes(input.event.dedupeKey)) {
    return { state: previous, effects: [], changed: false };
  }
  // JSON round trip rather than structuredClone, which the workflow sandbox may not offer.
  const state = JSON.parse(JSON.stringify(previous)) as ScreeningState;
  const effects: Effect[] = [];
  const request = (effect: Effect) => {
    const key = effectKey(effect);
    if (state.requested.includes(key)) return;
    state.requested.push(key);
    effects.push(effect);
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
      if (statusBefore === 'unknown' || statusBefore === 'invited' || statusBefore === 'form_opened') {
        state.moments.expired = now;
        state.timeline.push({ type: 'screening.expired', occurredAt: now, appliedAt: now });
        request({ kind: 'notify_landlord', milestone: 'expired' });
      }
      break;
    case 'completion_deadline_due':
      if (statusBefore === 'submitted') request({ kind: 'reconcile' });
      break;
    case 'reconciled':
      if (!state.moments.completed) {
        state.timeline.push({ type: 'screening.reconciled', occurredAt: input.completedAt ?? now, appliedAt: now });
        state.score ??= input.score;
        state.links = { ...state.links, report: state.links?.report ?? input.reportUrl };
        markCompleted(state, input.completedAt ?? now, request);
      }
      break;
    case 'report_fetched':
      state.score ??= input.score;
      break;
    case 'reconciliation_gave_up':
      if (!state.moments.completed) request({ kind: 'alert_team', reason: 'reconciliation_gave_up' });
      break;
  }

  const statusAfter = statusOf(state);
  // The dedupe window counts from the moment the screening last became terminal.
  if (isTerminal(statusAfter) && !isTerminal(statusBefore)) state.clock.terminal = now;
  const changed = effects.length > 0 || JSON.stringify(state) !== JSON.stringify(previous);
  return { state: changed ? state : previous, effects, changed };
}

/** The milestone each event dates (completion and failure are dated with their outcome, below). */
const momentOf: Partial<Record<ScreeningEvent['type'], Milestones>> = {
  'invite.sent': 'invited',
  'invite.opened': 'inviteOpened',
  'form.opened': 'formOpened',
  'screening.submitted': 'submitted',
  'screening.payment_captured': 'paymentCaptured',
  'report.partial': 'partialReport',
};

/** Events that show the tenant was invited: reminders and expiry count from the first of them. */
const showsInvitation: ReadonlySet<ScreeningEvent['type']> = new Set(['invite.sent', 'invite.opened', 'form.opened']);

function applyEvent(state: ScreeningState, event: ScreeningEvent, now: string, request: (effect: Effect) => void): void {
  const moment = momentOf[event.type];
  if (moment) earliest(state.moments, moment, event.occurredAt);
  if (showsInvitation.has(event.type)) state.clock.invited ??= now;
  switch (event.type) {
    case 'screening.submitted':
      state.clock.submitted ??= now;
      request({ kind: 'notify_landlord', milestone: 'submitted' });
      break;
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
      if (recoverable) request({ kind: 'alert_team', reason: 'recoverable_failure' });
      else {
        request({ kind: 'alert_team', reason: 'failed' });
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

/** Facts only fill gaps, except the result of the completion, which is authoritative. */
function recordFacts(state: ScreeningState, event: ScreeningEvent): void {
  state.externalCustomerId ??= event.externalCustomerId;
  state.externalTenantId ??= event.externalTenantId;
  state.externalDealId ??= event.externalDealId;
  state.externalListingId ??= event.externalListingId;
  if (event.tenant) state.tenant = { ...event.tenant, ...state.tenant };
  if (event.landlord) state.landlord = { ...event.landlord, ...state.landlord };
  if (event.invite?.formUrl) state.formUrl ??= event.invite.formUrl;
  if (event.invite?.type) state.inviteType ??= event.invite.type;
  const authoritative = event.type === 'screening.completed';
  if (event.score !== undefined && (authoritative || state.score === undefined)) state.score = event.score;
  if (event.recommendation && (authoritative || !state.recommendation)) state.recommendation = event.recommendation;
  if (event.links) state.links = authoritative ? { ...state.links, ...event.links } : { ...event.links, ...state.links };
}

function earliest<K extends string>(moments: Partial<Record<K, string>>, key: K, at: string): void {
  const current = moments[key];
  if (current === undefined || at < current) moments[key] = at;
}

/** The next timer the workflow must set, or undefined when it only waits for deliveries. */
export function nextDeadline(state: ScreeningState, durations: Durations): Deadline | undefined {
  const status = statusOf(state);
  const after = (from: string, ms: number) => new Date(Date.parse(from) + ms).toISOString();
  const candidates: Deadline[] = [];
  if (isTerminal(status)) {
    if (state.clock.terminal) candidates.push({ kind: 'close', at: after(state.clock.terminal, durations.dedupeWindow) });
  } else {
    const invitedFrom = state.clock.invited ?? state.clock.firstSeen;
    if (status === 'invited' && state.clock.invited) {
      durations.reminders.forEach((offset, i) => {
        if (!state.requested.includes(effectKey({ kind: 'remind_tenant', index: i + 1 }))) {
          candidates.push({ kind: 'reminder', index: i + 1, at: after(state.clock.invited!, offset) });
        }
      });
    }
    if ((status === 'unknown' || status === 'invited' || status === 'form_opened') && invitedFrom) {
      candidates.push({ kind: 'expiry', at: after(invitedFrom, durations.expiry) });
    }
    if (status === 'submitted' && state.clock.submitted && !state.requested.includes('reconcile')) {
      candidates.push({ kind: 'completion_deadline', at: after(state.clock.submitted, durations.completionSla) });
    }
  }
  return candidates.sort((a, b) => a.at.localeCompare(b.at))[0];
}

/** The machine input a fired deadline stands for. */
export function inputForDeadline(deadline: Deadline): MachineInput | undefined {
  switch (deadline.kind) {
    case 'reminder':
      return { kind: 'reminder_due', index: deadline.index! };
    case 'expiry':
      return { kind: 'expiry_due' };
    case 'completion_deadline':
      return { kind: 'completion_deadline_due' };
    case 'close':
      return undefined;
  }
}
