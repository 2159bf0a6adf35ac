import type { Client } from '@temporalio/client';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../../../src/http/app';
import { createMetrics } from '../../../src/metrics';
import { type DevServer, startTemporalDevServer } from '../../../devkit/embedded/temporal-dev-server';
import { connectClient } from '../../../src/temporal/connect';
import { createScreeningSignaler } from '../../../src/temporal/screening-signaler';
import { requireBinary } from '../../../devkit/temporal-binaries';
import { workflowIdFor } from '../../../workflows/messages';
import { deliver, signedDelivery, uniqueToken } from '../../../devkit/builders';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../../support/environment';
import { freePort } from '../../../devkit/embedded/free-port';
import { serve } from '../../support/serve';

/** While Temporal is down the endpoint answers 503 (SingleKey retries); once it is back, the retry lands. */
describe('webhook endpoint during a Temporal outage', function () {
  this.timeout(120_000);
  let temporal: DevServer | undefined;
  let client: Client;
  let server: Awaited<ReturnType<typeof serve>>;
  let url: string;
  let startServer: () => Promise<DevServer>;

  before(async () => {
    const env = testEnvironment();
    const config = env.config();
    const port = await freePort();
    startServer = () =>
      startTemporalDevServer({
        cliPath: requireBinary('cli', config),
        dir: path.join(env.root, 'outage-temporal'),
        port,
        uiPort: 0,
        namespace: 'default',
        ui: false,
      });
    temporal = await startServer();
    client = await connectClient(temporal.address, 'default');
    const app = createApp({
      config,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      signaler: createScreeningSignaler(client, { taskQueue: 'outage-test', lifecycle: config.lifecycle, deadlineMs: 2_000 }),
      readinessChecks: {},
    });
    server = await serve(app);
    url = `${server.url}/webhooks/singlekey`;
  });

  after(async () => {
    await server.close();
    await client.connection.close();
    await temporal?.stop();
  });

  it('answers 503 with Retry-After while Temporal is stopped, then 200 on the retry, keeping earlier screenings', async () => {
    const before = uniqueToken();
    const first = signedDelivery('invite.sent', { purchase_token: before }, TEST_WEBHOOK_SECRET);
    assert.equal((await deliver(url, first)).status, 200);

    await temporal!.stop();
    temporal = undefined;
    const during = uniqueToken();
    const delivery = signedDelivery('invite.sent', { purchase_token: during }, TEST_WEBHOOK_SECRET);
    const started = Date.now();
    const refused = await deliver(url, delivery);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '60');
    assert.equal(((await refused.json()) as { error: string }).error, 'temporarily_unavailable');
    assert.ok(Date.now() - started < 10_000, 'answered well inside SingleKey 30 s timeout');

    temporal = await startServer();
    // SingleKey's retry: the same bytes again (the timestamp is still inside the tolerance).
    const retried = await deliver(url, delivery);
    assert.equal(retried.status, 200);
    await client.workflow.getHandle(workflowIdFor(during)).describe();
    const earlier = await client.workflow.getHandle(workflowIdFor(before)).describe();
    assert.equal(earlier.status.name, 'RUNNING');
  });
});
