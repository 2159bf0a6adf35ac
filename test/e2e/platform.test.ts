import type { Client } from '@temporalio/client';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { appendDeliveryLog } from '../../src/db/delivery-log';
import { endedScreening } from '../../src/db/read-model';
import { testApp } from '../support/test-app';
import type { ScreeningRequestDeps } from '../../src/http/screening-requests-route';
import { registerLandlord } from '../../src/temporal/landlord-directory';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { screeningEvent, uniqueToken } from '../../devkit/builders';
import { statusQuery, workflowIdFor } from '../../workflows/messages';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../support/environment';
import { serve } from '../support/serve';
import { eventually, mailsTo, connectTestTemporal, startScreeningWorker, type TestTemporal } from '../support/screening-worker';

/**
 * The rental platform's side, end to end on the real dev server, PostgreSQL and SMTP server, with
 * SingleKey's stand-in as the one fake: `POST /screenings` asks SingleKey, SingleKey's signed
 * webhooks drive the screening, the platform hears of every status by a signed status webhook and
 * reads the same story from `GET /screenings/<token>`.
 */
describe('the rental platform end to end', function () {
  this.timeout(180_000);
  const taskQueue = 'platform-e2e';
  const apiKey = `platform-e2e-${randomBytes(24).toString('hex')}`;
  let temporal: TestTemporal;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startScreeningWorker>>;
  let api: Awaited<ReturnType<typeof serve>>;
  const requests: ScreeningRequestDeps = { client: undefined as unknown as Client, taskQueue, callbackUrl: '', waitMs: 1_500 };

  before(async () => {
    const env = testEnvironment();
    temporal = await connectTestTemporal();
    client = temporal.client;
    const signaler = createScreeningSignaler(client, {
      taskQueue,
      lifecycle: loadConfig({}).lifecycle,
      notifyPlatform: true,
      endedScreening: (token) => endedScreening(worker.db, token),
    });
    worker = await startScreeningWorker(temporal.connection, taskQueue, {
      client,
      signaler,
      standIn: { credentials: { secret: TEST_WEBHOOK_SECRET }, defaultSpeed: 600 },
    });
    requests.client = client;
    api = await serve(
      testApp({
        config: env.config({ SINGLEKEY_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET }),
        signaler,
        deliveryLog: (records) => appendDeliveryLog(worker.db, records),
        platform: { db: worker.db, keys: [{ key: apiKey, personal: true }], requests },
      }),
    );
    requests.callbackUrl = `${api.url}/webhooks/singlekey`;
  });

  after(async () => {
    await api?.close();
    await worker?.stop();
    await temporal?.close();
  });

  const post = (idempotencyKey: string, body: unknown) =>
    fetch(`${api.url}/screenings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      body: JSON.stringify(body),
    });
  const get = async (token: string) =>
    (await (await fetch(`${api.url}/screenings/${token}`, { headers: { Authorization: `Bearer ${apiKey}` } })).json()) as Record<string, unknown> & {
      status: string;
      milestones: Record<string, string | null>;
      effects_sent: string[];
    };
  const requestFor = (tenant: string, extra: Record<string, unknown> = {}) => ({
    external_customer_id: 'landlord-platform',
    external_tenant_id: tenant,
    ll_email: `${tenant}@landlord.test`,
    ten_first_name: 'Ada',
    ten_email: `${tenant}@tenant.test`,
    tenant_form: true,
    ...extra,
  });
  const statusOrder = ['requested', 'invited', 'form_opened', 'submitted', 'completed'];

  it('creates a screening through SingleKey with its own callback URL, follows it to completed, and tells the platform of every status once, in order, signed', async () => {
    const tenant = uniqueToken('tenant');
    const key = randomBytes(12).toString('hex');
    const response = await post(key, requestFor(tenant));
    assert.equal(response.status, 201, await response.clone().text());
    const created = (await response.json()) as { purchase_token: string; form_url: string; tenant_form_url: string; status: string };
    assert.equal(created.status, 'requested');
    assert.match(created.form_url, /\/form\//);
    assert.equal(response.headers.get('location'), `/screenings/${created.purchase_token}`);
    const token = created.purchase_token;
    assert.deepEqual(
      worker.singlekey.screenings().filter((s) => s.externalTenantId === tenant),
      [{ purchaseToken: token, externalTenantId: tenant, callbackUrl: requests.callbackUrl }],
    );

    // The same key and body: the same answer, and no second SingleKey request. Another body: refused.
    const again = await post(key, requestFor(tenant));
    assert.equal(again.status, 201);
    assert.deepEqual(await again.json(), created);
    const other = await post(key, requestFor(tenant, { ten_first_name: 'Grace' }));
    assert.equal(other.status, 409);
    assert.equal(other.headers.get('content-type'), 'application/problem+json');

    const screening = await eventually(
      () => get(token),
      (s) => s.status === 'completed' && s.effects_sent.includes('landlord_completed'),
      60_000,
    );
    const received = await eventually(
      async () => worker.singlekey.platformWebhooks.filter((w) => w.purchase_token === token),
      (hooks) => hooks.at(-1)?.status === 'completed',
      30_000,
    );
    const statuses = received.map((hook) => hook.status);
    // SingleKey may speak before the request's own answer is recorded: `requested` is then never a status.
    assert.deepEqual(
      statuses,
      statusOrder.filter((status) => statuses.includes(status)),
    );
    assert.ok(statuses.includes('invited') && statuses.includes('submitted'), `${statuses.join(' -> ')} ${JSON.stringify(received)}`);
    assert.ok(
      received.every((hook) => hook.verified),
      'every status webhook verifies with the platform secret',
    );
    assert.equal(new Set(received.map((hook) => hook.webhookId)).size, received.length);
    for (const status of statuses.filter((s) => s !== 'requested')) assert.ok(screening.milestones[`${status}_at`], `${status}_at is set`);
    assert.equal(screening.external_customer_id, 'landlord-platform');
    assert.ok(screening.milestones.requested_at);

    // The owner and contacts are the request's.
    const view = await client.workflow.getHandle(workflowIdFor(token)).query(statusQuery);
    assert.equal(view.externalCustomerId, 'landlord-platform');
  });

  it('keeps a request through a SingleKey outage and creates exactly one SingleKey screening once it is back', async () => {
    const tenant = uniqueToken('tenant-outage');
    const key = randomBytes(12).toString('hex');
    worker.singlekey.failRequests(503);
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const response = await post(key, requestFor(tenant));
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('retry-after'), '5');
        assert.match(((await response.json()) as { detail: string }).detail, /same Idempotency-Key/);
      }
      assert.equal(worker.singlekey.screenings().filter((s) => s.externalTenantId === tenant).length, 0);
    } finally {
      worker.singlekey.failRequests(undefined);
    }
    const created = await eventually(
      async () => {
        const response = await post(key, requestFor(tenant));
        return { status: response.status, body: (await response.json()) as { purchase_token?: string } };
      },
      (answer) => answer.status === 201,
      60_000,
    );
    const again = await post(key, requestFor(tenant));
    assert.equal(((await again.json()) as { purchase_token: string }).purchase_token, created.body.purchase_token);
    assert.deepEqual(
      worker.singlekey
        .screenings()
        .filter((s) => s.externalTenantId === tenant)
        .map((s) => s.purchaseToken),
      [created.body.purchase_token],
    );
  });

  it("answers 422 naming SingleKey's fields when SingleKey refuses the request, and the same again on a retry", async () => {
    const tenant = uniqueToken('tenant-invalid');
    const key = randomBytes(12).toString('hex');
    const body = requestFor(tenant, { ten_email: undefined });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await post(key, body);
      assert.equal(response.status, 422);
      const problem = (await response.json()) as { errors: { field: string }[] };
      assert.deepEqual(
        problem.errors.map((error) => error.field),
        ['ten_email'],
      );
    }
  });

  it("answers 422 for the service's own validation, 400 without an Idempotency-Key, 401 without a key", async () => {
    const invalid = await post('k-invalid', {
      external_customer_id: 'x',
      external_tenant_id: 'y',
      tenant_form: true,
      run_now: true,
      callback_url: 'http://evil.test',
    });
    assert.equal(invalid.status, 422);
    const fields = ((await invalid.json()) as { errors: { field: string }[] }).errors.map((error) => error.field).sort();
    assert.deepEqual(fields, ['(body)', 'tenant_form'].sort());
    const noKey = await fetch(`${api.url}/screenings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(noKey.status, 400);
    const noAuth = await fetch(`${api.url}/screenings`, {
      method: 'POST',
      headers: { 'Idempotency-Key': 'k', 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(noAuth.status, 401);
  });

  it('sends an e-mail that waited for a landlord address once the landlord is registered in the directory', async () => {
    const token = uniqueToken();
    const landlordId = `landlord-dir-${token}`;
    const email = `${token}@directory.test`;
    const signaler = createScreeningSignaler(client, { taskQueue, lifecycle: loadConfig({}).lifecycle });
    await signaler.signal(screeningEvent(token, 'screening.submitted', { externalCustomerId: landlordId, externalTenantId: 'tenant-dir' }));
    const handle = client.workflow.getHandle(workflowIdFor(token));
    await eventually(
      () => handle.query(statusQuery),
      (view) => view.effects.waiting.includes('notify_landlord:submitted'),
    );
    // Visibility lists the screening under its landlord once indexed.
    await eventually(
      async () => (await registerLandlord(worker.db, client, { externalCustomerId: landlordId, email })).screeningsTold,
      (told) => told === 1,
    );
    await eventually(
      async () => mailsTo(email),
      (mails) => mails.length === 1,
    );
    const view = await handle.query(statusQuery);
    assert.ok(view.effects.done.includes('notify_landlord:submitted'));
  });
});
