import type { Db } from '../src/db';
import type { ScreeningView } from '../workflows/messages';

export interface ActivityDeps {
  db: Db;
}

/** Builds the activities with their dependencies, so tests can pass real or fake ones. */
export function createActivities({ db }: ActivityDeps) {
  return {
    /** Upserts the screening's row; a view with fewer applied events than the stored one is stale and ignored. */
    async recordScreening(view: ScreeningView): Promise<void> {
      const row = {
        purchase_token: view.purchaseToken,
        status: view.status,
        external_customer_id: view.externalCustomerId ?? null,
        external_tenant_id: view.externalTenantId ?? null,
        last_event_type: view.lastEventType ?? null,
        last_event_at: view.lastEventAt ?? null,
        events_applied: view.eventsApplied,
        updated_at: db.fn.now(),
      };
      await db('screenings')
        .insert(row)
        .onConflict('purchase_token')
        .merge()
        .where('screenings.events_applied', '<=', view.eventsApplied);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
