/**
 * What a screening shows outside its workflow: search attributes and the Web UI's current details.
 * Ids, statuses and counts only.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { type ScreeningSnapshot, searchAttributes } from './messages';
import { type ScreeningState, statusOf } from './screening-machine';

export function searchAttributesOf(screening: ScreeningSnapshot, publishScore = false): SearchAttributeUpdatePair[] {
  const { status, externalCustomerId, externalTenantId, score } = screening;
  return [
    { key: searchAttributes.status, value: status },
    ...(externalCustomerId ? [{ key: searchAttributes.externalCustomerId, value: externalCustomerId }] : []),
    ...(externalTenantId ? [{ key: searchAttributes.externalTenantId, value: externalTenantId }] : []),
    ...(publishScore && score !== undefined ? [{ key: searchAttributes.singleKeyScore, value: score }] : []),
  ];
}

/** The Web UI's "current details": status, last event, counts; nothing personal and no credit data. */
export function detailsOf(state: ScreeningState): string {
  const counts = `${state.timeline.length} events, ${state.duplicatesIgnored} duplicates ignored`;
  return `**${statusOf(state)}** · last: ${state.timeline.at(-1)?.type ?? '-'} · ${counts}`;
}
