import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { landlordDirectoryChangedSignal, searchAttributes, workflowType } from '../../workflows/messages';

export interface LandlordEntry {
  externalCustomerId: string;
  email: string;
  name?: string;
}

/**
 * Registers (or changes) a landlord's address in the directory, then tells each open screening of
 * that landlord, so the e-mails it holds as `waiting` for want of an address go out now rather than
 * never. Returns how many screenings were told.
 */
export async function registerLandlord(db: Db, client: Client, landlord: LandlordEntry): Promise<{ screeningsTold: number }> {
  await db('landlords')
    .insert({ external_customer_id: landlord.externalCustomerId, email: landlord.email, name: landlord.name ?? null, updated_at: db.fn.now() })
    .onConflict('external_customer_id')
    .merge();
  const id = landlord.externalCustomerId.replace(/["\\]/g, '\\$&');
  const query = `WorkflowType = "${workflowType}" AND ExecutionStatus = "Running" AND ${searchAttributes.externalCustomerId.name} = "${id}"`;
  let screeningsTold = 0;
  for await (const execution of client.workflow.list({ query })) {
    await client.workflow.getHandle(execution.workflowId).signal(landlordDirectoryChangedSignal);
    screeningsTold += 1;
  }
  return { screeningsTold };
}
