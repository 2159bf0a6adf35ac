import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config';
import { connectClient } from '../../src/temporal/connect';
import { endedScreening } from '../../src/db/read-model';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { type ScreeningEvent, statusQuery, workflowIdFor } from '../../workflows/messages';
import { screeningEvent, uniqueToken } from '../../devkit/builders';
import { SUGGEST_CONTINUE_AS_NEW_AT, testEnvironment } from '../support/environment';
import { startControllableSmtp } from '../support/controllable-smtp';
import { eventually, mailsTo, startScreeningWorker } from '../support/screening-worker';

/** Whole lifecycles on the real dev server: reordering, duplicates, continue-as-new. */
describe('screening lifecycle on the dev server', function () {
  this.timeout(180_000);
  const taskQueue = 'screening-lifecycle-test';
  let connection: NativeConnection;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startScreeningWorker>>;
  let signaler: ReturnType<typeof createScreeningSignaler>;

  before(async () => {
    const env = testEnvironment();
    connection = await NativeConnection.connect({ address: env.temporalAddress });
    client = await connectClient(env.temporalAddress, 'default');
    worker = await startScreeningWorker(connection, taskQueue);
    signaler = createScreeningSignaler(client, { taskQueue, lifecycle: loadConfig({}).lifecycle });
  });

  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await connection?.close();
  });

  const event = (token: string, type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}) =>
    screeningEvent(token, type, { externalCustomerId: 'landlord-42', externalTenantId: 'tenant-42', ...extra });

  it('completes a lifecycle delivered out of order with duplicates, e-mailing the landlord once per milestone', async () => {
    const token = uniqueToken();
    const landlord = `${token}@landlord.test`;
    worker.singlekey.ready(token, 755);
    const lifecycle = [
      event(token, 'invite.sent', { landlord: { email: landlord } }),
      event(token, 'form.opened'),
      event(token, 'screening.submitted'),
      event(token, 'screening.payment_captured'),
      event(token, 'screening.completed', { score: 755, recommendation: 'approved' }),
    ];
    const deliveries = [lifecycle[4]!, lifecycle[2]!, lifecycle[4]!, lifecycle[0]!, lifecycle[3]!, lifecycle[1]!, lifecycle[2]!, lifecycle[4]!];
    for (const delivery of deliveries) assert.equal((await signaler.signal(delivery)).outcome, 'signalled');

    const handle = client.workflow.getHandle(workflowIdFor(token));
    const view = await eventually(
      () => handle.query(statusQuery),
      (v) => v.duplicatesIgnored === 3 && v.effects.pending.length === 0,
    );
    assert.equal(view.status, 'completed');
    assert.equal(view.score, 755);
    assert.deepEqual(view.effects.done.sort(), ['fetch_report:full', 'notify_landlord:completed']);
    assert.deepEqual(view.effects.superseded, ['notify_landlord:submitted']);
    assert.deepEqual(mailsTo(landlord), ['Screening report ready: applicant tenant-42']);

    const row = await eventually(
      () => worker.db('screenings').where({ purchase_token: token }).first(),
      (r) => r?.version === view.version,
    );
    assert.equal(row.status, 'completed');
    assert.equal(row.singlekey_score, 755);
    const listed = [];
    for await (const execution of client.workflow.list({ query: `ScreeningStatus = "completed" AND WorkflowId = "${workflowIdFor(token)}"` }))
      listed.push(execution);
    assert.equal(listed.length, 1);
  });

  it('absorbs 1,000 duplicate deliveries, continuing as new with its state when Temporal suggests it', async () => {
    const token = uniqueToken();
    const landlord = `${token}@landlord.test`;
    const submitted = event(token, 'screening.submitted', { landlord: { email: landlord } });
    assert.equal((await signaler.signal(submitted)).outcome, 'signalled');
    const handle = client.workflow.getHandle(workflowIdFor(token));
    const first = await handle.describe();
    for (let i = 0; i < 1_000; i += 1) await signaler.signal(submitted);

    const view = await eventually(
      () => handle.query(statusQuery),
      (v) => v.duplicatesIgnored === 1_000,
      60_000,
    );
    assert.equal(view.status, 'submitted');
    assert.deepEqual(view.effects.done, ['notify_landlord:submitted']);
    assert.deepEqual(mailsTo(landlord), ['Application submitted: applicant tenant-42']);
    const latest = await handle.describe();
    assert.notEqual(latest.runId, first.runId, 'expected at least one continue-as-new');
    assert.ok((latest.historyLength ?? 0) < SUGGEST_CONTINUE_AS_NEW_AT * 1.5, `history of the current run: ${latest.historyLength}`);
  });

  it('lets an e-mail in flight finish before continuing as new, rather than starting it again in the next run', async () => {
    const slowSmtp = await startControllableSmtp();
    slowSmtp.delayMs = 8_000;
    const slowQueue = `${taskQueue}-slow-smtp`;
    const slowWorker = await startScreeningWorker(connection, slowQueue, { smtpUrl: slowSmtp.url });
    try {
      const token = uniqueToken();
      const slowSignaler = createScreeningSignaler(client, { taskQueue: slowQueue, lifecycle: loadConfig({}).lifecycle });
      const submitted = event(token, 'screening.submitted', { landlord: { email: `${token}@landlord.test` } });
      await slowSignaler.signal(submitted);
      // Enough repeats for Temporal to suggest continue-as-new while the e-mail is still being sent.
      for (let i = 0; i < 600; i += 1) await slowSignaler.signal(submitted);
      const handle = client.workflow.getHandle(workflowIdFor(token));
      const view = await eventually(
        () => handle.query(statusQuery),
        (v) => v.duplicatesIgnored === 600 && v.effects.done.includes('notify_landlord:submitted'),
        90_000,
      );
      assert.equal(view.status, 'submitted');

      const scheduled: string[] = [];
      let runs = 0;
      for await (const run of client.workflow.list({ query: `WorkflowId = "${workflowIdFor(token)}"` })) {
        runs += 1;
        const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        // E-mails are local activities: each attempt that finished is a marker naming its activity type.
        for (const e of history.events ?? []) {
          const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
          if (data) scheduled.push((JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type);
        }
      }
      assert.ok(runs >= 2, `expected a continue-as-new, found ${runs} run(s)`);
      assert.equal(scheduled.filter((name) => name === 'notifyLandlord').length, 1, `local activities recorded: ${scheduled.join(', ')}`);
      assert.equal(slowSmtp.received.filter((mail) => mail.to.includes(`${token}@landlord.test`)).length, 1);
    } finally {
      await slowWorker.stop();
      await slowSmtp.close();
    }
  });

  it('reopens an ended screening for a completion that comes after its workflow closed, e-mailing and archiving once', async () => {
    const token = uniqueToken();
    const landlord = `${token}@landlord.test`;
    const lifecycle = { reminderSchedule: ['1h'], screeningExpiry: '1s', completionSla: '1h', submittedMaxAge: '1d', dedupeWindow: '1s' };
    const readModelAware = createScreeningSignaler(client, {
      taskQueue,
      lifecycle,
      endedScreening: (purchaseToken) => endedScreening(worker.db, purchaseToken),
    });
    await readModelAware.signal(event(token, 'invite.sent', { landlord: { email: landlord } }));
    const handle = client.workflow.getHandle(workflowIdFor(token));
    assert.equal((await handle.result()).status, 'expired');
    await eventually(
      () => endedScreening(worker.db, token),
      (ended) => ended?.status === 'expired',
    );

    worker.singlekey.ready(token, 777);
    const completion = event(token, 'screening.completed', { score: 777 });
    assert.equal((await readModelAware.signal(completion)).outcome, 'reopened');
    const row = await eventually(
      () => worker.db('screenings').where({ purchase_token: token }).first(),
      (r) => r?.status === 'completed',
    );
    assert.equal(row.singlekey_score, 777);
    await eventually(
      () => worker.db('reports').where({ purchase_token: token, scope: 'full' }).first(),
      (r) => r?.pdf !== null && r !== undefined,
    );
    await eventually(
      async () => mailsTo(landlord, 'Screening report ready'),
      (mails) => mails.length === 1,
    );

    await client.workflow.getHandle(workflowIdFor(token)).result();
    assert.equal((await readModelAware.signal(completion)).outcome, 'late', 'a repeat after the reopened run closed changes nothing');
    assert.deepEqual(mailsTo(landlord), ['Screening invitation expired: applicant tenant-42', 'Screening report ready: applicant tenant-42']);
  });
});
