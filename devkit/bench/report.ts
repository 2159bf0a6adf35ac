import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../temporal-binaries';
import type { BurstResult } from './burst';
import type { CeilingResult } from './ceiling';
import type { CostResult } from './cost';
import type { EndToEndResult } from './end-to-end';
import type { FloorPass, FloorResult } from './floor';
import type { GeneratorResult } from './generator';
import type { IngestResult } from './ingest';
import type { PeerResult } from './peer';
import { round } from './load';
import type { BenchOptions } from './options';

export interface MachineInfo {
  cpus: number;
  cpuModel: string | undefined;
  memoryGiB: number;
}

export const describeMachine = (): MachineInfo => ({ cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: os.totalmem() / 2 ** 30 });

/** Everything one run measured, unrounded: the table and the JSON file are both made from it. */
export interface BenchResults {
  machine: MachineInfo;
  options: BenchOptions;
  generator: GeneratorResult;
  ceiling: CeilingResult;
  ingest: IngestResult;
  endToEnd: EndToEndResult;
  /** `--knee`: the end-to-end phase again at each rate asked for. */
  knee: EndToEndResult[];
  burst: BurstResult;
  /** The same burst against a verify-and-INSERT PostgreSQL receiver. */
  peer: PeerResult;
  /** The same number of new workflows as the burst, doing nothing but taking their signal (and one local activity). */
  floor: FloorResult;
  cost: CostResult;
  /** `--cluster`: the same phases on the cluster profile, in the same run. */
  cluster?: { ceiling: CeilingResult; ingest: IngestResult; endToEnd: EndToEndResult; burst: BurstResult; peer: PeerResult };
}

/** Acknowledgements per second of a burst (the service's or the peer's). */
const acksPerSecond = (burst: { deliveries: number; sendSeconds: number }) => burst.deliveries / burst.sendSeconds;

/** The engine-dependent figures of one profile, rounded. */
function engineJson(ceiling: CeilingResult, ingest: IngestResult, e: EndToEndResult, burst: BurstResult, peer: PeerResult) {
  const acks = acksPerSecond(burst);
  const peerAcks = acksPerSecond(peer);
  return {
    burst: { acksPerSecond: round(acks), peerAcksPerSecond: round(peerAcks), ratio: round(acks / peerAcks, 2), drainSeconds: round(burst.drainSeconds) },
    ceiling: { rps: round(ceiling.rps), p50: round(ceiling.p50), p99: round(ceiling.p99) },
    ingest: { rps: round(ingest.rps), p50: round(ingest.p50), p99: round(ingest.p99), ratio: round(ingest.rps / ceiling.rps, 2) },
    drainAfterIngestSeconds: round(ingest.backlog.drainSeconds),
    endToEnd: {
      rate: round(e.rate),
      allCompletedSeconds: round(e.allCompletedSeconds),
      visibleP50ms: round(e.visibleP50ms),
      visibleP99ms: round(e.visibleP99ms),
      lost: e.lost,
    },
  };
}

const floorJson = (pass: FloorPass) => ({
  workflows: pass.workflows,
  drainSeconds: round(pass.drainSeconds),
  perSecond: round(pass.workflows / pass.drainSeconds),
  temporalCpuMs: round(pass.temporalCpuMs, 2),
  workerCpuMs: round(pass.workerCpuMs, 2),
});

