import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config';
import { registerSearchAttributes } from '../../src/temporal/search-attributes';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { requireBinary } from '../../devkit/temporal-binaries';
import type { screeningWorkflow } from '../../workflows';
import {
  type ScreeningEvent,
  screeningEventSignal,
  type ScreeningView,
  searchAttributes,
  statusQuery,
  workflowIdFor,
  workflowType,
} from '../../workflows/messages';
import { screeningEvent, uniqueToken } from '../../devkit/builders';
import { testEnvironment } from '../support/environment';
import { eventually, mailsTo, startScreeningWorker } from '../support/screening-worker';

/**
 * The screening workflow on the time-skipping test server with the real default durations
 * (24 h / 72 h reminders, 7 d expiry, 2 h completion SLA, 15 h dedupe window), time skipped.
 */
describe('screeningWorkflow (time-skipping)', function () {
  this.timeout(120_000);
  const taskQueue = 'screening-workflow-test';
  const lifecycle = loadConfig({}).lifecycle;
  let env: TestWorkflowEnvironment;
  let worker: Awaited<ReturnType<typeof startScreeningWorker>>;
  let signaler: ReturnType<typeof createScreeningSignaler>;

  before(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireBinary('testServer', testEnvironment().config()) } },
    });
    await registerSearchAttributes(env.connection, 'default');
    worker = await startScreeningWorker(env.nativeConnection, taskQueue);
    signaler = createScreeningSignaler(env.client, { taskQueue, lifecycle });
  });

  after(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const event = (purchaseToken: string, type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}) =>
    screeningEvent(purchaseToken, type, { externalCustomerId: 'landlord-7', externalTenantId: 'tenant-7', ...extra });

  const handleOf = (token: string): WorkflowHandle<typeof screeningWorkflow> => env.client.workflow.getHandle(workflowIdFor(token));
  const status = (token: string) => handleOf(token).query(statusQuery);
  const settled = (token: string, check: (view: ScreeningView) => boolean) =>
    eventually(
      () => status(token),
      (view) => view.effects.pending.length === 0 && check(view),
    );

  it('reminds the tenant at 24 h and 72 h, expires the invitation at 7 days, then closes after the dedupe window', async () => {
    const token = uniqueToken();
    const tenant = `${token}@tenant.test`;
    const landlord = `${token}@landlord.test`;
    await signaler.signal(
      event(token, 'invite.sent', {
        tenant: { email: tenant, firstName: 'Ada' },
        landlord: { email: landlord },
        invite: { type: 'email', formUrl: 'https://sandbox.singlekey.com/form/x' },
      }),
    );
    await settled(token, (view) => view.status === 'invited');

    await env.sleep('23h');
    assert.equal((await status(token)).remindersSent, 0);
    await env.sleep('2h');
    await settled(token, (view) => view.remindersSent === 1);
    assert.equal((await status(token)).nextDeadline?.kind, 'reminder');

    await env.sleep('48h');
    await settled(token, (view) => view.remindersSent === 2);
    assert.deepEqual(mailsTo(tenant), ['Reminder: your rental application screening', 'Last reminder: your rental application screening']);

    await env.sleep('4d');
    const expired = await settled(token, (view) => view.status === 'expired');
    assert.ok(expired.effects.done.includes('notify_landlord:expired'));
    assert.deepEqual(mailsTo(landlord), ['Screening invitation expired: Ada']);

    const final = await handleOf(token).result();
    assert.equal(final.status, 'expired');
  });

  it('sends no reminder once the tenant opened the form', async () => {
    const token = uniqueToken();
    await signaler.signal(event(token, 'invite.sent', { tenant: { email: `${token}@tenant.test` } }));
    await signaler.signal(event(token, 'form.opened'));
    await settled(token, (view) => view.status === 'form_opened');
    await env.sleep('80h');
    assert.equal((await status(token)).remindersSent, 0);
    assert.deepEqual(mailsTo(`${token}@tenant.test`), []);
  });

  it('reconciles through the report API when no completion arrives within 2 h', async () => {
    const token = uniqueToken();
    const landlord = `${token}@landlord.test`;
    await signaler.signal(event(token, 'screening.submitted', { landlord: { email: landlord } }));
    await settled(token, (view) => view.status === 'submitted');
    await env.sleep('121m');
    await eventually(
      () => status(token),
      (view) => view.effects.pending.includes('reconcile'),
    );
    worker.singlekey.ready(token, 688);
    const completed = await eventually(
      async () => {
        await env.sleep('5m');
        return status(token);
      },
      (view) => view.status === 'completed' && view.effects.pending.length === 0,
      60_000,
    );
    assert.equal(completed.score, 688);
    assert.ok(completed.timeline.some((entry) => entry.type === 'screening.reconciled'));
    assert.deepEqual(mailsTo(landlord), ['Application submitted: applicant tenant-7', 'Screening report ready: applicant tenant-7']);
  });

  it('stops polling the report API when a delivery settles the outcome first (no "gave up" alert 12 h later)', async () => {
    const token = uniqueToken();
    worker.singlekey.inProgress(token);
    await signaler.signal(event(token, 'screening.submitted', { landlord: { email: `${token}@landlord.test` } }));
    await settled(token, (view) => view.status === 'submitted');
    await env.sleep('121m');
    await eventually(
      () => status(token),
      (view) => view.effects.pending.includes('reconcile'),
    );
    await signaler.signal(event(token, 'screening.failed', { failure: { reason: 'identity_verification_failed', recoverable: false } }));
    const failed = await settled(token, (view) => view.status === 'failed');
    assert.ok(failed.effects.superseded.includes('reconcile'), JSON.stringify(failed.effects));
    await env.sleep('13h');
    const later = await status(token);
    assert.equal(later.status, 'failed');
    assert.deepEqual(
      later.effects.done.filter((key) => key.startsWith('alert_team')),
      ['alert_team:failed'],
    );
  });

  it('takes the score from the archived report when the completion named none (partner portal)', async () => {
    const token = uniqueToken();
    worker.singlekey.ready(token, 733);
    await signaler.signal(event(token, 'screening.completed', { format: 'portal', sourceEvent: 'Report Complete' }));
    const view = await settled(token, (v) => v.status === 'completed' && v.score !== undefined);
    assert.equal(view.score, 733);
    // The score is credit data: not a search attribute unless SCORE_SEARCH_ATTRIBUTE asks for it.
    const described = await handleOf(token).describe();
    assert.equal(described.typedSearchAttributes.get(searchAttributes.singleKeyScore), undefined);
  });

  it('publishes the score as a search attribute when the operator setting asks for it', async () => {
    const token = uniqueToken();
    worker.singlekey.ready(token, 733);
    const publishing = createScreeningSignaler(env.client, { taskQueue, lifecycle, publishScore: true });
    await publishing.signal(event(token, 'screening.completed', { format: 'portal', sourceEvent: 'Report Complete' }));
    await settled(token, (v) => v.status === 'completed' && v.score !== undefined);
    const described = await handleOf(token).describe();
    assert.equal(described.typedSearchAttributes.get(searchAttributes.singleKeyScore), 733);
  });

  /** Upsert events in the screening's history, and the status Temporal indexes once it is `expected`. */
  const upsertsOf = async (token: string) =>
    ((await handleOf(token).fetchHistory()).events ?? []).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length;
  const indexed = (token: string, expected: string) =>
    eventually(
      () => handleOf(token).describe(),
      (d) => d.typedSearchAttributes.get(searchAttributes.status) === expected,
    );

  it('indexes a new screening at its start and upserts its attributes only when they change', async () => {
    const token = uniqueToken();
    await signaler.signal(event(token, 'invite.sent'));
    await settled(token, (view) => view.status === 'invited');
    const started = await indexed(token, 'invited');
    assert.equal(started.typedSearchAttributes.get(searchAttributes.externalCustomerId), 'landlord-7');
    assert.equal(started.typedSearchAttributes.get(searchAttributes.externalTenantId), 'tenant-7');
    assert.equal(await upsertsOf(token), 0);
    await signaler.signal(event(token, 'form.opened'));
    await indexed(token, 'form_opened');
    assert.equal(await upsertsOf(token), 1);
  });

  it('upserts at once when its first task does not leave the screening as the start indexed it', async () => {
    const token = uniqueToken();
    // Started with the attributes of an invitation, and given an opened form first (what the signaler
    // would do if the first task held a second delivery that moved the status on).
    await env.client.workflow.signalWithStart(workflowType, {
      workflowId: workflowIdFor(token),
      taskQueue,
      args: [{ purchaseToken: token, lifecycle }],
      signal: screeningEventSignal,
      signalArgs: [event(token, 'form.opened')],
      typedSearchAttributes: [{ key: searchAttributes.status, value: 'invited' }],
    });
    const described = await indexed(token, 'form_opened');
    assert.equal(described.typedSearchAttributes.get(searchAttributes.externalCustomerId), 'landlord-7');
    assert.equal(await upsertsOf(token), 1);
  });

  it('absorbs redeliveries during the dedupe window and acknowledges later ones as late', async () => {
    const token = uniqueToken();
    const landlord = `${token}@landlord.test`;
    worker.singlekey.ready(token, 702);
    await signaler.signal(event(token, 'screening.completed', { score: 702, landlord: { email: landlord } }));
    await settled(token, (view) => view.status === 'completed');
    await env.sleep('14h');
    assert.equal((await signaler.signal(event(token, 'screening.completed'))).outcome, 'signalled');
    await signaler.signal(event(token, 'screening.submitted'));
    const view = await settled(token, (v) => v.duplicatesIgnored === 1);
    assert.equal(view.status, 'completed');
    assert.ok(view.effects.superseded.includes('notify_landlord:submitted'));

    const final = await handleOf(token).result();
    assert.equal(final.status, 'completed');
    assert.deepEqual(await signaler.signal(event(token, 'screening.completed', { dedupeKey: 'wh_after_close' })), {
      outcome: 'late',
      workflowId: workflowIdFor(token),
    });
    assert.deepEqual(mailsTo(landlord), ['Screening report ready: applicant tenant-7']);
  });
});
