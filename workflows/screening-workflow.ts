import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  type ScreeningEvent,
  screeningEventSignal,
  type ScreeningStatus,
  type ScreeningView,
  type ScreeningWorkflowInput,
  searchAttributes,
  statusQuery,
} from './messages';

const { recordScreening } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Walking skeleton: statuses follow the event names; the lifecycle issue replaces this with the state machine. */
const statusByEvent: Record<string, ScreeningStatus> = {
  'invite.sent': 'invited',
  'form.opened': 'form_opened',
  'screening.submitted': 'submitted',
  'screening.completed': 'completed',
  'screening.failed': 'failed',
};

const terminal: ReadonlySet<ScreeningStatus> = new Set(['completed', 'failed', 'expired']);

/** One screening, identified by its purchase token, fed by `screeningEvent` signals. */
export async function screeningWorkflow(input: ScreeningWorkflowInput): Promise<ScreeningView> {
  const view: ScreeningView = { purchaseToken: input.purchaseToken, status: 'unknown', eventsApplied: 0 };
  const inbox: ScreeningEvent[] = [];
  const seen = new Set<string>();

  setHandler(screeningEventSignal, (event) => {
    if (seen.has(event.dedupeKey)) return;
    seen.add(event.dedupeKey);
    inbox.push(event);
  });
  setHandler(statusQuery, () => view);

  while (!terminal.has(view.status) || inbox.length > 0) {
    await condition(() => inbox.length > 0);
    const event = inbox.shift()!;
    view.status = statusByEvent[event.type] ?? view.status;
    view.externalCustomerId ??= event.externalCustomerId;
    view.externalTenantId ??= event.externalTenantId;
    view.eventsApplied += 1;
    view.lastEventType = event.type;
    view.lastEventAt = event.occurredAt;
    upsertSearchAttributes([
      { key: searchAttributes.status, value: view.status },
      ...(view.externalCustomerId ? [{ key: searchAttributes.externalCustomerId, value: view.externalCustomerId }] : []),
      ...(view.externalTenantId ? [{ key: searchAttributes.externalTenantId, value: view.externalTenantId }] : []),
    ]);
    await recordScreening({ ...view });
  }
  return view;
}
