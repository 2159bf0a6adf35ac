import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/connection';
import { type ErasedRows, erasePersonalData, markErased } from '../db/erasure';
import { deleteExecutions } from './delete-executions';
import { workflowIdFor } from '../../workflows/messages';

/**
 * Erases one screening (`npm run erase`, the retention clean-up): marks it erased first, so nothing
 * new starts or is written for it, deletes its workflow runs, removes its personal data from
 * PostgreSQL, then, after `settleMs`, does both again: an activity that was under way when the runs
 * were deleted may finish a write it began before the mark. Returns what it removed in all.
 */
export async function eraseScreening(db: Db, client: Client, purchaseToken: string, settleMs = 2_000): Promise<{ runs: number; rows: ErasedRows }> {
  await markErased(db, purchaseToken);
  // The request of `POST /screenings` holds the contacts it was given: its workflow goes too.
  const row = (await db('screenings').where({ purchase_token: purchaseToken }).first('request_id')) as { request_id: string | null } | undefined;
  const workflowIds = [workflowIdFor(purchaseToken), ...(row?.request_id ? [row.request_id] : [])];
  const deleteAll = async () => (await Promise.all(workflowIds.map((id) => deleteExecutions(client, id)))).reduce((a, b) => a + b, 0);
  let runs = await deleteAll();
  const rows = await erasePersonalData(db, purchaseToken);
  if (settleMs > 0) await sleep(settleMs);
  runs += await deleteAll();
  const again = await erasePersonalData(db, purchaseToken);
  return {
    runs,
    rows: {
      readModel: rows.readModel || again.readModel,
      reports: rows.reports + again.reports,
      notifications: rows.notifications + again.notifications,
      platformWebhooks: rows.platformWebhooks + again.platformWebhooks,
    },
  };
}