/** The figures as written to bench-results/<time>.json and printed, rounded for reading. */
function resultsJson(r: BenchResults) {
  const backlog = (b: CeilingResult['backlog']) => ({ screenings: b.screenings, drainSeconds: round(b.drainSeconds) });
  const e = r.endToEnd;
  return {
    machine: { cpus: r.machine.cpus, cpuModel: r.machine.cpuModel, memoryGiB: round(r.machine.memoryGiB) },
    options: {
      duration: r.options.durationMs / 1000,
      concurrency: r.options.concurrency,
      screenings: r.options.screenings,
      burst: r.options.burst,
      open: r.options.open,
    },
    generator: { rps: round(r.generator.rps) },
    ingestBreakdown: {
      inbox: r.ingest.inbox,
      signalShare: round(r.ingest.signalShare, 3),
      edgeMsPerRequest: round(r.ingest.edgeMsPerRequest, 2),
      requestMs: round(r.ingest.requestMs, 2),
    },
    ceiling: { rps: round(r.ceiling.rps), p50: round(r.ceiling.p50), p99: round(r.ceiling.p99) },
    ingest: {
      rps: round(r.ingest.rps),
      p50: round(r.ingest.p50),
      p95: round(r.ingest.p95),
      p99: round(r.ingest.p99),
      ratio: round(r.ingest.rps / r.ceiling.rps, 2),
    },
    backlog: { afterCeiling: backlog(r.ceiling.backlog), afterIngest: backlog(r.ingest.backlog) },
    endToEnd: {
      screenings: e.screenings,
      deliveries: e.deliveries,
      rate: round(e.rate),
      allCompletedSeconds: round(e.allCompletedSeconds),
      visibleP50ms: round(e.visibleP50ms),
      visibleP99ms: round(e.visibleP99ms),
      completionEmails: e.completionEmails,
      screeningsWithExactlyOneEmail: e.screeningsWithExactlyOneEmail,
      ledgerSent: e.ledgerSent,
      lost: e.lost,
      failedDeliveries: e.failedDeliveries,
    },
    knee: r.knee.map((k) => ({ rate: round(k.rate), visibleP50ms: round(k.visibleP50ms), visibleP99ms: round(k.visibleP99ms), lost: k.lost })),
    burst: { ...r.burst, sendSeconds: round(r.burst.sendSeconds), drainSeconds: round(r.burst.drainSeconds) },
    peer: { acksPerSecond: round(acksPerSecond(r.peer)), sendSeconds: round(r.peer.sendSeconds), lost: r.peer.lostAfterRetries },
    floor: { signalOnly: floorJson(r.floor.signalOnly), localActivity: floorJson(r.floor.localActivity) },
    targets: targetsOf(r),
    cost: {
      cleanLifecycleEvents: r.cost.cleanLifecycleEvents,
      historyEvents: r.cost.historyEvents,
      historyBytes: r.cost.historyBytes,
      rowsPerScreening: Object.fromEntries(Object.entries(r.cost.rowsPerScreening).map(([table, n]) => [table, round(n, 2)])),
      openScreenings: r.cost.openScreenings,
      serviceRssMiB: round(r.cost.serviceRssMiB),
      workerOpenScreenings: r.cost.workerOpenScreenings,
      workerRssMiB: round(r.cost.workerRssMiB),
      workerSettledRssMiB: round(r.cost.workerSettledRssMiB),
    },
    ...(r.cluster
      ? {
          engines: {
            devServer: engineJson(r.ceiling, r.ingest, r.endToEnd, r.burst, r.peer),
            cluster: engineJson(r.cluster.ceiling, r.cluster.ingest, r.cluster.endToEnd, r.cluster.burst, r.cluster.peer),
          },
        }
      : {}),
  };
}

/** Issue 17's figures before its work (`npm run bench` from a fresh clone, 2026-11-30), and its targets. */
const targets = [
  { figure: 'history events per clean lifecycle (invite, opened, submitted, paid, completed)', before: '96', target: '≤ 40' },
  { figure: 'ingest ÷ signal-with-start ceiling', before: '0.79', target: '≥ 0.9' },
  { figure: 'burst acknowledgements ÷ a verify-and-INSERT PostgreSQL receiver (same run)', before: '~0.04', target: '≥ 0.5' },
  { figure: 'delivery answered 200 → visible in the read model, p99, at half the ingest rate', before: '16.6 s', target: '< 1 s' },
  // Before: the one process of `npm start` (API and worker), the only layout measured then. Now: a
  // worker as deployed, a minute after it recorded the last of them (see devkit/bench/cost.ts).
  { figure: 'worker RSS with 10,000 open screenings', before: '1.3 GiB', target: '< 400 MB' },
  { figure: 'burst of 5,000: drained (all recorded)', before: '104 s', target: '≤ 60 s, 0 lost' },
] as const;

