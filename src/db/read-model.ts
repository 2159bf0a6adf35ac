import { finalStatuses, type ScreeningSnapshot, type ScreeningStatus } from '../../workflows/messages';
import type { Db } from './connection';

/** Read-model columns back to the screening's facts (`recordScreening` in activities/ writes them). */
interface ScreeningRow {
  purchase_token: string;
  status: ScreeningStatus;
  version: number;
  external_customer_id: string | null;
  external_tenant_id: string | null;
  external_deal_id: string | null;
  external_listing_id: string | null;
  singlekey_score: number | null;
  recommendation: ScreeningSnapshot['recommendation'] | null;
  tenant_email: string | null;
  landlord_email: string | null;
  invited_at: Date | null;
  form_opened_at: Date | null;
  submitted_at: Date | null;
  completed_at: Date | null;
  failed_at: Date | null;
  expired_at: Date | null;
  failure_reason: string | null;
  failure_recoverable: boolean | null;
}

/**
 * The screening as the read model last saw it, when that is a final status (`screenings` is written
 * by the workflow); undefined while it is open or unknown. Used once Temporal may no longer hold the
 * screening's history.
 */
export async function endedScreening(db: Db, purchaseToken: string): Promise<ScreeningSnapshot | undefined> {
  const row = (await db('screenings').where({ purchase_token: purchaseToken }).first()) as ScreeningRow | undefined;
  if (!row || !finalStatuses.includes(row.status)) return undefined;
  const at = (value: Date | null) => value?.toISOString();
  const moments = Object.fromEntries(
    Object.entries({
      invited: at(row.invited_at),
      formOpened: at(row.form_opened_at),
      submitted: at(row.submitted_at),
      completed: at(row.completed_at),
      failed: at(row.failed_at),
      expired: at(row.expired_at),
    }).filter(([, value]) => value !== undefined),
  );
  return {
    purchaseToken: row.purchase_token,
    status: row.status,
    version: row.version,
    externalCustomerId: row.external_customer_id ?? undefined,
    externalTenantId: row.external_tenant_id ?? undefined,
    externalDealId: row.external_deal_id ?? undefined,
    externalListingId: row.external_listing_id ?? undefined,
    score: row.singlekey_score ?? undefined,
    recommendation: row.recommendation ?? undefined,
    tenant: row.tenant_email ? { email: row.tenant_email } : undefined,
    landlord: row.landlord_email ? { email: row.landlord_email } : undefined,
    failure:
      row.failure_reason !== null || row.failure_recoverable !== null
        ? { reason: row.failure_reason ?? undefined, recoverable: row.failure_recoverable ?? false }
        : undefined,
    moments,
  };
}
