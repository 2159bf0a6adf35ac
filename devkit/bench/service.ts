import type { Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createDb, type Db } from '../../src/db/connection';
import { connectClient } from '../../src/temporal/connect';
import { devCodecKeys } from '../embedded/dev-secret';
import { formatCodecKeys } from '../../src/temporal/payload-codec';
import { createScreeningSignaler, type ScreeningSignaler } from '../../src/temporal/screening-signaler';
import { DEFAULT_TASK_QUEUE } from '../../workflows/messages';
import { freeServicePorts, startServiceProcess } from '../embedded/service-process';
import { startSingleKeyStandIn } from '../stand-in/server';
import { say } from './load';
import type { BenchOptions } from './options';
import { urlFor } from '../embedded/postgres';
import { openScratch } from '../embedded/scratch';

/** Service settings `npm run bench` passes on from its own environment, to compare them. */
const BENCHED_SETTINGS = ['WEBHOOK_INBOX', 'WORKER_MAX_CACHED_WORKFLOWS'] as const;

/** The service under test and what the phases reach it with. */
export interface BenchService {
  /** Base URL of the service's HTTP API (the first, when there are several). */
  api: string;
  /** Every API process; deliveries go to them in turn, as a load balancer would send them. */
  apis: string[];
  client: Client;
  db: Db;
  /** The service's data folder (its `mail/` holds the e-mails the SMTP sink received). */
  dataDir: string;
  /** The service's PostgreSQL (the peer receiver writes there too). */
  databaseUrl: string;
  /** The webhook signing secret the service generated. */
  secret: string;
  pid: number | undefined;
  /** Signal-with-start straight to Temporal, as the edge hands over a delivery (without its read-model lookup). */
  signaler: ScreeningSignaler;
  /** Prefix of every purchase token of this run: `bench-<run>-`, then a letter per phase. */
  tokens: string;
  /**
   * What a production worker (`npm run worker`) needs to join this service's Temporal, PostgreSQL,
   * mail sink and SingleKey stand-in, as `npm run cluster` and the chaos suite configure theirs.
   */
  workerEnv?: Record<string, string>;
  /** Closes the connections, stops the service and the stand-in, removes the data folder. */
  stop(): Promise<void>;
}

/**
 * Starts the service on embedded defaults and free ports (with a SingleKey stand-in whose reports
 * are ready at once), as `npm start` would on a newcomer's machine.
 */
export async function startBenchService(options: BenchOptions): Promise<BenchService> {
  const { dir: dataDir, defer, stop } = openScratch('screenings-bench-');
  try {
    const ports = await freeServicePorts();
    const singlekey = await startSingleKeyStandIn({ token: 'bench-token', readyByDefault: true });
    defer(() => singlekey.close());
    say(`starting the service on embedded defaults in ${dataDir} ...`);
    // The settings the benchmark compares (`WEBHOOK_INBOX=off npm run bench`), passed on when set.
    const benchedSettings = Object.fromEntries(BENCHED_SETTINGS.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
    const service = await startServiceProcess({
      dataDir,
      ports,
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      env: {
        LOG_LEVEL: 'warn',
        SINGLEKEY_API_URL: singlekey.url,
        SINGLEKEY_API_TOKEN: singlekey.token,
        PUBLIC_BASE_URL: `http://127.0.0.1:${ports.api}`,
        ...benchedSettings,
      },
      nodeArgs: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.profile)}`] : [],
    });
    defer(() => service.stop());
    const secret = readFileSync(path.join(dataDir, 'webhook-secret'), 'utf8').trim();
    const db = createDb(urlFor(ports.postgres), 4);
    defer(() => db.destroy());
    const client = await connectClient(`127.0.0.1:${ports.temporal}`, 'default', {}, devCodecKeys(dataDir));
    defer(() => client.connection.close());
    return {
      api: `http://127.0.0.1:${ports.api}`,
      apis: [`http://127.0.0.1:${ports.api}`],
      client,
      db,
      dataDir,
      databaseUrl: urlFor(ports.postgres),
      secret,
      pid: service.child.pid,
      signaler: createScreeningSignaler(client, { taskQueue: DEFAULT_TASK_QUEUE, lifecycle: loadConfig({}).lifecycle }),
      tokens: `bench-${Date.now().toString(36)}-`,
      workerEnv: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
        DATABASE_URL: urlFor(ports.postgres),
        SMTP_URL: `smtp://127.0.0.1:${ports.smtp}`,
        SINGLEKEY_API_URL: singlekey.url,
        SINGLEKEY_API_TOKEN: singlekey.token,
        REPORT_LINK_SECRET: readFileSync(path.join(dataDir, 'report-link-secret'), 'utf8').trim(),
        PAYLOAD_CODEC_KEYS: formatCodecKeys(devCodecKeys(dataDir)!),
        WORKER_METRICS_PORT: '0',
        // The bundle `npm start` made, as a deployed worker takes the one built into its image.
        WORKFLOW_BUNDLE: path.join(dataDir, 'workflow-bundle.js'),
        ...benchedSettings,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
