import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import getRawBody from 'raw-body';
import { startReceiverGate } from '../../../devkit/simulator/receiver-gate';
import { scenarios, stepsIn } from '../../../devkit/stand-in/scenarios';
import type { ReceivedStatusWebhook } from '../../../devkit/stand-in/platform-receiver';
import { type SingleKeyStandIn, startSingleKeyStandIn } from '../../../devkit/stand-in/server';
import { retryScheduleMinutes } from '../../../devkit/stand-in/webhook-sender';
import { authenticate } from '../../../src/webhook/authenticate';
import { parseDelivery } from '../../../src/webhook/parse-delivery';
import { signedHeaders } from '../../../src/platform/status-webhook';

const secret = 'whsec_stand_in_test';
const handshakeToken = 'hst_stand_in_test';

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** A webhook receiver that records every request and answers with `answer(n)` (n = 1, 2, ...). */
async function receiver(answer: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    void getRawBody(req).then((body) => {
      received.push({ url: req.url ?? '', headers: req.headers, body, at: Date.now() });
      res.writeHead(answer(received.length), { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ received: true, outcome: 'accepted' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/singlekey`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function call(standIn: SingleKeyStandIn, path: string, body?: unknown, token = standIn.token) {
  const response = await fetch(`${standIn.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Token ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, json: type.includes('json') ? ((await response.json()) as Record<string, unknown>) : undefined };
}

async function waitForFinish(standIn: SingleKeyStandIn, purchaseToken: string) {
  for (let i = 0; i < 200; i++) {
    const log = (await call(standIn, `/stand-in/screenings/${purchaseToken}`)).json!;
    if (log.finished) return log as { attempts: { event: string; attempt: number; minute: number; result: string; status?: number }[] };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('playback did not finish');
}

/** The service's own parser must turn the bytes into a lifecycle event (not an unknown one, not an error). */
function parsedEvent(body: Buffer, queryPurchaseToken?: string) {
  // Portal deliveries come with ?pt= and the Handshake-Token; the others are signed.
  const parsed = parseDelivery(body, { receivedAt: new Date(), queryPurchaseToken, authenticatedBy: queryPurchaseToken ? 'handshake' : 'hmac' });
  if (!parsed.ok || !('event' in parsed)) throw new Error(`not a lifecycle event: ${JSON.stringify(parsed)}`);
  return parsed.event;
}

const request = (callbackUrl: string, extra: Record<string, unknown> = {}) => ({
  external_customer_id: 'landlord-1',
  external_tenant_id: 'tenant-1',
  callback_url: callbackUrl,
  ll_email: 'landlord@example.test',
  ten_email: 'tenant@example.test',
  tenant_form: true,
  stand_in_speed: 60_000, // one SingleKey minute per millisecond
  ...extra,
});

describe('SingleKey stand-in', () => {
  let standIn: SingleKeyStandIn;
  /** The webhook receiver of the running test, if it needs one. */
  let target: Awaited<ReturnType<typeof receiver>> | undefined;

  afterEach(async () => {
    await standIn?.close();
    await target?.close();
    target = undefined;
  });

  it('refuses a call without the right Authorization: Token header', async () => {
    standIn = await startSingleKeyStandIn({ credentials: { secret } });
    assert.equal((await call(standIn, '/api/report/abc', undefined, 'wrong')).status, 401);
    const bare = await fetch(`${standIn.url}/api/report/abc`);
    assert.equal(bare.status, 401);
  });

  it('answers 400 with errors naming each invalid field of POST /api/request', async () => {
    standIn = await startSingleKeyStandIn({ credentials: { secret } });
    const answer = await call(standIn, '/api/request', { external_tenant_id: 't', ten_email: 'not-an-address', stand_in_scenario: 'nope' });
    assert.equal(answer.status, 400);
    const errors = (answer.json!.errors as string[]).join('\n');
    assert.match(errors, /external_customer_id/);
    assert.match(errors, /ten_email/);
    assert.match(errors, /stand_in_scenario/);
  });

  it('plays the happy scenario as signed envelope deliveries the service authenticates and parses', async () => {
    target = await receiver();
    standIn = await startSingleKeyStandIn({ credentials: { secret } });
    const answer = await call(standIn, '/api/request', request(target.url));
    assert.equal(answer.status, 200);
    const token = answer.json!.purchase_token as string;
    assert.match(token, /^[0-9a-f]{32}$/);
    assert.match(answer.json!.form_url as string, new RegExp(token));
    await waitForFinish(standIn, token);

    // At this speed the deliveries overlap in flight, so they are compared as a set.
    assert.deepEqual(
      target.received.map((r) => JSON.parse(r.body.toString()).event as string).sort(),
      scenarios.happy!.steps.map((step) => step.event as string).sort(),
    );
    for (const delivery of target.received) {
      assert.equal(delivery.headers['user-agent'], 'SingleKey-Webhook/1.0');
      assert.equal(delivery.headers['x-singlekey-event'], JSON.parse(delivery.body.toString()).event);
      const auth = authenticate(
        {
          rawBody: delivery.body,
          signature: delivery.headers['x-singlekey-signature'] as string,
          timestamp: delivery.headers['x-singlekey-timestamp'] as string,
        },
        { secrets: ['another-secret', secret], toleranceSeconds: 5 },
      );
      assert.deepEqual(auth, { ok: true, method: 'hmac', secretIndex: 1 });
      assert.equal(parsedEvent(delivery.body).purchaseToken, token);
    }
    const completion = parsedEvent(target.received.find((r) => r.body.includes('screening.completed'))!.body);
    assert.equal(completion.score, 742);
    assert.equal(completion.recommendation, 'approved');
    assert.equal(completion.landlord?.email, 'landlord@example.test');
  });

  it('plays the flat layout and the partner-portal format (with ?pt= and Handshake-Token, steps it cannot express left out)', async () => {
    target = await receiver();
    standIn = await startSingleKeyStandIn({ credentials: { secret, handshakeToken } });
    const flat = (await call(standIn, '/api/request', request(target.url, { stand_in_format: 'flat' }))).json!.purchase_token as string;
    await waitForFinish(standIn, flat);
    const flatBodies = target.received.map((r) => JSON.parse(r.body.toString()) as { data: Record<string, unknown> });
    const flatOf = (event: string) => flatBodies.find((body) => (body as { event?: string }).event === event)!.data;
    assert.equal(flatOf('screening.completed').singlekey_score, 742);
    assert.equal(flatOf('invite.sent').tenant_email, 'tenant@example.test');
    assert.equal(flatOf('invite.sent').tenant, undefined);

    target.received.length = 0;
    const portal = (await call(standIn, '/api/request', request(target.url, { stand_in_format: 'portal' }))).json!.purchase_token as string;
    await waitForFinish(standIn, portal);
    assert.equal(target.received.length, stepsIn(scenarios.happy!, 'portal').length);
    for (const delivery of target.received) {
      assert.equal(delivery.headers['handshake-token'], handshakeToken);
      assert.equal(delivery.headers['x-singlekey-signature'], undefined);
      assert.equal(new URL(delivery.url, 'http://x').searchParams.get('pt'), portal);
      assert.equal(parsedEvent(delivery.body, portal).format, 'portal');
    }
    assert.deepEqual(target.received.map((r) => JSON.parse(r.body.toString()).detail as string).sort(), [
      'Report Complete',
      'Report in Progress',
      'Request sent to tenant',
      'Tenant email opened',
    ]);
  });

  it('refuses to play what the format cannot tell, or what it has no credentials to sign', async () => {
    standIn = await startSingleKeyStandIn({ credentials: { secret } });
    const failedPortal = await call(standIn, '/api/request', request('http://127.0.0.1:9/x', { stand_in_scenario: 'failed', stand_in_format: 'portal' }));
    assert.equal(failedPortal.status, 400);
    assert.match((failedPortal.json!.errors as string[])[0]!, /no failure event/);
    const portal = await call(standIn, '/api/request', request('http://127.0.0.1:9/x', { stand_in_format: 'portal' }));
    assert.match((portal.json!.errors as string[])[0]!, /no handshake token/);
  });

  it("retries 5xx at SingleKey's schedule (0, 1, 5, 30, 120, 720 minutes), then abandons the delivery", async () => {
    target = await receiver(() => 503);
    standIn = await startSingleKeyStandIn({ credentials: { secret } });
    const token = (await call(standIn, '/api/request', request(target.url, { stand_in_scenario: 'abandoned', stand_in_speed: 120_000 }))).json!
      .purchase_token as string;
    const log = await waitForFinish(standIn, token);
    assert.deepEqual(
      log.attempts.map((a) => a.attempt),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      log.attempts.map((a) => a.result),
      ['retrying', 'retrying', 'retrying', 'retrying', 'retrying', 'abandoned'],
    );
    // Each attempt goes out no earlier than the schedule says, give or take the 1 ms granularity
    // of Node's timers (2 SingleKey minutes at this speed); a loaded machine only makes them later.
    let due = 0;
    log.attempts.forEach((attempt, i) => {
      due += retryScheduleMinutes[i]!;
      assert.ok(attempt.minute >= due - 2, `attempt ${i + 1} at minute ${attempt.minute}, due ${due}`);
    });
    assert.ok(log.attempts[5]!.minute - log.attempts[4]!.minute >= 720 - 2, 'the last wait is 12 hours');
    assert.equal(target.received.length, 6);
    assert.equal(new Set(target.received.map((r) => r.body.toString())).size, 1, 'every attempt sends the same bytes');
  });

  it('does not retry a 4xx answer', async () => {
    target = await receiver(() => 401);
    standIn = await startSingleKeyStandIn({ credentials: { secret } });
    const token = (await call(standIn, '/api/request', request(target.url, { stand_in_scenario: 'abandoned' }))).json!.purchase_token as string;
    const log = await waitForFinish(standIn, token);
    assert.deepEqual(
      log.attempts.map((a) => [a.status, a.result]),
      [[401, 'refused']],
    );
  });

  it("answers the report API from how far the screening's scenario has got", async () => {
    let now = Date.parse('2026-11-29T12:00:00Z');
    standIn = await startSingleKeyStandIn({ credentials: { secret }, now: () => now });
    const token = (
      await call(standIn, '/api/request', { external_customer_id: 'l', external_tenant_id: 't', stand_in_scenario: 'missed-completion', stand_in_speed: 60 })
    ).json!.purchase_token as string;
    const report = async () => (await call(standIn, `/api/report/${token}`)).json!;
    assert.deepEqual(await report(), { success: false, detail: 'Waiting for tenant' });
    assert.equal((await call(standIn, `/api/report_pdf/${token}`)).status, 404);
    now += 13 * 1000; // SingleKey minute 13 at speed 60: submitted
    assert.deepEqual(await report(), { success: false, detail: 'Report in Progress' });
    now += 8 * 1000; // minute 21: the report is ready although no completion webhook was sent
    const ready = await report();
    assert.equal(ready.success, true);
    assert.equal(ready.singlekey_score, 742);
    assert.equal(ready.external_customer_id, 'l');
    const pdf = await fetch(`${standIn.url}/api/report_pdf/${token}`, { headers: { Authorization: `Token ${standIn.token}` } });
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
      '%PDF-',
    );
  });

  it('reports an unrecoverable failure as errors', async () => {
    let now = Date.parse('2026-11-29T12:00:00Z');
    standIn = await startSingleKeyStandIn({ credentials: { secret }, now: () => now });
    const token = (await call(standIn, '/api/request', { external_customer_id: 'l', external_tenant_id: 't', stand_in_scenario: 'failed', stand_in_speed: 60 }))
      .json!.purchase_token as string;
    now += 19 * 1000;
    assert.deepEqual((await call(standIn, `/api/report/${token}`)).json, {
      success: false,
      detail: 'Report could not be completed',
      errors: ['identity_verification_failed'],
    });
  });
});

describe('receiver gate (the outage scenario)', () => {
  it('answers 503 with Retry-After while down, then forwards body, headers and query unchanged', async () => {
    const target = await receiver();
    const gate = await startReceiverGate(target.url, 300);
    try {
      const post = () =>
        fetch(`${gate.url}?pt=abc`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-SingleKey-Signature': 'f00' }, body: '{"a":1}' });
      const down = await post();
      assert.equal(down.status, 503);
      assert.equal(down.headers.get('retry-after'), '60');
      assert.equal(target.received.length, 0);
      await new Promise((resolve) => setTimeout(resolve, 350));
      const up = await post();
      assert.equal(up.status, 200);
      assert.deepEqual(await up.json(), { received: true, outcome: 'accepted' });
      assert.equal(target.received[0]!.body.toString(), '{"a":1}');
      assert.equal(target.received[0]!.headers['x-singlekey-signature'], 'f00');
      assert.equal(target.received[0]!.url, '/webhooks/singlekey?pt=abc');
    } finally {
      await gate.close();
      await target.close();
    }
  });
});

describe("the stand-in's platform receiver (status webhooks)", () => {
  const platformSecret = `whsec_${Buffer.alloc(24, 3).toString('base64')}`;
  let standIn: SingleKeyStandIn;
  afterEach(() => standIn.close());

  const event = (token: string, status: 'invited' | 'completed') => ({
    type: 'screening.status_changed',
    timestamp: new Date().toISOString(),
    data: { purchase_token: token, status },
  });
  /** POSTs `body` signed by the service's own signer, with `sentBody` on the wire (a tampered copy when different). */
  const post = (body: string, options: { secret?: string; sentBody?: string; id?: string } = {}) =>
    fetch(standIn.platformWebhookUrl, {
      method: 'POST',
      headers: signedHeaders(options.secret ?? platformSecret, options.id ?? 'scr_pt1_invited', body, new Date()),
      body: options.sentBody ?? body,
    });

  it('answers 204 to a delivery its secret verifies, without the API token, and lists it by purchase token', async () => {
    standIn = await startSingleKeyStandIn({ platformWebhookSecret: platformSecret });
    assert.equal((await post(JSON.stringify(event('pt1', 'invited')))).status, 204);
    assert.equal((await post(JSON.stringify(event('pt2', 'completed')), { id: 'scr_pt2_completed' })).status, 204);
    const listed = await call(standIn, '/stand-in/platform-webhooks?purchase_token=pt1');
    assert.deepEqual(
      (listed.json!.webhooks as ReceivedStatusWebhook[]).map(({ webhookId, type, status, purchase_token, verified, answered }) => ({
        webhookId,
        type,
        status,
        purchase_token,
        verified,
        answered,
      })),
      [{ webhookId: 'scr_pt1_invited', type: 'screening.status_changed', status: 'invited', purchase_token: 'pt1', verified: true, answered: 204 }],
    );
    assert.equal(standIn.platformWebhooks.length, 2);
    assert.equal((await call(standIn, '/stand-in/platform-webhooks', undefined, 'wrong')).status, 401);
  });

  it('answers 401 to a tampered body, another secret, or any delivery when it has no secret, recording each as not verified', async () => {
    standIn = await startSingleKeyStandIn({ platformWebhookSecret: platformSecret });
    const body = JSON.stringify(event('pt1', 'invited'));
    assert.equal((await post(body, { sentBody: body.replace('invited', 'completed') })).status, 401);
    assert.equal((await post(body, { secret: `whsec_${Buffer.alloc(24, 4).toString('base64')}` })).status, 401);
    assert.deepEqual(
      standIn.platformWebhooks.map((w) => [w.verified, w.answered]),
      [
        [false, 401],
        [false, 401],
      ],
    );
    await standIn.close();
    standIn = await startSingleKeyStandIn();
    assert.equal((await post(body)).status, 401);
  });

  it('answers 503 to the next n verified deliveries after failPlatformWebhooks(n), then 204 again', async () => {
    standIn = await startSingleKeyStandIn({ platformWebhookSecret: platformSecret });
    standIn.failPlatformWebhooks(2, 503, 30);
    const body = JSON.stringify(event('pt1', 'invited'));
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const response = await post(body);
      answers.push([response.status, response.headers.get('retry-after')]);
    }
    assert.deepEqual(answers, [
      [503, '30'],
      [503, '30'],
      [204, null],
    ]);
  });
});
