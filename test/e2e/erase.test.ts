import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { screeningEvent, uniqueToken } from '../../devkit/builders';
import { projectRoot } from '../../devkit/temporal-binaries';
import { loadConfig } from '../../src/config';
import { testApp } from '../support/test-app';
import { signReportLink } from '../../src/reports/report-link';
import { endedScreening } from '../../src/db/read-model';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { CLEANUP_SCHEDULE_ID, ensureCleanupSchedule } from '../../src/temporal/cleanup-schedule';
import { type ScreeningEvent, statusQuery, workflowIdFor } from '../../workflows/messages';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../support/environment';
import { eventually, connectTestTemporal, startScreeningWorker, type TestTemporal, TEST_REPORT_LINKS } from '../support/screening-worker';
import { serve } from '../support/serve';

const run = promisify(execFile);

/**
 * `npm run erase -- <purchase_token>` (withdrawn consent) on a completed screening: afterwards
 * neither PostgreSQL nor Temporal holds a personal field of it, its report link answers 410, a late
 * delivery starts nothing, and a second run finds nothing left.
 */
describe('npm run erase', function () {
  this.timeout(120_000);
  const taskQueue = 'erase-test';
  let temporal: TestTemporal;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startScreeningWorker>>;
  let signaler: ReturnType<typeof createScreeningSignaler>;

  before(async () => {
    temporal = await connectTestTemporal();
    client = temporal.client;
    worker = await startScreeningWorker(temporal.connection, taskQueue, { client });
    signaler = createScreeningSignaler(client, {
      taskQueue,
      lifecycle: loadConfig({}).lifecycle,
      endedScreening: (purchaseToken) => endedScreening(worker.db, purchaseToken),
    });
  });

  after(async () => {
    await worker?.stop();
    await temporal?.close();
  });

  const erase = (token: string) =>
    run(process.execPath, ['--import', 'tsx', 'cli/erase.ts', token], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: testEnvironment().temporalAddress, DATABASE_URL: testEnvironment().databaseUrl, LOG_LEVEL: 'silent' },
    });

  it('removes every personal field from PostgreSQL and Temporal, once, and the report link answers 410', async () => {
    const token = uniqueToken();
    const personal = [`${token}@tenant.test`, `${token}@landlord.test`, 'Adaline', 'Lovelace', '+1 416 555 0199'];
    const event = (type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}) =>
      screeningEvent(token, type, { externalCustomerId: 'landlord-erase', externalTenantId: 'tenant-erase', ...extra });
    worker.singlekey.ready(token, 733);
    await signaler.signal(
      event('invite.sent', {
        tenant: { email: personal[0], firstName: 'Adaline', lastName: 'Lovelace', phone: personal[4] },
        landlord: { email: personal[1] },
      }),
    );
    await signaler.signal(event('screening.submitted'));
    await signaler.signal(event('screening.completed', { score: 733 }));
    const handle = client.workflow.getHandle(workflowIdFor(token));
    await eventually(
      () => handle.query(statusQuery),
      (view) => view.status === 'completed' && view.effects.pending.length === 0 && view.effects.done.includes('notify_landlord:completed'),
    );
    const everything = async () => {
      const rows = await Promise.all(
        ['screenings', 'reports', 'notifications', 'platform_webhooks', 'delivery_log'].map((table) =>
          worker.db(table).where({ purchase_token: token }).select(),
        ),
      );
      return JSON.stringify(rows);
    };
    assert.ok((await everything()).includes(`${token}@landlord.test`), 'the landlord e-mail is stored before erasure');

    const first = await erase(token);
    assert.match(
      first.stdout,
      new RegExp(
        `${token}: Temporal: \\d+ workflow run\\(s\\) deleted; read model: contacts, score and recommendation removed; reports: 1 archived report\\(s\\) deleted; send ledger: \\d+ recipient\\(s\\) cleared`,
      ),
    );

    // PostgreSQL: every row of the screening, in every table, without a personal value or the score.
    const stored = await everything();
    for (const value of personal) assert.ok(!stored.includes(value), `${value} is still in PostgreSQL`);
    const [row] = await worker.db('screenings').where({ purchase_token: token }).select('status', 'singlekey_score', 'recommendation', 'erased_at');
    assert.equal(row.status, 'completed');
    assert.equal(row.singlekey_score, null);
    assert.ok(row.erased_at instanceof Date);
    // Temporal: no run answers, none is listed.
    await assert.rejects(handle.describe(), WorkflowNotFoundError);
    const listed = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowIdFor(token)}"` })) listed.push(execution.runId);
    assert.deepEqual(listed, []);

    // A late delivery of an erased screening starts nothing.
    assert.equal((await signaler.signal(event('screening.completed', { score: 733, landlord: { email: personal[1] } }))).outcome, 'late');
    await assert.rejects(handle.describe(), WorkflowNotFoundError);

    // The landlord's signed report link: gone for good.
    const server = await serve(
      testApp({
        config: testEnvironment().config({ SINGLEKEY_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET }),
        reports: { db: worker.db, secret: TEST_REPORT_LINKS.secret },
      }),
    );
    try {
      const link = signReportLink({ baseUrl: server.url, purchaseToken: token, secret: TEST_REPORT_LINKS.secret, expiresAt: new Date(Date.now() + 3_600_000) });
      const response = await fetch(link);
      assert.equal(response.status, 410);
      assert.equal(((await response.json()) as { error: string }).error, 'erased');
    } finally {
      await server.close();
    }

    const second = await erase(token);
    assert.equal(second.stdout.trim(), `${token}: nothing left to remove`);
  });

  it('erases, on the daily Schedule, the screenings that ended longer than PERSONAL_DATA_RETENTION ago, and only those', async () => {
    const ended = async (token: string) => {
      worker.singlekey.ready(token, 701);
      await signaler.signal(screeningEvent(token, 'invite.sent', { landlord: { email: `${token}@landlord.test` } }));
      await signaler.signal(screeningEvent(token, 'screening.completed', { score: 701 }));
      await eventually(
        () => client.workflow.getHandle(workflowIdFor(token)).query(statusQuery),
        (view) => view.status === 'completed' && view.effects.pending.length === 0,
      );
    };
    const old = uniqueToken();
    const recent = uniqueToken();
    await ended(old);
    await ended(recent);
    // The first one ended 40 days ago, as far as the read model knows.
    await worker
      .db('screenings')
      .where({ purchase_token: old })
      .update({ completed_at: new Date(Date.now() - 40 * 86_400_000) });

    await ensureCleanupSchedule(client, { taskQueue, retention: '30d' });
    assert.equal(await ensureCleanupSchedule(client, { taskQueue, retention: '30d' }), 'updated', 'safe to run on every start');
    const schedule = client.schedule.getHandle(CLEANUP_SCHEDULE_ID);
    try {
      await schedule.trigger();
      const erased = await eventually(
        () => worker.db('screenings').whereIn('purchase_token', [old, recent]).whereNotNull('erased_at').pluck('purchase_token'),
        (tokens: string[]) => tokens.length > 0,
        60_000,
      );
      assert.deepEqual(erased, [old]);
      await assert.rejects(client.workflow.getHandle(workflowIdFor(old)).describe(), WorkflowNotFoundError);
      const [kept] = await worker.db('screenings').where({ purchase_token: recent }).select('landlord_email', 'singlekey_score');
      assert.deepEqual(kept, { landlord_email: `${recent}@landlord.test`, singlekey_score: 701 });
    } finally {
      await schedule.delete();
    }
  });

  it('blocks a token erased before its first delivery: a delivery that comes afterwards starts nothing', async () => {
    const token = uniqueToken();
    assert.equal((await erase(token)).stdout.trim(), `${token}: nothing left to remove`);
    const outcome = await signaler.signal(screeningEvent(token, 'invite.sent', { tenant: { email: `${token}@tenant.test` } }));
    assert.equal(outcome.outcome, 'late');
    await assert.rejects(client.workflow.getHandle(workflowIdFor(token)).describe(), WorkflowNotFoundError);
  });

  it('names its usage when no purchase token is given (exit 2)', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'cli/erase.ts'], { cwd: projectRoot, env: { PATH: process.env.PATH } }).then(
      () => assert.fail('npm run erase ran without a purchase token'),
      (error: { code?: number; stderr?: string }) => error,
    );
    assert.equal(failed.code, 2);
    assert.match(failed.stderr ?? '', /usage: npm run erase -- <purchase_token>/);
  });
});
