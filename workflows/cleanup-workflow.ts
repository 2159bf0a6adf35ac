import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** One batch: erasing deletes workflow runs and rows, so it heartbeats per screening and is retried for a day. */
const cleanup = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
  scheduleToCloseTimeout: '24 hours',
});

export interface CleanupInput {
  /** How long personal data is kept after a screening ends (PERSONAL_DATA_RETENTION), in Temporal's duration syntax. */
  retention: string;
}

/** Screenings per activity call: small enough that one batch finishes well inside its timeout. */
export const CLEANUP_BATCH = 100;

/**
 * The retention clean-up, started by the `personal-data-cleanup` Schedule (daily): erases, batch
 * by batch, the personal data of every screening that ended longer than `retention` ago, as
 * `npm run erase` does for one. Returns how many screenings it erased.
 */
export async function personalDataCleanup(input: CleanupInput): Promise<number> {
  let erased = 0;
  for (;;) {
    const batch = await cleanup.eraseEndedScreenings({ retention: input.retention, limit: CLEANUP_BATCH });
    erased += batch.erased;
    // Done when a batch was not full, or erased nothing (every screening left failed: the next run tries again).
    if (batch.erased + batch.failed < CLEANUP_BATCH || batch.erased === 0) return erased;
    // A large backlog: carry on in a fresh run before the history grows long.
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof personalDataCleanup>(input);
  }
}
