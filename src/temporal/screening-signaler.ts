import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { screeningEventSignal, type ScreeningEvent, workflowIdFor, workflowType } from '../../workflows/messages';

export type SignalOutcome =
  | { outcome: 'signalled'; workflowId: string }
  /** The screening's workflow has already closed: nothing is started again, no effect runs twice. */
  | { outcome: 'late'; workflowId: string };

/** Hands a normalised event to the screening's workflow, starting the workflow if it has never run. */
export interface ScreeningSignaler {
  signal(event: ScreeningEvent): Promise<SignalOutcome>;
}

/**
 * `deadlineMs` bounds the whole hand-over (the client retries transient gRPC failures inside it);
 * it must stay well under SingleKey's 30 s so the caller can still answer 503 in time.
 */
export function createScreeningSignaler(client: Client, taskQueue: string, deadlineMs = 10_000): ScreeningSignaler {
  return {
    async signal(event) {
      const workflowId = workflowIdFor(event.purchaseToken);
      try {
        await client.connection.withDeadline(Date.now() + deadlineMs, () =>
          client.workflow.signalWithStart(workflowType, {
            workflowId,
            taskQueue,
            args: [{ purchaseToken: event.purchaseToken }],
            signal: screeningEventSignal,
            signalArgs: [event],
            // One purchase token, one execution chain, for as long as the namespace retains it:
            // a running workflow is signalled, a closed one is never started again.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
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
