import assert from 'node:assert/strict';
import { screeningEvent } from '../../devkit/builders';
import fc from 'fast-check';
import { type Effect, effectKey, type ScreeningEvent } from '../../workflows/messages';
import { type Durations, nextDeadline } from '../../workflows/screening-deadlines';
import {
  changesStatus,
  type EffectResult,
  initialState,
  type MachineInput,
  type ScreeningState,
  snapshotOf,
  stateFromSnapshot,
  statusOf,
  transition,
} from '../../workflows/screening-machine';

const T0 = '2026-11-29T10:00:00.000Z';
const HOUR = 3_600_000;
const durations: Durations = {
  reminders: [24 * HOUR, 72 * HOUR],
  expiry: 7 * 24 * HOUR,
  completionSla: 2 * HOUR,
  submittedMaxAge: 7 * 24 * HOUR,
  dedupeWindow: 15 * HOUR,
};

/** A delivery of `type` at T0; the dedupe key is the same for every delivery of a type unless given. */
function delivery(type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}, dedupeKey = `wh_${type}`): MachineInput {
  return { kind: 'delivery', event: screeningEvent('pt_1', type, { dedupeKey, occurredAt: T0, receivedAt: T0, ...extra }) };
}

const settled = (key: string, result: EffectResult = { kind: 'done' }): MachineInput => ({ kind: 'effect_settled', key, result });

/** Applies `inputs` in order; `started` lists every effect the machine asked to start, in order. */
function run(inputs: MachineInput[], start = initialState('pt_1')): { state: ScreeningState; started: Effect[]; cancelled: string[] } {
  let state = start;
  const started: Effect[] = [];
  const cancelled: string[] = [];
  for (const input of inputs) {
    const next = transition(state, input, T0);
    state = next.state;
    started.push(...next.start);
    cancelled.push(...next.cancel);
  }
  return { state, started, cancelled };
}

const keys = (effects: Effect[]) => effects.map(effectKey).sort();
const requested = (state: ScreeningState) => Object.keys(state.effects).sort();
const statusOfEffect = (state: ScreeningState, key: string) => state.effects[key]?.status;

