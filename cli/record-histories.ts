/**
 * `npm run histories:record`: runs representative screenings on the time-skipping test server and
 * saves their event histories under test/fixtures/histories/, where the replay test replays them
 * against the current workflow code. Re-record only when a change is meant to alter histories of
 * *new* screenings and no screening started with the old code can still be running; otherwise keep
 * the old histories and guard the change with `patched()` (see README, "Changing the workflow").
 *
 * Activities are stand-ins that succeed at once (the report API stays "in progress" for the
 * reconciliation-superseded screening): a history records their results, not their work.
 * `npm run histories:record -- <name> ...` records only the named screenings, keeping the others.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { createActivities } from '../activities';
import { loadConfig } from '../src/config';
import { registerSearchAttributes } from '../src/temporal/search-attributes';
import { createScreeningSignaler } from '../src/temporal/screening-signaler';
import { projectRoot, requireBinary } from '../devkit/temporal-binaries';
import { type ScreeningEvent, workflowIdFor } from '../workflows/messages';

type Activities = ReturnType<typeof createActivities>;
const sent = async () => ({ outcome: 'sent' as const, messageId: '<recorded@history>' });
const activities: Activities = {
  recordScreening: async () => undefined,
  recordDeliveries: async () => undefined,
  notifyLandlord: sent,
  remindTenant: sent,
  alertTeam: sent,
  fetchReport: async () => ({ score: 701, pdfBytes: 1024 }),
  checkReport: async ({ purchaseToken }) => {
    if (purchaseToken === 'pt_reconciliation-superseded') throw new Error('Report in progress');
    return { score: 701, reportUrl: 'https://sandbox.singlekey.com/reports/recorded.pdf' };
  },
};

const contacts = { tenant: { email: 'tenant@example.test', firstName: 'Ada' }, landlord: { email: 'landlord@example.test' } };
function event(token: string, type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}): ScreeningEvent {
  const at = '2026-11-29T10:00:00.000Z';
  return { type, sourceEvent: type, format: 'envelope', purchaseToken: token, dedupeKey: `wh_${type}`, occurredAt: at, receivedAt: at, externalCustomerId: 'landlord-1', externalTenantId: 'tenant-1', ...extra };
}

interface Recorded {
  events: ScreeningEvent['type'][];
  /** Delivered after this much (skipped) time. */
  later?: { after: string; events: ScreeningEvent['type'][] };
  extra?: Partial<Record<ScreeningEvent['type'], Partial<ScreeningEvent>>>;
}

const scenarios: Record<string, Recorded> = {
  'happy-path': { events: ['invite.sent', 'form.opened', 'screening.submitted', 'screening.payment_captured', 'screening.completed'] },
  'out-of-order-duplicates': { events: ['screening.completed', 'screening.submitted', 'screening.completed', 'invite.sent', 'form.opened', 'screening.submitted'] },
  'abandoned-reminders-expiry': { events: ['invite.sent'] },
  'reconciled-after-sla': { events: ['invite.sent', 'screening.submitted'] },
  'recoverable-failure-then-completed': {
    events: ['screening.submitted', 'screening.failed', 'report.partial', 'screening.completed'],
    extra: { 'screening.failed': { failure: { reason: 'credit_bureau_unavailable', recoverable: true } } },
  },
  'unrecoverable-failure': { events: ['invite.sent', 'screening.submitted', 'screening.failed'], extra: { 'screening.failed': { failure: { reason: 'invalid_sin_ssn', recoverable: false } } } },
  // Recorded after bookkeeping moved from local to regular activities; the files above keep the older form.
  'happy-path-bookkeeping-activities': { events: ['invite.sent', 'form.opened', 'screening.submitted', 'screening.payment_captured', 'screening.completed'] },
  // A partner-portal completion names no score; the workflow takes it from the archived report.
  'portal-completion-score-from-report': { events: ['invite.sent', 'screening.submitted', 'screening.completed'], extra: { 'screening.completed': { format: 'portal' } } },
  'reconciliation-superseded': {
    events: ['invite.sent', 'screening.submitted'],
    later: { after: '150m', events: ['screening.failed'] },
    extra: { 'screening.failed': { failure: { reason: 'identity_verification_failed', recoverable: false } } },
  },
};

async function main(): Promise<void> {
  const config = loadConfig();
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !scenarios[name]);
  if (unknown.length) throw new Error(`no recorded screening named ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: requireBinary('testServer', config) } },
  });
  const dir = path.join(projectRoot, 'test', 'fixtures', 'histories');
  mkdirSync(dir, { recursive: true });
  try {
    await registerSearchAttributes(env.connection, 'default');
    const taskQueue = 'record-histories';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('../workflows'), activities });
    const signaler = createScreeningSignaler(env.client, { taskQueue, lifecycle: loadConfig({}).lifecycle });
    await worker.runUntil(async () => {
      for (const [name, scenario] of Object.entries(scenarios)) {
        if (only.length && !only.includes(name)) continue;
        const token = `pt_${name}`;
        for (const type of scenario.events) await signaler.signal(event(token, type, { ...contacts, ...scenario.extra?.[type] }));
        if (scenario.later) {
          await env.sleep(scenario.later.after);
          for (const type of scenario.later.events) await signaler.signal(event(token, type, { ...contacts, ...scenario.extra?.[type] }));
        }
        const handle = env.client.workflow.getHandle(workflowIdFor(token));
        await handle.result();
        const file = path.join(dir, `${name}.json`);
        writeFileSync(file, `${historyToJSON(await handle.fetchHistory())}\n`);
        console.log(`recorded ${path.relative(projectRoot, file)}`);
      }
    });
  } finally {
    await env.teardown();
  }
}

void main();
