/**
 * `npm run erase -- <purchase_token> [...]`: erases one screening's personal data at once (withdrawn
 * consent, see src/temporal/erase-screening.ts): it is marked erased, every workflow run of it is
 * deleted from Temporal, then its contacts, score and recommendation, archived reports,
 * send-ledger recipients and status-webhook ledger rows leave PostgreSQL; its report link answers 410 from then on. Idempotent: run again, it reports that
 * nothing was left. Reaches Temporal through TEMPORAL_ADDRESS (and the TLS settings), a running
 * `npm run cluster`, or `npm start`'s dev server; PostgreSQL through DATABASE_URL or DATA_DIR's.
 */
import { createDb } from '../src/db/connection';
import { runEntrypoint, SetupError, UsageError } from '../src/entrypoint';
import { connectClient, pingTemporal } from '../src/temporal/connect';
import { eraseScreening } from '../src/temporal/erase-screening';
import { toolTemporal } from '../devkit/cluster/stack';
import { toolDatabaseUrl } from '../devkit/embedded/tool-database';

runEntrypoint(
  async (config, logger, shutdown) => {
    const tokens = process.argv.slice(2).filter((arg) => arg.trim() !== '');
    if (tokens.length === 0 || tokens.some((token) => !/^[A-Za-z0-9_.-]{1,128}$/.test(token))) {
      throw new UsageError('usage: npm run erase -- <purchase_token> [<purchase_token> ...]');
    }
    const temporal = toolTemporal(config);
    const client = await connectClient(temporal.address, temporal.namespace, temporal.connection);
    shutdown.add('Temporal client', () => client.connection.close());
    await pingTemporal(client, 5_000).catch((error: unknown) => {
      throw new SetupError(`Temporal at ${temporal.address} did not answer (${(error as Error).message}): start the service, or set TEMPORAL_ADDRESS`);
    });
    const db = createDb(await toolDatabaseUrl(config, shutdown), 1, logger);
    shutdown.add('database pool', () => db.destroy());
    for (const token of tokens) {
      const { runs, rows } = await eraseScreening(db, client, token);
      const removed = [
        runs > 0 && `Temporal: ${runs} workflow run(s) deleted`,
        rows.readModel && 'read model: contacts, score and recommendation removed',
        rows.reports > 0 && `reports: ${rows.reports} archived report(s) deleted`,
        rows.notifications > 0 && `send ledger: ${rows.notifications} recipient(s) cleared`,
        rows.platformWebhooks > 0 && `status-webhook ledger: ${rows.platformWebhooks} row(s) deleted`,
      ].filter(Boolean);
      console.log(`${token}: ${removed.length > 0 ? removed.join('; ') : 'nothing left to remove'}`);
    }
    await shutdown.run();
  },
  { tool: true },
);
