import type { ScreeningEvent } from '../../workflows/messages';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { screeningEvent } from '../builders';
import { envelopeOf, post } from './deliveries';
import { setTimeout as sleep } from 'node:timers/promises';
import { openLoop, pct, progress, say } from './load';
import type { BenchOptions } from './options';
import { countRows } from './rows';
import type { BenchService } from './service';

/** Whole lifecycles delivered through the webhook, with duplicates, in random order. */
export interface EndToEndResult {
  screenings: number;
  deliveries: number;
  /** Deliveries that got no answer or one other than 200. */
  failedDeliveries: number;
  /** Deliveries per second sent. */
  rate: number;
  allCompletedSeconds: number;
  /** From a first delivery's 200 to its column being set in `screenings`. */
  visibleP50ms: number;
  visibleP99ms: number;
  completionEmails: number;
  screeningsWithExactlyOneEmail: number;
  /** `landlord_completed` notifications the ledger records as sent. */
  ledgerSent: number;
  /** Screenings not completed within 5 minutes of the first delivery. */
  lost: number;
}

interface Delivery {
  token: string;
  type: ScreeningEvent['type'];
  body: string;
  /** False for the duplicates, whose acceptance says nothing about visibility. */
  first: boolean;
}

const column = {
  'invite.sent': 'invited_at',
  'form.opened': 'form_opened_at',
  'screening.submitted': 'submitted_at',
  'screening.completed': 'completed_at',
} as const;

/** Every lifecycle's four deliveries, 20 % of them twice, shuffled. */
function lifecycles(prefix: string, screenings: number): Delivery[] {
  const deliveries: Delivery[] = [];
  for (let s = 0; s < screenings; s += 1) {
    const token = `${prefix}${s}`;
    const contacts = { landlord: { email: `${token}@landlord.test` } };
    for (const type of Object.keys(column) as (keyof typeof column)[]) {
      const e = screeningEvent(token, type);
      deliveries.push({
        token,
        type,
        body: envelopeOf(e, type === 'invite.sent' ? contacts : type === 'screening.completed' ? { singlekey_score: 700 } : {}),
        first: true,
      });
    }
  }
  for (const original of deliveries.slice()) if (Math.random() < 0.2) deliveries.push({ ...original, first: false });
  for (let i = deliveries.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  return deliveries;
}

/** The completion e-mails the SMTP sink received for tokens under `prefix`, counted per screening. */
function completionEmails(service: BenchService, prefix: string): { total: number; perScreening: Map<string, number> } {
  const folder = path.join(service.dataDir, 'mail');
  const mails = readdirSync(folder)
    .map((file) => readFileSync(path.join(folder, file), 'utf8'))
    .filter((mail) => mail.includes('Subject: Screening report ready') && mail.includes(prefix));
  const perScreening = new Map<string, number>();
  for (const mail of mails) {
    const token = new RegExp(`${prefix}\\d+`).exec(mail)?.[0];
    if (token) perScreening.set(token, (perScreening.get(token) ?? 0) + 1);
  }
  return { total: mails.length, perScreening };
}

/**
 * Phase 3: plays `options.screenings` lifecycles through the webhook in an open loop at
 * `options.e2eRate` (default half `ingestRps`), then waits up to 5 minutes for all to complete.
 */
export async function measureEndToEnd(
  service: BenchService,
  options: BenchOptions,
  ingestRps: number,
  /** `--knee`: one more run at this rate, under its own token prefix. */
  at?: { rate: number; prefix: string },
): Promise<EndToEndResult> {
  const N = options.screenings;
  const prefix = at?.prefix ?? `${service.tokens}e`;
  const rate = at?.rate ?? options.e2eRate ?? Math.max(1, ingestRps / 2);
  say(`\n[3/6] end to end: ${N} lifecycles, 20 % duplicates, shuffled, at ${rate.toFixed(1)}/s${at || options.e2eRate ? '' : ' (half the ingest rate)'}`);
  const deliveries = lifecycles(prefix, N);
  const acceptedAt = new Map<string, number>();
  const visibleAt = new Map<string, number>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const rows = await service
        .db('screenings')
        .where('purchase_token', 'like', `${prefix}%`)
        .select('purchase_token', ...Object.values(column));
      const now = performance.now();
      for (const row of rows)
        for (const [type, col] of Object.entries(column))
          if (row[col] && !visibleAt.has(`${row.purchase_token}|${type}`)) visibleAt.set(`${row.purchase_token}|${type}`, now);
      await sleep(20);
    }
  })();
  let completed = 0;
  let failedDeliveries: number;
  let allCompletedSeconds: number;
  try {
    const started = performance.now();
    const sent = await openLoop('deliveries sent', deliveries, { rate, maxInFlight: 64, started }, async (delivery) => {
      const { status } = await post(service, delivery.body);
      if (status !== 200) throw new Error(`e2e delivery answered ${status}`);
      if (delivery.first) acceptedAt.set(`${delivery.token}|${delivery.type}`, performance.now());
    });
    failedDeliveries = sent.failed;
    for (const t0 = Date.now(); Date.now() - t0 < 300_000; await sleep(250)) {
      completed = await countRows(service, 'screenings', prefix, { status: 'completed' });
      progress('screenings completed', completed, N);
      if (completed >= N) break;
    }
    allCompletedSeconds = (performance.now() - started) / 1000;
    await sleep(1_000);
  } finally {
    polling = false;
    await poller;
  }
  const visibility = [...acceptedAt].map(([key, at]) => Math.max(0, (visibleAt.get(key) ?? Infinity) - at)).sort((a, b) => a - b);
  const ledgerSent = await countRows(service, 'notifications', prefix, { kind: 'landlord_completed', status: 'sent' });
  const mails = completionEmails(service, prefix);
  return {
    screenings: N,
    deliveries: deliveries.length,
    failedDeliveries,
    rate,
    allCompletedSeconds,
    visibleP50ms: pct(visibility, 50),
    visibleP99ms: pct(visibility, 99),
    completionEmails: mails.total,
    screeningsWithExactlyOneEmail: [...mails.perScreening.values()].filter((n) => n === 1).length,
    ledgerSent,
    lost: N - completed,
  };
}
