/**
 * `npm run bench [-- --duration 10 --concurrency 16 --screenings 200 --burst 5000 --open 10000]`:
 * starts the service on embedded defaults (with a SingleKey stand-in whose reports are ready at
 * once), measures it side by side in one run, prints a table and writes bench-results/<time>.json.
 * Figures on a shared machine are noisy: compare the ratios, not the absolute numbers.
 * `--profile <dir>` writes V8 CPU profiles of the service (open them in Chrome DevTools).
 */
import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { createDb, type Db } from '../src/db/connection';
import { freeServicePorts, startServiceProcess } from '../devkit/embedded/service-process';
import { startSingleKeyStandIn } from '../devkit/stand-in/server';
import { connectClient } from '../src/temporal/connect';
import { projectRoot } from '../devkit/temporal-binaries';
import { signedHeaders } from '../devkit/stand-in/webhook-payloads';
import { DEFAULT_TASK_QUEUE, type ScreeningEvent, screeningEventSignal, workflowIdFor, workflowType } from '../workflows/messages';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    screenings: { type: 'string', default: '200' },
    burst: { type: 'string', default: '5000' },
    open: { type: 'string', default: '10000' },
    /** Deliveries per second in the end-to-end phase; default half the measured ingest rate. */
    'e2e-rate': { type: 'string' },
    /** Folder for V8 CPU profiles of the service process (main thread and workflow threads). */
    profile: { type: 'string' },
  },
});
const DURATION_MS = Number(args.duration) * 1000;
const C = Number(args.concurrency);
const N = Number(args.screenings);
const BURST = Number(args.burst);
const OPEN = Number(args.open);
const lifecycle = loadConfig({}).lifecycle;
const run = Date.now().toString(36);

const say = (line: string) => process.stderr.write(`${line}\n`);
function progress(label: string, done: number, total: number) {
  if (process.stderr.isTTY) process.stderr.write(`\r  ${label}: ${done}/${total}   `);
  else if (done === total || done % Math.max(1, Math.floor(total / 10)) === 0) say(`  ${label}: ${done}/${total}`);
  if (process.stderr.isTTY && done === total) process.stderr.write('\n');
}
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function event(token: string, type: ScreeningEvent['type'], extra: Partial<ScreeningEvent> = {}): ScreeningEvent {
  const now = new Date().toISOString();
  return { type, sourceEvent: type, format: 'envelope', purchaseToken: token, dedupeKey: `wh_${type}_${token}`, occurredAt: now, receivedAt: now, ...extra };
}

