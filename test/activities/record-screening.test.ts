import assert from 'node:assert/strict';
import { createActivities } from '../../activities';
import { createDb, type Db, migrateLatest } from '../../src/db';
import type { ScreeningView } from '../../workflows/messages';
import { uniqueToken } from '../support/deliveries';
import { testEnvironment } from '../support/environment';

describe('recordScreening activity', () => {
  let db: Db;
  let activities: ReturnType<typeof createActivities>;

  before(async () => {
    db = createDb(testEnvironment().databaseUrl);
    await migrateLatest(db);
    activities = createActivities({ db });
  });

  after(() => db.destroy());

  function view(purchaseToken: string, eventsApplied: number, status: ScreeningView['status']): ScreeningView {
    return { purchaseToken, status, eventsApplied, externalCustomerId: 'landlord-9', lastEventType: 'x', lastEventAt: new Date().toISOString() };
  }

  it('inserts the first state of a screening', async () => {
    const token = uniqueToken();
    await activities.recordScreening(view(token, 1, 'invited'));
    const row = await db('screenings').where({ purchase_token: token }).first();
    assert.equal(row.status, 'invited');
    assert.equal(row.external_customer_id, 'landlord-9');
  });

  it('moves the row forward with a newer state', async () => {
    const token = uniqueToken();
    await activities.recordScreening(view(token, 1, 'invited'));
    await activities.recordScreening(view(token, 2, 'submitted'));
    assert.equal((await db('screenings').where({ purchase_token: token }).first()).status, 'submitted');
  });

  it('ignores an older state arriving late (a retried activity)', async () => {
    const token = uniqueToken();
    await activities.recordScreening(view(token, 3, 'completed'));
    await activities.recordScreening(view(token, 2, 'submitted'));
    const row = await db('screenings').where({ purchase_token: token }).first();
    assert.equal(row.status, 'completed');
    assert.equal(row.events_applied, 3);
  });

  it('is idempotent when the same state is written twice', async () => {
    const token = uniqueToken();
    await activities.recordScreening(view(token, 1, 'invited'));
    await activities.recordScreening(view(token, 1, 'invited'));
    assert.equal((await db('screenings').where({ purchase_token: token })).length, 1);
  });
});
