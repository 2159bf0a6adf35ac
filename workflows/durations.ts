import { msToNumber, type StringValue } from '@temporalio/common';
import type { LifecycleDurations } from './messages';
import type { Durations } from './screening-deadlines';

/** Milliseconds of a duration in Temporal's syntax (`24h`, `7d`, `90s`). */
function durationMs(value: string): number {
  return msToNumber(value as StringValue);
}

/** The machine's durations (milliseconds) from the lifecycle a screening started with. */
export function durationsOf(lifecycle: LifecycleDurations): Durations {
  return {
    reminders: lifecycle.reminderSchedule.map(durationMs),
    expiry: durationMs(lifecycle.screeningExpiry),
    completionSla: durationMs(lifecycle.completionSla),
    submittedMaxAge: durationMs(lifecycle.submittedMaxAge),
    dedupeWindow: durationMs(lifecycle.dedupeWindow),
  };
}
