import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Transporter } from 'nodemailer';
import { createActivities } from '../../activities';
import { createDb, type Db, migrateLatest } from '../../src/db/connection';
import { createMailer } from '../../src/mail/mailer';
import { createSingleKeyClient } from '../../src/singlekey/client';
import { connectClient } from '../../src/temporal/connect';
import { testEnvironment } from './environment';
import { type SingleKeyStandIn, type StandInOptions, startSingleKeyStandIn } from '../../devkit/stand-in/server';
import type { ScreeningSignaler } from '../../src/temporal/screening-signaler';

const TEST_FROM = 'Screenings <screenings@example.test>';
const TEST_ALERTS = 'ops@example.test';
export const TEST_REPORT_LINKS = { publicBaseUrl: 'http://reports.example.test', secret: 'report-link-test-secret', ttlMs: 30 * 24 * 3_600_000 };
/** Signs the status webhooks in tests (32 bytes; Standard Webhooks asks for 24 or more). */
export const TEST_PLATFORM_WEBHOOK_SECRET = `whsec_${Buffer.from('status-webhook-test-secret-32-by').toString('base64')}`;

/** A worker with the real activities on the test PostgreSQL, SMTP server and a SingleKey stand-in (which also receives the status webhooks). */
export async function startScreeningWorker(
  connection: NativeConnection,
  taskQueue: string,
  options: {
    smtpUrl?: string;
    client?: Client;
    /** Starts requested screenings (`POST /screenings`). */
    signaler?: ScreeningSignaler;
    standIn?: StandInOptions;
  } = {},
) {
  const env = testEnvironment();
  const db: Db = createDb(env.databaseUrl);
  await migrateLatest(db);
  const mailer: Transporter = createMailer(options.smtpUrl ?? env.smtpUrl);
  const singlekey: SingleKeyStandIn = await startSingleKeyStandIn({ platformWebhookSecret: TEST_PLATFORM_WEBHOOK_SECRET, ...options.standIn });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities: createActivities({
      db,
      mailer,
      mail: { from: TEST_FROM, alertEmail: TEST_ALERTS },
      singlekey: createSingleKeyClient({ apiUrl: singlekey.url, apiToken: singlekey.token }),
      reportLinks: TEST_REPORT_LINKS,
      client: options.client,
      signaler: options.signaler,
      platformWebhook: { url: singlekey.platformWebhookUrl, secret: TEST_PLATFORM_WEBHOOK_SECRET, publicBaseUrl: TEST_REPORT_LINKS.publicBaseUrl },
    }),
  });
  const running = worker.run();
  return {
    db,
    singlekey,
    async stop() {
      worker.shutdown();
      await running;
      mailer.close();
      await singlekey.close();
      await db.destroy();
    },
  };
}

/** Mails received by the test SMTP server for `recipient` whose subject starts with `subject`. */
export function mailsTo(recipient: string, subject = ''): string[] {
  return testEnvironment()
    .mails.filter((mail) => mail.to.includes(recipient) && (mail.subject ?? '').startsWith(subject))
    .map((mail) => mail.subject ?? '');
}

/**
 * Probes until `accept` holds. A failing probe counts as "not yet": a query can fail for a moment
 * while a workflow task is being retried (seen on a CPU-starved machine), and the property under
 * test is where the screening ends, not that every intermediate query answers.
 */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const value = await probe();
      if (accept(value)) return value;
      last = `value: ${JSON.stringify(value)}`;
    } catch (error) {
      last = `error: ${String(error)}`;
    }
    if (Date.now() > deadline) throw new Error(`condition not reached; last ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface TestTemporal {
  /** For workers. */
  connection: NativeConnection;
  client: Client;
  /** Closes the client's and the workers' connections. */
  close(): Promise<void>;
}

/** The test environment's Temporal dev server, reached as workers and as a client reach it. */
export async function connectTestTemporal(): Promise<TestTemporal> {
  const address = testEnvironment().temporalAddress;
  const connection = await NativeConnection.connect({ address });
  const client = await connectClient(address, 'default');
  return {
    connection,
    client,
    async close() {
      await client.connection.close();
      await connection.close();
    },
  };
}
