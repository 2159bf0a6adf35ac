/** Workflow metrics, exported by the worker's Prometheus endpoint (the SDK does not emit them during replay). */
import { metricMeter } from '@temporalio/workflow';
import type { Effect } from './messages';
import { type MachineInput, type ScreeningState, statusOf } from './screening-machine';

/** Counts status changes, reminders sent and reconciliations by outcome, from one transition. */
export function countTransition(before: ScreeningState, after: ScreeningState, input: MachineInput, started: Effect[]): void {
  const status = statusOf(after);
  if (status !== statusOf(before))
    metricMeter.createCounter('screening_transitions', 'transitions', 'Screening status changes, by new status').add(1, { status });
  const reconciliations = metricMeter.createCounter('screening_reconciliations', 'reconciliations', 'Reconciliations against the report API, by outcome');
  if (started.some((effect) => effect.kind === 'reconcile')) reconciliations.add(1, { outcome: 'started' });
  if (input.kind !== 'effect_settled') return;
  const settled = after.effects[input.key];
  if (!settled || before.effects[input.key]?.status !== 'running' || settled.status === 'running') return;
  if (settled.effect.kind === 'remind_tenant' && settled.status === 'done') {
    metricMeter.createCounter('screening_reminders_sent', 'reminders', 'Tenant reminders sent').add(1);
  }
  if (settled.effect.kind === 'reconcile') {
    reconciliations.add(1, { outcome: { done: 'completed', superseded: 'superseded', failed: 'gave_up' }[settled.status as 'done' | 'superseded' | 'failed'] });
  }
}
