/**
 * What one run of a screening's workflow hands to the next at continue-as-new: a typed, versioned
 * value, validated when the next run starts, so a change to its shape fails loudly (a workflow
 * task failure, retried until fixed code is deployed) instead of running on a misread state.
 *
 * A change to `ScreeningState` or to the inputs is a new `version` here, with the reading of the
 * older versions kept until no run carrying them remains (see "Changing the workflow" in the README).
 */
import { z } from 'zod';
import type { DeliveryLogEntry } from './messages';
import type { ScreeningState } from './screening-machine';

export interface CarriedState {
  version: 1;
  /** Everything the machine knows, running effects included (the next run starts them again). */
  state: ScreeningState;
  /** Delivery-log entries not written yet (including batches in flight at the hand-over). */
  deliveryLog: DeliveryLogEntry[];
}

const isoTime = z.string().min(1);
const effect = z.object({ kind: z.enum(['notify_landlord', 'remind_tenant', 'alert_team', 'fetch_report', 'reconcile']) }).loose();

// The machine's own state is checked for the fields it relies on; the facts inside it were validated at the edge.
const stateSchema = z
  .object({
    purchaseToken: z.string().min(1),
    moments: z.record(z.string(), isoTime),
    clock: z.object({ firstSeen: isoTime, invited: isoTime, submitted: isoTime, terminal: isoTime }).partial(),
    appliedKeys: z.array(z.string()),
    effects: z.record(
      z.string(),
      z.object({ effect, status: z.enum(['running', 'waiting', 'done', 'superseded', 'failed']), cancelling: z.literal(true).optional() }),
    ),
    timeline: z.array(z.object({ type: z.string(), occurredAt: isoTime, appliedAt: isoTime }).loose()),
    version: z.number().int().nonnegative(),
    duplicatesIgnored: z.number().int().nonnegative(),
    bookkeepingFailed: z.array(z.string()),
  })
  .loose();

const carriedSchema = z.object({
  version: z.literal(1),
  state: stateSchema,
  deliveryLog: z.array(z.object({ dedupeKey: z.string(), purchaseToken: z.string(), outcome: z.string() }).loose()),
});

/** The carried value, or an error naming what is wrong with it. */
export function parseCarriedState(value: unknown): CarriedState {
  const parsed = carriedSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`continue-as-new state of an unknown shape: ${problems}`);
  }
  return value as CarriedState;
}