describe('screening state machine', () => {
  describe('rules', () => {
    it('moves forward through the milestones and notifies the landlord of the submission', () => {
      const { state, started } = run([delivery('invite.sent'), delivery('form.opened'), delivery('screening.submitted')]);
      assert.equal(statusOf(state), 'submitted');
      assert.deepEqual(keys(started), ['notify_landlord:submitted']);
    });

    it('records a late form.opened after submission without moving the status back', () => {
      const { state } = run([delivery('invite.sent'), delivery('screening.submitted'), delivery('form.opened', { occurredAt: '2026-11-29T09:00:00.000Z' })]);
      assert.equal(statusOf(state), 'submitted');
      assert.equal(state.moments.formOpened, '2026-11-29T09:00:00.000Z');
    });

    it('lets screening.completed win over everything before it, and fetches the report', () => {
      const { state, started } = run([
        delivery('screening.completed', { score: 740, recommendation: 'approved' }),
        delivery('invite.sent'),
        delivery('screening.submitted'),
      ]);
      assert.equal(statusOf(state), 'completed');
      assert.equal(state.score, 740);
      assert.ok(keys(started).includes('notify_landlord:completed') && keys(started).includes('fetch_report:full'));
    });

    it('alerts the team on a recoverable failure but keeps waiting for completion', () => {
      const { state, started } = run([
        delivery('screening.submitted'),
        delivery('screening.failed', { failure: { reason: 'credit_bureau_unavailable', recoverable: true } }),
      ]);
      assert.equal(statusOf(state), 'submitted');
      assert.deepEqual(keys(started), ['alert_team:recoverable_failure', 'notify_landlord:submitted']);
    });

    it('completes after a recoverable failure', () => {
      const { state } = run([
        delivery('screening.submitted'),
        delivery('screening.failed', { failure: { recoverable: true } }),
        delivery('screening.completed'),
      ]);
      assert.equal(statusOf(state), 'completed');
    });

    it('treats an unrecoverable failure as terminal, telling landlord and team', () => {
      const { state, started } = run([
        delivery('screening.submitted'),
        delivery('screening.failed', { failure: { reason: 'invalid_sin_ssn', recoverable: false } }),
      ]);
      assert.equal(statusOf(state), 'failed');
      assert.deepEqual(keys(started), ['alert_team:failed', 'notify_landlord:failed', 'notify_landlord:submitted']);
      assert.equal(state.failure?.reason, 'invalid_sin_ssn');
    });

    it('records Partial Report Complete and fetches the partial report without completing', () => {
      const { state, started } = run([delivery('screening.submitted'), delivery('report.partial', {}, 'sha256:partial')]);
      assert.equal(statusOf(state), 'submitted');
      assert.ok(state.moments.partialReport);
      assert.ok(keys(started).includes('fetch_report:partial'));
    });

    it('records invite.opened as a fact only', () => {
      const { state, started } = run([delivery('invite.sent'), delivery('invite.opened')]);
      assert.equal(statusOf(state), 'invited');
      assert.ok(state.moments.inviteOpened);
      assert.deepEqual(started, []);
    });

    it('takes a captured payment as proof of a submission whose delivery was lost: no expiry, landlord told, deadline set', () => {
      const { state, started } = run([delivery('invite.sent'), delivery('screening.payment_captured')]);
      assert.equal(statusOf(state), 'submitted');
      assert.deepEqual(keys(started), ['notify_landlord:submitted']);
      assert.deepEqual(transition(state, { kind: 'expiry_due' }, T0).start, []);
      assert.deepEqual(nextDeadline(state, durations), { kind: 'completion_deadline', at: '2026-11-29T12:00:00.000Z' });
    });

    it('takes a partial report as proof of submission too', () => {
      const { state } = run([delivery('invite.sent'), delivery('report.partial', {}, 'sha256:partial')]);
      assert.equal(statusOf(state), 'submitted');
    });

    it('ignores a delivery whose dedupe key was already applied', () => {
      const once = run([delivery('screening.submitted')]);
      const again = transition(once.state, delivery('screening.submitted'), T0);
      assert.equal(again.duplicate, true);
      assert.equal(again.published, false);
      assert.deepEqual(again.start, []);
      assert.equal(again.state.duplicatesIgnored, 1);
      assert.deepEqual({ ...again.state, duplicatesIgnored: 0 }, once.state);
    });

    it('requests each effect at most once even for distinct deliveries of the same event', () => {
      const { started } = run([delivery('screening.completed', {}, 'wh_a'), delivery('screening.completed', {}, 'wh_b')]);
      assert.deepEqual(keys(started), ['fetch_report:full', 'notify_landlord:completed']);
    });
  });

  describe('timers', () => {
    it('schedules reminders at 24 h and 72 h after the invitation, then expiry at 7 days', () => {
      let { state } = run([delivery('invite.sent')]);
      assert.deepEqual(nextDeadline(state, durations), { kind: 'reminder', index: 1, at: '2026-11-30T10:00:00.000Z' });
      let step = transition(state, { kind: 'reminder_due', index: 1 }, '2026-11-30T10:00:00.000Z');
      assert.deepEqual(keys(step.start), ['remind_tenant:1']);
      state = step.state;
      assert.deepEqual(nextDeadline(state, durations), { kind: 'reminder', index: 2, at: '2026-12-02T10:00:00.000Z' });
      state = transition(state, { kind: 'reminder_due', index: 2 }, '2026-12-02T10:00:00.000Z').state;
      assert.deepEqual(nextDeadline(state, durations), { kind: 'expiry', at: '2026-12-06T10:00:00.000Z' });
      step = transition(state, { kind: 'expiry_due' }, '2026-12-06T10:00:00.000Z');
      assert.equal(statusOf(step.state), 'expired');
      assert.deepEqual(keys(step.start), ['notify_landlord:expired']);
      assert.deepEqual(nextDeadline(step.state, durations), { kind: 'close', at: '2026-12-07T01:00:00.000Z' });
    });

    it('restarts the dedupe window when an expired screening completes after all', () => {
      const { state } = run([delivery('invite.sent'), { kind: 'expiry_due' }]);
      const completed = transition(state, delivery('screening.completed'), '2026-12-06T12:00:00.000Z').state;
      assert.equal(statusOf(completed), 'completed');
      assert.deepEqual(nextDeadline(completed, durations), { kind: 'close', at: '2026-12-07T03:00:00.000Z' });
    });

    it('sends no reminder once the form was opened', () => {
      const { state } = run([delivery('invite.sent'), delivery('form.opened')]);
      assert.equal(nextDeadline(state, durations)?.kind, 'expiry');
      assert.deepEqual(transition(state, { kind: 'reminder_due', index: 1 }, T0).start, []);
    });

    it('does not expire a submitted screening', () => {
      const { state } = run([delivery('invite.sent'), delivery('screening.submitted')]);
      assert.deepEqual(transition(state, { kind: 'expiry_due' }, T0).start, []);
    });

    it('reconciles when no completion arrives within the SLA, and completes from the report API', () => {
      let { state } = run([delivery('screening.submitted')]);
      assert.deepEqual(nextDeadline(state, durations), { kind: 'completion_deadline', at: '2026-11-29T12:00:00.000Z' });
      const due = transition(state, { kind: 'completion_deadline_due' }, '2026-11-29T12:00:00.000Z');
      assert.deepEqual(keys(due.start), ['reconcile']);
      state = due.state;
      assert.deepEqual(nextDeadline(state, durations), { kind: 'max_age', at: '2026-12-06T10:00:00.000Z' });
      const report = { score: 701, reportUrl: 'https://platform.singlekey.com/r/9' };
      const done = transition(state, settled('reconcile', { kind: 'done', report }), '2026-11-29T12:05:00.000Z');
      assert.equal(statusOf(done.state), 'completed');
      assert.equal(done.state.score, 701);
      assert.equal(done.state.links?.report, report.reportUrl);
      assert.equal(done.state.timeline.at(-1)?.type, 'screening.reconciled');
      assert.deepEqual(keys(done.start), ['fetch_report:full', 'notify_landlord:completed']);
    });

    it('ends a screening still submitted after SUBMITTED_MAX_AGE as stalled, telling the team; a later completion still wins', () => {
      const { state } = run([delivery('screening.submitted')]);
      assert.deepEqual(nextDeadline(state, durations), { kind: 'completion_deadline', at: '2026-11-29T12:00:00.000Z' });
      const stalled = transition(state, { kind: 'max_age_due' }, '2026-12-06T10:00:00.000Z');
      assert.equal(statusOf(stalled.state), 'stalled');
      assert.deepEqual(keys(stalled.start), ['alert_team:stalled']);
      assert.deepEqual(nextDeadline(stalled.state, durations), { kind: 'close', at: '2026-12-07T01:00:00.000Z' });
      assert.equal(statusOf(transition(stalled.state, delivery('screening.completed'), T0).state), 'completed');
    });

    it('sends no alert e-mail when reconciliation gives up on a token SingleKey does not know (counted and alerted in aggregate)', () => {
      const { state, started } = run([
        delivery('screening.submitted'),
        { kind: 'completion_deadline_due' },
        settled('reconcile', { kind: 'failed', unknownToken: true }),
      ]);
      assert.equal(statusOfEffect(state, 'reconcile'), 'failed');
      assert.ok(!keys(started).includes('alert_team:reconciliation_gave_up'));
    });

    it('alerts the team when reconciliation gives up', () => {
      const { state, started } = run([delivery('screening.submitted'), { kind: 'completion_deadline_due' }, settled('reconcile', { kind: 'failed' })]);
      assert.equal(statusOfEffect(state, 'reconcile'), 'failed');
      assert.ok(keys(started).includes('alert_team:reconciliation_gave_up'));
      assert.equal(statusOf(state), 'submitted');
    });
  });

  describe('a screening reopened from the read model', () => {
    const expired = {
      purchaseToken: 'pt_1',
      status: 'expired' as const,
      version: 4,
      moments: { invited: T0, expired: T0 },
      landlord: { email: 'l@example.test' },
    };

    it('takes a late completion after expiry, with the e-mail and the archive, and a version past the published one', () => {
      const state = stateFromSnapshot(expired);
      assert.equal(statusOf(state), 'expired');
      assert.equal(changesStatus(state, screeningEvent('pt_1', 'screening.completed'), T0), true);
      const step = transition(state, delivery('screening.completed'), T0);
      assert.equal(statusOf(step.state), 'completed');
      assert.deepEqual(keys(step.start), ['fetch_report:full', 'notify_landlord:completed']);
      assert.equal(step.state.version, 5);
      assert.deepEqual(nextDeadline(step.state, durations), { kind: 'close', at: '2026-11-30T01:00:00.000Z' });
    });

    it('counts a repeat of what it already knows as no change', () => {
      const completed = stateFromSnapshot({ ...expired, status: 'completed', moments: { ...expired.moments, completed: T0 } });
      assert.equal(changesStatus(completed, screeningEvent('pt_1', 'screening.completed'), T0), false);
      assert.equal(changesStatus(stateFromSnapshot(expired), screeningEvent('pt_1', 'invite.opened'), T0), false);
    });
  });

  describe('the archived report', () => {
    it('supplies the score a completion did not name, and changes nothing else', () => {
      const { state } = run([delivery('screening.completed', { format: 'portal' })]);
      const fetched = transition(state, settled('fetch_report:full', { kind: 'done', report: { score: 733 } }), T0);
      assert.equal(fetched.state.score, 733);
      assert.equal(fetched.published, true);
      assert.equal(statusOf(fetched.state), 'completed');
      assert.deepEqual(fetched.start, []);
    });

    it('never overrides the score the completion named', () => {
      const { state } = run([delivery('screening.completed', { score: 702 })]);
      const fetched = transition(state, settled('fetch_report:full', { kind: 'done', report: { score: 733 } }), T0);
      assert.equal(fetched.published, false);
      assert.equal(fetched.state.score, 702);
    });
  });

  describe('effects', () => {
    const landlord = { email: 'landlord@example.test' };

    it('supersedes the "submitted" e-mail when the outcome is already known, and never starts it', () => {
      const { state, started } = run([delivery('screening.completed'), delivery('screening.submitted')]);
      assert.equal(statusOfEffect(state, 'notify_landlord:submitted'), 'superseded');
      assert.ok(!keys(started).includes('notify_landlord:submitted'));
    });

    it('holds an e-mail without a recipient until a delivery names one, then starts it again', () => {
      const { state } = run([delivery('screening.submitted'), settled('notify_landlord:submitted', { kind: 'no_recipient' })]);
      assert.equal(statusOfEffect(state, 'notify_landlord:submitted'), 'waiting');
      const named = transition(state, delivery('screening.payment_captured', { landlord }), T0);
      assert.deepEqual(keys(named.start), ['notify_landlord:submitted']);
      assert.equal(statusOfEffect(named.state, 'notify_landlord:submitted'), 'running');
    });

    it('supersedes a waiting "submitted" e-mail once the outcome is known', () => {
      const { state, started } = run([
        delivery('screening.submitted'),
        settled('notify_landlord:submitted', { kind: 'no_recipient' }),
        delivery('screening.completed', { landlord }),
      ]);
      assert.equal(statusOfEffect(state, 'notify_landlord:submitted'), 'superseded');
      assert.deepEqual(keys(started), ['fetch_report:full', 'notify_landlord:completed', 'notify_landlord:submitted']);
    });

    it('supersedes a waiting reminder once the tenant is past the invitation', () => {
      const { state } = run([
        delivery('invite.sent'),
        { kind: 'reminder_due', index: 1 },
        settled('remind_tenant:1', { kind: 'no_recipient' }),
        delivery('form.opened'),
      ]);
      assert.equal(statusOfEffect(state, 'remind_tenant:1'), 'superseded');
    });

    it('cancels a running reconciliation once a delivery settles the outcome, and counts it superseded', () => {
      const { state, cancelled } = run([
        delivery('screening.submitted'),
        { kind: 'completion_deadline_due' },
        delivery('screening.failed', { failure: { recoverable: false } }),
      ]);
      assert.deepEqual(cancelled, ['reconcile']);
      const after = run([settled('reconcile', { kind: 'failed' })], state);
      assert.equal(statusOfEffect(after.state, 'reconcile'), 'superseded');
      assert.ok(!keys(after.started).includes('alert_team:reconciliation_gave_up'), 'no false "gave up" alert');
    });

    it('does not tell the landlord a completed screening could not be completed', () => {
      const { state, started } = run([delivery('screening.completed'), delivery('screening.failed', { failure: { reason: 'timeout', recoverable: false } })]);
      assert.equal(statusOf(state), 'completed');
      assert.equal(statusOfEffect(state, 'notify_landlord:failed'), 'superseded');
      assert.ok(keys(started).includes('alert_team:failed'), 'the team still hears of the failure');
    });

    it('ignores a second outcome for an effect that already settled', () => {
      const { state } = run([delivery('screening.completed'), settled('fetch_report:full'), settled('fetch_report:full', { kind: 'failed' })]);
      assert.equal(statusOfEffect(state, 'fetch_report:full'), 'done');
    });

    it('starts the running effects again in a new run after continue-as-new, but not cancelled or pointless ones', () => {
      const { state } = run([delivery('screening.submitted'), { kind: 'completion_deadline_due' }, delivery('screening.completed')]);
      const resumed = transition(state, { kind: 'resumed' }, T0);
      assert.deepEqual(keys(resumed.start), ['fetch_report:full', 'notify_landlord:completed']);
      assert.equal(statusOfEffect(resumed.state, 'reconcile'), 'superseded');
      assert.equal(statusOfEffect(resumed.state, 'notify_landlord:submitted'), 'superseded');
    });

    it('counts a new version only when what readers see changed', () => {
      const { state } = run([delivery('invite.sent')]);
      assert.equal(state.version, 1);
      assert.equal(transition(state, { kind: 'bookkeeping_failed', what: 'read_model:v1' }, T0).published, false);
      // The read model has no column for these: kept in the state, no new version.
      assert.equal(transition(state, delivery('invite.opened'), T0).state.version, 1);
      assert.equal(transition(state, delivery('screening.payment_captured'), T0).state.version, 2, 'a payment is proof of submission: a new status');
      assert.equal(transition(state, delivery('form.opened'), T0).state.version, 2);
    });
  });

  describe('properties', () => {
    const landlord = { email: 'landlord@example.test' };
    const lifecycles: MachineInput[][] = [
      [
        delivery('invite.sent', { landlord }),
        delivery('invite.opened'),
        delivery('form.opened'),
        delivery('screening.submitted'),
        delivery('screening.payment_captured'),
        delivery('screening.completed', { score: 733 }),
      ],
      [
        delivery('invite.sent'),
        delivery('form.opened'),
        delivery('screening.submitted'),
        delivery('report.partial', {}, 'sha256:p'),
        delivery('screening.failed', { failure: { recoverable: true } }),
        delivery('screening.completed', { landlord }),
      ],
      [
        delivery('invite.sent'),
        delivery('form.opened'),
        delivery('screening.submitted', { landlord }),
        delivery('screening.failed', { failure: { reason: 'timeout', recoverable: false } }),
      ],
      [
        delivery('invite.sent'),
        delivery('form.opened'),
        delivery('screening.submitted', {}, 'sha256:s'),
        delivery('report.partial', {}, 'sha256:p'),
        delivery('screening.completed', {}, 'sha256:c'),
      ],
    ];

    /** A permutation of a lifecycle with each delivery repeated 1-4 times. */
    const shuffledWithDuplicates = fc.constantFrom(...lifecycles).chain((lifecycle) =>
      fc
        .tuple(...lifecycle.map((input) => fc.integer({ min: 1, max: 4 }).map((n) => Array<MachineInput>(n).fill(input))))
        .chain((groups) => fc.shuffledSubarray(groups.flat(), { minLength: groups.flat().length }))
        .map((inputs) => ({ lifecycle, inputs })),
    );

    /**
     * Plays deliveries and the outcomes of the effects they start, interleaved as `choices` say, the
     * way the workflow does: an e-mail started without a known recipient reports `no_recipient`,
     * everything else `done` (or `cancelled` when the machine cancelled it). Records every
     * transition so properties can look at the whole run.
     */
    function play(
      deliveries: MachineInput[],
      choices: number[],
      outcome: (effect: Effect, screening: ReturnType<typeof snapshotOf>) => EffectResult = outcomeOf,
      start: ScreeningState = initialState('pt_1'),
    ) {
      let state = start;
      let clock = Date.parse(T0);
      const pending = [...deliveries];
      const running: { key: string; result: EffectResult }[] = [];
      const history: { input: MachineInput; before: ScreeningState; after: ScreeningState; start: Effect[] }[] = [];
      const apply = (input: MachineInput) => {
        clock += 60_000;
        const step = transition(deepFreeze(state), input, new Date(clock).toISOString());
        history.push({ input, before: state, after: step.state, start: step.start });
        state = step.state;
        for (const key of step.cancel) for (const work of running) if (work.key === key) work.result = { kind: 'cancelled' };
        for (const effect of step.start) running.push({ key: effectKey(effect), result: outcome(effect, snapshotOf(state)) });
      };
      let choice = 0;
      while (pending.length > 0 || running.length > 0) {
        const pick = choices[choice++ % Math.max(1, choices.length)] ?? 0;
        if (pending.length > 0 && (running.length === 0 || pick % 2 === 0)) apply(pending.shift()!);
        else {
          const [work] = running.splice(pick % running.length, 1);
          apply(settled(work!.key, work!.result));
        }
      }
      return { state, history };
    }

    /** What the activities answer: no recipient without an address; the partial and the full report with different scores. */
    function outcomeOf(effect: Effect, screening: ReturnType<typeof snapshotOf>): EffectResult {
      if (effect.kind === 'notify_landlord' && !screening.landlord?.email) return { kind: 'no_recipient' };
      if (effect.kind === 'remind_tenant' && !screening.tenant?.email) return { kind: 'no_recipient' };
      if (effect.kind === 'fetch_report') return { kind: 'done', report: { score: effect.scope === 'full' ? 750 : 600 } };
      if (effect.kind === 'reconcile') return { kind: 'done', report: { score: 702, reportUrl: 'https://platform.singlekey.com/r/1' } };
      return { kind: 'done' };
    }

    /** The transition must not change the state it was given (duplicates share it with the result). */
    function deepFreeze<T>(value: T): T {
      if (value && typeof value === 'object' && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const inner of Object.values(value)) deepFreeze(inner);
      }
      return value;
    }

    const interleaved = fc.record({ run: shuffledWithDuplicates, choices: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }) });

    const timers: MachineInput[] = [
      { kind: 'reminder_due', index: 1 },
      { kind: 'reminder_due', index: 2 },
      { kind: 'expiry_due' },
      { kind: 'completion_deadline_due' },
      { kind: 'max_age_due' },
    ];
    /**
     * Anything that can happen: deliveries with duplicates and timer firings in any order, effects
     * settling in any order, each activity failing for good or succeeding at random.
     */
    const chaotic = fc
      .record({
        run: shuffledWithDuplicates,
        timers: fc.subarray(timers),
        choices: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        failing: fc.subarray(['notify_landlord', 'remind_tenant', 'alert_team', 'fetch_report', 'reconcile', 'notify_platform'] as const),
      })
      .chain(({ run, timers: fired, choices, failing }) =>
        fc.shuffledSubarray([...run.inputs, ...fired], { minLength: run.inputs.length + fired.length }).map((inputs) => ({
          inputs,
          choices,
          outcome: (effect: Effect, screening: ReturnType<typeof snapshotOf>): EffectResult =>
            failing.includes(effect.kind) ? { kind: 'failed' } : outcomeOf(effect, screening),
        })),
      );

    it('reaches the in-order status and effects for any order and any number of duplicates', () => {
      fc.assert(
        fc.property(shuffledWithDuplicates, ({ lifecycle, inputs }) => {
          const expected = run(lifecycle);
          const actual = run(inputs);
          assert.equal(statusOf(actual.state), statusOf(expected.state));
          assert.deepEqual(requested(actual.state), requested(expected.state));
          assert.equal(actual.state.score, expected.state.score);
        }),
        { numRuns: 2_000 },
      );
    });

    it('reaches the same final state for any interleaving of deliveries and effect outcomes', () => {
      // The one order-dependent outcome is meant to be: the "submitted" e-mail goes out, or is
      // superseded when the outcome was known before it could be sent.
      const normalised = (state: ScreeningState) => {
        const effects = Object.fromEntries(
          Object.entries(state.effects).map(([key, { status }]) => [key, key === 'notify_landlord:submitted' && status === 'superseded' ? 'done' : status]),
        );
        // As Temporal carries it (JSON): a fact set to undefined and a fact never set are the same.
        return { snapshot: JSON.parse(JSON.stringify({ ...snapshotOf(state), version: 0 })) as unknown, effects, duplicates: state.duplicatesIgnored };
      };
      fc.assert(
        fc.property(interleaved, ({ run: { lifecycle }, choices }) => {
          const inOrder = play(lifecycle, [0]).state;
          const shuffled = play([...lifecycle].reverse(), choices).state;
          assert.deepEqual(normalised(shuffled), normalised(inOrder));
        }),
        { numRuns: 500 },
      );
      fc.assert(
        fc.property(interleaved, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), ({ run: { inputs } }, choices) => {
          const a = play(inputs, choices).state;
          const b = play([...inputs].reverse(), [...choices].reverse()).state;
          assert.deepEqual(normalised(a), normalised(b));
        }),
        { numRuns: 1_000 },
      );
    });

    it('settles each effect key at most once, and never changes a settled one', () => {
      const final = new Set(['done', 'superseded', 'failed']);
      fc.assert(
        fc.property(chaotic, ({ inputs, choices, outcome }) => {
          for (const { before, after } of play(inputs, choices, outcome).history) {
            for (const [key, record] of Object.entries(before.effects)) {
              if (final.has(record.status)) assert.deepEqual(after.effects[key], record, `${key} changed after settling`);
            }
          }
        }),
        { numRuns: 1_000 },
      );
    });

    it('never starts a superseded effect, and starts an effect again only after it lacked a recipient', () => {
      fc.assert(
        fc.property(chaotic, ({ inputs, choices, outcome }) => {
          for (const { input, before, start } of play(inputs, choices, outcome).history) {
            for (const key of start.map(effectKey)) {
              const previously = before.effects[key]?.status;
              const reportedNoRecipient = input.kind === 'effect_settled' && input.key === key && input.result.kind === 'no_recipient';
              assert.ok(
                previously === undefined || previously === 'waiting' || previously === 'queued' || reportedNoRecipient,
                `${key} started again from ${previously}`,
              );
            }
          }
        }),
        { numRuns: 1_000 },
      );
    });

    it('sends a waiting e-mail once a delivery names its recipient, unless it became pointless', () => {
      fc.assert(
        fc.property(chaotic, ({ inputs, choices, outcome }) => {
          const { state } = play(inputs, choices, outcome);
          for (const [key, record] of Object.entries(state.effects)) {
            assert.notEqual(record.status, 'running', `${key} never settled`);
            const known = key.startsWith('remind_tenant:') ? state.tenant?.email : state.landlord?.email;
            if (known) assert.notEqual(record.status, 'waiting', `${key} still waits although its recipient is known`);
          }
        }),
        { numRuns: 1_000 },
      );
    });

    it("keeps the full report's score over a partial one, whichever settled first, unless the completion named one", () => {
      fc.assert(
        fc.property(interleaved, ({ run: { inputs }, choices }) => {
          const { state } = play(inputs, choices);
          if (state.effects['fetch_report:full']?.status !== 'done') return;
          const named = inputs.find((input) => input.kind === 'delivery' && input.event.type === 'screening.completed' && input.event.score !== undefined);
          assert.equal(state.score, named?.kind === 'delivery' ? named.event.score : 750);
        }),
        { numRuns: 1_000 },
      );
    });

    it('never moves the status back', () => {
      const rank = { requested: 0, unknown: 0, invited: 1, form_opened: 2, expired: 2, submitted: 3, stalled: 4, failed: 4, completed: 5 } as const;
      fc.assert(
        fc.property(chaotic, ({ inputs, choices, outcome }) => {
          for (const { before, after } of play(inputs, choices, outcome).history) {
            // Expiry is the one status a later submission (SingleKey knows better) moves past "backwards" in rank terms.
            assert.ok(rank[statusOf(after)] >= rank[statusOf(before)] || statusOf(before) === 'expired', `${statusOf(before)} -> ${statusOf(after)}`);
          }
        }),
        { numRuns: 1_000 },
      );
    });

    describe('with status webhooks to the platform', () => {
      const platformState = () => initialState('pt_1', { notifyPlatform: true });
      const request = (owner: string, email: string): MachineInput =>
        delivery('screening.requested', { externalCustomerId: owner, externalTenantId: 'tenant-1', landlord: { email }, requestId: 'request-1' }, 'request:1');
      const sentStatuses = (state: ScreeningState) =>
        Object.values(state.effects).flatMap(({ effect }) => (effect.kind === 'notify_platform' ? [effect.status] : []));

      it('requests one webhook per status reached, in that order, each once, and runs one at a time', () => {
        fc.assert(
          fc.property(chaotic, ({ inputs, choices, outcome }) => {
            const { state, history } = play([request('ll-1', 'owner@example.test'), ...inputs], choices, outcome, platformState());
            const reached: string[] = [];
            for (const { before, after } of history) if (statusOf(after) !== statusOf(before)) reached.push(statusOf(after));
            assert.deepEqual(sentStatuses(state), reached);
            for (const { after } of history) {
              const running = Object.values(after.effects).filter(({ effect, status }) => effect.kind === 'notify_platform' && status === 'running');
              assert.ok(running.length <= 1, `${running.length} status webhooks running at once`);
            }
            const startedOrder = history.flatMap(({ start }) => start.flatMap((effect) => (effect.kind === 'notify_platform' ? [effect.status] : [])));
            assert.deepEqual(startedOrder, reached, 'started in the order reached');
            for (const [key, record] of Object.entries(state.effects)) {
              if (record.effect.kind === 'notify_platform') assert.ok(['done', 'failed', 'superseded'].includes(record.status), `${key} is ${record.status}`);
            }
          }),
          { numRuns: 1_000 },
        );
      });

      it('keeps the owner and contacts of the request, whatever webhooks say and in whatever order they come', () => {
        fc.assert(
          fc.property(shuffledWithDuplicates, fc.nat(), ({ inputs }, at) => {
            const claims = inputs.map((input): MachineInput =>
              input.kind === 'delivery'
                ? { ...input, event: { ...input.event, externalCustomerId: 'someone-else', landlord: { email: 'other@example.test' } } }
                : input,
            );
            claims.splice(at % (claims.length + 1), 0, request('ll-1', 'owner@example.test'));
            const { state } = run(claims, platformState());
            assert.equal(state.externalCustomerId, 'll-1');
            assert.equal(state.landlord?.email, 'owner@example.test');
            assert.equal(state.requestId, 'request-1');
          }),
          { numRuns: 500 },
        );
      });

      it('starts as requested, sends no previous status for the first one, and expires like an invitation', () => {
        const { state, started } = run([request('ll-1', 'owner@example.test')], platformState());
        assert.equal(statusOf(state), 'requested');
        assert.deepEqual(started, [{ kind: 'notify_platform', status: 'requested', previous: null, at: T0 }]);
        assert.equal(nextDeadline(state, durations)?.kind, 'expiry');
      });

      it('sends nothing to the platform when it has no webhook URL', () => {
        const { started } = run([request('ll-1', 'owner@example.test'), delivery('invite.sent'), delivery('screening.completed')]);
        assert.deepEqual(
          started.filter((effect) => effect.kind === 'notify_platform'),
          [],
        );
      });
    });

    it('sends an e-mail waiting for a landlord address once the directory names one, and nothing else again', () => {
      const waiting = run([delivery('screening.submitted', { externalCustomerId: 'll-9' }), settled('notify_landlord:submitted', { kind: 'no_recipient' })]);
      assert.equal(statusOfEffect(waiting.state, 'notify_landlord:submitted'), 'waiting');
      const { state, started } = run([{ kind: 'landlord_directory_changed' }, { kind: 'landlord_directory_changed' }], waiting.state);
      assert.deepEqual(keys(started), ['notify_landlord:submitted']);
      assert.equal(statusOfEffect(state, 'notify_landlord:submitted'), 'running');
    });
  });
});
