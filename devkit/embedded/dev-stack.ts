/**
 * The development stack of `npm start`: whatever the configuration leaves unset is started here,
 * keeping its data under DATA_DIR: a Temporal dev server (TEMPORAL_ADDRESS), PostgreSQL
 * (DATABASE_URL), a mail sink (SMTP_URL), the SingleKey stand-in (SINGLEKEY_API_URL), which also
 * receives the status webhooks unless PLATFORM_WEBHOOK_URL is set, and the development secrets.
 * Each part stops with `shutdown`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertStrongSecrets, assertWebhookAuthConfigured, type Config } from '../../src/config';
import type { Logger } from '../../src/logger';
import type { Shutdown } from '../../src/shutdown';
import { projectRoot, requireBinary } from '../temporal-binaries';
import { loadOrCreateCodecKeys, loadOrCreateDevSecret } from './dev-secret';
import { startEmbeddedPostgres } from './postgres';
import { assertPostgresMayEnter } from './postgres-access';
import { startEmbeddedSingleKey, useDevPlatformWebhook, useDevWebhookCredentials } from './singlekey-stand-in';
import { startSideBySide } from './start-side-by-side';
import { startSmtpSink } from './smtp-sink';
import { startTemporalDevServer } from './temporal-dev-server';

export interface DevStack {
  temporalAddress: string;
  databaseUrl: string;
  smtpUrl: string;
  /** Label and value lines for the start-up summary: where each part is. */
  summary: [string, string][];
}

/** Starts what `config` leaves unset; fills in `config` (secrets, SingleKey URL) as it goes. */
export async function startDevStack(config: Config, logger: Logger, shutdown: Shutdown): Promise<DevStack> {
  const summary: [string, string][] = [];
  const { dataDir } = config.embedded;
  // Before anything starts or is written to DATA_DIR, so that the run stops with this one message.
  if (!config.databaseUrl) assertPostgresMayEnter(path.join(dataDir, 'postgres'), 'DATA_DIR');

  summary.push(...useDevWebhookCredentials(config));
  assertWebhookAuthConfigured(config);
  config.reportLinks.secret ??= loadOrCreateDevSecret(dataDir, 'report-link-secret', 'rls_dev_').secret;
  // With the stand-in, it plays the platform too: status webhooks go to it unless configured elsewhere.
  const statusWebhooks = useDevPlatformWebhook(config, !config.singlekey.apiUrl);
  if (config.platformKeys.length === 0) {
    // The platform API on, with one development key that may read contacts (the walkthrough's curl uses it).
    const platformKey = loadOrCreateDevSecret(dataDir, 'platform-api-key', 'pk_dev_');
    config.platformKeys = [{ key: platformKey.secret, personal: true }];
    summary.push(['Platform API', `Authorization: Bearer ${platformKey.secret.slice(0, 12)}…  (development; kept in ${platformKey.file})`]);
  }
  assertStrongSecrets(config);
  // The embedded Web UI, in a browser on this machine, reads decoded payloads without a token.
  config.codecServer.openToLoopback = true;
  const uiOrigins = [`http://localhost:${config.embedded.temporalUiPort}`, `http://127.0.0.1:${config.embedded.temporalUiPort}`];
  config.codecServer.corsOrigins = [...new Set([...config.codecServer.corsOrigins, ...uiOrigins])];
  if (!config.temporal.payloadCodecKeys) {
    const codec = loadOrCreateCodecKeys(dataDir);
    config.temporal.payloadCodecKeys = codec.keys;
    summary.push(['Payload key', `${codec.keys[0]!.id}  (development; payloads are encrypted in Temporal; kept in ${codec.file})`]);
  }

  const [temporalAddress, databaseUrl] = await startSideBySide([
    async (signal) => config.temporal.address ?? startDevTemporal(config, logger, shutdown, summary, signal),
    async (signal) => config.databaseUrl ?? startDevPostgres(config, logger, shutdown, summary, signal),
    async (signal) => {
      config.temporal.workflowBundle ??= await bundleWorkflowsAside(dataDir, logger, signal);
    },
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
  if (config.singlekey.apiUrl) {
    summary.push(['SingleKey', `${config.singlekey.apiUrl} (SINGLEKEY_API_URL)`]);
  } else {
    const standIn = await startEmbeddedSingleKey(config, logger);
    shutdown.add('SingleKey stand-in', standIn.close);
    config.singlekey.apiUrl = standIn.url;
    summary.push(['SingleKey', `${standIn.url}  (local stand-in that plays screenings: see the README's walkthrough)`]);
  }
  summary.push(...statusWebhooks);
  return { temporalAddress, databaseUrl, smtpUrl, summary };
}

/**
 * Bundles the workflow code in a process of its own while Temporal and PostgreSQL start, for the
 * worker to load as WORKFLOW_BUNDLE would have it: webpack, bundling inside the service, stayed in
 * its heap for good (the service's RSS with 1,000 open screenings: 494 MiB bundling itself, 402 MiB
 * with a bundle made aside). Made anew at every start, so it is always the code in this tree.
 */
async function bundleWorkflowsAside(dataDir: string, logger: Logger, signal: AbortSignal): Promise<string> {
  const file = path.join(dataDir, 'workflow-bundle.js');
  logger.info('bundling the workflow code ...');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../cli/bundle-workflows.ts'), file], { signal, cwd: projectRoot });
  return file;
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
    // The Web UI decodes through the service's codec server (payloads are encrypted in Temporal).
    extraArgs: ['--ui-codec-endpoint', `http://localhost:${config.http.port}/codec`],
    signal,
  });
  shutdown.add('Temporal dev server', server.stop);
  // The dev server speaks plain gRPC: TLS or API key settings from a Temporal profile do not apply to it.
  config.temporal.connection = {};
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
