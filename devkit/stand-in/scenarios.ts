/**
 * The screenings the SingleKey stand-in can play, as data: what happens when (in SingleKey's time,
 * minutes after the request), which deliveries are sent when, and the state the service must end in.
 * The stand-in plays them (server.ts, webhook-sender.ts), `npm run simulate` asks for them and checks the end state,
 * the README lists them, and the end-to-end tests run every one.
 */
import type { ScreeningStatus, ScreeningView } from '../../workflows/messages';

export type StandInEvent =
  'invite.sent' | 'invite.opened' | 'form.opened' | 'screening.submitted' | 'screening.payment_captured' | 'screening.completed' | 'screening.failed';

export interface ScenarioStep {
  event: StandInEvent;
  /** When it happens at SingleKey: minutes after the request. */
  at: number;
  /** When the first delivery is sent, if later than `at` (the out-of-order scenario). */
  sendAt?: number;
  /** Identical deliveries sent (same bytes, same `webhook_id`), as an at-least-once sender does. */
  copies?: number;
  failure?: { reason: string; message: string; recoverable: boolean };
}

export interface Scenario {
  name: string;
  summary: string;
  steps: ScenarioStep[];
  /** When the report API starts answering a finished report; unset: when `screening.completed` happens. */
  reportReadyAt?: number;
  /** The receiver answers 503 from the start until this minute (simulate puts a gate in front of it). */
  receiverDownUntil?: number;
  /** The status the service must reach. */
  expectedStatus: ScreeningStatus;
  /** What else proves the scenario worked, in words (README) ... */
  expectation: string;
  /** ... and as a check on the `status` query's answer, given how it was played (see `stepsIn`). */
  satisfiedBy(view: ExpectationView, played: Played): boolean;
}

/** The parts of the `status` query's answer a scenario's expectation looks at. */
export type ExpectationView = Pick<ScreeningView, 'status' | 'duplicatesIgnored' | 'failure' | 'timeline'> & {
  effects: Pick<ScreeningView['effects'], 'done' | 'pending' | 'waiting'>;
};

/** How a scenario was played: its steps in that format, and the format. */
export interface Played {
  steps: ScenarioStep[];
  format: WebhookFormat;
}

const lifecycle: ScenarioStep[] = [
  { event: 'invite.sent', at: 0 },
  { event: 'invite.opened', at: 3 },
  { event: 'form.opened', at: 4 },
  { event: 'screening.submitted', at: 12 },
  { event: 'screening.payment_captured', at: 12.5 },
];
const completed: ScenarioStep = { event: 'screening.completed', at: 20 };
const settled = (view: ExpectationView) => view.effects.pending.length === 0;
/** Entries in the timeline other than the platform's own request (`POST /screenings`). */
const deliveriesApplied = (view: ExpectationView) => view.timeline.filter((entry) => entry.type !== 'screening.requested').length;
const repeats = (played: Played) => played.steps.reduce((sum, step) => sum + (step.copies ?? 1) - 1, 0);
/**
 * The e-mail went out; in the partner-portal format, which names no e-mail address, it may instead
 * wait for a recipient (sent at once when the landlord directory knows the customer).
 */
const mailed = (view: ExpectationView, played: Played, key: string) =>
  view.effects.done.includes(key) || (played.format === 'portal' && view.effects.waiting.includes(key));

