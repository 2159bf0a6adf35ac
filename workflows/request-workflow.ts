/**
 * `POST /screenings` as a durable step: one workflow per Idempotency-Key asks SingleKey for the
 * screening (retried through SingleKey outages, so a platform retrying with the same key joins this
 * run instead of asking SingleKey again), then starts the screening's own workflow in `requested`,
 * carrying the ownership and contacts of the request. Its result is the answer to every retry.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureTypes, type ScreeningRequestInput, type ScreeningRequestOutcome } from './messages';

/** SingleKey's `POST /api/request`: retried with backoff (1 s ... 1 min) for a day; its 400 is final. */
const singlekey = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [failureTypes.singleKeyInvalidRequest] },
  scheduleToCloseTimeout: '24 hours',
});

/** Starting the screening's workflow: retried until Temporal takes it (signal-with-start is idempotent per request). */
const handOver = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function screeningRequestWorkflow(input: ScreeningRequestInput): Promise<ScreeningRequestOutcome> {
  let created;
  try {
    created = await singlekey.requestScreening({ request: input.request, callbackUrl: input.callbackUrl });
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === failureTypes.singleKeyInvalidRequest) {
      return { outcome: 'rejected', errors: (cause.details?.[0] as { field: string; message: string }[] | undefined) ?? [] };
    }
    // Still failing after a day: the run fails, and the same Idempotency-Key may start a new one.
    throw error;
  }
  await handOver.startRequestedScreening({ ...created, request: input.request, requestId: workflowInfo().workflowId });
  return { outcome: 'created', ...created };
}
