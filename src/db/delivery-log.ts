import type { DeliveryLogEntry } from '../../workflows/messages';
import type { Db } from './connection';

/**
 * Appends deliveries to `delivery_log`, so support can answer "did we get it?". One row per
 * dedupe key; a repeat of a logged key is counted on its row (`repeats`, `last_received_at`).
 * Written by the HTTP edge once it has handed a delivery on (applied, late) or found its event
 * unknown.
 *
 * Idempotent under retries: each receipt is known by its time of receipt, so writing a record again
 * counts no repeat twice. Only a receipt later than the last one counted is a new repeat.
 */
export async function appendDeliveryLog(db: Db, records: DeliveryLogEntry[]): Promise<void> {
  // Row by row: a batch often holds the same dedupe key twice (a delivery and its repeat), which a
  // single multi-row INSERT ... ON CONFLICT DO UPDATE refuses ("cannot affect row a second time").
  for (const record of records) {
    await db('delivery_log')
      .insert({
        dedupe_key: record.dedupeKey,
        purchase_token: record.purchaseToken,
        event: record.type,
        source_event: record.sourceEvent,
        outcome: record.outcome,
        occurred_at: record.occurredAt ?? null,
        received_at: record.receivedAt,
        last_received_at: record.receivedAt,
      })
      .onConflict('dedupe_key')
      .merge({
        repeats: db.raw('delivery_log.repeats + (case when excluded.last_received_at > delivery_log.last_received_at then 1 else 0 end)'),
        last_received_at: db.raw('greatest(delivery_log.last_received_at, excluded.last_received_at)'),
      });
  }
}
