/**
 * `npm run check`: exits 0 when TEMPORAL_ADDRESS and DATABASE_URL answer, 1 otherwise.
 * The container health check of workers, which serve no HTTP.
 */
import { requireSetting } from '../src/config';
import { createDb, pingDb } from '../src/db/connection';
import { runEntrypoint } from '../src/entrypoint';
import { connectClient, pingTemporal } from '../src/temporal/connect';

runEntrypoint(async (config, logger, shutdown) => {
  const db = createDb(requireSetting(config.databaseUrl, 'DATABASE_URL', 'npm run check'), 1, logger);
  shutdown.add('database pool', () => db.destroy());
  const client = await connectClient(
    requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', 'npm run check'),
    config.temporal.namespace,
    config.temporal.connection,
  );
  shutdown.add('Temporal client', () => client.connection.close());
  await Promise.all([pingDb(db), pingTemporal(client)]);
  logger.info('Temporal and PostgreSQL reachable');
  await shutdown.run();
});
