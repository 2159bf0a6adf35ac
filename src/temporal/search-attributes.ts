import { status } from '@grpc/grpc-js';
import type { ConnectionLike } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { setTimeout as sleep } from 'node:timers/promises';
import { searchAttributeTypes } from '../../workflows/messages';

const indexedType = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

/**
 * Registers the service's custom search attributes in `namespace`, skipping those that exist.
 * The dev server gets them from `--search-attribute` flags; this serves the time-skipping test
 * server and clusters set up by hand.
 */
export async function registerSearchAttributes(connection: Pick<ConnectionLike, 'operatorService'>, namespace: string): Promise<string[]> {
  const known = new Set<string>();
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.keys(existing.customAttributes ?? {})) known.add(name);
  } catch (error) {
    // The time-skipping test server can add search attributes but cannot list them.
    if ((error as { code?: number }).code !== status.UNIMPLEMENTED) throw error;
  }
  const missing = Object.entries(searchAttributeTypes).filter(([name]) => !known.has(name));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedType[type]])),
    });
  }
  return missing.map(([name]) => name);
}

/**
 * Creates `namespace` with this retention when the cluster has none of that name (a fresh
 * self-hosted cluster), or sets the retention of the existing one: how long it keeps the history of
 * a closed workflow. Within it Temporal itself refuses to start a finished screening again; beyond
 * it the read model does (see the README). Returns what it did.
 */
export async function setRetention(
  connection: Pick<ConnectionLike, 'workflowService'>,
  namespace: string,
  retentionMs: number,
): Promise<'created' | 'updated'> {
  const workflowExecutionRetentionTtl = msToTs(retentionMs);
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (error) {
    if ((error as { code?: number }).code !== status.NOT_FOUND) throw error;
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: workflowExecutionRetentionTtl });
      return 'created';
    } catch (raced) {
      // Another replica's registration won: update that one like any existing namespace.
      if ((raced as { code?: number }).code !== status.ALREADY_EXISTS) throw raced;
    }
  }
  await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl } });
  return 'updated';
}

/**
 * What `npm run temporal:register` does, also for `npm run cluster`: the namespace with its retention
 * (created when missing), then the search attributes in it, once the new namespace has reached the
 * cluster's caches (seconds).
 */
export async function prepareNamespace(
  connection: Pick<ConnectionLike, 'workflowService' | 'operatorService'>,
  namespace: string,
  retentionMs: number,
): Promise<{ namespace: 'created' | 'updated' | 'not permitted'; added: string[] }> {
  let done: 'created' | 'updated' | 'not permitted';
  try {
    done = await setRetention(connection, namespace, retentionMs);
  } catch (error) {
    // Temporal Cloud keeps namespace settings to its own console and API (tcld): the retention is set there.
    if ((error as { code?: number }).code !== status.PERMISSION_DENIED) throw error;
    done = 'not permitted';
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return { namespace: done, added: await registerSearchAttributes(connection, namespace) };
    } catch (error) {
      if ((error as { code?: number }).code !== status.NOT_FOUND || Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** The namespace's retention in milliseconds, as the server reports it. */
export async function retentionOf(connection: Pick<ConnectionLike, 'workflowService'>, namespace: string): Promise<number> {
  const described = await connection.workflowService.describeNamespace({ namespace });
  return Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0) * 1000;
}
