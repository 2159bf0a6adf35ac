import { TestWorkflowEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config';
import { registerSearchAttributes } from '../../src/temporal/search-attributes';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { requireBinary } from '../../devkit/temporal-binaries';
import { statusQuery, workflowIdFor } from '../../workflows/messages';
import { startControllableSmtp } from '../support/controllable-smtp';
import { screeningEvent, uniqueToken } from '../../devkit/builders';
import { testEnvironment } from '../support/environment';
import { freePort } from '../../devkit/embedded/free-port';
import { eventually, startScreeningWorker } from '../support/screening-worker';

/**
 * A completion while the SMTP server is down for ten minutes (time skipped): the e-mail effect
 * stays pending, the activity retries with backoff, the ledger row stays `pending` and counts the
 * attempts, and once SMTP is back exactly one e-mail goes out.
 */
describe('completion during a ten-minute SMTP outage (time-skipping)', function () {
  this.timeout(120_000);
  const taskQueue = 'smtp-outage-test';
  let env: TestWorkflowEnvironment;
  let port: number;
  let smtp: Awaited<ReturnType<typeof startControllableSmtp>> | undefined;
  let worker: Awaited<ReturnType<typeof startScreeningWorker>>;

  before(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireBinary('testServer', testEnvironment().config()) } },
    });
    await registerSearchAttributes(env.connection, 'default');
    port = await freePort();
    worker = await startScreeningWorker(env.nativeConnection, taskQueue, { smtpUrl: `smtp://127.0.0.1:${port}` });
  });

  after(async () => {
    await worker?.stop();
    await smtp?.close();
    await env?.teardown();
  });

  it('keeps the landlord e-mail pending while SMTP is down and sends it exactly once when it is back', async () => {
    const token = uniqueToken();
    worker.singlekey.ready(token, 712);
    const completed = screeningEvent(token, 'screening.completed', { score: 712, landlord: { email: `${token}@landlord.test` } });
    await createScreeningSignaler(env.client, { taskQueue, lifecycle: loadConfig({}).lifecycle }).signal(completed);
    const handle = env.client.workflow.getHandle(workflowIdFor(token));
    const ledger = () => worker.db('notifications').where({ purchase_token: token, kind: 'landlord_completed' }).first();

    await eventually(ledger, (row) => row?.attempts >= 1);
    await env.sleep('10m');
    const during = await ledger();
    const view = await handle.query(statusQuery);
    assert.equal(view.status, 'completed');
    assert.ok(view.effects.pending.includes('notify_landlord:completed'));
    assert.ok(view.effects.done.includes('fetch_report:full'), 'the report archive does not wait for mail');
    assert.equal(during.status, 'pending');
    assert.ok(during.attempts >= 5, `attempts during the outage: ${during.attempts}`);
    assert.match(during.error, /ECONNREFUSED/);

    smtp = await startControllableSmtp(port);
    await env.sleep('6m');
    const after = await eventually(ledger, (row) => row?.status === 'sent');
    assert.equal(smtp.received.length, 1);
    assert.equal(smtp.received[0]?.messageId, `<landlord_completed.${token}@example.test>`);
    assert.equal(after.attempts, during.attempts + 1);
    const done = await eventually(
      () => handle.query(statusQuery),
      (v) => v.effects.pending.length === 0,
    );
    assert.ok(done.effects.done.includes('notify_landlord:completed'));
  });
});
