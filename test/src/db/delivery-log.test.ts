import assert from 'node:assert/strict';
import { uniqueToken } from '../../../devkit/builders';
import { createDb, type Db, migrateLatest } from '../../../src/db/connection';
import { appendDeliveryLog } from '../../../src/db/delivery-log';
import { testEnvironment } from '../../support/environment';

describe('the delivery log', () => {
  let db: Db;
  before(async () => {
    db = createDb(testEnvironment().databaseUrl);
    await migrateLatest(db);
  });
  after(() => db.destroy());

  it('keeps one row per dedupe key and counts repeats', async () => {
    const token = uniqueToken();
    const record = {
      dedupeKey: `wh_${token}`,
      purchaseToken: token,
      type: 'invite.sent',
      sourceEvent: 'invite.sent',
      outcome: 'applied' as const,
      receivedAt: '2026-11-29T10:00:00.000Z',
    };
    await appendDeliveryLog(db, [record, { ...record, receivedAt: '2026-11-29T10:05:00.000Z' }]);
    const rows = await db('delivery_log').where({ purchase_token: token });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].outcome, 'applied');
    assert.equal(rows[0].repeats, 1);
    assert.equal(rows[0].last_received_at.toISOString(), '2026-11-29T10:05:00.000Z');
  });

  it('counts nothing twice when a batch is written again', async () => {
    const token = uniqueToken();
    const first = { dedupeKey: `wh_${token}`, purchaseToken: token, type: 'invite.sent', sourceEvent: 'invite.sent', outcome: 'applied' as const };
    const batch = [
      { ...first, receivedAt: '2026-11-29T10:00:00.000Z' },
      { ...first, receivedAt: '2026-11-29T10:05:00.000Z' },
    ];
    await appendDeliveryLog(db, batch);
    await appendDeliveryLog(db, batch);
    const row = await db('delivery_log').where({ purchase_token: token }).first();
    assert.equal(row.repeats, 1);
    assert.equal(row.last_received_at.toISOString(), '2026-11-29T10:05:00.000Z');
  });
});
