/**
 * What one run of a screening's workflow hands to the next at continue-as-new: a typed, versioned
 * value, validated when the next run starts, so a change to its shape fails loudly (a workflow
 * task failure, retried until fixed code is deployed) instead of running on a misread state.
 *
 * A change to `ScreeningState` is a new `version` here, with the reading of the older versions
 * kept until no run carrying them remains (see "Changing the workflow" in the README).
 */
import { z } from 'zod';
import { alertReasons, type DeliveryLogEntry, effectKey, effectStatuses, landlordMilestones, reportScopes, screeningEventTypes } from './messages';
import type { ScreeningState } from './screening-machine';

export interface CarriedState {
  version: 1;
  /** Everything the machine knows, running effects included (the next run starts them again). */
  state: ScreeningState;
  /** Delivery-log entries not written yet (including batches in flight at the hand-over). */
  deliveryLog: DeliveryLogEntry[];
}

/** Every time the machine keeps comes from `Date.prototype.toISOString`, at the edge or on the workflow clock. */
const isoTime = z.iso.datetime();

const effect = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('notify_landlord'), milestone: z.enum(landlordMilestones) }),
  z.object({ kind: z.literal('remind_tenant'), index: z.number().int().positive() }),
  z.object({ kind: z.literal('alert_team'), reason: z.enum(alertReasons) }),
  z.object({ kind: z.literal('fetch_report'), scope: z.enum(reportScopes) }),
  z.object({ kind: z.literal('reconcile') }),
]);

// The machine's own bookkeeping is checked in full; the facts it holds were validated at the edge,
// so only those a search attribute or a timer depends on are checked again.
const stateSchema = z
  .object({
    purchaseToken: z.string().min(1),
    score: z.number().int().optional(),
    failure: z.object({ recoverable: z.boolean() }).loose().optional(),
    moments: z.record(z.string(), isoTime),
    clock: z.object({ firstSeen: isoTime, invited: isoTime, submitted: isoTime, terminal: isoTime }).partial(),
    appliedKeys: z.array(z.string()),
    effects: z
      .record(z.string(), z.object({ effect, status: z.enum(effectStatuses), cancelling: z.literal(true).optional() }))
      .refine((effects) => Object.entries(effects).every(([key, record]) => key === effectKey(record.effect)), 'an effect is filed under another key'),
    timeline: z.array(z.object({ type: z.string(), occurredAt: isoTime, appliedAt: isoTime }).loose()),
    version: z.number().int().nonnegative(),
    duplicatesIgnored: z.number().int().nonnegative(),
    bookkeepingFailed: z.array(z.string()),
  })
  .loose();

const carriedSchema = z.object({
  version: z.literal(1),
  state: stateSchema,
  deliveryLog: z.array(
    z
      .object({
        dedupeKey: z.string(),
        purchaseToken: z.string(),
        type: z.enum(screeningEventTypes),
        sourceEvent: z.string(),
        outcome: z.enum(['applied', 'duplicate']),
        receivedAt: isoTime,
      })
      .loose(),
  ),
});

/** The carried value, or an error naming what is wrong with it. */
export function parseCarriedState(value: unknown): CarriedState {
  const parsed = carriedSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`continue-as-new state of an unknown shape: ${problems}`);
  }
  // The schema checks what the machine relies on; the value itself (facts included) is what was carried.
  return value as CarriedState;
}
