import path from 'node:path';
import type { Config } from '../../src/config';
import type { Shutdown } from '../../src/shutdown';
import { startEmbeddedPostgres } from './postgres';

/**
 * The database a command-line tool (`migrate`, `landlords`, `sql`) works on: DATABASE_URL, or the
 * embedded PostgreSQL of DATA_DIR, shared with a running `npm start` when there is one.
 */
export async function toolDatabaseUrl(config: Config, shutdown: Shutdown): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  const postgres = await startEmbeddedPostgres({ dir: path.join(config.embedded.dataDir, 'postgres'), port: config.embedded.postgresPort, shareRunning: true });
  shutdown.add('PostgreSQL', postgres.stop);
  return postgres.url;
}
