import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createDb, type Db, migrateLatest } from '../../src/db/connection';
import { createLogger } from '../../src/logger';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/temporal/connect';
import { formatCodecKeys, newCodecKeyLine, parseCodecKeys } from '../../src/temporal/payload-codec';
import { freePort } from '../embedded/free-port';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../embedded/postgres';
import { type DevServer, startTemporalDevServer } from '../embedded/temporal-dev-server';
import { startSingleKeyStandIn } from '../stand-in/server';
import { requireBinary } from '../temporal-binaries';
import { openScratch } from '../embedded/scratch';
import { type ChaosMailServer, startChaosMailServer } from './mail-server';
import { supervise, type Supervised } from '../embedded/supervised';

/** Fresh for every run: the API processes refuse a short or published secret. */
export const CHAOS_WEBHOOK_SECRET = `whsec_chaos_${randomBytes(24).toString('hex')}`;

/** Every part of the service as separate real processes on loopback ports, and the handles to break them. */
export interface ChaosStack {
  dataDir: string;
  /** The two API processes' base URLs (a load balancer would sit in front of them). */
  apis: string[];
  apiProcesses: Supervised[];
  worker: Supervised;
  mail: ChaosMailServer;
  /** A connection to the service's database, for counting (it reconnects after an outage). */
  db: Db;
  /** A Temporal client, to ask each screening's workflow what it still has under way (it reconnects after a restart). */
  client: Client;
  /** Stops PostgreSQL (fast shutdown) and resolves when it is down; `startPostgres` brings it back on the same port and data. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL and a Temporal dev server (persistent files, so they can be stopped and started
 * again), the chaos mail server, a SingleKey stand-in whose reports are ready at once, then two
 * `cli/api.ts` and one `cli/worker.ts` under a restarting supervisor, configured as in production
 * (no embedded parts: `npm run api` / `npm run worker`).
 */
export async function startChaosStack(options: { say: (line: string) => void }): Promise<ChaosStack> {
  const { dir: dataDir, defer, stop } = openScratch('screenings-chaos-');
  try {
    const [temporalPort, postgresPort, smtpPort, apiPorts] = [await freePort(), await freePort(), await freePort(), [await freePort(), await freePort()]];
    options.say(`  starting PostgreSQL, Temporal, the mail server and the SingleKey stand-in in ${dataDir} ...`);
    let postgres: EmbeddedPostgres | undefined;
    const startPostgres = async () => {
      postgres = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port: postgresPort, dirSetting: 'TMPDIR' });
    };
    const stopPostgres = async () => {
      await postgres?.stop();
      postgres = undefined;
    };
    await startPostgres();
    defer(stopPostgres);

    let temporal: DevServer | undefined;
    const cliPath = requireBinary('cli', loadConfig({ PATH: process.env.PATH, TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH }));
    const startTemporal = async () => {
      temporal = await startTemporalDevServer({ cliPath, dir: path.join(dataDir, 'temporal'), port: temporalPort, uiPort: 0, namespace: 'default', ui: false });
    };
    const stopTemporal = async () => {
      await temporal?.stop();
      temporal = undefined;
    };
    await startTemporal();
    defer(stopTemporal);

    const mail = await startChaosMailServer({ port: smtpPort, logFile: path.join(dataDir, 'smtp.jsonl') });
    defer(() => mail.close());
    const singlekey = await startSingleKeyStandIn({ token: 'chaos-token', readyByDefault: true });
    defer(() => singlekey.close());

    const databaseUrl = postgres!.url;
    // Silent: it sees every PostgreSQL outage the suite causes, and reconnects after it.
    const db = createDb(databaseUrl, 4, createLogger({ logLevel: 'silent' }));
    defer(() => db.destroy());
    await migrateLatest(db);
    const codecKeys = parseCodecKeys(newCodecKeyLine());
    const client = await connectClient(`127.0.0.1:${temporalPort}`, 'default', {}, codecKeys);
    defer(() => client.connection.close());

    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      DATABASE_URL: databaseUrl,
      SMTP_URL: mail.url,
      SINGLEKEY_API_URL: singlekey.url,
      SINGLEKEY_API_TOKEN: singlekey.token,
      SINGLEKEY_WEBHOOK_SECRETS: CHAOS_WEBHOOK_SECRET,
      REPORT_LINK_SECRET: `rls_chaos_${randomBytes(24).toString('hex')}`,
      ALERT_EMAIL: 'team@chaos.test',
      PAYLOAD_CODEC_KEYS: formatCodecKeys(codecKeys),
    };
    const apiProcesses = apiPorts.map((port, i) =>
      supervise({
        name: `api ${i + 1}`,
        entry: 'cli/api.ts',
        env: { ...env, PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
        logFile: path.join(dataDir, `api-${i + 1}.log`),
      }),
    );
    const worker = supervise({
      name: 'worker',
      entry: 'cli/worker.ts',
      env: { ...env, WORKER_METRICS_PORT: '0' },
      logFile: path.join(dataDir, 'worker.log'),
    });
    for (const process of [...apiProcesses, worker]) defer(() => process.stop());
    options.say('  starting two API processes and a worker ...');
    await Promise.all([...apiProcesses, worker].map((process) => process.ready()));
    return {
      dataDir,
      apis: apiPorts.map((port) => `http://127.0.0.1:${port}`),
      apiProcesses,
      worker,
      mail,
      db,
      client,
      stopPostgres,
      startPostgres,
      stopTemporal,
      startTemporal,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
