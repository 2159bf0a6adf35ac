/**
 * How the workflow carries out each effect the machine asks for: the activity it calls, with that
 * activity's timeouts and retry policy, and the result it reports back to the machine.
 * Activities are imported by type only: the worker supplies the implementations.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities, SendOutcome } from '../activities';
import { type Effect, failureTypes, type ScreeningSnapshot } from './messages';
import type { EffectResult } from './screening-machine';

/**
 * E-mail: retried for a day, then reported as failed in the query. A local activity: one marker in
 * the history instead of three events and a workflow task of their own. A worker that dies mid-send
 * loses its workflow task, which another worker takes over and sends again, once the send ledger's
 * claim (renewed every 10 s while the SMTP conversation runs, send-once.ts) has lapsed.
 */
const mail = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Backoffs beyond this are durable timers: a long SMTP outage does not keep workflow tasks alive.
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: [failureTypes.mailRejected] },
  scheduleToCloseTimeout: '24 hours',
});

/**
 * The read model's write, on every change a reader sees: a local activity (one marker in the
 * history, no task round trip through the server), retried until PostgreSQL answers again, however
 * long that takes (the write is idempotent and versioned), rather than given up with the read model
 * left stale.
 */
export const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The report archive (a local activity, like e-mail): SingleKey may take a while to serve the report after announcing it. */
const reports = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: [failureTypes.singleKeyRejected] },
  scheduleToCloseTimeout: '24 hours',
});

/** Reconciliation polls the report API with backoff (30 s, 1 min, 2 min, ... capped at 1 h) for 12 h, then gives up. */
const reconciliation = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: [failureTypes.singleKeyRejected] },
  scheduleToCloseTimeout: '12 hours',
});

/**
 * Status webhooks to the platform: retried with backoff for three days (5 s, 15 s, 45 s, ... capped
 * at 2 h, as Standard Webhooks senders do), while later statuses wait their turn. The call
 * heartbeats while it runs, like an e-mail's.
 */
const platform = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '2 hours', nonRetryableErrorTypes: [failureTypes.platformWebhookRejected] },
  scheduleToCloseTimeout: '3 days',
});

const sent = (outcome: SendOutcome): EffectResult =>
  outcome.outcome === 'skipped_no_recipient' ? { kind: 'no_recipient' } : outcome.outcome === 'not_needed' ? { kind: 'cancelled' } : { kind: 'done' };

/** Runs one effect against `screening` as it stands now; a failure or cancellation rejects. */
export async function runEffect(effect: Effect, screening: ScreeningSnapshot): Promise<EffectResult> {
  const { purchaseToken } = screening;
  switch (effect.kind) {
    case 'notify_landlord':
      return sent(await mail.notifyLandlord({ milestone: effect.milestone, screening }));
    case 'remind_tenant':
      return sent(await mail.remindTenant({ index: effect.index, screening }));
    case 'alert_team':
      return sent(await mail.alertTeam({ reason: effect.reason, screening }));
    case 'fetch_report':
      return { kind: 'done', report: { score: (await reports.fetchReport({ purchaseToken, scope: effect.scope })).score } };
    case 'reconcile':
      return { kind: 'done', report: await reconciliation.checkReport({ purchaseToken }) };
    case 'notify_platform': {
      const { status, previous, at } = effect;
      const delivered = await platform.notifyPlatform({ screening, status, previous, at });
      return delivered.outcome === 'sent' ? { kind: 'done' } : { kind: 'cancelled' };
    }
  }
}

/**
 * What an effect that did not succeed reports to the machine. Anything but an activity's failure
 * or a cancellation is a bug: it is rethrown, failing the workflow task until fixed code is deployed.
 */
export function resultOfFailure(error: unknown): EffectResult {
  if (isCancellation(error)) return { kind: 'cancelled' };
  if (!(error instanceof ActivityFailure)) throw error;
  const unknownToken = error.cause instanceof ApplicationFailure && error.cause.type === failureTypes.unknownPurchaseToken;
  return { kind: 'failed', unknownToken };
}