/** Runs `fn` in `concurrency` loops for `durationMs`; returns the count and sorted latencies (ms). */
async function closedLoop(label: string, concurrency: number, durationMs: number, fn: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const ticker = setInterval(() => progress(label, Math.round((performance.now() - started) / 1000), durationMs / 1000), 1000);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - started < durationMs) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  clearInterval(ticker);
  progress(label, durationMs / 1000, durationMs / 1000);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count: latencies.length, rps: latencies.length / seconds, latencies };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'screenings-bench-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the folder.
  chmodSync(dataDir, 0o755);
  const ports = await freeServicePorts();
  const singlekey = await startSingleKeyStandIn({ token: 'bench-token', readyByDefault: true });
  say(`starting the service on embedded defaults in ${dataDir} ...`);
  const service = await startServiceProcess({
    dataDir,
    ports,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    env: {
      LOG_LEVEL: 'warn',
      SINGLEKEY_API_URL: singlekey.url,
      SINGLEKEY_API_TOKEN: singlekey.token,
      PUBLIC_BASE_URL: `http://127.0.0.1:${ports.api}`,
    },
    nodeArgs: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`] : [],
  });
  const secret = readFileSync(path.join(dataDir, 'webhook-secret'), 'utf8').trim();
  const client: Client = await connectClient(`127.0.0.1:${ports.temporal}`, 'default');
  const db: Db = createDb(`postgres://postgres:postgres@127.0.0.1:${ports.postgres}/screenings`, 4);
  const api = `http://127.0.0.1:${ports.api}`;
  const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30) }, options: { duration: DURATION_MS / 1000, concurrency: C, screenings: N, burst: BURST, open: OPEN } };
  let started = 0;

  async function post(body: string): Promise<{ status: number; retryAfter: number }> {
    const response = await fetch(`${api}/webhooks/singlekey`, {
      method: 'POST',
      body,
      // Signed exactly as the SingleKey stand-in signs (same headers), the event name read back from the body.
      headers: signedHeaders(/"event":"([^"]+)"/.exec(body)?.[1] ?? '', body, secret, Math.floor(Date.now() / 1000)),
    });
    await response.arrayBuffer();
    return { status: response.status, retryAfter: Number(response.headers.get('retry-after') ?? 0) };
  }
  /** Cumulative seconds the API spent answering webhooks and waiting for Temporal, from its /metrics. */
  async function timeSpent(): Promise<{ request: number; signal: number }> {
    const text = await (await fetch(`${api}/metrics`)).text();
    const sum = (name: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .reduce((total, line) => total + Number(line.split(' ').pop()), 0);
    return { request: sum('screening_webhook_request_duration_seconds_sum'), signal: sum('screening_webhook_signal_duration_seconds_sum') };
  }
  const envelope = (e: ScreeningEvent, data: Record<string, unknown> = {}) =>
    JSON.stringify({ event: e.type, timestamp: e.occurredAt, webhook_id: e.dedupeKey, data: { purchase_token: e.purchaseToken, ...data } });

  async function waitForRows(label: string, prefix: string, expected: number, timeoutMs = 600_000): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      const [row] = (await db('screenings').where('purchase_token', 'like', `${prefix}%`).count({ n: '*' })) as { n: string }[];
      const n = Number(row?.n ?? 0);
      progress(label, n, expected);
      if (n >= expected || Date.now() - t0 > timeoutMs) return (Date.now() - t0) / 1000;
      await sleep(250);
    }
  }

  try {
    // 0. The load generator's own ceiling, against an endpoint that does no work.
    say('\n[0/5] load generator check (GET /healthz)');
    const generator = await closedLoop('healthz', C, Math.min(DURATION_MS, 5_000), async () => {
      await (await fetch(`${api}/healthz`)).arrayBuffer();
    });
    results.generator = { rps: round(generator.rps) };

    say('\n[1/5] ceiling: signal-with-start straight to Temporal');
    const ceiling = await closedLoop('signal-with-start', C, DURATION_MS, async (i) => {
      const e = event(`bench-${run}-c${i}`, 'invite.sent');
      await client.workflow.signalWithStart(workflowType, {
        workflowId: workflowIdFor(e.purchaseToken),
        taskQueue: DEFAULT_TASK_QUEUE,
        args: [{ purchaseToken: e.purchaseToken, lifecycle }],
        signal: screeningEventSignal,
        signalArgs: [e],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    });
    started += ceiling.count;
    // Let the worker catch up first, so both phases run against the same idle worker.
    const ceilingDrain = await waitForRows('worker catching up (rows written)', `bench-${run}-`, started);

    say('\n[2/5] ingest: signed deliveries through POST /webhooks/singlekey');
    const before = await timeSpent();
    const ingest = await closedLoop('deliveries', C, DURATION_MS, async (i) => {
      const { status } = await post(envelope(event(`bench-${run}-i${i}`, 'invite.sent')));
      if (status !== 200) throw new Error(`ingest answered ${status}`);
    });
    started += ingest.count;
    const after = await timeSpent();
    // Where an accepted delivery's time goes: waiting for Temporal versus everything else in the edge.
    const inSignal = after.signal - before.signal;
    const inRequest = after.request - before.request;
    results.ingestBreakdown = { signalShare: round(inSignal / inRequest, 3), edgeMsPerRequest: round(((inRequest - inSignal) * 1000) / ingest.count, 2) };
    results.ceiling = { rps: round(ceiling.rps), p50: round(pct(ceiling.latencies, 50)), p99: round(pct(ceiling.latencies, 99)) };
    results.ingest = { rps: round(ingest.rps), p50: round(pct(ingest.latencies, 50)), p95: round(pct(ingest.latencies, 95)), p99: round(pct(ingest.latencies, 99)), ratio: round(ingest.rps / ceiling.rps, 2) };
    const backlogDrain = await waitForRows('worker catching up (rows written)', `bench-${run}-`, started);
    results.backlog = { afterCeiling: { screenings: ceiling.count, drainSeconds: round(ceilingDrain) }, afterIngest: { screenings: ingest.count, drainSeconds: round(backlogDrain) } };

    say(`\n[3/5] end to end: ${N} lifecycles, 20 % duplicates, shuffled, at ${args['e2e-rate'] ? `${args['e2e-rate']}/s` : 'half the ingest rate'}`);
    const rate = args['e2e-rate'] ? Number(args['e2e-rate']) : Math.max(1, ingest.rps / 2);
    const deliveries: { token: string; type: ScreeningEvent['type']; body: string; first: boolean }[] = [];
    for (let s = 0; s < N; s += 1) {
      const token = `bench-${run}-e${s}`;
      const contacts = { landlord: { email: `${token}@landlord.test` } };
      for (const type of ['invite.sent', 'form.opened', 'screening.submitted', 'screening.completed'] as const) {
        const e = event(token, type);
        deliveries.push({ token, type, body: envelope(e, type === 'invite.sent' ? contacts : type === 'screening.completed' ? { singlekey_score: 700 } : {}), first: true });
      }
    }
    for (const original of deliveries.slice()) if (Math.random() < 0.2) deliveries.push({ ...original, first: false });
    for (let i = deliveries.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const column = { 'invite.sent': 'invited_at', 'form.opened': 'form_opened_at', 'screening.submitted': 'submitted_at', 'screening.completed': 'completed_at' } as const;
    const acceptedAt = new Map<string, number>();
    const visibleAt = new Map<string, number>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const rows = await db('screenings').where('purchase_token', 'like', `bench-${run}-e%`).select('purchase_token', ...Object.values(column));
        const now = performance.now();
        for (const row of rows) for (const [type, col] of Object.entries(column)) if (row[col] && !visibleAt.has(`${row.purchase_token}|${type}`)) visibleAt.set(`${row.purchase_token}|${type}`, now);
        await sleep(20);
      }
    })();
    const e2eStarted = performance.now();
    let sent = 0;
    let inFlight = 0;
    for (const delivery of deliveries) {
      const due = e2eStarted + (sent * 1000) / rate;
      if (due > performance.now()) await sleep(due - performance.now());
      while (inFlight >= 64) await sleep(1);
      inFlight += 1;
      sent += 1;
      void post(delivery.body).then(({ status }) => {
        inFlight -= 1;
        if (status !== 200) throw new Error(`e2e delivery answered ${status}`);
        if (delivery.first) acceptedAt.set(`${delivery.token}|${delivery.type}`, performance.now());
      });
      progress('deliveries sent', sent, deliveries.length);
    }
    while (inFlight > 0) await sleep(5);
    let completed = 0;
    for (const t0 = Date.now(); Date.now() - t0 < 300_000; await sleep(250)) {
      const [row] = (await db('screenings').where('purchase_token', 'like', `bench-${run}-e%`).where({ status: 'completed' }).count({ n: '*' })) as { n: string }[];
      completed = Number(row?.n ?? 0);
      progress('screenings completed', completed, N);
      if (completed >= N) break;
    }
    const allCompletedSeconds = (performance.now() - e2eStarted) / 1000;
    await sleep(1_000);
    polling = false;
    await poller;
    const visibility = [...acceptedAt].map(([key, at]) => Math.max(0, (visibleAt.get(key) ?? Infinity) - at)).sort((a, b) => a - b);
    const ledger = (await db('notifications').where('purchase_token', 'like', `bench-${run}-e%`).where({ kind: 'landlord_completed', status: 'sent' }).select('purchase_token')) as { purchase_token: string }[];
    const mails = readdirSync(path.join(dataDir, 'mail')).map((file) => readFileSync(path.join(dataDir, 'mail', file), 'utf8')).filter((mail) => mail.includes('Subject: Screening report ready') && mail.includes(`bench-${run}-e`));
    const mailsPerScreening = new Map<string, number>();
    for (const mail of mails) {
      const token = new RegExp(`bench-${run}-e\\d+`).exec(mail)?.[0];
      if (token) mailsPerScreening.set(token, (mailsPerScreening.get(token) ?? 0) + 1);
    }
    results.endToEnd = {
      screenings: N,
      deliveries: deliveries.length,
      rate: round(rate),
      allCompletedSeconds: round(allCompletedSeconds),
      visibleP50ms: round(pct(visibility, 50)),
      visibleP99ms: round(pct(visibility, 99)),
      completionEmails: mails.length,
      screeningsWithExactlyOneEmail: [...mailsPerScreening.values()].filter((n) => n === 1).length,
      ledgerSent: ledger.length,
      lost: N - completed,
    };

    say(`\n[4/5] burst: ${BURST} deliveries as fast as the client can send`);
    const firstAttempt = new Map<number, number>();
    let lost = 0;
    let done = 0;
    let next = 0;
    const burstStarted = performance.now();
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < BURST) {
          const i = next++;
          const body = envelope(event(`bench-${run}-b${i}`, 'invite.sent'));
          for (let attempt = 1; ; attempt += 1) {
            const { status, retryAfter } = await post(body).catch(() => ({ status: 0, retryAfter: 1 }));
            if (attempt === 1) firstAttempt.set(status, (firstAttempt.get(status) ?? 0) + 1);
            if (status >= 200 && status < 300) break;
            if (attempt === 6) {
              lost += 1;
              break;
            }
            // SingleKey would wait minutes; the benchmark honours Retry-After scaled down to seconds.
            await sleep(Math.min(retryAfter, 1) * 1000);
          }
          progress('burst answered', ++done, BURST);
        }
      }),
    );
    const sendSeconds = (performance.now() - burstStarted) / 1000;
    const burstDrain = await waitForRows('burst drained (rows written)', `bench-${run}-b`, BURST);
    results.burst = { deliveries: BURST, sendSeconds: round(sendSeconds), firstAttempt: Object.fromEntries(firstAttempt), lostAfterRetries: lost, drainSeconds: round(burstDrain) };
    started += BURST;

    say(`\n[5/5] cost: history, rows, worker memory with ${OPEN} open screenings`);
    const sample = await client.workflow.getHandle(workflowIdFor(`bench-${run}-e0`)).describe();
    const rows: Record<string, number> = {};
    for (const table of ['screenings', 'delivery_log', 'notifications', 'reports']) {
      const [row] = (await db(table).where('purchase_token', 'like', `bench-${run}-e%`).count({ n: '*' })) as { n: string }[];
      rows[table] = round(Number(row?.n ?? 0) / N, 2);
    }
    for (let i = started; i < OPEN; i += 1) {
      const e = event(`bench-${run}-o${i}`, 'invite.sent');
      await client.workflow.signalWithStart(workflowType, { workflowId: workflowIdFor(e.purchaseToken), taskQueue: DEFAULT_TASK_QUEUE, args: [{ purchaseToken: e.purchaseToken, lifecycle }], signal: screeningEventSignal, signalArgs: [e] });
      progress('open screenings started', i + 1, OPEN);
    }
    await waitForRows('open screenings recorded', `bench-${run}-`, Math.max(OPEN, started));
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${service.child.pid}/status`, 'utf8'))?.[1] ?? NaN);
    results.cost = {
      historyEvents: Number(sample.historyLength),
      historyBytes: Number(sample.historySize),
      rowsPerScreening: rows,
      openScreenings: Math.max(OPEN, started),
      serviceRssMiB: round(rssKiB / 1024),
    };
  } finally {
    await client.connection.close();
    await db.destroy();
    await service.stop();
    await singlekey.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const dir = path.join(projectRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(render(results));
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the results object is assembled field by field in main()
function render(r: Record<string, any>): string {
  const rows: [string, string][] = [
    ['machine', `${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB`],
    ['load generator (GET /healthz)', `${r.generator.rps} req/s`],
    ['ceiling: signal-with-start', `${r.ceiling.rps}/s  p50 ${r.ceiling.p50} ms  p99 ${r.ceiling.p99} ms  (c=${r.options.concurrency})`],
    ['ingest: signed deliveries', `${r.ingest.rps}/s  p50 ${r.ingest.p50} ms  p95 ${r.ingest.p95} ms  p99 ${r.ingest.p99} ms`],
    ['ingest / ceiling', `${r.ingest.ratio}`],
    ['  time in signal-with-start', `${Math.round(r.ingestBreakdown.signalShare * 100)} % of each request; the edge itself ${r.ingestBreakdown.edgeMsPerRequest} ms`],
    ['worker catching up after ceiling', `${r.backlog.afterCeiling.screenings} new screenings recorded ${r.backlog.afterCeiling.drainSeconds} s after the phase`],
    ['worker catching up after ingest', `${r.backlog.afterIngest.screenings} new screenings recorded ${r.backlog.afterIngest.drainSeconds} s after the phase`],
    ['end to end', `${r.endToEnd.screenings} screenings, ${r.endToEnd.deliveries} deliveries at ${r.endToEnd.rate}/s: all completed in ${r.endToEnd.allCompletedSeconds} s`],
    ['  200 -> visible in screenings', `p50 ${r.endToEnd.visibleP50ms} ms  p99 ${r.endToEnd.visibleP99ms} ms`],
    ['  completion e-mails', `${r.endToEnd.completionEmails} (${r.endToEnd.screeningsWithExactlyOneEmail} screenings with exactly one; ledger sent ${r.endToEnd.ledgerSent})`],
    ['  lost', `${r.endToEnd.lost}`],
    ['burst', `${r.burst.deliveries} sent in ${r.burst.sendSeconds} s; first answers ${JSON.stringify(r.burst.firstAttempt)}; lost ${r.burst.lostAfterRetries}; drained in ${r.burst.drainSeconds} s`],
    ['cost: history of a completed screening', `${r.cost.historyEvents} events, ${r.cost.historyBytes} bytes`],
    ['cost: PostgreSQL rows per screening', Object.entries(r.cost.rowsPerScreening).map(([t, n]) => `${t} ${n}`).join(', ')],
    ['cost: service process RSS', `${r.cost.serviceRssMiB} MiB with ${r.cost.openScreenings} open screenings (API + worker in one process)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
