import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { ScreeningSignaler } from '../temporal/screening-signaler';
import { HttpError } from './errors';
import { registerReportRoute } from './report-route';
import { registerWebhookRoute } from './webhook-route';
import type { Db } from '../db';
import type { EventRecord } from '../../workflows/messages';

export interface AppDeps {
  config: Config;
  logger: Logger;
  signaler: ScreeningSignaler;
  metrics: Metrics;
  /** Logs deliveries that reach no workflow (unknown events, late deliveries). */
  eventLog?: (records: EventRecord[]) => Promise<void>;
  /** Serves archived report PDFs behind signed links when given. */
  reports?: { db: Db; secret: string };
  /** Named dependency checks for `/readyz`; each rejects when its dependency is unreachable. */
  readinessChecks: Record<string, () => Promise<void>>;
}

/** Assembles the HTTP API without listening, so tests can drive `app.callback()` directly. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = true;

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } catch (error) {
      if (error instanceof HttpError) {
        ctx.status = error.status;
        ctx.body = { error: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
      } else {
        deps.logger.error({ err: error, method: ctx.method, path: ctx.path }, 'unhandled error');
        ctx.status = 500;
        ctx.body = { error: 'internal_error', message: 'internal error' };
      }
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
    }
  });

  const router = new Router();
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
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  registerWebhookRoute(router, deps);
  if (deps.reports) registerReportRoute(router, deps.reports);

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
