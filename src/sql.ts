/**
 * `npm run sql -- "select ..."`: one SQL statement against DATABASE_URL, or against the embedded
 * PostgreSQL of DATA_DIR (the running `npm start`'s, when there is one), printed as a table.
 * For looking at the read model without installing psql.
 */
import path from 'node:path';
import { createDb } from './db';
import { startEmbeddedPostgres } from './embedded/postgres';
import { runEntrypoint, UsageError } from './entrypoint';

runEntrypoint(
  async (config, logger, shutdown) => {
    const statement = process.argv.slice(2).join(' ').trim();
    if (!statement) throw new UsageError('usage: npm run sql -- "select purchase_token, status from screenings"');
    let url = config.databaseUrl;
    if (!url) {
      const postgres = await startEmbeddedPostgres({ dir: path.join(config.embedded.dataDir, 'postgres'), port: config.embedded.postgresPort, shareRunning: true });
      shutdown.add('PostgreSQL', postgres.stop);
      url = postgres.url;
    }
    const db = createDb(url, 1, logger);
    shutdown.add('database pool', () => db.destroy());
    try {
      const result = (await db.raw(statement)) as { rows?: Record<string, unknown>[]; rowCount?: number; command?: string };
      if (result.rows?.length) console.table(result.rows);
      console.log(`${result.command ?? 'done'}: ${result.rowCount ?? 0} row(s)`);
    } catch (error) {
      throw new UsageError(`PostgreSQL refused the statement: ${(error as Error).message}`);
    }
    await shutdown.run();
  },
  { tool: true },
);
