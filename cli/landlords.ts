/**
 * `npm run landlords -- set <external_customer_id> <email> [name]` / `list` / `remove <id>`:
 * the landlord directory used when a delivery names no landlord e-mail. `set` also releases the
 * e-mails that landlord's open screenings hold for want of an address. Works on DATABASE_URL, or on
 * the embedded PostgreSQL when it is unset; reaches Temporal as `npm run erase` does.
 */
import { z } from 'zod';
import { createDb, migrateLatest } from '../src/db/connection';
import { toolDatabaseUrl } from '../devkit/embedded/tool-database';
import { runEntrypoint, UsageError } from '../src/entrypoint';
import { toolTemporal } from '../devkit/cluster/stack';
import { connectClient, pingTemporal } from '../src/temporal/connect';
import { registerLandlord } from '../src/temporal/landlord-directory';

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
      const temporal = toolTemporal(config);
      const client = await connectClient(temporal.address, temporal.namespace, temporal.connection);
      shutdown.add('Temporal client', () => client.connection.close());
      const reachable = await pingTemporal(client, 5_000).then(
        () => true,
        () => false,
      );
      const entry = { externalCustomerId: id!, email: email!, name: name.join(' ') || undefined };
      if (reachable) {
        const { screeningsTold } = await registerLandlord(db, client, entry);
        console.log(`landlord ${id} -> ${email}; ${screeningsTold} open screening(s) told, e-mails waiting for this address go out now`);
      } else {
        await db('landlords')
          .insert({ external_customer_id: id, email, name: entry.name ?? null, updated_at: db.fn.now() })
          .onConflict('external_customer_id')
          .merge();
        console.log(
          `landlord ${id} -> ${email}; Temporal at ${temporal.address} did not answer, so e-mails already waiting for an address were not released: run this again once it is up`,
        );
      }
    } else if (command === 'remove') {
      console.log((await db('landlords').where({ external_customer_id: id }).delete()) ? `removed ${id}` : `no landlord ${id}`);
    } else {
      for (const row of await db('landlords').orderBy('external_customer_id')) console.log(`${row.external_customer_id}\t${row.email}\t${row.name ?? ''}`);
    }
    await shutdown.run();
  },
  { tool: true },
);
