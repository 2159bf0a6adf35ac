/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded PostgreSQL in
 * DATA_DIR when DATABASE_URL is unset. `npm start` runs the same migrations on every start.
 */
import path from 'node:path';
import { createDb, migrateLatest } from './db';
import { startEmbeddedPostgres } from './embedded/postgres';
import { runEntrypoint } from './entrypoint';

runEntrypoint(async (config, logger, shutdown) => {
  let url = config.databaseUrl;
  if (!url) {
    const postgres = await startEmbeddedPostgres({
      dir: path.join(config.embedded.dataDir, 'postgres'),
      port: config.embedded.postgresPort,
      shareRunning: true,
    });
    shutdown.add('PostgreSQL', postgres.stop);
    url = postgres.url;
  }
  const db = createDb(url, 1, logger);
  shutdown.add('database pool', () => db.destroy());
  const applied = await migrateLatest(db);
  logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'schema already up to date');
  await shutdown.run();
}, { tool: true });