export const scenarios: Record<string, Scenario> = {
  happy: {
    name: 'happy',
    summary: 'invite, form opened, submitted, paid, completed',
    steps: [...lifecycle, completed],
    expectedStatus: 'completed',
    expectation: 'landlord e-mailed on submission and with the report; report archived',
    satisfiedBy: (v, p) => v.status === 'completed' && mailed(v, p, 'notify_landlord:completed') && settled(v),
  },
  failed: {
    name: 'failed',
    summary: 'submitted, then an unrecoverable failure (identity verification)',
    steps: [
      ...lifecycle,
      { event: 'screening.failed', at: 18, failure: { reason: 'identity_verification_failed', message: 'Identity could not be verified', recoverable: false } },
    ],
    expectedStatus: 'failed',
    expectation: 'team alerted; landlord told the screening could not be completed',
    satisfiedBy: (v) => v.status === 'failed' && v.effects.done.includes('notify_landlord:failed') && settled(v),
  },
  'recoverable-failure': {
    name: 'recoverable-failure',
    summary: 'submitted, credit bureau unavailable (recoverable), completed later',
    steps: [
      ...lifecycle,
      { event: 'screening.failed', at: 15, failure: { reason: 'credit_bureau_unavailable', message: 'Credit bureau did not answer', recoverable: true } },
      { event: 'screening.completed', at: 30 },
    ],
    expectedStatus: 'completed',
    expectation: 'team alerted about the recoverable failure; the later completion wins',
    satisfiedBy: (v) => v.status === 'completed' && v.failure?.recoverable === true && v.effects.done.includes('alert_team:recoverable_failure') && settled(v),
  },
  duplicates: {
    name: 'duplicates',
    summary: 'the happy screening with every delivery sent 2 times and the completion 4 times',
    steps: [...lifecycle.map((step) => ({ ...step, copies: 2 })), { ...completed, copies: 4 }],
    expectedStatus: 'completed',
    expectation: 'every repeat ignored (duplicatesIgnored 8; 6 in the portal format, which has fewer events); one e-mail of each kind',
    satisfiedBy: (v, p) => v.status === 'completed' && v.duplicatesIgnored === repeats(p) && mailed(v, p, 'notify_landlord:completed') && settled(v),
  },
  'out-of-order': {
    name: 'out-of-order',
    summary: 'the happy screening delivered backwards: completion first, invitation last',
    steps: [
      { event: 'invite.sent', at: 0, sendAt: 24 },
      { event: 'form.opened', at: 4, sendAt: 23 },
      { event: 'screening.submitted', at: 12, sendAt: 22 },
      { event: 'screening.payment_captured', at: 12.5, sendAt: 21 },
      { event: 'screening.completed', at: 20 },
    ],
    expectedStatus: 'completed',
    expectation: 'completed from the first delivery on; the late ones are recorded, the "submitted" e-mail is superseded',
    satisfiedBy: (v, p) => v.status === 'completed' && deliveriesApplied(v) === p.steps.length && settled(v),
  },
  'missed-completion': {
    name: 'missed-completion',
    summary: 'submitted, the report is ready at minute 20, but no completion webhook ever comes',
    steps: lifecycle,
    reportReadyAt: 20,
    expectedStatus: 'completed',
    expectation: 'after COMPLETION_SLA the service asks the report API and completes (timeline shows screening.reconciled)',
    satisfiedBy: (v) => v.status === 'completed' && v.timeline.some((entry) => entry.type === 'screening.reconciled') && settled(v),
  },
  abandoned: {
    name: 'abandoned',
    summary: 'invited, and the tenant never opens the form',
    steps: [{ event: 'invite.sent', at: 0 }],
    expectedStatus: 'expired',
    expectation: 'a tenant reminder per REMINDER_SCHEDULE entry, then expiry after SCREENING_EXPIRY; landlord told',
    satisfiedBy: (v, p) => v.status === 'expired' && mailed(v, p, 'remind_tenant:1') && mailed(v, p, 'notify_landlord:expired') && settled(v),
  },
  outage: {
    name: 'outage',
    summary: 'the happy screening while the receiver answers 503 for the first 5.5 minutes',
    steps: [...lifecycle, completed],
    receiverDownUntil: 5.5,
    expectedStatus: 'completed',
    expectation: "the first three deliveries succeed on SingleKey's 3rd attempt (after 1 and 5 minutes); nothing lost",
    satisfiedBy: (v, p) => v.status === 'completed' && deliveriesApplied(v) === p.steps.length && settled(v),
  },
};

export const scenarioNames = Object.keys(scenarios);

/** The partner-portal format has one `detail` per step of the form flow and nothing else. */
export const portalDetails: Partial<Record<StandInEvent, string>> = {
  'invite.sent': 'Request sent to tenant',
  'form.opened': 'Tenant email opened',
  'screening.submitted': 'Report in Progress',
  'screening.completed': 'Report Complete',
};

export type WebhookFormat = 'envelope' | 'flat' | 'portal';
export const webhookFormats: readonly WebhookFormat[] = ['envelope', 'flat', 'portal'];

/** The steps delivered in a format: the portal format leaves out what it has no `detail` for. */
export function stepsIn(scenario: Scenario, format: WebhookFormat): ScenarioStep[] {
  return format === 'portal' ? scenario.steps.filter((step) => portalDetails[step.event]) : scenario.steps;
}

export function playedIn(scenario: Scenario, format: WebhookFormat): Played {
  return { steps: stepsIn(scenario, format), format };
}

/** Why a scenario cannot be played in a format, or undefined when it can. */
export function formatLimitation(scenario: Scenario, format: WebhookFormat): string | undefined {
  if (format === 'portal' && scenario.steps.some((step) => step.failure)) {
    return `the partner-portal format has no failure event, so "${scenario.name}" cannot be told in it; use --format envelope or flat`;
  }
  if (format === 'flat' && scenario.steps.some((step) => step.failure?.recoverable)) {
    return `the flat layout cannot mark a failure recoverable, so "${scenario.name}" cannot be told in it; use --format envelope`;
  }
  return undefined;
}
