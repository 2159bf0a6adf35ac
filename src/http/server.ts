import type { Client } from '@temporalio/client';
import { createServer, type Server } from 'node:http';
import type { Config } from '../config';
import { type Db, pingDb } from '../db/connection';
import { appendDeliveryLog } from '../db/delivery-log';
import { createApp } from './app';
import { createMetrics, registerReadModelGauges } from '../metrics';
import { msToNumber } from '@temporalio/common';
import type { Logger } from '../logger';
import { pingTemporal } from '../temporal/connect';
import { screeningSignalerFor } from '../temporal/screening-signaler';
import { createWebhookInbox } from '../webhook/inbox';
import { EncryptionCodec } from '../temporal/payload-codec';

export interface RunningApi {
  server: Server;
  url: string;
  /** Stops accepting connections and waits for in-flight requests (up to `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Builds the Koa app on real dependencies and listens on the configured host and port. */
export async function startApi(opts: {
  config: Config;
  client: Client;
  db: Db;
  logger: Logger;
  extraMetrics?: (() => Promise<string>)[];
}): Promise<RunningApi> {
  const { config, client, db, logger } = opts;
  const codecKeys = config.temporal.payloadCodecKeys;
  const metrics = createMetrics();
  const stuckAfterMs = msToNumber(config.lifecycle.completionSla) + 3_600_000;
  registerReadModelGauges(metrics, {
    async countByStatus() {
      const rows = (await db('screenings').select('status').count({ count: '*' }).groupBy('status')) as { status: string; count: string }[];
      return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
    },
    async inbox() {
      const [row] = (await db('webhook_inbox').select(
        db.raw('count(*)::int as depth'),
        db.raw('coalesce(extract(epoch from now() - min(received_at)), 0)::float as oldest'),
      )) as { depth: number; oldest: number }[];
      return { depth: row?.depth ?? 0, oldestSeconds: row?.oldest ?? 0 };
    },
    async countStuckSubmitted() {
      const [row] = (await db('screenings')
        .where({ status: 'submitted' })
        .where('submitted_at', '<', new Date(Date.now() - stuckAfterMs))
        .count({ count: '*' })) as { count: string }[];
      return Number(row?.count ?? 0);
    },
  });
  // With the inbox as a fallback, a signal that takes 2 s is queued instead: SingleKey gets its 200 in time.
  const signaler = screeningSignalerFor(client, config, db, config.webhookInbox === 'fallback' ? 2_000 : undefined);
  const inbox =
    config.webhookInbox === 'off'
      ? undefined
      : createWebhookInbox({
          db,
          // The forwarder has no one waiting: the signaler's full 10 s, not the edge's 2 s.
          signaler: config.webhookInbox === 'fallback' ? screeningSignalerFor(client, config, db) : signaler,
          logger,
          mode: config.webhookInbox,
          observeSignal: (outcome, seconds) => metrics.signalSeconds.observe({ outcome }, seconds),
        });
  inbox?.startForwarding();
  const app = createApp({
    config,
    logger,
    signaler,
    inbox,
    metrics,
    extraMetrics: opts.extraMetrics,
    deliveryLog: (records) => appendDeliveryLog(db, records),
    reports: config.reportLinks.secret ? { db, secret: config.reportLinks.secret } : undefined,
    readinessChecks: { temporal: () => pingTemporal(client), postgres: () => pingDb(db) },
    codec: codecKeys ? { codec: new EncryptionCodec(codecKeys), ...config.codecServer } : undefined,
    platform:
      config.platformKeys.length > 0
        ? {
            db,
            keys: config.platformKeys,
            reportLinks: config.reportLinks.secret
              ? { publicBaseUrl: config.reportLinks.publicBaseUrl, secret: config.reportLinks.secret, ttlMs: msToNumber(config.reportLinks.ttl) }
              : undefined,
            requests: { client, taskQueue: config.temporal.taskQueue, callbackUrl: `${config.reportLinks.publicBaseUrl}/webhooks/singlekey` },
          }
        : undefined,
  });
  const server = createServer(app.callback());
  // SingleKey waits up to 30 s; a slow client must not hold a socket much longer than that.
  server.requestTimeout = 35_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
  const url = `http://${host}:${config.http.port}`;
  logger.info({ url }, 'API listening');
  return {
    server,
    url,
    async stop(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      // After the last delivery was answered: what is queued now is forwarded by the next start (or another replica).
      await inbox?.stop();
    },
  };
}
