/** `npm run worker`: a screening worker alone, against an existing Temporal cluster and PostgreSQL. */
import { requireSetting } from './config';
import { createDb } from './db';
import { runEntrypoint } from './entrypoint';
import { createMailer } from './mailer';
import { startWorker } from './worker-runtime';

runEntrypoint(async (config, logger, shutdown) => {
  const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', 'npm run worker');
  const db = createDb(requireSetting(config.databaseUrl, 'DATABASE_URL', 'npm run worker'), 10, logger);
  shutdown.add('database pool', () => db.destroy());
  const mailer = createMailer(requireSetting(config.smtpUrl, 'SMTP_URL', 'npm run worker'));
  shutdown.add('mail transport', async () => mailer.close());
  const worker = await startWorker({ config, address, db, mailer, logger });
  shutdown.add('worker', worker.stop);
  worker.done.then(
    () => void shutdown.run().then(() => process.exit(0)),
    () => void shutdown.run().then(() => process.exit(1)),
  );
});
