/**
 * `npm run cluster`: the service as production runs it, on one machine. PostgreSQL (Temporal's
 * databases and the service's), the real Temporal server with mutual TLS on its frontend, the
 * namespace with its retention and search attributes, then two API processes and two workers,
 * each a separate process started again whenever it exits, all connecting through a Temporal
 * profile file as any Temporal application would. Mail goes to the development sink, SingleKey is
 * the stand-in (as with `npm start`).
 */
import { msToNumber } from '@temporalio/common';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertStrongSecrets, type Config, type TemporalConnection, temporalProfile } from '../../src/config';
import { createDb, migrateLatest } from '../../src/db/connection';
import type { Logger } from '../../src/logger';
import type { Shutdown } from '../../src/shutdown';
import { connectClient } from '../../src/temporal/connect';
import { prepareNamespace } from '../../src/temporal/search-attributes';
import { ensureCleanupSchedule } from '../../src/temporal/cleanup-schedule';
import { loadOrCreateCodecKeys, loadOrCreateDevSecret } from '../embedded/dev-secret';
import { formatCodecKeys } from '../../src/temporal/payload-codec';
import { liveOwner } from '../embedded/managed-process';
import { startEmbeddedPostgres } from '../embedded/postgres';
import { assertPostgresMayEnter } from '../embedded/postgres-access';
import { startEmbeddedSingleKey, useDevPlatformWebhook, useDevWebhookCredentials } from '../embedded/singlekey-stand-in';
import { startSmtpSink } from '../embedded/smtp-sink';
import { supervise, type Supervised } from '../embedded/supervised';
import { ensureServer } from '../temporal-server-install';
import { ensureCertificates } from './certificates';
import { startTemporalServer, TEMPORAL_SERVER_PID } from './temporal-server';

export const CLUSTER_PROFILE = 'cluster';

/** The profile file of the cluster `npm run cluster` runs from `dataDir`, when one runs. */
export function runningCluster(dataDir: string): { profileFile: string } | undefined {
  const dir = path.join(dataDir, 'cluster');
  const profileFile = path.join(dir, 'temporal.toml');
  return existsSync(profileFile) && liveOwner(path.join(dir, 'temporal', TEMPORAL_SERVER_PID)) !== undefined ? { profileFile } : undefined;
}

/** Where a command-line tool reaches Temporal, and how it found it. */
export interface ToolTemporal {
  address: string;
  namespace: string;
  connection: TemporalConnection;
  /** `given` (a command-line flag), `configured` (TEMPORAL_ADDRESS and its settings), a running `cluster` (its profile file), or `npm start`'s `embedded` dev server. */
  source: 'given' | 'configured' | 'cluster' | 'embedded';
  /** The cluster's profile file, for the CLI hints. */
  profileFile?: string;
}

/** Resolves `ToolTemporal` for `npm run simulate` and `npm run erase`. */
export function toolTemporal(config: Config, given?: string): ToolTemporal {
  const { namespace, connection } = config.temporal;
  if (given) return { address: given, namespace, connection: {}, source: 'given' };
  if (config.temporal.address) return { address: config.temporal.address, namespace, connection, source: 'configured' };
  const cluster = runningCluster(config.embedded.dataDir);
  if (cluster) {
    const profile = temporalProfile(cluster.profileFile, CLUSTER_PROFILE);
    return { address: profile.address!, namespace: profile.namespace, connection: profile.connection, source: 'cluster', profileFile: cluster.profileFile };
  }
  return { address: `127.0.0.1:${config.embedded.temporalPort}`, namespace, connection, source: 'embedded' };
}

export interface ClusterStack {
  /** The two API processes' base URLs. */
  apis: string[];
  apiProcesses: Supervised[];
  workers: Supervised[];
  /** `TEMPORAL_CONFIG_FILE` with the `cluster` profile: address, namespace, CA, client certificate. */
  profileFile: string;
  temporalAddress: string;
  databaseUrl: string;
  mailFolder: string;
  /** Label and value lines for the start-up summary. */
  summary: [string, string][];
}

