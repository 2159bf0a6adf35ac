/**
 * Runs representative screenings and saves their event histories, for the replay test
 * (test/workflows/replay.test.ts) to replay against the current workflow code. Lifecycles with
 * timers run on the time-skipping test server; the continue-as-new ones on a dev server that
 * suggests continue-as-new after a few dozen events (the test server never does), and every run of
 * each is saved. After the first release, histories are only added, never re-recorded (see README,
 * "Changing the workflow").
 *
 * Activities are fakes that succeed at once (the report API stays "in progress" for the
 * reconciliation-superseded screening; the report fetch of the in-flight screening takes 3 s, so
 * the hand-over happens while it runs): a history records their results, not their work.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Activities } from '../activities';
import { type Config, loadConfig } from '../src/config';
import { webhookIdOf } from '../src/platform/status-webhook';
import { registerSearchAttributes } from '../src/temporal/search-attributes';
import { createScreeningSignaler } from '../src/temporal/screening-signaler';
import { screeningEvent } from './builders';
import { projectRoot, requireBinary } from './temporal-binaries';
import { type LifecycleDurations, type ScreeningEvent, workflowIdFor } from '../workflows/messages';

const sent = async () => ({ outcome: 'sent' as const, messageId: '<recorded@history>' });
const activities: Activities = {
  eraseEndedScreenings: async () => ({ erased: 0, failed: 0 }),
  recordScreening: async () => undefined,
  notifyLandlord: sent,
  remindTenant: sent,
  alertTeam: sent,
  notifyPlatform: async ({ screening, status }) => ({ outcome: 'sent', webhookId: webhookIdOf(screening.purchaseToken, status) }),
  fetchReport: async ({ purchaseToken }) => {
    if (purchaseToken.includes('in-flight')) await new Promise((resolve) => setTimeout(resolve, 3_000));
    return { score: 701, pdfBytes: 1024 };
  },
  requestScreening: async () => ({ purchaseToken: 'pt_requested-by-platform', formUrl: 'https://sandbox.singlekey.com/form/recorded' }),
  startRequestedScreening: async () => undefined,
  checkReport: async ({ purchaseToken }) => {
    if (purchaseToken === 'pt_reconciliation-superseded') throw new Error('Report in progress');
    return { score: 701, reportUrl: 'https://sandbox.singlekey.com/reports/recorded.pdf' };
  },
};

const contacts = { tenant: { email: 'tenant@example.test', firstName: 'Ada' }, landlord: { email: 'landlord@example.test' } };
const at = '2026-11-29T10:00:00.000Z';
const event = (token: string, type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}) =>
  screeningEvent(token, type, {
    dedupeKey: `wh_${type}`,
    occurredAt: at,
    receivedAt: at,
    externalCustomerId: 'landlord-1',
    externalTenantId: 'tenant-1',
    ...extra,
  });

interface Recorded {
  events: ScreeningEvent['type'][];
  /** Run on the dev server, with this many repeats of one event, right after it, to make Temporal suggest continue-as-new. */
  repeats?: { of: ScreeningEvent['type']; times: number };
  /** Delivered after this much (skipped) time. */
  later?: { after: string; events: ScreeningEvent['type'][] };
  extra?: Partial<Record<ScreeningEvent['type'], Partial<ScreeningEvent>>>;
  /** Started with PLATFORM_WEBHOOK_URL set: every status reached goes to the platform. */
  notifyPlatform?: true;
}

const scenarios: Record<string, Recorded> = {
  'happy-path': { events: ['invite.sent', 'form.opened', 'screening.submitted', 'screening.payment_captured', 'screening.completed'] },
  'out-of-order-duplicates': {
    events: ['screening.completed', 'screening.submitted', 'screening.completed', 'invite.sent', 'form.opened', 'screening.submitted'],
  },
  'abandoned-reminders-expiry': { events: ['invite.sent'] },
  // POST /screenings, then SingleKey's webhooks, with a status webhook to the platform for each status.
  'requested-by-platform': {
    events: ['screening.requested', 'invite.sent', 'form.opened', 'screening.submitted', 'screening.completed'],
    notifyPlatform: true,
    extra: { 'screening.requested': { format: 'platform', requestId: 'request-recorded' } },
  },
  'reconciled-after-sla': { events: ['invite.sent', 'screening.submitted'] },
  'recoverable-failure-then-completed': {
    events: ['screening.submitted', 'screening.failed', 'report.partial', 'screening.completed'],
    extra: { 'screening.failed': { failure: { reason: 'credit_bureau_unavailable', recoverable: true } } },
  },
  'unrecoverable-failure': {
    events: ['invite.sent', 'screening.submitted', 'screening.failed'],
    extra: { 'screening.failed': { failure: { reason: 'invalid_sin_ssn', recoverable: false } } },
  },
  // A partner-portal completion names no score; the workflow takes it from the archived report.
  'portal-completion-score-from-report': {
    events: ['invite.sent', 'screening.submitted', 'screening.completed'],
    extra: { 'screening.completed': { format: 'portal' } },
  },
  'reconciliation-superseded': {
    events: ['invite.sent', 'screening.submitted'],
    later: { after: '150m', events: ['screening.failed'] },
    extra: { 'screening.failed': { failure: { reason: 'identity_verification_failed', recoverable: false } } },
  },
  'continue-as-new': { events: ['invite.sent', 'form.opened', 'screening.submitted', 'screening.completed'], repeats: { of: 'form.opened', times: 30 } },
  // The completion starts the e-mail and the (slow) report fetch; the repeats hand over while they run.
  'continue-as-new-effects-in-flight': {
    events: ['invite.sent', 'screening.submitted', 'screening.completed'],
    repeats: { of: 'screening.completed', times: 30 },
  },
};

