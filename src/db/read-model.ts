import { finalStatuses, type readModelMilestones, type ScreeningSnapshot, type ScreeningStatus } from '../../workflows/messages';
import type { Db } from './connection';

/**
 * The read model, `screenings`: one row per purchase token, written by the workflow (through the
 * `recordScreening` activity) and read by the edge once Temporal may no longer hold a screening.
 */

/** The milestones the read model dates, and their columns. */
const momentColumns = {
  requested: 'requested_at',
  invited: 'invited_at',
  formOpened: 'form_opened_at',
  submitted: 'submitted_at',
  completed: 'completed_at',
  failed: 'failed_at',
  expired: 'expired_at',
  stalled: 'stalled_at',
} as const satisfies Record<(typeof readModelMilestones)[number], string>;

/** Upserts a screening; a snapshot older than the stored one (smaller version) changes nothing. */
export async function recordScreening(db: Db, s: ScreeningSnapshot): Promise<void> {
  const row = {
    purchase_token: s.purchaseToken,
    status: s.status,
    version: s.version,
    external_customer_id: s.externalCustomerId ?? null,
    external_tenant_id: s.externalTenantId ?? null,
    external_deal_id: s.externalDealId ?? null,
    external_listing_id: s.externalListingId ?? null,
    request_id: s.requestId ?? null,
    singlekey_score: s.score ?? null,
    recommendation: s.recommendation ?? null,
    tenant_email: s.tenant?.email ?? null,
    landlord_email: s.landlord?.email ?? null,
    ...Object.fromEntries(Object.entries(momentColumns).map(([moment, column]) => [column, s.moments[moment as keyof typeof momentColumns] ?? null])),
    failure_reason: s.failure?.reason ?? null,
    failure_recoverable: s.failure?.recoverable ?? null,
    updated_at: db.fn.now(),
  };
  // An erased screening keeps its ids, status and times; nothing personal is written back into it.
  await db('screenings').insert(row).onConflict('purchase_token').merge().where('screenings.version', '<', s.version).whereNull('screenings.erased_at');
}

/** A read-model row, as `recordScreening` writes it. */
interface ScreeningRow extends Partial<Record<(typeof momentColumns)[keyof typeof momentColumns], Date | null>> {
  purchase_token: string;
  status: ScreeningStatus;
  version: number;
  external_customer_id: string | null;
  external_tenant_id: string | null;
  external_deal_id: string | null;
  external_listing_id: string | null;
  request_id: string | null;
  singlekey_score: number | null;
  recommendation: ScreeningSnapshot['recommendation'] | null;
  tenant_email: string | null;
  landlord_email: string | null;
  failure_reason: string | null;
  failure_recoverable: boolean | null;
}

/** The screening's status as the read model last saw it, or undefined before its first write. */
export async function readModelStatus(db: Db, purchaseToken: string): Promise<ScreeningStatus | undefined> {
  const row = (await db('screenings').where({ purchase_token: purchaseToken }).first('status')) as { status: ScreeningStatus } | undefined;
  return row?.status;
}

/** A screening the read model shows as ended: in a final status, or erased (`npm run erase`, whatever its status). */
export type EndedScreening = ScreeningSnapshot & { erased?: true };

/**
 * The screening as the read model last saw it, when that is a final status (`screenings` is written
 * by the workflow) or its personal data was erased; undefined while it is open or unknown. Used once
 * Temporal may no longer hold the screening's history.
 */
export async function endedScreening(db: Db, purchaseToken: string): Promise<EndedScreening | undefined> {
  const row = (await db('screenings').where({ purchase_token: purchaseToken }).first()) as (ScreeningRow & { erased_at: Date | null }) | undefined;
  if (!row || (!finalStatuses.includes(row.status) && !row.erased_at)) return undefined;
  const moments = Object.fromEntries(Object.entries(momentColumns).flatMap(([moment, column]) => (row[column] ? [[moment, row[column].toISOString()]] : [])));
  return {
    purchaseToken: row.purchase_token,
    status: row.status,
    version: row.version,
    externalCustomerId: row.external_customer_id ?? undefined,
    externalTenantId: row.external_tenant_id ?? undefined,
    externalDealId: row.external_deal_id ?? undefined,
    externalListingId: row.external_listing_id ?? undefined,
    requestId: row.request_id ?? undefined,
    score: row.singlekey_score ?? undefined,
    recommendation: row.recommendation ?? undefined,
    tenant: row.tenant_email ? { email: row.tenant_email } : undefined,
    landlord: row.landlord_email ? { email: row.landlord_email } : undefined,
    failure:
      row.failure_reason !== null || row.failure_recoverable !== null
        ? { reason: row.failure_reason ?? undefined, recoverable: row.failure_recoverable ?? false }
        : undefined,
    moments,
    ...(row.erased_at ? { erased: true as const } : {}),
  };
}