/** Starts everything; each part registers its stop with `shutdown`, so Ctrl-C (or a failure half-way) stops what runs. */
export async function startClusterStack(config: Config, logger: Logger, shutdown: Shutdown, say: (line: string) => void): Promise<ClusterStack> {
  const dataDir = config.embedded.dataDir;
  const dir = path.join(dataDir, 'cluster');
  assertPostgresMayEnter(path.join(dir, 'postgres'), 'DATA_DIR');
  const binaries = await ensureServer(say);

  say('starting PostgreSQL ...');
  const postgres = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: config.embedded.postgresPort });
  shutdown.add('PostgreSQL', postgres.stop);
  const certificates = ensureCertificates(path.join(dir, 'certs'));

  say("applying Temporal's schemas and starting the Temporal server (mTLS) ...");
  // The API processes listen on PORT and PORT+1 once Temporal is up; its own ports are chosen around them.
  const apiPorts = [config.http.port, config.http.port + 1];
  const temporal = await startTemporalServer({
    binaries,
    dir: path.join(dir, 'temporal'),
    postgres: { host: '127.0.0.1', port: config.embedded.postgresPort, user: 'postgres', password: 'postgres' },
    certificates,
    avoid: apiPorts,
    say,
  });
  shutdown.add('Temporal server', temporal.stop);
  const { namespace, retention } = config.temporal;
  const client = await connectClient(temporal.address, namespace, temporal.connection);
  try {
    const prepared = await prepareNamespace(client.connection, namespace, msToNumber(retention));
    logger.info({ namespace, retention, created: prepared.namespace === 'created', added: prepared.added }, 'namespace ready');
    await ensureCleanupSchedule(client, { taskQueue: config.temporal.taskQueue, retention: config.temporal.personalDataRetention });
  } finally {
    await client.connection.close();
  }

  const profileFile = path.join(dir, 'temporal.toml');
  writeFileSync(
    profileFile,
    [
      `# Written by npm run cluster: temporal --config-file ${profileFile} --profile ${CLUSTER_PROFILE} workflow list`,
      `[profile.${CLUSTER_PROFILE}]`,
      `address = "${temporal.address}"`,
      `namespace = "${namespace}"`,
      `[profile.${CLUSTER_PROFILE}.tls]`,
      `client_cert_path = "${certificates.clientCert}"`,
      `client_key_path = "${certificates.clientKey}"`,
      `server_ca_cert_path = "${certificates.ca}"`,
      `server_name = "${certificates.serverName}"`,
      '',
    ].join('\n'),
  );

  const db = createDb(postgres.url, 1, logger);
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  useDevWebhookCredentials(config);
  config.reportLinks.secret ??= loadOrCreateDevSecret(dataDir, 'report-link-secret', 'rls_dev_').secret;
  // As with npm start: a local stand-in also receives the status webhooks, unless PLATFORM_WEBHOOK_URL says otherwise.
  const statusWebhooks = useDevPlatformWebhook(config, !config.singlekey.apiUrl);
  assertStrongSecrets(config);
  config.temporal.payloadCodecKeys ??= loadOrCreateCodecKeys(dataDir).keys;
  const sink = await startSmtpSink({ folder: path.join(dataDir, 'mail'), port: config.embedded.smtpPort });
  shutdown.add('mail sink', sink.stop);
  // SingleKey: the configured API (the benchmark's own stand-in, or the real sandbox), else a local stand-in as with npm start.
  let singlekeyUrl = config.singlekey.apiUrl;
  if (!singlekeyUrl) {
    const standIn = await startEmbeddedSingleKey(config, logger);
    shutdown.add('SingleKey stand-in', standIn.close);
    singlekeyUrl = standIn.url;
  }

  // The processes get this process's settings (lifecycle durations, mail sender, ...), with the cluster's
  // connections in place of any other: a TEMPORAL_ADDRESS here would override their profile.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(TEMPORAL_(?!TASK_QUEUE|RETENTION)|PORT$|HOST$|DATABASE_URL$|SMTP_URL$|SINGLEKEY_|PAYLOAD_CODEC_KEYS)/.test(name),
    ),
  );
  const env: Record<string, string | undefined> = {
    ...inherited,
    LOG_LEVEL: config.logLevel ?? 'info',
    TEMPORAL_CONFIG_FILE: profileFile,
    TEMPORAL_PROFILE: CLUSTER_PROFILE,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    DATABASE_URL: postgres.url,
    SMTP_URL: sink.url,
    SINGLEKEY_API_URL: singlekeyUrl,
    SINGLEKEY_API_TOKEN: config.singlekey.apiToken,
    SINGLEKEY_WEBHOOK_SECRETS: config.singlekey.webhookSecrets.join(','),
    SINGLEKEY_HANDSHAKE_TOKEN: config.singlekey.handshakeToken,
    REPORT_LINK_SECRET: config.reportLinks.secret,
    PLATFORM_WEBHOOK_URL: config.platformWebhook.url,
    PLATFORM_WEBHOOK_SECRET: config.platformWebhook.secret,
    PAYLOAD_CODEC_KEYS: formatCodecKeys(config.temporal.payloadCodecKeys),
    PUBLIC_BASE_URL: config.reportLinks.publicBaseUrl,
  };
  const apiProcesses = apiPorts.map((port, i) =>
    supervise({
      name: `api ${i + 1}`,
      entry: 'cli/api.ts',
      env: { ...env, PORT: String(port), HOST: config.http.host },
      logFile: path.join(dir, `api-${i + 1}.log`),
      pidFile: path.join(dir, `api-${i + 1}.pid`),
    }),
  );
  const workers = [1, 2].map((n) =>
    supervise({
      name: `worker ${n}`,
      entry: 'cli/worker.ts',
      env: { ...env, WORKER_METRICS_PORT: '0' },
      logFile: path.join(dir, `worker-${n}.log`),
      pidFile: path.join(dir, `worker-${n}.pid`),
    }),
  );
  for (const process of [...apiProcesses, ...workers]) shutdown.add(process.name, process.stop);
  say('starting two API processes and two workers ...');
  await Promise.all([...apiProcesses, ...workers].map((process) => process.ready()));

  const apis = apiPorts.map((port) => `http://127.0.0.1:${port}`);
  return {
    apis,
    apiProcesses,
    workers,
    profileFile,
    temporalAddress: temporal.address,
    databaseUrl: postgres.url,
    mailFolder: sink.folder,
    summary: [
      ['API', `${apis.join(' and ')}  (two processes; webhooks: POST <either>/webhooks/singlekey; logs: ${dir}/api-*.log)`],
      ['Workers', `two processes (logs: ${dir}/worker-*.log)`],
      ['Temporal', `${temporal.address}, mTLS (server ${binaries.server}; log: ${temporal.logFile})`],
      ['Profile', `${profileFile}  (temporal --config-file ${profileFile} --profile ${CLUSTER_PROFILE} workflow list)`],
      ['Certificates', path.dirname(certificates.ca)],
      ['PostgreSQL', postgres.url],
      ['Mail', `${sink.url}, messages kept as .eml in ${sink.folder}`],
      ['SingleKey', config.singlekey.apiUrl ? `${singlekeyUrl} (SINGLEKEY_API_URL)` : `${singlekeyUrl}  (stand-in)`],
      ...statusWebhooks,
    ],
  };
}
