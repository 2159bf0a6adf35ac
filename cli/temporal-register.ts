/**
 * `npm run temporal:register`: creates TEMPORAL_NAMESPACE on a cluster that lacks it (or finds it),
 * sets its retention to TEMPORAL_RETENTION (default 30 days), and registers the service's search
 * attributes (ScreeningStatus, ExternalCustomerId, ExternalTenantId, SingleKeyScore) in it, as SQL
 * visibility wants them: per namespace. Connects with Temporal's environment configuration (TLS,
 * API key). Safe to run twice.
 * The embedded dev server gets its search attributes when it starts.
 */
import { requireSetting } from '../src/config';
import { runEntrypoint } from '../src/entrypoint';
import { connectClient } from '../src/temporal/connect';
import { status } from '@grpc/grpc-js';
import { msToNumber } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerSearchAttributes, setRetention } from '../src/temporal/search-attributes';

runEntrypoint(
  async (config, logger, shutdown) => {
    const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', 'npm run temporal:register');
    const client = await connectClient(address, config.temporal.namespace, config.temporal.connection);
    shutdown.add('Temporal client', () => client.connection.close());
    const { namespace, retention } = config.temporal;
    const namespaceWas = await setRetention(client.connection, namespace, msToNumber(retention));
    console.log(`namespace ${namespace}: ${namespaceWas === 'created' ? 'created' : 'found'}, retention ${retention}`);
    // A namespace just created reaches every service of the cluster through its caches, within seconds.
    const added = await untilNamespaceKnown(() => registerSearchAttributes(client.connection, namespace));
    console.log(`search attributes: ${added.length ? `registered ${added.join(', ')}` : 'all present'}`);
    await shutdown.run();
  },
  { tool: true },
);

async function untilNamespaceKnown<T>(call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if ((error as { code?: number }).code !== status.NOT_FOUND || Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}
