import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ScreeningEvent } from '../../workflows/messages';
import {
  type Durations,
  type Effect,
  effectKey,
  initialState,
  type MachineInput,
  nextDeadline,
  type ScreeningState,
  statusOf,
  transition,
} from '../../workflows/screening-machine';

const T0 = '2026-11-29T10:00:00.000Z';
const HOUR = 3_600_000;
const durations: Durations = { reminders: [24 * HOUR, 72 * HOUR], expiry: 7 * 24 * HOUR, completionSla: 2 * HOUR, dedupeWindow: 15 * HOUR };

function delivery(type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}, dedupeKey = `wh_${type}`): MachineInput {
  return {
    kind: 'delivery',
    event: { type, sourceEvent: type, format: 'envelope', purchaseToken: 'pt_1', dedupeKey, occurredAt: T0, receivedAt: T0, ...extra },
  };
}

function run(inputs: MachineInput[], start = initialState('pt_1')): { state: ScreeningState; effects: Effect[] } {
  let state = start;
  const effects: Effect[] = [];
  for (const input of inputs) {
    const next = transition(state, input, T0);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

const keys = (effects: Effect[]) => effects.map(effectKey).sort();

describe('screening state machine', () => {
  describe('rules', () => {
    it('moves forward through the milestones and notifies the landlord of the submission', () => {
      const { state, effects } = run([delivery('invite.sent'), delivery('form.opened'), delivery('screening.submitted')]);
      assert.equal(statusOf(state), 'submitted');
      assert.deepEqual(keys(effects), ['notify_landlord:submitted']);
    });

    it('records a late form.opened after submission without moving the status back', () => {
      const { state } = run([delivery('invite.sent'), delivery('screening.submitted'), delivery('form.opened', { occurredAt: '2026-11-29T09:00:00.000Z' })]);
      assert.equal(statusOf(state), 'submitted');
      assert.equal(state.moments.formOpened, '2026-11-29T09:00:00.000Z');
    });

    it('lets screening.completed win over everything before it, and fetches the report', () => {
      const { state, effects } = run([delivery('screening.completed', { score: 740, recommendation: 'approved' }), delivery('invite.sent'), delivery('screening.submitted')]);
      assert.equal(statusOf(state), 'completed');
      assert.equal(state.score, 740);
      assert.ok(keys(effects).includes('notify_landlord:completed') && keys(effects).includes('fetch_report:full'));
    });

    it('alerts the team on a recoverable failure but keeps waiting for completion', () => {
      const { state, effects } = run([delivery('screening.submitted'), delivery('screening.failed', { failure: { reason: 'credit_bureau_unavailable', recoverable: true } })]);
      assert.equal(statusOf(state), 'submitted');
      assert.deepEqual(keys(effects), ['alert_team:recoverable_failure', 'notify_landlord:submitted']);
    });

    it('completes after a recoverable failure', () => {
      const { state } = run([delivery('screening.submitted'), delivery('screening.failed', { failure: { recoverable: true } }), delivery('screening.completed')]);
      assert.equal(statusOf(state), 'completed');
    });

    it('treats an unrecoverable failure as terminal, telling landlord and team', () => {
      const { state, effects } = run([delivery('screening.submitted'), delivery('screening.failed', { failure: { reason: 'invalid_sin_ssn', recoverable: false } })]);
      assert.equal(statusOf(state), 'failed');
      assert.deepEqual(keys(effects), ['alert_team:failed', 'notify_landlord:failed', 'notify_landlord:submitted']);
      assert.equal(state.failure?.reason, 'invalid_sin_ssn');
    });

    it('records Partial Report Complete and fetches the partial report without completing', () => {
      const { state, effects } = run([delivery('screening.submitted'), delivery('report.partial', {}, 'sha256:partial')]);
      assert.equal(statusOf(state), 'submitted');
      assert.ok(state.moments.partialReport);
      assert.ok(keys(effects).includes('fetch_report:partial'));
    });

    it('records payment and invite.opened as facts only', () => {
      const { state, effects } = run([delivery('invite.sent'), delivery('screening.payment_captured'), delivery('invite.opened')]);
      assert.equal(statusOf(state), 'invited');
      assert.ok(state.moments.paymentCaptured && state.moments.inviteOpened);
      assert.deepEqual(effects, []);
    });

    it('ignores a delivery whose dedupe key was already applied', () => {
      const once = run([delivery('screening.submitted')]);
      const again = transition(once.state, delivery('screening.submitted'), T0);
      assert.equal(again.changed, false);
      assert.deepEqual(again.effects, []);
      assert.equal(again.state, once.state);
    });

    it('requests each effect at most once even for distinct deliveries of the same event', () => {
      const { effects } = run([delivery('screening.completed', {}, 'wh_a'), delivery('screening.completed', {}, 'wh_b')]);
      assert.deepEqual(keys(effects), ['fetch_report:full', 'notify_landlord:completed']);
    });
  });

  describe('timers', () => {
    it('schedules reminders at 24 h and 72 h after the invitation, then expiry at 7 days', () => {
      let { state } = run([delivery('invite.sent')]);
      assert.deepEqual(nextDeadline(state, durations), { kind: 'reminder', index: 1, at: '2026-11-30T10:00:00.000Z' });
      let step = transition(state, { kind: 'reminder_due', index: 1 }, '2026-11-30T10:00:00.000Z');
      assert.deepEqual(keys(step.effects), ['remind_tenant:1']);
      state = step.state;
      assert.deepEqual(nextDeadline(state, durations), { kind: 'reminder', index: 2, at: '2026-12-02T10:00:00.000Z' });
      state = transition(state, { kind: 'reminder_due', index: 2 }, '2026-12-02T10:00:00.000Z').state;
      assert.deepEqual(nextDeadline(state, durations), { kind: 'expiry', at: '2026-12-06T10:00:00.000Z' });
      step = transition(state, { kind: 'expiry_due' }, '2026-12-06T10:00:00.000Z');
      assert.equal(statusOf(step.state), 'expired');
      assert.deepEqual(keys(step.effects), ['notify_landlord:expired']);
      assert.deepEqual(nextDeadline(step.state, durations), { kind: 'close', at: '2026-12-07T01:00:00.000Z' });
    });

    it('sends no reminder once the form was opened', () => {
      const { state } = run([delivery('invite.sent'), delivery('form.opened')]);
      assert.equal(nextDeadline(state, durations)?.kind, 'expiry');
      assert.deepEqual(transition(state, { kind: 'reminder_due', index: 1 }, T0).effects, []);
    });

    it('does not expire a submitted screening', () => {
      const { state } = run([delivery('invite.sent'), delivery('screening.submitted')]);
      assert.deepEqual(transition(state, { kind: 'expiry_due' }, T0).effects, []);
    });

    it('reconciles when no completion arrives within the SLA, and completes from the report API', () => {
      let { state } = run([delivery('screening.submitted')]);
      assert.deepEqual(nextDeadline(state, durations), { kind: 'completion_deadline', at: '2026-11-29T12:00:00.000Z' });
      const due = transition(state, { kind: 'completion_deadline_due' }, '2026-11-29T12:00:00.000Z');
      assert.deepEqual(keys(due.effects), ['reconcile']);
      state = due.state;
      assert.equal(nextDeadline(state, durations), undefined);
      const done = transition(state, { kind: 'reconciled', score: 701, reportUrl: 'https://platform.singlekey.com/r/9' }, '2026-11-29T12:05:00.000Z');
      assert.equal(statusOf(done.state), 'completed');
      assert.equal(done.state.score, 701);
      assert.deepEqual(keys(done.effects), ['fetch_report:full', 'notify_landlord:completed']);
    });

    it('alerts the team when reconciliation gives up', () => {
      const { state } = run([delivery('screening.submitted'), { kind: 'completion_deadline_due' }, { kind: 'reconciliation_gave_up' }]);
      assert.ok(state.requested.includes('alert_team:reconciliation_gave_up'));
      assert.equal(statusOf(state), 'submitted');
    });
  });

  describe('the archived report', () => {
    it('supplies the score a completion did not name, and changes nothing else', () => {
      const { state } = run([delivery('screening.completed', { format: 'portal' })]);
      const fetched = transition(state, { kind: 'report_fetched', score: 733 }, T0);
      assert.equal(fetched.state.score, 733);
      assert.equal(statusOf(fetched.state), 'completed');
      assert.deepEqual(fetched.effects, []);
    });

    it('never overrides the score the completion named', () => {
      const { state } = run([delivery('screening.completed', { score: 702 })]);
      const fetched = transition(state, { kind: 'report_fetched', score: 733 }, T0);
      assert.equal(fetched.changed, false);
      assert.equal(fetched.state.score, 702);
    });
  });

  describe('properties', () => {
    const lifecycles: MachineInput[][] = [
      [delivery('invite.sent'), delivery('invite.opened'), delivery('form.opened'), delivery('screening.submitted'), delivery('screening.payment_captured'), delivery('screening.completed', { score: 733 })],
      [delivery('invite.sent'), delivery('form.opened'), delivery('screening.submitted'), delivery('report.partial', {}, 'sha256:p'), delivery('screening.failed', { failure: { recoverable: true } }), delivery('screening.completed')],
      [delivery('invite.sent'), delivery('form.opened'), delivery('screening.submitted'), delivery('screening.failed', { failure: { reason: 'timeout', recoverable: false } })],
      [delivery('invite.sent'), delivery('form.opened'), delivery('screening.submitted', {}, 'sha256:s'), delivery('report.partial', {}, 'sha256:p'), delivery('screening.completed', {}, 'sha256:c')],
    ];

    /** A permutation of a lifecycle with each delivery repeated 1-4 times. */
    const shuffledWithDuplicates = fc
      .constantFrom(...lifecycles)
      .chain((lifecycle) =>
        fc
          .tuple(...lifecycle.map((input) => fc.integer({ min: 1, max: 4 }).map((n) => Array<MachineInput>(n).fill(input))))
          .chain((groups) => fc.shuffledSubarray(groups.flat(), { minLength: groups.flat().length }))
          .map((inputs) => ({ lifecycle, inputs })),
      );

    it('reaches the in-order status and effects for any order and any number of duplicates', () => {
      fc.assert(
        fc.property(shuffledWithDuplicates, ({ lifecycle, inputs }) => {
          const expected = run(lifecycle);
          const actual = run(inputs);
          assert.equal(statusOf(actual.state), statusOf(expected.state));
          assert.deepEqual(keys(actual.effects), keys(expected.effects));
          assert.equal(actual.state.score, expected.state.score);
        }),
        { numRuns: 2_000 },
      );
    });

    it('never requests an effect twice', () => {
      fc.assert(
        fc.property(shuffledWithDuplicates, ({ inputs }) => {
          const requested = keys(run(inputs).effects);
          assert.deepEqual(requested, [...new Set(requested)]);
        }),
        { numRuns: 2_000 },
      );
    });

    it('never moves the status back', () => {
      const rank = { unknown: 0, invited: 1, form_opened: 2, expired: 2, submitted: 3, failed: 4, completed: 5 } as const;
      fc.assert(
        fc.property(shuffledWithDuplicates, ({ inputs }) => {
          let state = initialState('pt_1');
          for (const input of inputs) {
            const before = rank[statusOf(state)];
            state = transition(state, input, T0).state;
            assert.ok(rank[statusOf(state)] >= before);
          }
        }),
        { numRuns: 1_000 },
      );
    });
  });
});