/** Far below Temporal's default, so a few dozen repeated deliveries reach it. */
const SUGGEST_CONTINUE_AS_NEW_AT = 40;
/** Short enough that the dev-server screenings (real time) close within seconds of their last delivery. */
const devServerLifecycle = { reminderSchedule: ['1h'], screeningExpiry: '2h', completionSla: '1h', submittedMaxAge: '1d', dedupeWindow: '3s' };

/** The screenings `recordHistories` knows, by name (the files are `<name>.json`, or `<name>-run-<n>.json`). */
export const recordedScreenings = Object.keys(scenarios);

/** Records the named screenings (all when none are named) into `dir`, replacing their files. */
export async function recordHistories(config: Config, names: string[], dir: string): Promise<void> {
  const wanted = Object.entries(scenarios).filter(([name]) => !names.length || names.includes(name));
  mkdirSync(dir, { recursive: true });
  const timed = wanted.filter(([, scenario]) => !scenario.repeats);
  const handedOver = wanted.filter(([, scenario]) => scenario.repeats);
  if (timed.length) {
    await record(dir, timed, loadConfig({}).lifecycle, () =>
      TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: requireBinary('testServer', config) } } }),
    );
  }
  if (handedOver.length) {
    await record(dir, handedOver, devServerLifecycle, () =>
      TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: requireBinary('cli', config) },
          extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`],
        },
      }),
    );
  }
}

async function record(
  dir: string,
  wanted: [string, Recorded][],
  lifecycle: LifecycleDurations,
  createEnv: () => Promise<TestWorkflowEnvironment>,
): Promise<void> {
  const env = await createEnv();
  const save = (name: string, history: Parameters<typeof historyToJSON>[0]) => {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, `${historyToJSON(history)}\n`);
    console.log(`recorded ${path.relative(projectRoot, file)}`);
  };
  try {
    await registerSearchAttributes(env.connection, 'default');
    const taskQueue = 'record-histories';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('../workflows'), activities });
    await worker.runUntil(async () => {
      for (const [name, scenario] of wanted) {
        const signaler = createScreeningSignaler(env.client, { taskQueue, lifecycle, notifyPlatform: scenario.notifyPlatform });
        const token = `pt_${name}`;
        const deliver = (type: ScreeningEvent['type']) => signaler.signal(event(token, type, { ...contacts, ...scenario.extra?.[type] }));
        for (const type of scenario.events) {
          await deliver(type);
          if (scenario.repeats?.of === type) for (let i = 0; i < scenario.repeats.times; i++) await deliver(type);
        }
        if (scenario.later) {
          await env.sleep(scenario.later.after);
          for (const type of scenario.later.events) await deliver(type);
        }
        const handle = env.client.workflow.getHandle(workflowIdFor(token));
        await handle.result();
        const runs = [await handle.fetchHistory()];
        // Walk back through the runs that continued as new, to save each one (oldest first).
        for (let previous = previousRunOf(runs[0]!); previous; previous = previousRunOf(runs[0]!)) {
          runs.unshift(await env.client.workflow.getHandle(workflowIdFor(token), previous).fetchHistory());
        }
        if (scenario.repeats && runs.length < 2) throw new Error(`${name}: the screening never continued as new; raise its repeats`);
        // A chain may hand over more or fewer times than when it was last recorded: no stale runs kept.
        for (const file of readdirSync(dir)) if (new RegExp(`^${name}(-run-\\d+)?\\.json$`).test(file)) rmSync(path.join(dir, file));
        if (runs.length === 1) save(name, runs[0]!);
        else runs.forEach((run, i) => save(`${name}-run-${i + 1}`, run));
      }
    });
  } finally {
    await env.teardown();
  }
}

function previousRunOf(history: Parameters<typeof historyToJSON>[0]): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
}
