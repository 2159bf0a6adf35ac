/**
 * `npm start`: the whole service on one machine. Whatever is not configured is started first by the
 * development stack (devkit/embedded/dev-stack.ts: Temporal dev server, PostgreSQL, mail sink,
 * SingleKey stand-in, keeping their data under DATA_DIR); then migrations, the worker and the API.
 */
import { startDevStack } from '../devkit/embedded/dev-stack';
import type { Config } from '../src/config';
import { createDb, migrateLatest } from '../src/db/connection';
import { runEntrypoint } from '../src/entrypoint';
import { startApi } from '../src/http/server';
import type { Logger } from '../src/logger';
import { createMailer } from '../src/mail/mailer';
import type { Shutdown } from '../src/shutdown';
import { connectClient } from '../src/temporal/connect';
import { ensureCleanupSchedule } from '../src/temporal/cleanup-schedule';
import { startWorker } from '../src/temporal/worker';

async function main(config: Config, logger: Logger, shutdown: Shutdown): Promise<void> {
  const started = Date.now();
  const { temporalAddress, databaseUrl, smtpUrl, summary } = await startDevStack(config, logger, shutdown);

  const mailer = createMailer(smtpUrl);
  shutdown.add('mail transport', async () => mailer.close());
  mailer.verify().catch((error: unknown) => logger.warn({ err: error }, 'SMTP server not reachable yet; mail will be retried'));

  const db = createDb(databaseUrl, 10, logger);
  shutdown.add('database pool', () => db.destroy());
  const applied = await migrateLatest(db);
  logger.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');

  const worker = await startWorker({ config, address: temporalAddress, db, mailer, logger });
  shutdown.add('worker', worker.stop);
  const client = await connectClient(temporalAddress, config.temporal.namespace, config.temporal.connection, config.temporal.payloadCodecKeys);
  shutdown.add('Temporal client', () => client.connection.close());
  await ensureCleanupSchedule(client, { taskQueue: config.temporal.taskQueue, retention: config.temporal.personalDataRetention });
  const workerMetrics = config.workerMetricsPort ? `http://127.0.0.1:${config.workerMetricsPort}/metrics` : undefined;
  const api = await startApi({
    config,
    client,
    db,
    logger,
    extraMetrics: workerMetrics ? [async () => (await fetch(workerMetrics, { signal: AbortSignal.timeout(2_000) })).text()] : [],
  });
  shutdown.add('HTTP API', () => api.stop());

  summary.unshift(['API', `${api.url}  (webhooks: POST ${api.url}/webhooks/singlekey, metrics: GET ${api.url}/metrics)`]);
  const width = Math.max(...summary.map(([label]) => label.length));
  console.log(
    [
      '',
      `Screening service ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ...summary.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      '  Press Ctrl-C to stop; data is kept for the next start.',
      '',
    ].join('\n'),
  );
  worker.done.then(
    () => undefined,
    () => void shutdown.run().then(() => process.exit(1)),
  );
}

runEntrypoint(main);
