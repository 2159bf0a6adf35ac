/**
 * What one run of a screening's workflow hands to the next at continue-as-new: a typed, versioned
 * value, validated when the next run starts, so a change to its shape fails loudly (a workflow
 * task failure, retried until fixed code is deployed) instead of running on a misread state.
 *
 * A change to `ScreeningState` is a new `version` here, with the reading of the older versions
 * kept until no run carrying them remains (see "Changing the workflow" in the README).
 *
 * Checked by hand rather than with zod, which the edge uses: the workflow bundle is evaluated once
 * per cached workflow, and zod made the bundle 1.1 MB larger and a worker holding 10,000 open
 * screenings use 4.4 GiB instead of 1.1 GiB (npm run bench, 2026-11-30).
 */
import { alertReasons, type Effect, effectKey, effectStatuses, landlordMilestones, reportScopes } from './messages';
import type { ScreeningState } from './screening-machine';

export interface CarriedState {
  version: 1;
  /** Everything the machine knows, running effects included (the next run starts them again). */
  state: ScreeningState;
}

type Problems = string[];
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isOneOf = (values: readonly string[], value: unknown) => typeof value === 'string' && values.includes(value);
const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
/** Every time the machine keeps comes from `Date.prototype.toISOString`, at the edge or on the workflow clock. */
const isInstant = (value: unknown) =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value));

function expect(problems: Problems, ok: boolean, path: string, what: string): void {
  if (!ok) problems.push(`${path}: ${what}`);
}

function isEffect(value: unknown): value is Effect {
  if (!isObject(value)) return false;
  switch (value.kind) {
    case 'notify_landlord':
      return isOneOf(landlordMilestones, value.milestone);
    case 'remind_tenant':
      return Number.isInteger(value.index) && (value.index as number) > 0;
    case 'alert_team':
      return isOneOf(alertReasons, value.reason);
    case 'fetch_report':
      return isOneOf(reportScopes, value.scope);
    case 'reconcile':
      return true;
    case 'notify_platform':
      return typeof value.status === 'string' && (value.previous === null || typeof value.previous === 'string') && isInstant(value.at);
    default:
      return false;
  }
}

// The machine's own bookkeeping is checked in full; the facts it holds were validated at the edge,
// so only those a search attribute or a timer depends on are checked again.
function checkState(state: unknown, problems: Problems): void {
  if (!isObject(state)) return expect(problems, false, 'state', 'not an object');
  expect(problems, typeof state.purchaseToken === 'string' && state.purchaseToken !== '', 'state.purchaseToken', 'not a token');
  expect(problems, state.score === undefined || Number.isInteger(state.score), 'state.score', 'not a whole number');
  expect(problems, state.failure === undefined || (isObject(state.failure) && typeof state.failure.recoverable === 'boolean'), 'state.failure', 'malformed');
  for (const field of ['moments', 'clock'] as const) {
    const times = state[field];
    if (!isObject(times)) expect(problems, false, `state.${field}`, 'not an object');
    else for (const [name, at] of Object.entries(times)) expect(problems, isInstant(at), `state.${field}.${name}`, 'not an ISO instant');
  }
  expect(problems, Array.isArray(state.appliedKeys) && state.appliedKeys.every((key) => typeof key === 'string'), 'state.appliedKeys', 'not a list of keys');
  expect(problems, Array.isArray(state.bookkeepingFailed), 'state.bookkeepingFailed', 'not a list');
  expect(
    problems,
    Array.isArray(state.timeline) &&
      state.timeline.every((entry) => isObject(entry) && typeof entry.type === 'string' && isInstant(entry.occurredAt) && isInstant(entry.appliedAt)),
    'state.timeline',
    'malformed entry',
  );
  for (const field of ['version', 'duplicatesIgnored'] as const) expect(problems, isCount(state[field]), `state.${field}`, 'not a count');
  if (!isObject(state.effects)) return expect(problems, false, 'state.effects', 'not an object');
  for (const [key, record] of Object.entries(state.effects)) {
    const valid =
      isObject(record) && isEffect(record.effect) && isOneOf(effectStatuses, record.status) && [undefined, true].includes(record.cancelling as never);
    expect(problems, valid, `state.effects.${key}`, 'malformed');
    if (valid) expect(problems, key === effectKey(record.effect as Effect), `state.effects.${key}`, 'an effect filed under another key');
  }
}

/** The carried value, or an error naming what is wrong with it. */
export function parseCarriedState(value: unknown): CarriedState {
  const problems: Problems = [];
  if (!isObject(value)) problems.push('(root): not an object');
  else {
    expect(problems, value.version === 1, 'version', `${String(value.version)} is not 1`);
    checkState(value.state, problems);
  }
  if (problems.length) throw new Error(`continue-as-new state of an unknown shape: ${problems.join('; ')}`);
  return value as CarriedState;
}
