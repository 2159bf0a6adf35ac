import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The API's Prometheus metrics, in a registry of its own (one per app, so tests do not share
 * counters). Names and labels are part of the operating contract: the README lists them and the
 * alert rules in ops/ use them; change them together.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    deliveries: new Counter({
      name: 'screening_webhook_deliveries_total',
      help: 'Webhook deliveries by normalised event and outcome (accepted, late, unknown_event, rejected, unavailable); reason is the error code of rejections',
      labelNames: ['event', 'outcome', 'reason'] as const,
      registers: [registry],
    }),
    authenticated: new Counter({
      name: 'screening_webhook_authenticated_total',
      help: 'Authentic deliveries by method (hmac, handshake); secret is the position in SINGLEKEY_WEBHOOK_SECRETS of the one that verified it (0 = newest)',
      labelNames: ['method', 'secret'] as const,
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'screening_webhook_request_duration_seconds',
      help: 'Time from request start to answer, by HTTP status',
      labelNames: ['status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    signalSeconds: new Histogram({
      name: 'screening_webhook_signal_duration_seconds',
      help: 'Time Temporal took to accept signal-with-start, by outcome (signalled, late, failed)',
      labelNames: ['outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    bodyBytes: new Histogram({
      name: 'screening_webhook_body_bytes',
      help: 'Size of webhook request bodies that were read',
      buckets: [256, 512, 1024, 2048, 4096, 16384, 65536, 262144],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Gauges read from the read model at scrape time: screenings by status, and those stuck in
 * `submitted` past the completion deadline (what the reconciliation should have resolved).
 */
export function registerReadModelGauges(
  metrics: Metrics,
  query: {
    countByStatus(): Promise<Record<string, number>>;
    countStuckSubmitted(): Promise<number>;
    /** Deliveries waiting in the webhook inbox, and the age of the oldest (0 when empty). */
    inbox(): Promise<{ depth: number; oldestSeconds: number }>;
  },
): void {
  new Gauge({
    name: 'screening_screenings',
    help: 'Screenings in the read model by status',
    labelNames: ['status'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const [status, count] of Object.entries(await query.countByStatus())) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'screening_screenings_stuck_submitted',
    help: 'Screenings still submitted longer than COMPLETION_SLA plus one hour after submission',
    registers: [metrics.registry],
    async collect() {
      this.set(await query.countStuckSubmitted());
    },
  });
  // Both inbox gauges come from one query: a scrape collects them side by side and they share it.
  let inboxNow: ReturnType<typeof query.inbox> | undefined;
  const inbox = () => (inboxNow ??= query.inbox().finally(() => (inboxNow = undefined)));
  new Gauge({
    name: 'screening_webhook_inbox_depth',
    help: 'Deliveries committed to the webhook inbox and not yet handed to their workflow',
    registers: [metrics.registry],
    async collect() {
      this.set((await inbox()).depth);
    },
  });
  new Gauge({
    name: 'screening_webhook_inbox_oldest_seconds',
    help: 'Age of the oldest delivery waiting in the webhook inbox (0 when it is empty)',
    registers: [metrics.registry],
    async collect() {
      this.set((await inbox()).oldestSeconds);
    },
  });
}
