import assert from 'node:assert/strict';
import pino from 'pino';
import { createApp } from '../../../src/http/app';
import { createMetrics } from '../../../src/metrics';
import { testEnvironment } from '../../support/environment';
import { serve } from '../../support/serve';

describe('GET /metrics', () => {
  async function withApp(env: Record<string, string>, extraMetrics: (() => Promise<string>)[], run: (url: string) => Promise<void>) {
    const server = await serve(
      createApp({
        config: testEnvironment().config(env),
        logger: pino({ level: 'silent' }),
        metrics: createMetrics(),
        signaler: { signal: () => Promise.reject(new Error('not used')) },
        readinessChecks: {},
        extraMetrics,
      }),
    );
    try {
      await run(`${server.url}/metrics`);
    } finally {
      await server.close();
    }
  }

  it('requires the bearer token when METRICS_TOKEN is set', async () => {
    await withApp({ METRICS_TOKEN: 'scrape-me' }, [], async (url) => {
      assert.equal((await fetch(url)).status, 401);
      assert.equal((await fetch(url, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
      const response = await fetch(url, { headers: { Authorization: 'Bearer scrape-me' } });
      assert.equal(response.status, 200);
      assert.match(await response.text(), /screening_webhook_deliveries_total/);
    });
  });

  it('appends the worker exporter text, and says so in a comment when it is unreachable', async () => {
    const sources = [async () => 'worker_metric_total 3\n', () => Promise.reject(new Error('worker exporter down'))];
    await withApp({}, sources, async (url) => {
      const text = await (await fetch(url)).text();
      assert.match(text, /^worker_metric_total 3$/m);
      assert.match(text, /^# Error: worker exporter down$/m);
    });
  });
});
