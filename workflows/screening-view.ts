/** What `temporal workflow query --type status` answers, computed from the machine's state. */
import type { ScreeningView } from './messages';
import { type Durations, nextDeadline } from './screening-deadlines';
import { type ScreeningState, statusOf } from './screening-machine';

/** Effect keys by where they stand, bookkeeping failures with the failed ones. */
function effectsByStatus(state: ScreeningState): ScreeningView['effects'] {
  const byStatus: ScreeningView['effects'] = { done: [], pending: [], waiting: [], superseded: [], failed: [...state.bookkeepingFailed] };
  for (const [key, { status }] of Object.entries(state.effects)) byStatus[status === 'running' || status === 'queued' ? 'pending' : status].push(key);
  return byStatus;
}

/** What `temporal workflow query --type status` answers. */
export function viewOf(state: ScreeningState, durations: Durations): ScreeningView {
  const deadline = nextDeadline(state, durations);
  const effects = effectsByStatus(state);
  return {
    purchaseToken: state.purchaseToken,
    status: statusOf(state),
    version: state.version,
    externalCustomerId: state.externalCustomerId,
    externalTenantId: state.externalTenantId,
    score: state.score,
    recommendation: state.recommendation,
    failure: state.failure && { reason: state.failure.reason, recoverable: state.failure.recoverable },
    timeline: state.timeline.map(({ type, occurredAt, appliedAt }) => ({ type, occurredAt, appliedAt })),
    duplicatesIgnored: state.duplicatesIgnored,
    remindersSent: effects.done.filter((key) => key.startsWith('remind_tenant:')).length,
    nextDeadline: deadline && { kind: deadline.kind === 'close' ? 'close (dedupe window ends)' : deadline.kind, at: deadline.at },
    effects,
  };
}
