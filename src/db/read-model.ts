import { finalStatuses } from '../../workflows/messages';
import type { Db } from './connection';

/** Whether the read model (`screenings`, written by the workflow) shows the screening in a final status. */
export async function hasEnded(db: Db, purchaseToken: string): Promise<boolean> {
  const row = (await db('screenings').where({ purchase_token: purchaseToken }).first('status')) as { status: string } | undefined;
  return row !== undefined && (finalStatuses as readonly string[]).includes(row.status);
}
