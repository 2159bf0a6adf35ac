/** `npm run worker`: a screening worker alone, against an existing Temporal cluster and PostgreSQL. */
import { assertStrongSecrets, requireSetting } from '../src/config';
import { createDb } from '../src/db/connection';
import { runEntrypoint } from '../src/entrypoint';
import { createMailer } from '../src/mail/mailer';
import { startWorker } from '../src/temporal/worker';

runEntrypoint(async (config, logger, shutdown) => {
  const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', 'npm run worker');
  assertStrongSecrets(config);
  requireSetting(config.temporal.payloadCodecKeys, 'PAYLOAD_CODEC_KEYS', 'npm run worker (personal data is encrypted in Temporal)');
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
