import { ApplicationFailure } from '@temporalio/common';
import assert from 'node:assert/strict';
import type { Transporter } from 'nodemailer';
import { createActivities, REPORT_NOT_READY } from '../../activities';
import { createDb, type Db, migrateLatest } from '../../src/db';
import { createMailer } from '../../src/mailer';
import { createSingleKeyClient, SINGLEKEY_REJECTED } from '../../src/singlekey/client';
import type { ScreeningSnapshot } from '../../workflows/messages';
import { uniqueToken } from '../support/deliveries';
import { testEnvironment } from '../support/environment';
import { type SingleKeyStandIn, startSingleKeyStandIn } from '../support/singlekey-stand-in';

/** The activities against real PostgreSQL, a real SMTP server and the SingleKey stand-in. */
describe('activities', () => {
  let db: Db;
  let mailer: Transporter;
  let singlekey: SingleKeyStandIn;
  let activities: ReturnType<typeof createActivities>;

  before(async () => {
    const env = testEnvironment();
    db = createDb(env.databaseUrl);
    await migrateLatest(db);
    mailer = createMailer(env.smtpUrl);
    singlekey = await startSingleKeyStandIn();
    activities = createActivities({
      db,
      mailer,
      mail: { from: 'Screenings <screenings@example.test>', alertEmail: 'ops@example.test' },
      singlekey: createSingleKeyClient({ apiUrl: singlekey.url, apiToken: singlekey.token }),
    });
  });

  after(async () => {
    mailer.close();
    await singlekey.close();
    await db.destroy();
  });

  function snapshot(purchaseToken: string, version: number, status: ScreeningSnapshot['status'], extra: Partial<ScreeningSnapshot> = {}): ScreeningSnapshot {
    return { purchaseToken, status, version, externalCustomerId: 'landlord-9', moments: {}, ...extra };
  }

  describe('recordScreening', () => {
    it('inserts the first state and moves forward with newer versions', async () => {
      const token = uniqueToken();
      await activities.recordScreening(snapshot(token, 1, 'invited', { moments: { invited: '2026-11-29T10:00:00.000Z' } }));
      await activities.recordScreening(snapshot(token, 2, 'completed', { score: 711, recommendation: 'approved' }));
      const row = await db('screenings').where({ purchase_token: token }).first();
      assert.equal(row.status, 'completed');
      assert.equal(row.singlekey_score, 711);
      assert.equal(row.version, 2);
    });

    it('ignores an older version arriving late, and the same version twice', async () => {
      const token = uniqueToken();
      await activities.recordScreening(snapshot(token, 3, 'completed'));
      await activities.recordScreening(snapshot(token, 2, 'submitted'));
      await activities.recordScreening(snapshot(token, 3, 'submitted'));
      const rows = await db('screenings').where({ purchase_token: token });
      assert.equal(rows.length, 1);
      assert.equal(rows[0].status, 'completed');
    });
  });

  describe('mail', () => {
    it('sends the landlord a completion e-mail over SMTP with the score and report link', async () => {
      const token = uniqueToken();
      const before = testEnvironment().mails.length;
      const result = await activities.notifyLandlord({
        milestone: 'completed',
        screening: snapshot(token, 4, 'completed', { landlord: { email: 'landlord@example.test' }, tenant: { firstName: 'Ada', lastName: 'Lovelace' }, score: 733, links: { report: 'https://sandbox.singlekey.com/r/1' } }),
      });
      assert.equal(result.outcome, 'sent');
      const mail = testEnvironment().mails[before];
      assert.deepEqual(mail?.to, ['landlord@example.test']);
      assert.equal(mail?.subject, 'Screening report ready: Ada Lovelace');
    });

    it('skips an e-mail when the screening carries no recipient', async () => {
      assert.deepEqual(await activities.notifyLandlord({ milestone: 'submitted', screening: snapshot(uniqueToken(), 1, 'submitted') }), { outcome: 'skipped_no_recipient' });
    });

    it('sends team alerts to ALERT_EMAIL', async () => {
      const before = testEnvironment().mails.length;
      await activities.alertTeam({ reason: 'reconciliation_gave_up', screening: snapshot(uniqueToken(), 1, 'submitted') });
      assert.deepEqual(testEnvironment().mails[before]?.to, ['ops@example.test']);
    });
  });

  describe('SingleKey report API', () => {
    it('archives a ready report', async () => {
      const token = uniqueToken();
      singlekey.ready(token, 745);
      assert.deepEqual(await activities.fetchReport({ purchaseToken: token, scope: 'full' }), { score: 745 });
      const row = await db('reports').where({ purchase_token: token, scope: 'full' }).first();
      assert.equal(row.report_json.singlekey_score, 745);
    });

    it('fails retryably while the report is not ready', async () => {
      await assert.rejects(activities.checkReport({ purchaseToken: uniqueToken() }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, REPORT_NOT_READY);
        assert.equal(error.nonRetryable, false);
        return true;
      });
    });

    it('fails for good when SingleKey refuses the token (401)', async () => {
      const client = createSingleKeyClient({ apiUrl: singlekey.url, apiToken: 'wrong' });
      await assert.rejects(client.getReport('x'), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, SINGLEKEY_REJECTED);
        assert.equal(error.nonRetryable, true);
        return true;
      });
    });

    it('honours Retry-After on 429', async () => {
      const token = uniqueToken();
      singlekey.fail(token, 429, 120);
      await assert.rejects(activities.checkReport({ purchaseToken: token }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.nonRetryable, false);
        assert.equal(error.nextRetryDelay, 120_000);
        return true;
      });
    });
  });
});