/** Each target row with this run's figure and whether it met the target. */
function targetsOf(r: BenchResults): { figure: string; before: string; now: string; target: string; met: boolean }[] {
  const ack = acksPerSecond(r.burst);
  const peerAck = acksPerSecond(r.peer);
  const figures: [string, boolean][] = [
    [`${r.cost.cleanLifecycleEvents}`, r.cost.cleanLifecycleEvents <= 40],
    [`${round(r.ingest.rps / r.ceiling.rps, 2)}`, r.ingest.rps / r.ceiling.rps >= 0.9],
    [`${round(ack / peerAck, 2)} (${round(ack)}/s vs ${round(peerAck)}/s)`, ack / peerAck >= 0.5],
    [`${round(r.endToEnd.visibleP99ms / 1000, 2)} s`, r.endToEnd.visibleP99ms < 1000],
    [`${round(r.cost.workerSettledRssMiB)} MiB`, r.cost.workerSettledRssMiB * 1.048576 < 400],
    [
      `${round(r.burst.drainSeconds)} s, ${r.burst.lostAfterRetries} lost (floor: ${round(r.floor.signalOnly.drainSeconds)} s)`,
      r.burst.drainSeconds <= 60 && r.burst.lostAfterRetries === 0,
    ],
  ];
  return targets.map((t, i) => ({ ...t, now: figures[i]![0], met: figures[i]![1] }));
}

/** The target rows as a Markdown table (the README's Benchmarks section carries one run's). */
function renderTargets(rows: ReturnType<typeof targetsOf>): string {
  return [
    '| figure | before | now | target | met |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.figure} | ${row.before} | ${row.now} | ${row.target} | ${row.met ? 'yes' : 'no'} |`),
  ].join('\n');
}

