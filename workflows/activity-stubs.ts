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
 * Bookkeeping writes (read model, delivery log), which happen on every delivery, as regular
 * activities. They used to run as local activities (`localBookkeeping`, kept for screenings whose
 * history was written that way): fewer history events and no round trip through the server, but on
 * a CPU-starved worker under a flood of deliveries, workflow tasks failed (FORCE_CLOSE_COMMAND, then
 * NON_DETERMINISTIC_ERROR on replay) and a few deliveries were never applied before a
 * continue-as-new. With regular activities the same test passes (README, Benchmarks).
 */
const bookkeepingOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '1 hour',
} as const;
export const bookkeeping = proxyActivities<Activities>(bookkeepingOptions);

/** The local-activity form of `bookkeeping`, for histories recorded before the change above. */
export const localBookkeeping = proxyLocalActivities<Activities>(bookkeepingOptions);

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
