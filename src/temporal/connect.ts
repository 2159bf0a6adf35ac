import { Client, Connection } from '@temporalio/client';

/** A Temporal client for the API process (signals) and tools (queries, describe). */
export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/** Fails when the Temporal frontend does not answer within `timeoutMs`. */
export async function pingTemporal(client: Client, timeoutMs = 2_000): Promise<void> {
  await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
}
