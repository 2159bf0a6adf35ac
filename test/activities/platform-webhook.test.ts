import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import assert from 'node:assert/strict';
import type { Transporter } from 'nodemailer';
import { createActivities } from '../../activities';
import { deliverStatusWebhook, type PlatformWebhookOutcome, type StatusWebhookInput } from '../../activities/platform-webhook';
import { uniqueToken } from '../../devkit/builders';
import { freePort } from '../../devkit/embedded/free-port';
import { type SingleKeyStandIn, startSingleKeyStandIn } from '../../devkit/stand-in/server';
import { createDb, type Db, migrateLatest } from '../../src/db/connection';
import { erasePersonalData, markErased } from '../../src/db/erasure';
import { createMailer } from '../../src/mail/mailer';
import { createSingleKeyClient } from '../../src/singlekey/client';
import { failureTypes, type ScreeningSnapshot } from '../../workflows/messages';
import { testEnvironment } from '../support/environment';
import { TEST_PLATFORM_WEBHOOK_SECRET, TEST_REPORT_LINKS } from '../support/screening-worker';

/** The status-webhook activity against real PostgreSQL and the stand-in's platform receiver, which verifies each delivery with the standardwebhooks library. */
describe('notifyPlatform: status webhooks to the platform', () => {
  let db: Db;
  let mailer: Transporter;
  let platform: SingleKeyStandIn;
  const mock = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  const target = () => ({ url: platform.platformWebhookUrl, secret: TEST_PLATFORM_WEBHOOK_SECRET, publicBaseUrl: TEST_REPORT_LINKS.publicBaseUrl });
  /** The activities as a worker builds them, each call in an activity context; `platformWebhook: null` leaves it unconfigured. */
  function activities(platformWebhook: ReturnType<typeof target> | null = target()) {
    const real = createActivities({
      db,
      mailer,
      mail: { from: 'Screenings <screenings@example.test>', alertEmail: 'ops@example.test' },
      singlekey: createSingleKeyClient({ apiUrl: platform.url, apiToken: platform.token }),
      reportLinks: TEST_REPORT_LINKS,
      platformWebhook: platformWebhook ?? undefined,
    });
    return { notifyPlatform: (input: StatusWebhookInput) => mock.run(real.notifyPlatform, input) as Promise<PlatformWebhookOutcome> };
  }

  before(async () => {
    db = createDb(testEnvironment().databaseUrl);
    await migrateLatest(db);
    mailer = createMailer(testEnvironment().smtpUrl);
    platform = await startSingleKeyStandIn({ platformWebhookSecret: TEST_PLATFORM_WEBHOOK_SECRET });
  });

  afterEach(() => {
    platform.failPlatformWebhooks(0);
    platform.delayPlatformWebhooks(0);
  });

  after(async () => {
    mailer.close();
    await platform.close();
    await db.destroy();
  });

  const change = (token: string, status: ScreeningSnapshot['status'], previous: ScreeningSnapshot['status'] | null): StatusWebhookInput => ({
    screening: { purchaseToken: token, status, version: 3, externalCustomerId: 'landlord-9', moments: { invited: '2026-11-29T10:00:00.000Z' } },
    status,
    previous,
    at: '2026-11-29T10:00:01.000Z',
  });
  const received = (token: string) => platform.platformWebhooks.filter((w) => w.purchase_token === token);
  const ledger = (token: string) => db('platform_webhooks').where({ purchase_token: token }).orderBy('created_at');
  const retryable = (type: string) => (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, false);
    return true;
  };

  it('posts one signed webhook that the platform verifies, and records it sent', async () => {
    const token = uniqueToken();
    const outcome = await activities().notifyPlatform(change(token, 'invited', null));
    assert.deepEqual(outcome, { outcome: 'sent', webhookId: `scr_${token}_invited` });
    assert.deepEqual(
      received(token).map(({ webhookId, type, status, verified, answered }) => ({ webhookId, type, status, verified, answered })),
      [{ webhookId: `scr_${token}_invited`, type: 'screening.status_changed', status: 'invited', verified: true, answered: 204 }],
    );
    const [row] = await ledger(token);
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 1);
    assert.equal(row.response_code, 204);
    assert.ok(row.sent_at instanceof Date);
  });

  it('sends one message per (screening, status) across repeated calls, one per status in the order asked', async () => {
    const token = uniqueToken();
    const { notifyPlatform } = activities();
    await notifyPlatform(change(token, 'invited', null));
    await notifyPlatform(change(token, 'invited', null));
    await notifyPlatform(change(token, 'form_opened', 'invited'));
    assert.deepEqual(
      received(token).map((w) => w.webhookId),
      [`scr_${token}_invited`, `scr_${token}_form_opened`],
    );
    assert.deepEqual(
      (await ledger(token)).map((row) => [row.screening_status, row.status, row.attempts]),
      [
        ['invited', 'sent', 1],
        ['form_opened', 'sent', 1],
      ],
    );
  });

  it('posts once when two attempts overlap: the second finds the live claim and fails retryably without posting', async () => {
    const token = uniqueToken();
    platform.delayPlatformWebhooks(1_500);
    const first = activities().notifyPlatform(change(token, 'submitted', 'invited'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await assert.rejects(activities().notifyPlatform(change(token, 'submitted', 'invited')), retryable(failureTypes.platformWebhookBeingSent));
    assert.equal((await first).outcome, 'sent');
    assert.equal(received(token).length, 1);
    assert.equal((await ledger(token))[0].attempts, 1);
  });

  it('keeps its claim for as long as a slow receiver takes, heartbeating meanwhile', async () => {
    const token = uniqueToken();
    const slow = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    let heartbeats = 0;
    slow.on('heartbeat', () => (heartbeats += 1));
    // A one-second lease renewed every 1/6 s, and a receiver that takes 2.5 s: unrenewed, the claim would lapse mid-post.
    const deps = { db, platformWebhook: { ...target(), claimMs: 1_000 } };
    platform.delayPlatformWebhooks(2_500);
    const first = slow.run(deliverStatusWebhook, deps, change(token, 'completed', 'submitted')) as Promise<PlatformWebhookOutcome>;
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    await assert.rejects(deliverStatusWebhook(deps, change(token, 'completed', 'submitted')), retryable(failureTypes.platformWebhookBeingSent));
    assert.equal((await first).outcome, 'sent');
    assert.equal(received(token).length, 1);
    assert.ok(heartbeats >= 5, `heartbeats while posting: ${heartbeats}`);
  });

  it('retries a receiver answering 503: the next attempt delivers the same webhook-id, accepted once', async () => {
    const token = uniqueToken();
    platform.failPlatformWebhooks(1);
    await assert.rejects(activities().notifyPlatform(change(token, 'completed', 'submitted')), retryable(failureTypes.platformWebhookUnavailable));
    assert.deepEqual(
      (await ledger(token)).map((row) => [row.status, row.response_code]),
      [['pending', 503]],
    );
    assert.equal((await activities().notifyPlatform(change(token, 'completed', 'submitted'))).outcome, 'sent');
    assert.deepEqual(
      received(token).map((w) => [w.webhookId, w.verified, w.answered]),
      [
        [`scr_${token}_completed`, true, 503],
        [`scr_${token}_completed`, true, 204],
      ],
    );
    assert.equal((await ledger(token))[0].attempts, 2);
  });

  it("honours the receiver's Retry-After as the next retry's delay", async () => {
    const token = uniqueToken();
    platform.failPlatformWebhooks(1, 429, 120);
    await assert.rejects(activities().notifyPlatform(change(token, 'invited', null)), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.nonRetryable, false);
      assert.equal(error.nextRetryDelay, 120_000);
      return true;
    });
  });

  it('fails for good on 410 Gone, and posts nothing more for that message', async () => {
    const token = uniqueToken();
    platform.failPlatformWebhooks(2, 410);
    const gone = (error: unknown) => error instanceof ApplicationFailure && error.type === failureTypes.platformWebhookRejected && error.nonRetryable;
    await assert.rejects(activities().notifyPlatform(change(token, 'failed', 'submitted')), gone);
    await assert.rejects(activities().notifyPlatform(change(token, 'failed', 'submitted')), gone);
    assert.equal(received(token).length, 1);
    assert.deepEqual(
      (await ledger(token)).map((row) => [row.status, row.response_code]),
      [['failed', 410]],
    );
  });

  it('fails retryably when nothing answers, and records why', async () => {
    const token = uniqueToken();
    const nowhere = activities({ ...target(), url: `http://127.0.0.1:${await freePort()}/platform-webhooks` });
    await assert.rejects(nowhere.notifyPlatform(change(token, 'invited', null)), (error: unknown) => !(error instanceof ApplicationFailure));
    const [row] = await ledger(token);
    assert.equal(row.status, 'pending');
    assert.equal(row.response_code, null);
    assert.match(row.error, /^no answer: fetch failed \(connect ECONNREFUSED/);
  });

  it('re-sends the first body under the same webhook-id once the claim of a worker that died mid-post has expired', async () => {
    const token = uniqueToken();
    const first = change(token, 'completed', 'submitted');
    await db('platform_webhooks').insert({
      purchase_token: token,
      screening_status: 'completed',
      webhook_id: `scr_${token}_completed`,
      body: JSON.stringify({ written: 'by the attempt that died' }),
      status: 'sending',
      attempts: 1,
      claimed_until: new Date(Date.now() - 1_000),
    });
    await activities().notifyPlatform(first);
    // The stored body has no `type`: it, not the one this attempt would have built, went out.
    assert.deepEqual(
      platform.platformWebhooks.filter((w) => w.webhookId === `scr_${token}_completed`).map((w) => [w.verified, w.type]),
      [[true, null]],
    );
    const [row] = await ledger(token);
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 2);
  });

  it('answers not_configured without PLATFORM_WEBHOOK_URL, and writes and posts nothing', async () => {
    const token = uniqueToken();
    assert.deepEqual(await activities(null).notifyPlatform(change(token, 'invited', null)), { outcome: 'not_configured' });
    assert.equal(received(token).length, 0);
    assert.equal((await ledger(token)).length, 0);
  });

  it('answers not_needed for an erased screening, and posts nothing', async () => {
    const token = uniqueToken();
    await markErased(db, token);
    assert.deepEqual(await activities().notifyPlatform(change(token, 'completed', 'submitted')), { outcome: 'not_needed' });
    assert.equal(received(token).length, 0);
    assert.equal((await ledger(token)).length, 0);
  });

  it('is erased with the screening: its ledger rows go, counted, and none comes back', async () => {
    const token = uniqueToken();
    await activities().notifyPlatform(change(token, 'invited', null));
    await activities().notifyPlatform(change(token, 'completed', 'invited'));
    await markErased(db, token);
    assert.equal((await erasePersonalData(db, token)).platformWebhooks, 2);
    assert.equal((await erasePersonalData(db, token)).platformWebhooks, 0);
    assert.equal((await activities().notifyPlatform(change(token, 'completed', 'invited'))).outcome, 'not_needed');
    assert.equal(received(token).length, 2);
  });
});
