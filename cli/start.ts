/**
 * `npm start`: the whole service on one machine. Whatever is not configured is started here:
 * a Temporal dev server (TEMPORAL_ADDRESS unset), PostgreSQL (DATABASE_URL unset) and a mail sink
 * (SMTP_URL unset), all keeping their data under DATA_DIR; then migrations, the worker and the API.
 */
import path from 'node:path';
import { assertWebhookAuthConfigured, type Config } from '../src/config';
import { createDb, migrateLatest } from '../src/db/connection';
import { loadOrCreateDevSecret } from '../devkit/embedded/dev-secret';
import { startEmbeddedSingleKey, useDevWebhookCredentials } from '../devkit/embedded/singlekey-stand-in';
import { startEmbeddedPostgres } from '../devkit/embedded/postgres';
import { assertPostgresMayEnter } from '../devkit/embedded/postgres-access';
import { startSideBySide } from '../devkit/embedded/start-side-by-side';
import { startSmtpSink } from '../devkit/embedded/smtp-sink';
import { startTemporalDevServer } from '../devkit/embedded/temporal-dev-server';
import { runEntrypoint } from '../src/entrypoint';
import type { Logger } from '../src/logger';
import { createMailer } from '../src/mail/mailer';
import { startApi } from '../src/http/server';
import { type Shutdown } from '../src/shutdown';
import { connectClient } from '../src/temporal/connect';
import { requireBinary } from '../devkit/temporal-binaries';
import { startWorker } from '../src/temporal/worker';

async function main(config: Config, logger: Logger, shutdown: Shutdown): Promise<void> {
  const started = Date.now();
  const { dataDir } = config.embedded;
  const summary: [string, string][] = [];
  // Before anything starts or is written to DATA_DIR, so that the run stops with this one message.
  if (!config.databaseUrl) assertPostgresMayEnter(path.join(dataDir, 'postgres'), 'DATA_DIR');

  summary.push(...useDevWebhookCredentials(config));
  assertWebhookAuthConfigured(config);
  config.reportLinks.secret ??= loadOrCreateDevSecret(dataDir, 'report-link-secret', 'rls_dev_').secret;

  const [temporalAddress, databaseUrl] = await startSideBySide([
    async (signal) => config.temporal.address ?? startDevTemporal(config, logger, shutdown, summary, signal),
    async (signal) => config.databaseUrl ?? startDevPostgres(config, logger, shutdown, summary, signal),
  ] as const);
  if (config.temporal.address) summary.push(['Temporal', `${temporalAddress} (TEMPORAL_ADDRESS)`]);
  if (config.databaseUrl) summary.push(['PostgreSQL', 'DATABASE_URL']);

  let smtpUrl = config.smtpUrl;
  if (!smtpUrl) {
    const sink = await startSmtpSink({
      folder: path.join(dataDir, 'mail'),
      port: config.embedded.smtpPort,
      onMail: (mail) => logger.info({ to: mail.to, subject: mail.subject, file: mail.file }, 'mail kept in the development sink'),
    });
    shutdown.add('mail sink', sink.stop);
    smtpUrl = sink.url;
    summary.push(['Mail', `${sink.url}, messages kept as .eml in ${sink.folder}`]);
  } else {
    summary.push(['Mail', 'SMTP_URL']);
  }
  const mailer = createMailer(smtpUrl);
  shutdown.add('mail transport', async () => mailer.close());
  mailer.verify().catch((error: unknown) => logger.warn({ err: error }, 'SMTP server not reachable yet; mail will be retried'));

  if (config.singlekey.apiUrl) {
    summary.push(['SingleKey', `${config.singlekey.apiUrl} (SINGLEKEY_API_URL)`]);
  } else {
    const standIn = await startEmbeddedSingleKey(config, logger);
    shutdown.add('SingleKey stand-in', standIn.close);
    config.singlekey.apiUrl = standIn.url;
    summary.push(['SingleKey', `${standIn.url}  (local stand-in that plays screenings: see the README's walkthrough)`]);
  }

  const db = createDb(databaseUrl, 10, logger);
  shutdown.add('database pool', () => db.destroy());
  const applied = await migrateLatest(db);
  logger.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');

  const worker = await startWorker({ config, address: temporalAddress, db, mailer, logger });
  shutdown.add('worker', worker.stop);
  const client = await connectClient(temporalAddress, config.temporal.namespace);
  shutdown.add('Temporal client', () => client.connection.close());
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

async function startDevTemporal(config: Config, logger: Logger, shutdown: Shutdown, summary: [string, string][], signal: AbortSignal) {
  const t0 = Date.now();
  logger.info('starting Temporal dev server ...');
  const server = await startTemporalDevServer({
    cliPath: requireBinary('cli', config),
    dir: path.join(config.embedded.dataDir, 'temporal'),
    port: config.embedded.temporalPort,
    uiPort: config.embedded.temporalUiPort,
    namespace: config.temporal.namespace,
    signal,
  });
  shutdown.add('Temporal dev server', server.stop);
  logger.info({ address: server.address, ms: Date.now() - t0 }, 'Temporal dev server ready');
  summary.push(['Temporal', `${server.address} (log: ${server.logFile})`], ['Web UI', server.uiUrl ?? '']);
  return server.address;
}

async function startDevPostgres(config: Config, logger: Logger, shutdown: Shutdown, summary: [string, string][], signal: AbortSignal) {
  const t0 = Date.now();
  logger.info('starting PostgreSQL ...');
  const postgres = await startEmbeddedPostgres({
    dir: path.join(config.embedded.dataDir, 'postgres'),
    port: config.embedded.postgresPort,
    signal,
  });
  shutdown.add('PostgreSQL', postgres.stop);
  logger.info({ ms: Date.now() - t0 }, 'PostgreSQL ready');
  summary.push(['PostgreSQL', `${postgres.url}  (psql "${postgres.url}")`]);
  return postgres.url;
}

runEntrypoint(main);
