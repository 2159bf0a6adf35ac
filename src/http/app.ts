import Router from '@koa/router';
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { METHODS } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { ScreeningSignaler } from '../temporal/screening-signaler';
import { HttpError } from './errors';
import { registerReportRoute } from './report-route';
import { type CodecServerOptions, registerCodecRoutes } from './codec-route';
import { openApiDocument } from './openapi';
import { type PlatformReadDeps, registerScreeningsRoutes } from './screenings-route';
import { registerWebhookRoute } from './webhook-route';
import { safeEqual } from '../webhook/authenticate';
import type { Db } from '../db/connection';
import type { DeliveryLogEntry } from '../../workflows/messages';
import type { WebhookInbox } from '../webhook/inbox';

export interface AppDeps {
  config: Config;
  logger: Logger;
  signaler: ScreeningSignaler;
  metrics: Metrics;
  /** More Prometheus text appended to `/metrics` (the worker's exporter in `npm start`). */
  extraMetrics?: (() => Promise<string>)[];
  /** The delivery log: every delivery the edge handed on or acknowledged (applied, late, unknown). */
  deliveryLog?: (records: DeliveryLogEntry[]) => Promise<void>;
  /** WEBHOOK_INBOX `fallback` or `always`: where deliveries are committed before the 200. */
  inbox?: WebhookInbox;
  /** Serves archived report PDFs behind signed links when given. */
  reports?: { db: Db; secret: string };
  /** Serves the rental platform's read API under /screenings when given. */
  platform?: PlatformReadDeps;
  /** Serves Temporal's codec server protocol under /codec when given. */
  codec?: CodecServerOptions;
  /** Named dependency checks for `/readyz`; each rejects when its dependency is unreachable. */
  readinessChecks: Record<string, () => Promise<void>>;
}

/** Assembles the HTTP API without listening, so tests can drive `app.callback()` directly. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = true;

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    // Every log line of a request carries its id (the caller's X-Request-Id when it sent a sane one).
    const given = ctx.get('X-Request-Id');
    const reqId = /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', reqId);
    ctx.state.log = deps.logger.child({ reqId });
    try {
      await next();
    } catch (error) {
      if (error instanceof HttpError) {
        ctx.status = error.status;
        ctx.body = { error: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
      } else {
        (ctx.state.log as Logger).error({ err: error, method: ctx.method, path: ctx.path }, 'unhandled error');
        ctx.status = 500;
        ctx.body = { error: 'internal_error', message: 'internal error' };
      }
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      (ctx.state.log as Logger).debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
    }
  });

  // Every method Node's parser lets through (TRACE, QUERY, ...) is refused with 405 and Allow on a
  // known path, not with koa-router's 501: a 5xx says the server failed, and this is the caller's mistake.
  const router = new Router({ methods: METHODS });
  if (deps.codec) registerCodecRoutes(router, deps.codec);
  if (deps.platform) registerScreeningsRoutes(router, deps.platform);
  let openApi: ReturnType<typeof openApiDocument> | undefined;
  // The platform's contract, public like any API description; generated on first use.
  router.get('/openapi.json', (ctx) => {
    ctx.body = openApi ??= openApiDocument();
  });
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      Object.entries(deps.readinessChecks).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, `unavailable: ${(error as Error).message}`] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) };
  });
  router.get('/metrics', async (ctx) => {
    if (deps.config.metricsToken && !safeEqual(ctx.get('Authorization'), `Bearer ${deps.config.metricsToken}`)) {
      throw new HttpError(401, 'unauthorized', 'metrics need Authorization: Bearer <METRICS_TOKEN>');
    }
    const parts = [await deps.metrics.registry.metrics()];
    // In the all-in-one process the worker's exporter is on another port; serve both here.
    for (const source of deps.extraMetrics ?? []) parts.push(await source().catch((error: unknown) => `# ${String(error)}\n`));
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = parts.join('\n');
  });
  registerWebhookRoute(router, deps);
  if (deps.reports) registerReportRoute(router, deps.reports);

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
