import { type Client, ScheduleAlreadyRunning } from '@temporalio/client';
import type { CleanupInput } from '../../workflows/cleanup-workflow';

export const CLEANUP_SCHEDULE_ID = 'personal-data-cleanup';

/**
 * Creates the daily Schedule that runs the retention clean-up (`personalDataCleanup`), or brings
 * an existing one to the current retention and task queue: safe to run on every start and by
 * `npm run temporal:register`. Returns whether it was created.
 */
export async function ensureCleanupSchedule(client: Client, options: { taskQueue: string; retention: string }): Promise<'created' | 'updated'> {
  const args: [CleanupInput] = [{ retention: options.retention }];
  const action = { type: 'startWorkflow' as const, workflowType: 'personalDataCleanup', taskQueue: options.taskQueue, args };
  try {
    await client.schedule.create({
      scheduleId: CLEANUP_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 day' }] },
      action,
      // One clean-up at a time; a missed day is caught up by the next run, which erases everything due.
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(CLEANUP_SCHEDULE_ID).update((previous) => ({ ...previous, action }));
    return 'updated';
  }
}
