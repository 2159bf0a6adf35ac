import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { createActivities } from '../../activities';
import { createDb, type Db, migrateLatest } from '../../src/db';
import { registerSearchAttributes } from '../../src/temporal/search-attributes';
import { requireBinary } from '../../src/temporal-binaries';
import { type ScreeningEvent, screeningEventSignal, statusQuery, workflowIdFor } from '../../workflows/messages';
import { screeningWorkflow } from '../../workflows';
import { uniqueToken } from '../support/deliveries';
import { testEnvironment } from '../support/environment';

/** The screening workflow on the time-skipping test server, with its real activities on PostgreSQL. */
describe('screeningWorkflow', () => {
  let env: TestWorkflowEnvironment;
  let db: Db;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = 'screening-workflow-test';

  before(async () => {
    const test = testEnvironment();
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireBinary('testServer', test.config()) } },
    });
    await registerSearchAttributes(env.connection, 'default');
    db = createDb(test.databaseUrl);
    await migrateLatest(db);
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: createActivities({ db }),
    });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await db?.destroy();
    await env?.teardown();
  });

  function event(purchaseToken: string, type: ScreeningEvent['type'], dedupeKey: string): ScreeningEvent {
    const now = new Date().toISOString();
    return { type, sourceEvent: type, format: 'envelope', purchaseToken, dedupeKey, occurredAt: now, receivedAt: now, externalCustomerId: 'landlord-7' };
  }

  async function signal(purchaseToken: string, type: ScreeningEvent['type'], dedupeKey: string) {
    return env.client.workflow.signalWithStart(screeningWorkflow, {
      workflowId: workflowIdFor(purchaseToken),
      taskQueue,
      args: [{ purchaseToken }],
      signal: screeningEventSignal,
      signalArgs: [event(purchaseToken, type, dedupeKey)],
    });
  }

  it('applies a repeated delivery only once', async () => {
    const token = uniqueToken();
    const handle = await signal(token, 'invite.sent', 'wh_a');
    await signal(token, 'invite.sent', 'wh_a');
    await signal(token, 'form.opened', 'wh_b');
    await waitFor(async () => (await handle.query(statusQuery)).eventsApplied === 2);
    const view = await handle.query(statusQuery);
    assert.equal(view.status, 'form_opened');
    assert.equal(view.eventsApplied, 2);
  });

  it('records the screening in PostgreSQL and finishes on completion', async () => {
    const token = uniqueToken();
    await signal(token, 'invite.sent', 'wh_1');
    const handle = await signal(token, 'screening.completed', 'wh_2');
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    const row = await db('screenings').where({ purchase_token: token }).first();
    assert.equal(row.status, 'completed');
    assert.equal(row.external_customer_id, 'landlord-7');
    assert.equal(row.events_applied, 2);
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
