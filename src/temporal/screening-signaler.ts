import type { Client } from '@temporalio/client';
import { screeningEventSignal, type ScreeningEvent, workflowIdFor, workflowType } from '../../workflows/messages';

/** Hands a normalised event to the screening's workflow, starting the workflow if it is not running. */
export interface ScreeningSignaler {
  signal(event: ScreeningEvent): Promise<{ workflowId: string; runId: string }>;
}

export function createScreeningSignaler(client: Client, taskQueue: string): ScreeningSignaler {
  return {
    async signal(event) {
      const workflowId = workflowIdFor(event.purchaseToken);
      const handle = await client.workflow.signalWithStart(workflowType, {
        workflowId,
        taskQueue,
        args: [{ purchaseToken: event.purchaseToken }],
        signal: screeningEventSignal,
        signalArgs: [event],
      });
      return { workflowId, runId: handle.signaledRunId };
    },
  };
}
