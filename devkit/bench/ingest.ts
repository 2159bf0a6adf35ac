import { loadConfig } from '../../src/config';
import type { Backlog } from './ceiling';
import { screeningEvent } from '../builders';
import { envelopeOf, post } from './deliveries';
import { closedLoop, pct, say } from './load';
import type { BenchOptions } from './options';
import { waitForRows } from './rows';
import type { BenchService } from './service';

/** Closed-loop signed deliveries through `POST /webhooks/singlekey`. */
export interface IngestResult {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Share of the API's time answering webhooks spent waiting for Temporal's signal-with-start. */
  signalShare: number;
  /** WEBHOOK_INBOX of the service: with an inbox, the signal happens after the 200 and is not part of a request's time. */
  inbox: string;
  /** Time in the edge per accepted delivery, all of it. */
  requestMs: number;
  /** Milliseconds per request spent in the edge itself (everything but the signal). */
  edgeMsPerRequest: number;
  backlog: Backlog;
}

/** Cumulative seconds the API processes spent answering webhooks and waiting for Temporal, from their /metrics. */
async function timeSpent(service: BenchService): Promise<{ request: number; signal: number }> {
  const text = (await Promise.all(service.apis.map(async (api) => (await fetch(`${api}/metrics`)).text()))).join('\n');
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((total, line) => total + Number(line.split(' ').pop()), 0);
  return { request: sum('screening_webhook_request_duration_seconds_sum'), signal: sum('screening_webhook_signal_duration_seconds_sum') };
}

/**
 * Phase 2: ingest, then waits for the worker to record its screenings. `startedBefore` is how
 * many screenings of this run earlier phases started (all of them are counted when waiting).
 */
export async function measureIngest(service: BenchService, options: BenchOptions, startedBefore: number): Promise<IngestResult> {
  say('\n[2/6] ingest: signed deliveries through POST /webhooks/singlekey');
  const before = await timeSpent(service);
  const ingest = await closedLoop('deliveries', options.concurrency, options.durationMs, async (i) => {
    const { status } = await post(service, envelopeOf(screeningEvent(`${service.tokens}i${i}`, 'invite.sent')));
    if (status !== 200) throw new Error(`ingest answered ${status}`);
  });
  const after = await timeSpent(service);
  // Where an accepted delivery's time goes: waiting for Temporal versus everything else in the edge.
  const inSignal = after.signal - before.signal;
  const inRequest = after.request - before.request;
  const drainSeconds = await waitForRows(service, 'worker catching up (rows written)', service.tokens, startedBefore + ingest.count);
  return {
    rps: ingest.rps,
    p50: pct(ingest.latencies, 50),
    p95: pct(ingest.latencies, 95),
    p99: pct(ingest.latencies, 99),
    signalShare: inSignal / inRequest,
    // The service got WEBHOOK_INBOX from this environment (devkit/bench/service.ts); its default from the config.
    inbox: loadConfig({ WEBHOOK_INBOX: process.env.WEBHOOK_INBOX }).webhookInbox,
    requestMs: (inRequest * 1000) / ingest.count,
    edgeMsPerRequest: ((inRequest - inSignal) * 1000) / ingest.count,
    backlog: { screenings: ingest.count, drainSeconds },
  };
}
