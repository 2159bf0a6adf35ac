import type { Client } from '@temporalio/client';
import assert from 'node:assert/strict';
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { createDb, type Db, migrateLatest } from '../../../src/db/connection';
import { testApp } from '../../support/test-app';
import { createScreeningSignaler, type ScreeningSignaler } from '../../../src/temporal/screening-signaler';
import { createWebhookInbox, type InboxMode, type WebhookInbox } from '../../../src/webhook/inbox';
import { deliver, screeningEvent, signedDelivery, uniqueToken } from '../../../devkit/builders';
import { type ScreeningEvent, statusQuery, workflowIdFor } from '../../../workflows/messages';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../../support/environment';
import { serve } from '../../support/serve';
import { eventually, connectTestTemporal, startScreeningWorker, type TestTemporal } from '../../support/screening-worker';

const silent = pino({ level: 'silent' });

/** A signaler that records what it was handed, and fails for the dedupe keys in `failing`. */
function recordingSignaler(failing = new Set<string>()): ScreeningSignaler & { seen: ScreeningEvent[] } {
  const seen: ScreeningEvent[] = [];
  return {
    seen,
    async signal(event) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      if (failing.has(event.dedupeKey)) throw new Error('Temporal away');
      seen.push(event);
      return { outcome: 'signalled', workflowId: workflowIdFor(event.purchaseToken) };
    },
  };
}

