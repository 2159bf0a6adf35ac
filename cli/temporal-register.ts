/**
 * `npm run temporal:register`: registers the service's search attributes (ScreeningStatus,
 * ExternalCustomerId, ExternalTenantId, SingleKeyScore) in TEMPORAL_NAMESPACE on an existing
 * cluster and sets the namespace's retention to TEMPORAL_RETENTION (default 30 days). Idempotent.
 * The embedded dev server gets its search attributes when it starts.
 */
import { requireSetting } from '../src/config';
import { runEntrypoint } from '../src/entrypoint';
import { connectClient } from '../src/temporal/connect';
import { msToNumber } from '@temporalio/common';
import { registerSearchAttributes, setRetention } from '../src/temporal/search-attributes';

runEntrypoint(async (config, logger, shutdown) => {
  const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', 'npm run temporal:register');
  const client = await connectClient(address, config.temporal.namespace, config.temporal.connection);
  shutdown.add('Temporal client', () => client.connection.close());
  const added = await registerSearchAttributes(client.connection, config.temporal.namespace);
  logger.info({ added, namespace: config.temporal.namespace }, added.length ? 'search attributes registered' : 'search attributes already present');
  await setRetention(client.connection, config.temporal.namespace, msToNumber(config.temporal.retention));
  logger.info({ namespace: config.temporal.namespace, retention: config.temporal.retention }, 'namespace retention set');
  await shutdown.run();
});
