/**
 * The activities as the screening workflow calls them, each group with its own timeouts and retry
 * policy. Imported by type only: the worker supplies the implementations.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

/** Quick effects: e-mail. Retried for a day, then reported as failed in the query. */
export const quick = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  scheduleToCloseTimeout: '24 hours',
});

/**
 * Bookkeeping writes (read model, delivery log) run as local activities: in the worker, recorded in
 * the history as markers, with no task queue round trip through the Temporal server. They happen on
 * every delivery, so this is most of the server's work per delivery saved (see README, Benchmarks).
 */
export const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '1 hour',
});

/** The report archive: SingleKey may take a while to serve the report after announcing it. */
export const reports = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: ['SingleKeyRejected'] },
  scheduleToCloseTimeout: '24 hours',
});

/** Reconciliation polls the report API with backoff (30 s, 1 min, 2 min, ... capped at 1 h) for 12 h, then gives up. */
export const reconciliation = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: ['SingleKeyRejected'] },
  scheduleToCloseTimeout: '12 hours',
});
