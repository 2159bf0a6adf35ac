import type { Client } from '@temporalio/client';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pino from 'pino';
import { createApp } from '../../../src/http/app';
import { createMetrics } from '../../../src/metrics';
import { connectClient } from '../../../src/temporal/connect';
import { createScreeningSignaler } from '../../../src/temporal/screening-signaler';
import { signedRequest } from '../../../devkit/builders';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../../support/environment';
import { serve } from '../../support/serve';

const HANDSHAKE = 'fuzz-handshake-token';
const eventNames = [
  'invite.sent',
  'invite.opened',
  'form.opened',
  'screening.submitted',
  'screening.payment_captured',
  'screening.completed',
  'screening.failed',
  'screening.archived',
  '',
];
const details = ['Request sent to tenant', 'Tenant email opened', 'Report in Progress', 'Partial Report Complete', 'Report Complete', 'Something else'];
const headerText = fc.stringMatching(/^[\x21-\x7e]{0,80}$/);
const token = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double(), fc.array(fc.string(), { maxLength: 3 }));

/** Bodies from pure noise to nearly valid, weighted so that every layer of the edge gets exercised. */
const bodyArbitrary = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          event: fc.constantFrom(...eventNames),
          timestamp: fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.string(),
          ),
          webhook_id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant(undefined)),
          data: fc.record(
            {
              purchase_token: token,
              external_customer_id: anyValue,
              singlekey_score: anyValue,
              tenant: fc.oneof(fc.record({ email: anyValue, first_name: anyValue }), anyValue),
              result: fc.oneof(fc.record({ singlekey_score: anyValue, recommendation: anyValue }), anyValue),
              failure: fc.oneof(fc.record({ reason: anyValue, recoverable: anyValue, errors: anyValue }), anyValue),
              payment: fc.oneof(fc.record({ amount: anyValue, currency: anyValue }), anyValue),
              completed_at: anyValue,
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: ['event'] },
      )
      .map((value) => JSON.stringify(value)),
  },
  {
    weight: 2,
    arbitrary: fc.record({ detail: fc.constantFrom(...details), purchase_token: token }, { requiredKeys: ['detail'] }).map((value) => JSON.stringify(value)),
  },
);

const requestArbitrary = fc.record({
  body: bodyArbitrary,
  contentType: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded') },
  ),
  signature: fc.oneof({ weight: 6, arbitrary: fc.constant('valid') }, { weight: 1, arbitrary: fc.constantFrom('random-hex', 'text', 'none') }),
  randomText: headerText,
  timestamp: fc.oneof(
    { weight: 8, arbitrary: fc.constant('now') },
    { weight: 1, arbitrary: fc.constant('none') },
    { weight: 1, arbitrary: fc.integer({ min: -1_000, max: 1_000 }).map(String) },
    { weight: 1, arbitrary: headerText },
  ),
  handshake: fc.constantFrom('valid', 'wrong', 'none'),
  pt: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: headerText }),
});

/** At least 1,000 random bodies and header sets per run against the real edge and Temporal dev server. */
describe('webhook endpoint under random input (fast-check)', function () {
  this.timeout(300_000);
  let client: Client;
  let server: Awaited<ReturnType<typeof serve>>;
  let base: string;

  before(async () => {
    const env = testEnvironment();
    client = await connectClient(env.temporalAddress, 'default');
    const app = createApp({
      config: env.config({ SINGLEKEY_HANDSHAKE_TOKEN: HANDSHAKE }),
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      signaler: createScreeningSignaler(client, { taskQueue: 'fuzz-test', lifecycle: env.config().lifecycle }),
      readinessChecks: {},
    });
    server = await serve(app);
    base = server.url;
  });

  after(async () => {
    await server.close();
    await client.connection.close();
  });

  it('answers every request with a 2xx or 4xx and a JSON body, and stays healthy', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async (request) => {
        // SingleKey's headers for these bytes, then the signature and timestamp kept, replaced or dropped as drawn.
        const headers: Record<string, string> = { ...signedRequest(request.body, TEST_WEBHOOK_SECRET).headers, 'Content-Type': request.contentType };
        if (request.signature === 'random-hex') headers['X-SingleKey-Signature'] = 'ab'.repeat(32);
        if (request.signature === 'text') headers['X-SingleKey-Signature'] = request.randomText;
        if (request.signature === 'none') delete headers['X-SingleKey-Signature'];
        if (request.timestamp === 'none') delete headers['X-SingleKey-Timestamp'];
        else if (request.timestamp !== 'now') headers['X-SingleKey-Timestamp'] = request.timestamp;
        if (request.handshake !== 'none') headers['Handshake-Token'] = request.handshake === 'valid' ? HANDSHAKE : 'wrong';
        const query = request.pt === undefined ? '' : `?pt=${encodeURIComponent(request.pt)}`;
        const response = await fetch(`${base}/webhooks/singlekey${query}`, { method: 'POST', body: request.body, headers });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        assert.ok((response.status >= 200 && response.status < 300) || (response.status >= 400 && response.status < 500), `status ${response.status}: ${text}`);
        assert.doesNotThrow(() => JSON.parse(text), `not JSON: ${text}`);
      }),
      { numRuns: 1_000 },
    );
    assert.ok((statuses.get(200) ?? 0) > 0, `no request got through: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(401) ?? 0) > 0, JSON.stringify([...statuses]));
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });
});
