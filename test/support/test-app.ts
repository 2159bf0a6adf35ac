import type Koa from 'koa';
import pino from 'pino';
import { type AppDeps, createApp } from '../../src/http/app';
import { createMetrics } from '../../src/metrics';
import { testEnvironment } from './environment';

/**
 * The HTTP app as most suites assemble it: the test environment's config, silent logs, fresh
 * metrics, no readiness checks, and a signaler that fails if called; `deps` replaces any of them and
 * adds the parts under test.
 */
export function testApp(deps: Partial<AppDeps> = {}): Koa {
  return createApp({
    config: testEnvironment().config(),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    signaler: { signal: () => Promise.reject(new Error('not used')) },
    readinessChecks: {},
    ...deps,
  });
}
