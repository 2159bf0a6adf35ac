import { metricMeter as activityMetrics } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { type Config, requireSetting, SINGLEKEY_SANDBOX_URL } from '../config';
import { msToNumber } from '@temporalio/common';
import type { Db } from '../db/connection';
import type { Logger } from '../logger';
import { createSingleKeyClient } from '../singlekey/client';
import { purchaseTokenOf } from '../../workflows/messages';
import type { Transporter } from 'nodemailer';
import { workflowCode } from './workflow-bundle';
import { dataConverterFor } from './payload-codec';
import { connectClient } from './connect';
import { screeningSignalerFor } from './screening-signaler';

export interface RunningWorker {
  /** Resolves when the worker has stopped (after `stop()` or on a fatal error). */
  done: Promise<void>;
  /** Stops polling, lets in-flight tasks finish, then resolves. */
  stop(): Promise<void>;
}

/**
 * How the worker takes workflow tasks. A burst of new screenings arrives on the task queue itself,
 * not on this worker's sticky queue: the defaults (10 pollers, a fifth of them there, 40 tasks at a
 * time) drained 3,000 new screenings in 55 s on the bench's 2 cores; 20 pollers split evenly and
 * 100 tasks, in 44 s. The bench's floor phase runs its yardstick workflows with the same.
 */
export const workflowTaskSettings = {
  maxConcurrentWorkflowTaskPolls: 20,
  nonStickyToStickyPollRatio: 1,
  maxConcurrentWorkflowTaskExecutions: 100,
} as const;

let runtimeInstalled = false;

/** Activity and workflow log lines carry workflowId `screening-<token>`: name the token as the API's lines do. */
export function withPurchaseToken(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  const purchaseToken = typeof meta?.workflowId === 'string' ? purchaseTokenOf(meta.workflowId) : undefined;
  return purchaseToken ? { ...meta, purchaseToken } : { ...meta };
}

/**
 * Sends the SDK's own logs (warnings and worse) through our logger, and leaves SIGINT/SIGTERM to
 * our shutdown sequence, which stops the HTTP API before the worker rather than at the same time.
 * The runtime is process-wide: the first caller's settings stay.
 */
function installRuntime(logger: Logger, metricsPort: number): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdk = logger.child({ component: 'temporal-sdk' });
  try {
    Runtime.install({
      shutdownSignals: [],
      telemetryOptions: {
        logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
        // The SDK's own metrics and the service's workflow and activity metrics, in Prometheus text.
        ...(metricsPort ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}`, countersTotalSuffix: true, useSecondsForDurations: true } } } : {}),
      },
      logger: new DefaultLogger('INFO', ({ level, message, meta }) => {
        // The worker's own INFO lines are bundler statistics and state changes: noise here.
        if (level === 'INFO' && meta?.sdkComponent === 'worker') return;
        const method = level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
        sdk[method](withPurchaseToken(meta), message);
      }),
    });
  } catch {
    // Already created by something else in this process (a test environment): keep that one.
  }
}

/** Where the status webhooks go once PLATFORM_WEBHOOK_URL is set (loadConfig refuses a URL without its secret); unset: none are sent. */
function platformWebhookOf(config: Config) {
  const { url, secret } = config.platformWebhook;
  return url !== undefined && secret !== undefined ? { url, secret, publicBaseUrl: config.reportLinks.publicBaseUrl } : undefined;
}

/** Creates and runs the screening worker on `address`, with the TLS and API key settings of `config.temporal.connection`. */
export async function startWorker(opts: { config: Config; address: string; db: Db; mailer: Transporter; logger: Logger }): Promise<RunningWorker> {
  const { config, db, mailer, logger } = opts;
  installRuntime(logger, config.workerMetricsPort);
  const connection = await NativeConnection.connect({ ...config.temporal.connection, address: opts.address });
  // The retention clean-up deletes workflow runs: a client of its own, on the same settings.
  const client = await connectClient(opts.address, config.temporal.namespace, config.temporal.connection, config.temporal.payloadCodecKeys);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflowCode(config.temporal.workflowBundle),
    dataConverter: dataConverterFor(config.temporal.payloadCodecKeys),
    activities: createActivities({
      db,
      mailer,
      client,
      signaler: screeningSignalerFor(client, config, db),
      mail: config.mail,
      singlekey: createSingleKeyClient({
        apiUrl: config.singlekey.apiUrl ?? SINGLEKEY_SANDBOX_URL,
        apiToken: config.singlekey.apiToken,
        // Calls happen inside activities, whose metric meter exports through the worker's endpoint.
        onCall: (endpoint, status) =>
          activityMetrics.createCounter('screening_singlekey_calls', 'calls', 'SingleKey API calls by endpoint and status').add(1, { endpoint, status }),
      }),
      reportLinks: {
        publicBaseUrl: config.reportLinks.publicBaseUrl,
        secret: requireSetting(config.reportLinks.secret, 'REPORT_LINK_SECRET', 'the worker (it signs report links)'),
        ttlMs: msToNumber(config.reportLinks.ttl),
      },
      platformWebhook: platformWebhookOf(config),
    }),
    shutdownGraceTime: '20 seconds',
    // A bounded cache: an open screening sleeps for days between deliveries, and replaying its short
    // history when it wakes costs less than holding thousands in memory (README, "Benchmarks": about
    // 0.2 MiB each, but caching 100 instead of 500 made p99 at 40 deliveries/s 1.5 s instead of 0.6 s).
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    ...workflowTaskSettings,
  });
  const done = worker.run().finally(() => Promise.all([connection.close(), client.connection.close()]));
  done.catch((error: unknown) => logger.error({ err: error }, 'worker stopped with an error'));
  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started');
  return {
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => undefined);
    },
  };
}
