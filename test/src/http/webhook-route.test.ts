import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import assert from 'node:assert/strict';
import pino from 'pino';
import { type Db, createDb, migrateLatest, pingDb } from '../../../src/db/connection';
import { appendDeliveryLog } from '../../../src/db/delivery-log';
import { endedScreening } from '../../../src/db/read-model';
import { createApp } from '../../../src/http/app';
import { createMetrics } from '../../../src/metrics';
import { connectClient, pingTemporal } from '../../../src/temporal/connect';
import { createScreeningSignaler } from '../../../src/temporal/screening-signaler';
import { workflowIdFor } from '../../../workflows/messages';
import { type Delivery, deliver, portalDelivery, signedDelivery, signedRequest, uniqueToken } from '../../../devkit/builders';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../../support/environment';
import { serve } from '../../support/serve';

/** The HTTP edge against the real Temporal dev server and PostgreSQL (no worker: signals only). */
describe('POST /webhooks/singlekey', () => {
  let client: Client;
  let db: Db;
  let server: Awaited<ReturnType<typeof serve>>;
  let url: string;
  let readinessDb: Db;
  const metrics = createMetrics();
  const newSecret = 'whsec_rotated_in';

  before(async () => {
    const env = testEnvironment();
    // Mid-rotation: a new secret in front, the one the other suites sign with behind it.
    const config = env.config({
      TEMPORAL_TASK_QUEUE: 'webhook-route-test',
      SINGLEKEY_HANDSHAKE_TOKEN: 'portal-token-test',
      SINGLEKEY_WEBHOOK_SECRETS: `${newSecret},${TEST_WEBHOOK_SECRET}`,
    });
    client = await connectClient(env.temporalAddress, 'default');
    db = createDb(env.databaseUrl);
    await migrateLatest(db);
    readinessDb = db;
    const app = createApp({
      config,
      logger: pino({ level: 'silent' }),
      metrics,
      signaler: createScreeningSignaler(client, {
        taskQueue: config.temporal.taskQueue,
        lifecycle: config.lifecycle,
        endedScreening: (purchaseToken) => endedScreening(db, purchaseToken),
      }),
      deliveryLog: (records) => appendDeliveryLog(db, records),
      readinessChecks: { temporal: () => pingTemporal(client), postgres: () => pingDb(readinessDb) },
    });
    server = await serve(app);
    url = server.url;
  });

  after(async () => {
    await server.close();
    await db.destroy();
    await client.connection.close();
  });

  /** Posts a delivery to the webhook endpoint, with `query` (such as `?pt=...`) appended. */
  function post(delivery: Delivery, query = '') {
    return deliver(`${url}/webhooks/singlekey${query}`, delivery);
  }

  /** The /metrics text, and `screening_webhook_deliveries_total` for a set of labels in it. */
  async function deliveriesCounted() {
    const text = await (await fetch(`${url}/metrics`)).text();
    const count = (labels: string) => Number(new RegExp(`screening_webhook_deliveries_total\\{${labels}\\} (\\d+)`).exec(text)?.[1] ?? 0);
    return { text, count };
  }

  it('answers 200 to a signed delivery and starts the screening workflow', async () => {
    const token = uniqueToken();
    const delivery = signedDelivery('invite.sent', { purchase_token: token, external_customer_id: 'landlord-1' }, TEST_WEBHOOK_SECRET);
    const response = await post(delivery);
    assert.equal(response.status, 200);
    assert.deepEqual(await readBody(response), { received: true, outcome: 'accepted', workflowId: workflowIdFor(token) });
    const description = await client.workflow.getHandle(workflowIdFor(token)).describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.equal(description.taskQueue, 'webhook-route-test');
  });

  it('signals the same workflow again for a second delivery of the same screening', async () => {
    const token = uniqueToken();
    for (const event of ['invite.sent', 'form.opened']) {
      const delivery = signedDelivery(event, { purchase_token: token }, TEST_WEBHOOK_SECRET);
      assert.equal((await post(delivery)).status, 200);
    }
    const history = await client.workflow.getHandle(workflowIdFor(token)).fetchHistory();
    const signals = history.events?.filter((event) => event.workflowExecutionSignaledEventAttributes) ?? [];
    assert.equal(signals.length, 2);
  });

  it('hands the normalised event, not the raw payload, to the workflow', async () => {
    const token = uniqueToken();
    const delivery = signedDelivery(
      'screening.completed',
      { purchase_token: token, result: { singlekey_score: 731 }, tenant: { email: 't@example.com' } },
      TEST_WEBHOOK_SECRET,
      { webhookId: 'wh_normalised' },
    );
    assert.equal((await post(delivery)).status, 200);
    const history = await client.workflow.getHandle(workflowIdFor(token)).fetchHistory();
    const signalled = history.events?.find((event) => event.workflowExecutionSignaledEventAttributes)?.workflowExecutionSignaledEventAttributes;
    const [payload] = signalled?.input?.payloads ?? [];
    const event = JSON.parse(Buffer.from(payload!.data!).toString());
    assert.equal(event.type, 'screening.completed');
    assert.equal(event.dedupeKey, 'wh_normalised');
    assert.equal(event.score, 731);
    assert.deepEqual(event.tenant, { email: 't@example.com' });
  });

  it('accepts a partner-portal delivery authenticated by Handshake-Token, with ?pt=', async () => {
    const token = uniqueToken();
    const delivery = portalDelivery(
      'Report in Progress',
      { purchase_token: token, external_customer_id: 'l-1', external_tenant_id: 't-1' },
      'portal-token-test',
    );
    const response = await post(delivery, `?pt=${token}`);
    assert.equal(response.status, 200);
    assert.equal((await readBody(response)).workflowId, workflowIdFor(token));
  });

  it('answers 400 purchase_token_mismatch when ?pt= disagrees with the body', async () => {
    const delivery = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, TEST_WEBHOOK_SECRET);
    const response = await post(delivery, `?pt=${uniqueToken()}`);
    assert.equal(response.status, 400);
    assert.equal((await readBody(response)).error, 'purchase_token_mismatch');
  });

  it('acknowledges an unknown event with 200 and starts no workflow', async () => {
    const token = uniqueToken();
    const delivery = signedDelivery('screening.archived', { purchase_token: token }, TEST_WEBHOOK_SECRET);
    const response = await post(delivery);
    assert.equal(response.status, 200);
    assert.deepEqual(await readBody(response), { received: true, outcome: 'unknown_event' });
    await assert.rejects(client.workflow.getHandle(workflowIdFor(token)).describe(), /not found/i);
  });

  it('acknowledges a delivery for a closed screening as late and starts nothing again', async () => {
    const token = uniqueToken();
    const first = signedDelivery('invite.sent', { purchase_token: token }, TEST_WEBHOOK_SECRET);
    assert.equal((await post(first)).status, 200);
    const handle = client.workflow.getHandle(workflowIdFor(token));
    const { runId } = await handle.describe();
    await handle.terminate('test: screening closed');
    const late = signedDelivery('screening.submitted', { purchase_token: token }, TEST_WEBHOOK_SECRET);
    const response = await post(late);
    assert.equal(response.status, 200);
    assert.equal((await readBody(response)).outcome, 'late');
    const after = await handle.describe();
    assert.equal(after.runId, runId);
    assert.equal(after.status.name, 'TERMINATED');
  });

  it('counts which configured secret verified each delivery, so a rotation shows when the old one is unused', async () => {
    const count = async (secret: string) =>
      (await metrics.registry.getSingleMetric('screening_webhook_authenticated_total')!.get()).values.find((v) => v.labels.secret === secret)?.value ?? 0;
    const [newestBefore, oldBefore] = [await count('0'), await count('1')];
    const signedWithNew = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, newSecret);
    assert.equal((await post(signedWithNew)).status, 200);
    const signedWithOld = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, TEST_WEBHOOK_SECRET);
    assert.equal((await post(signedWithOld)).status, 200);
    assert.equal(await count('0'), newestBefore + 1);
    assert.equal(await count('1'), oldBefore + 1);
  });

  it('answers 401 to a delivery signed with another secret', async () => {
    const delivery = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, 'someone-else');
    const response = await post(delivery);
    assert.equal(response.status, 401);
    assert.equal((await readBody(response)).error, 'unauthenticated');
  });

  it('answers a replay with a good signature and a stale timestamp exactly as a bad signature', async () => {
    const replay = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, TEST_WEBHOOK_SECRET, { signedAt: Math.floor(Date.now() / 1000) - 600 });
    const forged = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, 'someone-else');
    const [stale, bad] = [await post(replay), await post(forged)];
    assert.deepEqual([stale.status, await readBody(stale)], [bad.status, await readBody(bad)]);
  });

  it("answers 401 to an envelope sent with the portal's Handshake-Token, which vouches for portal deliveries only", async () => {
    const body = JSON.stringify({ event: 'invite.sent', webhook_id: 'wh_x', data: { purchase_token: uniqueToken(), landlord_email: 'attacker@example.test' } });
    const response = await post({ body, headers: { 'Content-Type': 'application/json', 'Handshake-Token': 'portal-token-test' } });
    assert.equal(response.status, 401);
    assert.equal((await readBody(response)).error, 'unauthenticated');
  });

  it('answers 415 to a body that is not JSON', async () => {
    const response = await post({ body: 'a=b', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(response.status, 415);
  });

  it('accepts application/json with a charset', async () => {
    const delivery = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, TEST_WEBHOOK_SECRET);
    const response = await post({ ...delivery, headers: { ...delivery.headers, 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(response.status, 200);
  });

  it('answers 413 to a body over 256 KiB', async () => {
    const delivery = signedDelivery('invite.sent', { purchase_token: uniqueToken(), padding: 'x'.repeat(300 * 1024) }, TEST_WEBHOOK_SECRET);
    const response = await post(delivery);
    assert.equal(response.status, 413);
  });

  it('answers 400 invalid_json to signed bytes that are not JSON', async () => {
    const response = await post(signedRequest('{"event":', TEST_WEBHOOK_SECRET));
    assert.equal(response.status, 400);
    assert.equal((await readBody(response)).error, 'invalid_json');
  });

  it('answers 400 with the failing field when purchase_token is missing', async () => {
    const delivery = signedDelivery('invite.sent', { external_customer_id: 'landlord-1' }, TEST_WEBHOOK_SECRET);
    const response = await post(delivery);
    assert.equal(response.status, 400);
    const payload = await readBody(response);
    assert.equal(payload.error, 'invalid_payload');
    assert.deepEqual(
      payload.details?.map((issue) => issue.path),
      ['data.purchase_token'],
    );
  });

  it('reports ready on /readyz when Temporal and PostgreSQL answer', async () => {
    const response = await fetch(`${url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await readBody(response), { status: 'ready', checks: { temporal: 'ok', postgres: 'ok' } });
  });

  it('reports 503 on /readyz when PostgreSQL is unreachable', async () => {
    const unreachable = createDb('postgres://nobody:nothing@127.0.0.1:1/none', 1, pino({ level: 'silent' }));
    readinessDb = unreachable;
    try {
      const response = await fetch(`${url}/readyz`);
      assert.equal(response.status, 503);
      const payload = await readBody(response);
      assert.equal(payload.checks?.temporal, 'ok');
      assert.match(payload.checks?.postgres ?? '', /^unavailable/);
    } finally {
      readinessDb = db;
      await unreachable.destroy();
    }
  });

  it('counts deliveries by event and outcome on /metrics, including unknown, late and rejected ones', async () => {
    const before = await deliveriesCounted();
    const token = uniqueToken();
    assert.equal((await post(signedDelivery('invite.sent', { purchase_token: token }, TEST_WEBHOOK_SECRET))).status, 200);
    await client.workflow.getHandle(workflowIdFor(token)).terminate('test: screening closed');
    assert.equal((await post(signedDelivery('screening.submitted', { purchase_token: token }, TEST_WEBHOOK_SECRET))).status, 200);
    assert.equal((await post(signedDelivery('screening.archived', { purchase_token: uniqueToken() }, TEST_WEBHOOK_SECRET))).status, 200);
    assert.equal((await post(signedDelivery('invite.sent', { purchase_token: uniqueToken() }, 'someone-else'))).status, 401);
    const after = await deliveriesCounted();
    for (const labels of [
      'event="invite.sent",outcome="accepted",reason=""',
      'event="screening.submitted",outcome="late",reason=""',
      'event="unknown",outcome="unknown_event",reason=""',
      'event="none",outcome="rejected",reason="invalid_signature"',
    ]) {
      assert.equal(after.count(labels) - before.count(labels), 1, labels);
    }
    assert.match(after.text, /screening_webhook_request_duration_seconds_bucket/);
  });

  it('answers late and starts nothing when the read model shows the screening ended and Temporal no longer holds it', async () => {
    const token = uniqueToken();
    // What remains after the namespace's retention removed a finished screening: its read-model row.
    await db('screenings').insert({ purchase_token: token, status: 'completed', version: 5, completed_at: new Date() });
    const response = await post(signedDelivery('screening.completed', { purchase_token: token }, TEST_WEBHOOK_SECRET));
    assert.equal(response.status, 200);
    assert.equal((await readBody(response)).outcome, 'late');
    await assert.rejects(client.workflow.getHandle(workflowIdFor(token)).describe(), WorkflowNotFoundError);
    assert.deepEqual(await db('delivery_log').where({ purchase_token: token }).pluck('outcome'), ['late']);
  });

  it('still hands a delivery to a screening that ended but whose workflow is open for its dedupe window', async () => {
    const token = uniqueToken();
    assert.equal((await post(signedDelivery('invite.sent', { purchase_token: token }, TEST_WEBHOOK_SECRET))).status, 200);
    await db('screenings').insert({ purchase_token: token, status: 'expired', version: 3, expired_at: new Date() });
    const response = await post(signedDelivery('screening.completed', { purchase_token: token }, TEST_WEBHOOK_SECRET));
    assert.equal((await readBody(response)).outcome, 'accepted');
    const history = await client.workflow.getHandle(workflowIdFor(token)).fetchHistory();
    assert.equal(history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes).length, 2);
    await client.workflow.getHandle(workflowIdFor(token)).terminate('test done');
  });

  it('answers /healthz without touching dependencies', async () => {
    const response = await fetch(`${url}/healthz`);
    assert.equal(response.status, 200);
  });
});

/** The JSON shapes this API answers with. */
interface ApiBody {
  received?: boolean;
  outcome?: string;
  workflowId?: string;
  error?: string;
  details?: { path: string; message: string }[];
  status?: string;
  checks?: Record<string, string>;
}

async function readBody(response: Response): Promise<ApiBody> {
  return (await response.json()) as ApiBody;
}
