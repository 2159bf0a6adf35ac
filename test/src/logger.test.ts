import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { withPurchaseToken } from '../../src/temporal/worker';
import { deliver, signedDelivery, uniqueToken } from '../../devkit/builders';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../support/environment';
import { serve } from '../support/serve';
import { workflowIdFor } from '../../workflows/messages';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ logLevel: 'debug' }, 'test', destination), lines };
}

describe('logs', () => {
  it('names the purchase token on worker lines, from the workflow id', () => {
    assert.deepEqual(withPurchaseToken({ workflowId: 'screening-pt_9', activityType: 'notifyLandlord' }), {
      workflowId: 'screening-pt_9',
      activityType: 'notifyLandlord',
      purchaseToken: 'pt_9',
    });
    assert.deepEqual(withPurchaseToken({ sdkComponent: 'worker' }), { sdkComponent: 'worker' });
  });

  it('redacts personal fields wherever a log call passes them', async () => {
    const { logger, lines } = capturingLogger();
    logger.info(
      { email: 'a@example.com', tenant: { email: 'b@example.com', first_name: 'Ada' }, event: { landlord: { phone: '555' } }, purchaseToken: 'pt_1' },
      'x',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    for (const secret of ['a@example.com', 'b@example.com', 'Ada', '555']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.equal(lines[0]?.purchaseToken, 'pt_1');
  });

  it('gives every line of a webhook request its request id and purchase token, and none of its personal data', async () => {
    const { logger, lines } = capturingLogger();
    const token = uniqueToken();
    const app = createApp({
      config: testEnvironment().config(),
      logger,
      metrics: createMetrics(),
      signaler: { signal: async (event) => ({ outcome: 'signalled', workflowId: workflowIdFor(event.purchaseToken) }) },
      readinessChecks: {},
    });
    const server = await serve(app);
    try {
      const delivery = signedDelivery(
        'screening.completed',
        { purchase_token: token, tenant: { email: 'tenant@example.com', first_name: 'Grace', phone: '+15550100' } },
        TEST_WEBHOOK_SECRET,
      );
      const response = await deliver(`${server.url}/webhooks/singlekey`, { ...delivery, headers: { ...delivery.headers, 'X-Request-Id': 'req-123' } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-request-id'), 'req-123');
    } finally {
      await server.close();
    }
    const requestLines = lines.filter((line) => line.reqId === 'req-123');
    assert.ok(requestLines.length >= 2, JSON.stringify(lines));
    const accepted = requestLines.find((line) => line.msg === 'webhook accepted');
    assert.equal(accepted?.purchaseToken, token);
    const text = JSON.stringify(lines);
    for (const secret of ['tenant@example.com', 'Grace', '+15550100']) assert.ok(!text.includes(secret), `${secret} leaked`);
  });
});
