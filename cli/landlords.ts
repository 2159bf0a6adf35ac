/**
 * `npm run landlords -- set <external_customer_id> <email> [name]` / `list` / `remove <id>`:
 * the landlord directory used when a delivery names no landlord e-mail. Works on DATABASE_URL,
 * or on the embedded PostgreSQL when it is unset.
 */
import { z } from 'zod';
import { createDb, migrateLatest } from '../src/db/connection';
import { toolDatabaseUrl } from '../devkit/embedded/tool-database';
import { runEntrypoint, UsageError } from '../src/entrypoint';

const usage = 'usage: npm run landlords -- set <external_customer_id> <email> [name] | list | remove <external_customer_id>';

runEntrypoint(
  async (config, logger, shutdown) => {
    const [command, id, email, ...name] = process.argv.slice(2);
    if (command !== 'list' && !(command === 'set' && id && email) && !(command === 'remove' && id)) throw new UsageError(usage);
    if (command === 'set' && !z.email().safeParse(email).success) throw new UsageError(`${email} is not an e-mail address`);
    const url = await toolDatabaseUrl(config, shutdown);
    const db = createDb(url, 1, logger);
    shutdown.add('database pool', () => db.destroy());
    await migrateLatest(db);
    if (command === 'set') {
      await db('landlords')
        .insert({ external_customer_id: id, email, name: name.join(' ') || null, updated_at: db.fn.now() })
        .onConflict('external_customer_id')
        .merge();
      console.log(`landlord ${id} -> ${email}`);
    } else if (command === 'remove') {
      console.log((await db('landlords').where({ external_customer_id: id }).delete()) ? `removed ${id}` : `no landlord ${id}`);
    } else {
      for (const row of await db('landlords').orderBy('external_customer_id')) console.log(`${row.external_customer_id}\t${row.email}\t${row.name ?? ''}`);
    }
    await shutdown.run();
  },
  { tool: true },
);
