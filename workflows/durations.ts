import { msToNumber, type StringValue } from '@temporalio/common';

/** Milliseconds of a duration in Temporal's syntax (`24h`, `7d`, `90s`). */
export function durationMs(value: string): number {
  return msToNumber(value as StringValue);
}
