import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import assert from 'node:assert/strict';
import type { Transporter } from 'nodemailer';
import { createActivities, UNKNOWN_TOKEN_ATTEMPTS } from '../../activities';
import { type SendOutcome, sendOnce } from '../../activities/send-once';
import { createDb, type Db, migrateLatest } from '../../src/db/connection';
import net from 'node:net';
import { createMailer, SMTP_TIMEOUTS_MS } from '../../src/mail/mailer';
import { createSingleKeyClient } from '../../src/singlekey/client';
import { failureTypes } from '../../workflows/messages';
import type { ScreeningSnapshot } from '../../workflows/messages';
import { startControllableSmtp } from '../support/controllable-smtp';
import { uniqueToken } from '../../devkit/builders';
import { testEnvironment } from '../support/environment';
import { TEST_REPORT_LINKS } from '../support/screening-worker';
import { type SingleKeyStandIn, startSingleKeyStandIn } from '../../devkit/stand-in/server';

/** The activities against real PostgreSQL, real SMTP servers and the SingleKey stand-in. */
describe('activities', () => {
  let db: Db;
  let mailer: Transporter;
  let smtp: Awaited<ReturnType<typeof startControllableSmtp>>;
  let singlekey: SingleKeyStandIn;
  let activities: ReturnType<typeof createActivities>;
  /** The activities themselves, to run with a chosen activity context. */
  let real: ReturnType<typeof createActivities>;

  before(async () => {
    db = createDb(testEnvironment().databaseUrl);
    await migrateLatest(db);
    smtp = await startControllableSmtp();
    mailer = createMailer(smtp.url);
    singlekey = await startSingleKeyStandIn();
    // Each call runs inside an activity context, as on a worker (activity logging needs one).
    const mock = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    real = createActivities({
      db,
      mailer,
      mail: { from: 'Screenings <screenings@example.test>', alertEmail: 'ops@example.test' },
      singlekey: createSingleKeyClient({ apiUrl: singlekey.url, apiToken: singlekey.token }),
      reportLinks: TEST_REPORT_LINKS,
    });
    activities = Object.fromEntries(
      Object.entries(real).map(([name, fn]) => [name, (...args: unknown[]) => mock.run(fn as (...a: unknown[]) => Promise<unknown>, ...args)]),
    ) as typeof real;
  });

  afterEach(() => {
    smtp.mode = 'accept';
    smtp.delayMs = 0;
  });

  after(async () => {
    mailer.close();
    await smtp.close();
    await singlekey.close();
    await db.destroy();
  });

  function snapshot(purchaseToken: string, version: number, status: ScreeningSnapshot['status'], extra: Partial<ScreeningSnapshot> = {}): ScreeningSnapshot {
    return { purchaseToken, status, version, externalCustomerId: 'landlord-9', moments: {}, ...extra };
  }
  const completed = (token: string, extra: Partial<ScreeningSnapshot> = {}) =>
    snapshot(token, 4, 'completed', {
      landlord: { email: `${token}@landlord.test` },
      tenant: { firstName: 'Ada', lastName: 'Lovelace' },
      score: 733,
      ...extra,
    });
  const receivedBy = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));
  const ledger = (token: string) => db('notifications').where({ purchase_token: token }).first();

  describe('recordScreening', () => {
    it('inserts the first state and moves forward with newer versions', async () => {
      const token = uniqueToken();
      await activities.recordScreening(snapshot(token, 1, 'invited', { moments: { invited: '2026-11-29T10:00:00.000Z' } }));
      await activities.recordScreening(
        snapshot(token, 2, 'completed', { score: 711, recommendation: 'approved', moments: { completed: '2026-11-29T12:00:00.000Z' } }),
      );
      const row = await db('screenings').where({ purchase_token: token }).first();
      assert.equal(row.status, 'completed');
      assert.equal(row.singlekey_score, 711);
      assert.equal(row.completed_at.toISOString(), '2026-11-29T12:00:00.000Z');
    });

    it('ignores an older version arriving late, and the same version twice', async () => {
      const token = uniqueToken();
      await activities.recordScreening(snapshot(token, 3, 'completed'));
      await activities.recordScreening(snapshot(token, 2, 'submitted'));
      await activities.recordScreening(snapshot(token, 3, 'submitted'));
      const rows = await db('screenings').where({ purchase_token: token });
      assert.deepEqual(
        rows.map((row) => [row.status, row.version]),
        [['completed', 3]],
      );
    });
  });

  describe('e-mail with a send ledger', () => {
    it('sends the landlord one completion e-mail with a deterministic Message-ID and a signed report link', async () => {
      const token = uniqueToken();
      const result = await activities.notifyLandlord({ milestone: 'completed', screening: completed(token) });
      assert.deepEqual(result, { outcome: 'sent', messageId: `<landlord_completed.${token}@example.test>` });
      const [mail] = receivedBy(`${token}@landlord.test`);
      assert.equal(mail?.messageId, `<landlord_completed.${token}@example.test>`);
      assert.equal(mail?.subject, 'Screening report ready: Ada Lovelace');
      assert.equal((await ledger(token)).status, 'sent');
    });

    it('sends nothing for a repeated effect request', async () => {
      const token = uniqueToken();
      await activities.notifyLandlord({ milestone: 'completed', screening: completed(token) });
      await activities.notifyLandlord({ milestone: 'completed', screening: completed(token) });
      assert.equal(receivedBy(`${token}@landlord.test`).length, 1);
      assert.equal((await ledger(token)).attempts, 1);
    });

    it('records skipped_no_recipient instead of retrying when nobody is known, and sends once someone is', async () => {
      const token = uniqueToken();
      const nobody = completed(token, { landlord: undefined, externalCustomerId: `unknown-${token}` });
      assert.deepEqual(await activities.notifyLandlord({ milestone: 'completed', screening: nobody }), { outcome: 'skipped_no_recipient' });
      assert.equal((await ledger(token)).status, 'skipped_no_recipient');
      assert.equal((await activities.notifyLandlord({ milestone: 'completed', screening: completed(token) })).outcome, 'sent');
      assert.equal((await ledger(token)).status, 'sent');
    });

    it('falls back to the landlord directory when the event carries no landlord e-mail', async () => {
      const token = uniqueToken();
      await db('landlords').insert({ external_customer_id: `dir-${token}`, email: `${token}@directory.test`, name: 'Directory Landlord' });
      await activities.notifyLandlord({ milestone: 'submitted', screening: snapshot(token, 1, 'submitted', { externalCustomerId: `dir-${token}` }) });
      assert.equal(receivedBy(`${token}@directory.test`).length, 1);
    });

    it('fails for good when the SMTP server rejects the message (550)', async () => {
      const token = uniqueToken();
      smtp.mode = 'reject';
      await assert.rejects(activities.notifyLandlord({ milestone: 'completed', screening: completed(token) }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, failureTypes.mailRejected);
        assert.equal(error.nonRetryable, true);
        return true;
      });
      assert.equal((await ledger(token)).status, 'failed');
    });

    it('fails retryably while the SMTP server refuses for now (451) or drops the connection, then sends once', async () => {
      const token = uniqueToken();
      for (const mode of ['tempfail', 'drop'] as const) {
        smtp.mode = mode;
        await assert.rejects(
          activities.notifyLandlord({ milestone: 'completed', screening: completed(token) }),
          (error: unknown) => !(error instanceof ApplicationFailure),
        );
        assert.equal((await ledger(token)).status, 'pending');
      }
      smtp.mode = 'accept';
      await activities.notifyLandlord({ milestone: 'completed', screening: completed(token) });
      assert.equal(receivedBy(`${token}@landlord.test`).length, 1);
      assert.equal((await ledger(token)).attempts, 3);
    });

    it('sends once when two attempts overlap against a slow SMTP server: the second finds the claim and fails retryably', async () => {
      const token = uniqueToken();
      smtp.delayMs = 1_500;
      const first = activities.notifyLandlord({ milestone: 'completed', screening: completed(token) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await assert.rejects(activities.notifyLandlord({ milestone: 'completed', screening: completed(token) }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, failureTypes.mailBeingSent);
        assert.equal(error.nonRetryable, false);
        return true;
      });
      assert.equal((await first).outcome, 'sent');
      assert.equal(receivedBy(`${token}@landlord.test`).length, 1);
      assert.equal((await ledger(token)).attempts, 1);
    });

    it('keeps its claim for as long as a slow SMTP conversation lasts: a later attempt does not send next to it', async () => {
      const token = uniqueToken();
      const mock = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      let heartbeats = 0;
      mock.on('heartbeat', () => (heartbeats += 1));
      // A one-second lease, renewed every 1/6 s, and a server that takes 2.5 s: unrenewed, the claim would expire mid-send.
      const sender = { db, mailer, from: 'Screenings <screenings@example.test>', claimMs: 1_000 };
      const mail = { purchaseToken: token, kind: 'landlord_completed', to: `${token}@landlord.test`, content: { subject: 's', text: 't', html: '<p>t</p>' } };
      smtp.delayMs = 2_500;
      const first: Promise<SendOutcome> = mock.run(sendOnce, sender, mail);
      await new Promise((resolve) => setTimeout(resolve, 1_800));
      await assert.rejects(sendOnce(sender, mail), (error: unknown) => error instanceof ApplicationFailure && error.type === failureTypes.mailBeingSent);
      assert.equal((await first).outcome, 'sent');
      assert.equal(receivedBy(`${token}@landlord.test`).length, 1);
      assert.ok(heartbeats >= 5, `heartbeats while sending: ${heartbeats}`);
    });

    it('re-sends the same message (same Message-ID) once the claim of a worker that died mid-send has expired', async () => {
      const token = uniqueToken();
      await db('notifications').insert({
        purchase_token: token,
        kind: 'landlord_completed',
        recipient: `${token}@landlord.test`,
        message_id: 'x',
        status: 'sending',
        attempts: 1,
        claimed_until: new Date(Date.now() - 1_000),
      });
      await activities.notifyLandlord({ milestone: 'completed', screening: completed(token) });
      assert.deepEqual(
        receivedBy(`${token}@landlord.test`).map((mail) => mail.messageId),
        [`<landlord_completed.${token}@example.test>`],
      );
      const row = await ledger(token);
      assert.equal(row.status, 'sent');
      assert.equal(row.attempts, 2);
    });

    it('gives up on an SMTP server that never greets within its time limit, well inside the activity timeout', async () => {
      const silent = net.createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const stuck = createMailer(`smtp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
      const started = Date.now();
      try {
        await assert.rejects(stuck.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'x' }));
        assert.ok(Date.now() - started < 30_000 - 5_000, `took ${Date.now() - started} ms`);
        assert.ok(Date.now() - started >= SMTP_TIMEOUTS_MS.greeting - 500, 'the greeting limit, not an earlier failure');
      } finally {
        stuck.close();
        silent.close();
      }
    });

    it('does not remind a tenant who has moved on since the reminder was started (checked at send time)', async () => {
      const token = uniqueToken();
      await activities.recordScreening(snapshot(token, 2, 'form_opened'));
      const outcome = await activities.remindTenant({ index: 1, screening: snapshot(token, 1, 'invited', { tenant: { email: `${token}@tenant.test` } }) });
      assert.deepEqual(outcome, { outcome: 'not_needed' });
      assert.equal(receivedBy(`${token}@tenant.test`).length, 0);
    });

    it('reminds the tenant with the form URL', async () => {
      const token = uniqueToken();
      await activities.remindTenant({
        index: 1,
        screening: snapshot(token, 1, 'invited', { tenant: { email: `${token}@tenant.test` }, formUrl: 'https://sandbox.singlekey.com/form/x' }),
      });
      assert.equal(receivedBy(`${token}@tenant.test`)[0]?.subject, 'Reminder: your rental application screening');
    });

    it('sends team alerts to ALERT_EMAIL', async () => {
      const token = uniqueToken();
      await activities.alertTeam({ reason: 'reconciliation_gave_up', screening: snapshot(token, 1, 'submitted') });
      assert.ok(smtp.received.some((mail) => mail.to.includes('ops@example.test') && mail.messageId === `<team_reconciliation_gave_up.${token}@example.test>`));
    });
  });

  describe('SingleKey report API', () => {
    it('archives a ready report with its PDF', async () => {
      const token = uniqueToken();
      singlekey.ready(token, 745);
      const result = await activities.fetchReport({ purchaseToken: token, scope: 'full' });
      assert.equal(result.score, 745);
      const row = await db('reports').where({ purchase_token: token, scope: 'full' }).first();
      assert.equal(row.report_json.singlekey_score, 745);
      assert.equal((row.pdf as Buffer).subarray(0, 5).toString(), '%PDF-');
    });

    it('fails retryably while the report is not ready', async () => {
      const token = uniqueToken();
      singlekey.inProgress(token);
      await assert.rejects(activities.checkReport({ purchaseToken: token }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, failureTypes.reportNotReady);
        assert.equal(error.nonRetryable, false);
        return true;
      });
    });

    it('gives up on a purchase token SingleKey does not know (404) at the third attempt, not after 24 h', async () => {
      const token = uniqueToken();
      const onAttempt = (attempt: number) => {
        const env = new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') });
        return env.run(real.checkReport, { purchaseToken: token });
      };
      for (const attempt of [1, 2]) {
        await assert.rejects(onAttempt(attempt), (error: unknown) => {
          assert.ok(error instanceof ApplicationFailure);
          assert.equal(error.type, failureTypes.unknownPurchaseToken);
          assert.equal(error.nonRetryable, false, `attempt ${attempt}`);
          return true;
        });
      }
      await assert.rejects(onAttempt(UNKNOWN_TOKEN_ATTEMPTS), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, failureTypes.unknownPurchaseToken);
        assert.equal(error.nonRetryable, true);
        return true;
      });
    });

    it('fails for good when SingleKey refuses the token (401)', async () => {
      const client = createSingleKeyClient({ apiUrl: singlekey.url, apiToken: 'wrong' });
      await assert.rejects(
        client.getReport('x'),
        (error: unknown) => error instanceof ApplicationFailure && error.type === failureTypes.singleKeyRejected && error.nonRetryable,
      );
    });

    it('fails retryably on 5xx and honours Retry-After on 429', async () => {
      const token = uniqueToken();
      singlekey.fail(token, 503);
      await assert.rejects(activities.checkReport({ purchaseToken: token }), (error: unknown) => error instanceof ApplicationFailure && !error.nonRetryable);
      singlekey.fail(token, 429, 120);
      await assert.rejects(activities.checkReport({ purchaseToken: token }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.nonRetryable, false);
        assert.equal(error.nextRetryDelay, 120_000);
        return true;
      });
    });

    it('fails retryably when SingleKey cannot be reached', async () => {
      const client = createSingleKeyClient({ apiUrl: 'http://127.0.0.1:1', apiToken: 't' });
      await assert.rejects(client.getReport('x'), (error: unknown) => !(error instanceof ApplicationFailure));
    });

    it('requests a screening with POST /api/request', async () => {
      const client = createSingleKeyClient({ apiUrl: singlekey.url, apiToken: singlekey.token });
      const requested = await client.requestScreening({
        external_customer_id: 'landlord-1',
        external_tenant_id: 'tenant-1',
        tenant_form: true,
        ten_email: 't@example.test',
      });
      assert.equal(requested.purchaseToken.length, 32);
      assert.match(requested.formUrl ?? '', /\/form\//);
      assert.ok(singlekey.requests.includes('POST /api/request'));
    });
  });
});