describe('the webhook inbox (WEBHOOK_INBOX)', function () {
  this.timeout(60_000);
  let db: Db;

  before(async () => {
    db = createDb(testEnvironment().databaseUrl);
    await migrateLatest(db);
  });
  after(() => db.destroy());
  // Each test starts from an empty inbox (forwarding takes whatever is queued), and stops its inboxes,
  // which releases the forwarder's lock for the next.
  const opened: WebhookInbox[] = [];
  beforeEach(() => db('webhook_inbox').delete());
  afterEach(async () => {
    for (const inbox of opened.splice(0)) await inbox.stop();
  });

  const inboxWith = (
    signaler: ScreeningSignaler,
    mode: InboxMode = 'always',
    pauseAfterFailureMs?: number,
    burst?: Parameters<typeof createWebhookInbox>[0]['burst'],
  ) => {
    const inbox = createWebhookInbox({ db, signaler, logger: silent, mode, pauseAfterFailureMs, burst });
    opened.push(inbox);
    return inbox;
  };
  const event = (token: string, type: ScreeningEvent['type'], key: string) => screeningEvent(token, type, { dedupeKey: key });

  it('forwards each screening’s deliveries in arrival order, each once, and empties itself', async () => {
    const [a, b] = [uniqueToken(), uniqueToken()];
    const signaler = recordingSignaler();
    const inbox = inboxWith(signaler);
    const arrivals = [
      event(a, 'screening.completed', `${a}-1`),
      event(b, 'invite.sent', `${b}-1`),
      event(a, 'invite.sent', `${a}-2`),
      event(a, 'screening.submitted', `${a}-3`),
      event(b, 'form.opened', `${b}-2`),
    ];
    for (const e of arrivals) await inbox.enqueue(e);
    // A repeat is queued and forwarded like any receipt: the workflow drops it by its dedupe key.
    await inbox.enqueue({ ...arrivals[0]!, receivedAt: new Date(Date.parse(arrivals[0]!.receivedAt) + 1_000).toISOString() });

    assert.equal(await inbox.forwardOnce(), 6);
    const order = (token: string) => signaler.seen.filter((e) => e.purchaseToken === token).map((e) => e.dedupeKey);
    assert.deepEqual(order(a), [`${a}-1`, `${a}-2`, `${a}-3`, `${a}-1`]);
    assert.deepEqual(order(b), [`${b}-1`, `${b}-2`]);
    assert.equal((await db('webhook_inbox').count({ n: '*' }))[0]!.n, '0');
    const logged = await db('delivery_log')
      .where({ dedupe_key: `${a}-1` })
      .first();
    assert.equal(logged.repeats, 1);
  });

  it('keeps a delivery Temporal did not take, and that screening’s later ones behind it, for the next round', async () => {
    const [a, b] = [uniqueToken(), uniqueToken()];
    const failing = new Set([`${a}-2`]);
    const signaler = recordingSignaler(failing);
    const inbox = inboxWith(signaler, 'always', 300);
    for (const e of [
      event(a, 'invite.sent', `${a}-1`),
      event(a, 'form.opened', `${a}-2`),
      event(a, 'screening.submitted', `${a}-3`),
      event(b, 'invite.sent', `${b}-1`),
    ]) {
      await inbox.enqueue(e);
    }
    assert.equal(await inbox.forwardOnce(), 2);
    assert.deepEqual(signaler.seen.map((e) => e.dedupeKey).sort(), [`${a}-1`, `${b}-1`].sort());
    assert.deepEqual((await db('webhook_inbox').orderBy('id').pluck('dedupe_key')) as string[], [`${a}-2`, `${a}-3`]);

    failing.clear();
    assert.equal(await inbox.forwardOnce(), 0, 'the failing screening sits out its pause');
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(await inbox.forwardOnce(), 2);
    assert.deepEqual(
      signaler.seen.filter((e) => e.purchaseToken === a).map((e) => e.dedupeKey),
      [`${a}-1`, `${a}-2`, `${a}-3`],
    );
  });

  it('commits deliveries that arrive together in one statement, in arrival order, a repeat among them counted once', async () => {
    const token = uniqueToken();
    const inbox = inboxWith(recordingSignaler());
    const arrivals = Array.from({ length: 30 }, (_, i) => event(token, 'invite.opened', `${token}-${i}`));
    const repeat = { ...arrivals[0]!, receivedAt: new Date(Date.parse(arrivals[0]!.receivedAt) + 1_000).toISOString() };
    let statements = 0;
    const count = (query: { sql: string }) => void (query.sql.includes('insert into webhook_inbox') && (statements += 1));
    db.on('query', count);
    try {
      await Promise.all([...arrivals, repeat].map((e) => inbox.enqueue(e)));
    } finally {
      db.off('query', count);
    }
    assert.ok(statements < 10, `31 deliveries took ${statements} statements`);
    const queued = (await db('webhook_inbox').where({ purchase_token: token }).orderBy('id').pluck('dedupe_key')) as string[];
    assert.deepEqual(queued, [...arrivals.map((e) => e.dedupeKey), repeat.dedupeKey]);
    const logged = await db('delivery_log')
      .where({ purchase_token: token })
      .orderBy('dedupe_key')
      .select('dedupe_key', 'repeats', 'received_at', 'last_received_at');
    assert.equal(logged.length, 30);
    const first = logged.find((l) => l.dedupe_key === `${token}-0`)!;
    assert.equal(first.repeats, 1);
    assert.equal(new Date(first.last_received_at).toISOString(), repeat.receivedAt);
    assert.equal(new Date(first.received_at).toISOString(), arrivals[0]!.receivedAt);
    // The same receipts again (a retried statement) count no new repeat.
    await inbox.enqueue(repeat);
    assert.equal(
      (
        await db('delivery_log')
          .where({ dedupe_key: `${token}-0` })
          .first()
      ).repeats,
      1,
    );
  });

  it('refuses only the delivery PostgreSQL refuses, not those committed in the same statement', async () => {
    const token = uniqueToken();
    const inbox = inboxWith(recordingSignaler());
    // jsonb holds no U+0000: PostgreSQL refuses the whole statement that carries one.
    const poison = { ...event(token, 'form.opened', `${token}-poison`), sourceEvent: 'form\u0000opened' };
    const outcomes = await Promise.allSettled(
      [event(token, 'invite.sent', `${token}-1`), poison, event(token, 'screening.submitted', `${token}-2`)].map((e) => inbox.enqueue(e)),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual((await db('webhook_inbox').where({ purchase_token: token }).orderBy('id').pluck('dedupe_key')) as string[], [`${token}-1`, `${token}-2`]);
  });

  it('yields to a burst of deliveries, forwarding once it has passed, and moves a storm that does not pass after its longest wait', async () => {
    const token = uniqueToken();
    const signaler = recordingSignaler();
    // A burst here: more than 10 deliveries a second over the last half second.
    const inbox = inboxWith(signaler, 'always', undefined, { perSecond: 10, maxYieldMs: 1_500 });
    inbox.startForwarding();
    await Promise.all(Array.from({ length: 30 }, (_, i) => inbox.enqueue(event(`${token}-${i % 10}`, 'invite.opened', `${token}-a${i}`))));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(signaler.seen.length, 0, 'nothing forwarded while the burst arrives');
    await eventually(
      async () => signaler.seen.length,
      (n) => n === 30,
      5_000,
    );

    // A storm: 20 deliveries a second for 4 s, never below the threshold; it moves after 1.5 s.
    const storm: Promise<void>[] = [];
    const stormStarted = Date.now();
    let forwardedDuringStorm = 0;
    for (let i = 0; Date.now() - stormStarted < 4_000; i += 1) {
      storm.push(inbox.enqueue(event(`${token}-${i % 10}`, 'invite.opened', `${token}-b${i}`)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      forwardedDuringStorm = signaler.seen.length - 30;
    }
    await Promise.all(storm);
    assert.ok(forwardedDuringStorm > 0, 'the storm moved before it ended');
    await eventually(
      async () => signaler.seen.length,
      (n) => n === 30 + storm.length,
      10_000,
    );
  });

  it('lets one forwarder at a time take a round, so no delivery is handed on twice', async () => {
    const token = uniqueToken();
    const signaler = recordingSignaler();
    const queueing = inboxWith(signaler);
    for (let i = 0; i < 40; i += 1) await queueing.enqueue(event(token, 'invite.opened', `${token}-${i}`));
    const rounds = await Promise.all([inboxWith(signaler).forwardOnce(), inboxWith(signaler).forwardOnce(), inboxWith(signaler).forwardOnce()]);
    assert.equal(
      rounds.reduce((x, y) => x + y, 0),
      40,
    );
    assert.equal(new Set(signaler.seen.map((e) => e.dedupeKey)).size, signaler.seen.length);
    assert.equal(signaler.seen.length, 40);
  });

  describe('on the real Temporal dev server', () => {
    const taskQueue = 'inbox-test';
    let temporal: TestTemporal;
    let client: Client;
    let worker: Awaited<ReturnType<typeof startScreeningWorker>>;
    let signaler: ScreeningSignaler;

    before(async () => {
      temporal = await connectTestTemporal();
      client = temporal.client;
      worker = await startScreeningWorker(temporal.connection, taskQueue);
      signaler = createScreeningSignaler(client, { taskQueue, lifecycle: loadConfig({}).lifecycle });
    });
    after(async () => {
      await worker?.stop();
      await temporal?.close();
    });

    it('loses nothing when the process dies between the commit and the signal: the next forwarder hands it on', async () => {
      const token = uniqueToken();
      // The API that answered 200 died before forwarding: its inbox never forwards.
      const died = inboxWith(signaler);
      await died.enqueue(screeningEvent(token, 'invite.sent', { dedupeKey: `${token}-1`, externalCustomerId: 'landlord-inbox' }));
      await died.enqueue(screeningEvent(token, 'form.opened', { dedupeKey: `${token}-2` }));

      const next = inboxWith(signaler);
      next.startForwarding();
      try {
        const view = await eventually(
          () => client.workflow.getHandle(workflowIdFor(token)).query(statusQuery),
          (v) => v.status === 'form_opened',
        );
        assert.deepEqual(
          view.timeline.map((entry) => entry.type),
          ['invite.sent', 'form.opened'],
        );
      } finally {
        await next.stop();
      }
    });

    for (const mode of ['always', 'fallback'] as const) {
      it(`answers 200 ${mode === 'always' ? 'once the delivery is committed' : 'from the inbox when Temporal does not answer'}, and forwards it (${mode})`, async () => {
        const token = uniqueToken();
        // `fallback` meets a Temporal that fails; `always` never asks it before answering.
        const unreachable: ScreeningSignaler = { signal: () => Promise.reject(new Error('Temporal away')) };
        const inbox = inboxWith(signaler, mode);
        const server = await serve(
          testApp({
            config: testEnvironment().config({ SINGLEKEY_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET }),
            signaler: mode === 'fallback' ? unreachable : signaler,
            inbox,
          }),
        );
        try {
          const delivery = signedDelivery('invite.sent', { purchase_token: token }, TEST_WEBHOOK_SECRET);
          const first = await deliver(`${server.url}/webhooks/singlekey`, delivery);
          assert.equal(first.status, 200);
          assert.deepEqual(await first.json(), { received: true, outcome: 'queued' });
          const again = await deliver(`${server.url}/webhooks/singlekey`, delivery);
          assert.deepEqual(await again.json(), { received: true, outcome: 'queued' });
          inbox.startForwarding();
          await eventually(
            () => client.workflow.getHandle(workflowIdFor(token)).query(statusQuery),
            (v) => v.status === 'invited' && v.duplicatesIgnored === 1,
          );
        } finally {
          await inbox.stop();
          await server.close();
        }
      });
    }
  });
});
