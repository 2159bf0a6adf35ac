import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The API's Prometheus metrics, in a registry of its own (one per app, so tests do not share
 * counters). Names and labels are part of the operating contract: change them only with the README.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    deliveries: new Counter({
      name: 'screening_webhook_deliveries_total',
      help: 'Webhook deliveries by normalised event and outcome (accepted, late, unknown_event, rejected, unavailable)',
      labelNames: ['event', 'outcome', 'reason'] as const,
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'screening_webhook_request_duration_seconds',
      help: 'Time from request start to answer, by HTTP status',
      labelNames: ['status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
