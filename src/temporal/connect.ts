import { Client, Connection } from '@temporalio/client';
import type { TemporalConnection } from '../config';
import { type CodecKey, dataConverterFor } from './payload-codec';

/**
 * A Temporal client for the API process (signals) and tools (queries, describe); `connection`
 * carries TLS and API key settings, `codecKeys` the payload codec's keys (see payload-codec.ts).
 */
export async function connectClient(address: string, namespace: string, connection: TemporalConnection = {}, codecKeys?: CodecKey[]): Promise<Client> {
  return new Client({ connection: await Connection.connect({ ...connection, address }), namespace, dataConverter: dataConverterFor(codecKeys) });
}

/** Fails when the Temporal frontend does not answer within `timeoutMs`. */
export async function pingTemporal(client: Client, timeoutMs = 2_000): Promise<void> {
  await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
}
