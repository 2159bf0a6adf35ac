/**
 * What a screening shows outside its workflow: search attributes, the Web UI's current details and
 * its lines in the delivery log. Ids, statuses and counts only.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { type DeliveryLogEntry, type ScreeningEvent, type ScreeningSnapshot, searchAttributes } from './messages';
import { type ScreeningState, statusOf } from './screening-machine';

export function searchAttributesOf(screening: ScreeningSnapshot): SearchAttributeUpdatePair[] {
  const { status, externalCustomerId, externalTenantId, score } = screening;
  return [
    { key: searchAttributes.status, value: status },
    ...(externalCustomerId ? [{ key: searchAttributes.externalCustomerId, value: externalCustomerId }] : []),
    ...(externalTenantId ? [{ key: searchAttributes.externalTenantId, value: externalTenantId }] : []),
    ...(score !== undefined ? [{ key: searchAttributes.singleKeyScore, value: score }] : []),
  ];
}

/** The Web UI's "current details": status, score, last event, counts. */
export function detailsOf(state: ScreeningState): string {
  const score = state.score !== undefined ? ` · score ${state.score}` : '';
  const counts = `${state.timeline.length} events, ${state.duplicatesIgnored} duplicates ignored`;
  return `**${statusOf(state)}**${score} · last: ${state.timeline.at(-1)?.type ?? '-'} · ${counts}`;
}

export function deliveryLogEntryOf(event: ScreeningEvent, duplicate: boolean): DeliveryLogEntry {
  const { dedupeKey, purchaseToken, type, sourceEvent, occurredAt, receivedAt } = event;
  return { dedupeKey, purchaseToken, type, sourceEvent, occurredAt, receivedAt, outcome: duplicate ? 'duplicate' : 'applied' };
}
