import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { type LifecycleDurations, screeningEventSignal, type ScreeningEvent, workflowIdFor, workflowType } from '../../workflows/messages';

export type SignalOutcome =
  | { outcome: 'signalled'; workflowId: string }
  /** The screening's workflow has already closed: nothing is started again, no effect runs twice. */
  | { outcome: 'late'; workflowId: string };

/** Hands a normalised event to the screening's workflow, starting the workflow if it has never run. */
export interface ScreeningSignaler {
  signal(event: ScreeningEvent): Promise<SignalOutcome>;
}

export interface SignalerOptions {
  taskQueue: string;
  lifecycle: LifecycleDurations;
  /**
   * Bounds the whole hand-over (the client retries transient gRPC failures inside it); it must stay
   * well under SingleKey's 30 s so the caller can still answer 503 in time.
   */
  deadlineMs?: number;
  /**
   * Whether the read model shows the screening ended (a final status). Temporal rejects a second run
   * only while the namespace retains the first one; after that, this keeps a late delivery from
   * starting the screening over. A failing lookup counts as "no" (Temporal's check still applies).
   */
  endedEarlier?: (purchaseToken: string) => Promise<boolean>;
}

export function createScreeningSignaler(client: Client, options: SignalerOptions): ScreeningSignaler {
  const deadlineMs = options.deadlineMs ?? 10_000;
  return {
    async signal(event) {
      const workflowId = workflowIdFor(event.purchaseToken);
      if (await options.endedEarlier?.(event.purchaseToken).catch(() => false)) {
        // Ended: a run still open for its dedupe window takes the delivery; otherwise nothing starts again.
        try {
          await client.connection.withDeadline(Date.now() + deadlineMs, () => client.workflow.getHandle(workflowId).signal(screeningEventSignal, event));
          return { outcome: 'signalled', workflowId };
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) return { outcome: 'late', workflowId };
          throw error;
        }
      }
      try {
        await client.connection.withDeadline(Date.now() + deadlineMs, () =>
          client.workflow.signalWithStart(workflowType, {
            workflowId,
            taskQueue: options.taskQueue,
            args: [{ purchaseToken: event.purchaseToken, lifecycle: options.lifecycle }],
            signal: screeningEventSignal,
            signalArgs: [event],
            // One purchase token, one execution chain, for as long as the namespace retains it:
            // a running workflow is signalled, a closed one is never started again.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            staticSummary: summaryOf(event),
          }),
        );
        return { outcome: 'signalled', workflowId };
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'late', workflowId };
        throw error;
      }
    },
  };
}

/** The Web UI's one-line title of a screening (ids only: no personal data in Temporal's indexes). */
function summaryOf(event: ScreeningEvent): string {
  const token = event.purchaseToken.length > 12 ? `${event.purchaseToken.slice(0, 10)}…` : event.purchaseToken;
  const who = [event.externalTenantId && `tenant ${event.externalTenantId}`, event.externalCustomerId && `landlord ${event.externalCustomerId}`]
    .filter(Boolean)
    .join(', ');
  return `Screening ${token}${who ? ` for ${who}` : ''}`;
}
