/**
 * `npm run sql -- "select ..."`: one SQL statement against DATABASE_URL, or against the embedded
 * PostgreSQL of DATA_DIR (the running `npm start`'s, when there is one), printed as a table.
 * For looking at the read model without installing psql.
 */
import { createDb } from '../src/db/connection';
import { toolDatabaseUrl } from '../devkit/embedded/tool-database';
import { runEntrypoint, UsageError } from '../src/entrypoint';

runEntrypoint(
  async (config, logger, shutdown) => {
    const statement = process.argv.slice(2).join(' ').trim();
    if (!statement) throw new UsageError('usage: npm run sql -- "select purchase_token, status from screenings"');
    const url = await toolDatabaseUrl(config, shutdown);
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
