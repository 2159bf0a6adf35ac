/**
 * What a screening shows outside its workflow: search attributes and the Web UI's current details.
 * Ids, statuses and counts only.
 */
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { type ScreeningSnapshot, searchAttributes } from './messages';
import { type ScreeningState, statusOf } from './screening-machine';

/** Every attribute the screening has a value for, in a fixed order (that of `searchAttributes`). */
export function searchAttributesOf(screening: ScreeningSnapshot, publishScore = false): SearchAttributePair[] {
  const { status, externalCustomerId, externalTenantId, score } = screening;
  return [
    { key: searchAttributes.status, value: status },
    ...(externalCustomerId ? [{ key: searchAttributes.externalCustomerId, value: externalCustomerId }] : []),
    ...(externalTenantId ? [{ key: searchAttributes.externalTenantId, value: externalTenantId }] : []),
    ...(publishScore && score !== undefined ? [{ key: searchAttributes.singleKeyScore, value: score }] : []),
  ];
}

/** Attributes as one comparable string: equal strings, equal attributes. */
export function attributesKeyOf(pairs: readonly SearchAttributePair[]): string {
  return JSON.stringify(pairs.map(({ key, value }) => [key.name, value]));
}

/**
 * The screening's attributes as Temporal holds them (`workflowInfo().typedSearchAttributes`), in
 * `searchAttributesOf`'s order and spelling, so `attributesKeyOf` compares them with the next ones.
 */
export function indexedAttributesOf(indexed: TypedSearchAttributes): SearchAttributePair[] {
  return Object.values(searchAttributes).flatMap((key) => {
    const value = indexed.get(key);
    return value === undefined ? [] : [{ key, value } as SearchAttributePair];
  });
}

/** The Web UI's "current details": status, last event, counts; nothing personal and no credit data. */
export function detailsOf(state: ScreeningState): string {
  const counts = `${state.timeline.length} events, ${state.duplicatesIgnored} duplicates ignored`;
  return `**${statusOf(state)}** · last: ${state.timeline.at(-1)?.type ?? '-'} · ${counts}`;
}
