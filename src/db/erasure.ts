import { finalStatuses } from '../../workflows/messages';
import type { Db } from './connection';

/** What one erasure removed from PostgreSQL. */
export interface ErasedRows {
  /** Whether the read model held personal fields of the screening (contacts, score, recommendation). */
  readModel: boolean;
  /** Archived reports deleted (JSON and PDF). */
  reports: number;
  /** Send-ledger rows whose recipient and last error were cleared. */
  notifications: number;
  /** Status-webhook ledger rows deleted (each holds the body sent: score, recommendation, external ids). */
  platformWebhooks: number;
}

/**
 * Marks the screening erased before anything is removed, creating a bare row when the read model has
 * none yet: from then on the edge starts nothing for the token, the read model takes no write, and the
 * activities archive and send nothing for it.
 */
export async function markErased(db: Db, purchaseToken: string): Promise<void> {
  await db('screenings')
    .insert({ purchase_token: purchaseToken, status: 'unknown', erased_at: db.fn.now() })
    .onConflict('purchase_token')
    .merge({ erased_at: db.raw('coalesce(screenings.erased_at, now())') });
}

/**
 * Removes a screening's personal data from PostgreSQL in one transaction: the read model's
 * contacts, score and recommendation (the row stays, with its ids, status and times, marked
 * `erased_at`), the archived report JSON and PDF, the send ledger's recipients and errors (an
 * SMTP error can quote an address), and the status-webhook ledger's rows, whose bodies carry the
 * score (nothing is sent for an erased screening again, so they guard nothing any more).
 * Idempotent: a second call finds nothing and says so.
 */
export async function erasePersonalData(db: Db, purchaseToken: string): Promise<ErasedRows> {
  return db.transaction(async (trx) => {
    const readModel = await trx('screenings')
      .where({ purchase_token: purchaseToken })
      .andWhere((q) => q.whereNotNull('tenant_email').orWhereNotNull('landlord_email').orWhereNotNull('singlekey_score').orWhereNotNull('recommendation'))
      .update({
        tenant_email: null,
        landlord_email: null,
        singlekey_score: null,
        recommendation: null,
        erased_at: trx.raw('coalesce(erased_at, now())'),
        updated_at: trx.fn.now(),
      });
    const reports = await trx('reports').where({ purchase_token: purchaseToken }).delete();
    // Deliveries still queued for the screening hold its personal data too; once erased, nothing is forwarded.
    await trx('webhook_inbox').where({ purchase_token: purchaseToken }).delete();
    const notifications = await trx('notifications')
      .where({ purchase_token: purchaseToken })
      .andWhere((q) => q.whereNotNull('recipient').orWhereNotNull('error'))
      .update({ recipient: null, error: null, updated_at: trx.fn.now() });
    const platformWebhooks = await trx('platform_webhooks').where({ purchase_token: purchaseToken }).delete();
    return { readModel: readModel > 0, reports, notifications, platformWebhooks };
  });
}

/**
 * Screenings that ended (final status) before `cutoff` and still hold personal data, oldest first:
 * what the retention clean-up erases. A screening's end is its completion, failure or expiry time,
 * else its last read-model write.
 */
export async function screeningsEndedBefore(db: Db, cutoff: Date, limit: number): Promise<string[]> {
  const endedAt = db.raw('coalesce(completed_at, failed_at, expired_at, updated_at)');
  return db('screenings')
    .whereIn('status', finalStatuses)
    .whereNull('erased_at')
    .where(endedAt, '<', cutoff)
    .orderBy(endedAt)
    .limit(limit)
    .pluck('purchase_token');
}

/** Whether the screening's personal data was erased (its report link then answers 410). */
export async function isErased(db: Db, purchaseToken: string): Promise<boolean> {
  const row = (await db('screenings').where({ purchase_token: purchaseToken }).first('erased_at')) as { erased_at: Date | null } | undefined;
  return row?.erased_at != null;
}
