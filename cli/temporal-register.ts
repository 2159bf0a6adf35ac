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
import { msToNumber } from '@temporalio/common';
import { prepareNamespace } from '../src/temporal/search-attributes';
import { CLEANUP_SCHEDULE_ID, ensureCleanupSchedule } from '../src/temporal/cleanup-schedule';

runEntrypoint(
  async (config, logger, shutdown) => {
    const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', 'npm run temporal:register');
    const client = await connectClient(address, config.temporal.namespace, config.temporal.connection);
    shutdown.add('Temporal client', () => client.connection.close());
    const { namespace, retention } = config.temporal;
    const prepared = await prepareNamespace(client.connection, namespace, msToNumber(retention));
    if (prepared.namespace === 'not permitted') {
      console.log(`namespace ${namespace}: found; its retention may not be changed from here (Temporal Cloud): set ${retention} in the Cloud UI or with tcld`);
    } else {
      console.log(`namespace ${namespace}: ${prepared.namespace === 'created' ? 'created' : 'found'}, retention ${retention}`);
    }
    console.log(`search attributes: ${prepared.added.length ? `registered ${prepared.added.join(', ')}` : 'all present'}`);
    const kept = config.temporal.personalDataRetention;
    const schedule = await ensureCleanupSchedule(client, { taskQueue: config.temporal.taskQueue, retention: kept });
    console.log(`schedule ${CLEANUP_SCHEDULE_ID}: ${schedule}, daily, erasing personal data ${kept} after a screening ends`);
    await shutdown.run();
  },
  { tool: true },
);
