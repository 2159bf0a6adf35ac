/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded PostgreSQL in
 * DATA_DIR when DATABASE_URL is unset. `npm start` runs the same migrations on every start.
 */
import { createDb, migrateLatest } from '../src/db/connection';
import { toolDatabaseUrl } from '../devkit/embedded/tool-database';
import { runEntrypoint } from '../src/entrypoint';

runEntrypoint(
  async (config, logger, shutdown) => {
    const url = await toolDatabaseUrl(config, shutdown);
    const db = createDb(url, 1, logger);
    shutdown.add('database pool', () => db.destroy());
    const applied = await migrateLatest(db);
    logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'schema already up to date');
    await shutdown.run();
  },
  { tool: true },
);