/** The table `npm run bench` prints, one aligned line per figure, from the same rounded figures as the JSON. */
export function renderTable(results: BenchResults): string {
  const r = resultsJson(results);
  const rows: [string, string][] = [
    ['machine', `${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB`],
    ['load generator (GET /healthz)', `${r.generator.rps} req/s`],
    ['ceiling: signal-with-start', `${r.ceiling.rps}/s  p50 ${r.ceiling.p50} ms  p99 ${r.ceiling.p99} ms  (c=${r.options.concurrency})`],
    ['ingest: signed deliveries', `${r.ingest.rps}/s  p50 ${r.ingest.p50} ms  p95 ${r.ingest.p95} ms  p99 ${r.ingest.p99} ms`],
    ['ingest / ceiling', `${r.ingest.ratio}`],
    [
      '  time in signal-with-start',
      r.ingestBreakdown.inbox === 'off'
        ? `${Math.round(r.ingestBreakdown.signalShare * 100)} % of each request; the edge itself ${r.ingestBreakdown.edgeMsPerRequest} ms`
        : `none: answered from the inbox (WEBHOOK_INBOX=${r.ingestBreakdown.inbox}) in ${r.ingestBreakdown.requestMs} ms of edge time; the signal follows`,
    ],
    [
      'worker catching up after ceiling',
      `${r.backlog.afterCeiling.screenings} new screenings recorded ${r.backlog.afterCeiling.drainSeconds} s after the phase`,
    ],
    ['worker catching up after ingest', `${r.backlog.afterIngest.screenings} new screenings recorded ${r.backlog.afterIngest.drainSeconds} s after the phase`],
    [
      'end to end',
      `${r.endToEnd.screenings} screenings, ${r.endToEnd.deliveries} deliveries at ${r.endToEnd.rate}/s: all completed in ${r.endToEnd.allCompletedSeconds} s`,
    ],
    ['  200 -> visible in screenings', `p50 ${r.endToEnd.visibleP50ms} ms  p99 ${r.endToEnd.visibleP99ms} ms`],
    [
      '  completion e-mails',
      `${r.endToEnd.completionEmails} (${r.endToEnd.screeningsWithExactlyOneEmail} screenings with exactly one; ledger sent ${r.endToEnd.ledgerSent})`,
    ],
    ['  lost', `${r.endToEnd.lost}`],
    ['  deliveries failed', `${r.endToEnd.failedDeliveries} (no answer or not 200)`],
    [
      'burst',
      `${r.burst.deliveries} sent in ${r.burst.sendSeconds} s; first answers ${JSON.stringify(r.burst.firstAttempt)}; ` +
        `lost ${r.burst.lostAfterRetries}; drained in ${r.burst.drainSeconds} s`,
    ],
    ...r.knee.map((k): [string, string] => [
      `  end to end at ${k.rate}/s`,
      `200 -> visible p50 ${k.visibleP50ms} ms  p99 ${k.visibleP99ms} ms  lost ${k.lost}`,
    ]),
    ['peer: verify-and-INSERT receiver', `${r.peer.acksPerSecond} acknowledgements/s (${r.options.burst} in ${r.peer.sendSeconds} s, lost ${r.peer.lost})`],
    ...(['signalOnly', 'localActivity'] as const).map((pass): [string, string] => {
      const f = r.floor[pass];
      return [
        pass === 'signalOnly' ? 'floor: workflows that take a signal' : 'floor: ... and run a local activity',
        `${f.workflows} new drained in ${f.drainSeconds} s (${f.perSecond}/s); CPU each: Temporal ${f.temporalCpuMs} ms, worker and client ${f.workerCpuMs} ms`,
      ];
    }),
    ['cost: history of a clean lifecycle', `${r.cost.cleanLifecycleEvents} events (one delivery at a time, effects settled)`],
    ['cost: history of a completed screening', `${r.cost.historyEvents} events, ${r.cost.historyBytes} bytes (end-to-end phase: shuffled, duplicates)`],
    [
      'cost: PostgreSQL rows per screening',
      Object.entries(r.cost.rowsPerScreening)
        .map(([t, n]) => `${t} ${n}`)
        .join(', '),
    ],
    [
      'cost: worker process RSS',
      `${r.cost.workerSettledRssMiB} MiB with ${r.cost.workerOpenScreenings} open screenings, a minute after it recorded the last ` +
        `(${r.cost.workerRssMiB} MiB as it recorded it; npm run worker, as deployed)`,
    ],
    ['cost: service process RSS', `${r.cost.serviceRssMiB} MiB with ${r.cost.openScreenings} open screenings (npm start: API + worker in one process)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const table = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
  const withTargets = `${table}\n\n${renderTargets(r.targets)}`;
  return r.engines ? `${withTargets}\n\n${renderEngines(r.engines)}` : withTargets;
}

/** `--cluster`: the dev server and the cluster profile side by side, as Markdown (the README carries one run's). */
function renderEngines(engines: { devServer: ReturnType<typeof engineJson>; cluster: ReturnType<typeof engineJson> }): string {
  const { devServer: d, cluster: c } = engines;
  const row = (figure: string, dev: string, cluster: string) => `| ${figure} | ${dev} | ${cluster} |`;
  return [
    '| figure | dev server (SQLite, 1 process) | cluster (Temporal server on PostgreSQL, mTLS, 2 API + 2 workers) |',
    '|---|---|---|',
    row('signal-with-start ceiling', `${d.ceiling.rps}/s, p99 ${d.ceiling.p99} ms`, `${c.ceiling.rps}/s, p99 ${c.ceiling.p99} ms`),
    row('ingest (signed deliveries)', `${d.ingest.rps}/s, p99 ${d.ingest.p99} ms`, `${c.ingest.rps}/s, p99 ${c.ingest.p99} ms`),
    row('ingest / ceiling', `${d.ingest.ratio}`, `${c.ingest.ratio}`),
    row('worker drained ingest backlog in', `${d.drainAfterIngestSeconds} s`, `${c.drainAfterIngestSeconds} s`),
    row(
      'end to end: all completed in',
      `${d.endToEnd.allCompletedSeconds} s at ${d.endToEnd.rate}/s`,
      `${c.endToEnd.allCompletedSeconds} s at ${c.endToEnd.rate}/s`,
    ),
    row(
      '200 -> visible in the read model',
      `p50 ${d.endToEnd.visibleP50ms} ms, p99 ${d.endToEnd.visibleP99ms} ms`,
      `p50 ${c.endToEnd.visibleP50ms} ms, p99 ${c.endToEnd.visibleP99ms} ms`,
    ),
    row('lost', `${d.endToEnd.lost}`, `${c.endToEnd.lost}`),
    row(
      'burst acknowledgements ÷ verify-and-INSERT peer',
      `${d.burst.ratio} (${d.burst.acksPerSecond}/s vs ${d.burst.peerAcksPerSecond}/s)`,
      `${c.burst.ratio} (${c.burst.acksPerSecond}/s vs ${c.burst.peerAcksPerSecond}/s)`,
    ),
    row('burst of 5,000 drained in', `${d.burst.drainSeconds} s`, `${c.burst.drainSeconds} s`),
  ].join('\n');
}

/** Writes the JSON to bench-results/<time>.json; returns the file's path. */
export function writeResults(results: BenchResults): string {
  const dir = path.join(projectRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(resultsJson(results), null, 2)}\n`);
  return file;
}
