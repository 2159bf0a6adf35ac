/**
 * The chaos suite (`npm run chaos`, and its short form in `npm test`): whole screening lifecycles
 * played against the service's real processes while one fault at a time breaks a part of it, then
 * counted from the parts' own records: the mail server's log, the read model and the send ledger.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { finalStatuses, type ScreeningView, statusQuery, workflowIdFor } from '../../workflows/messages';
import { type DeliveryTally, playLifecycles } from './load';
import type { MailLogLine } from './mail-server';
import { CHAOS_WEBHOOK_SECRET, type ChaosStack, startChaosStack } from './stack';

export interface ChaosSettings {
  /** Screenings played during each fault. */
  screenings: number;
  /** How long the Temporal server, PostgreSQL and the mail server stay down. */
  temporalDownMs: number;
  postgresDownMs: number;
  smtpRefusedMs: number;
  /**
   * How long the mail server takes to answer while the worker is being killed, and stays that slow
   * after the third kill: past an attempt's timeout, so attempts time out in a live worker too.
   */
  slowSmtpMs: number;
  /** How long a fault's screenings may take to settle once the fault is over. */
  settleMs: number;
}

/** `npm run chaos`: the outages the issue asks for. */
export const fullSettings: ChaosSettings = {
  screenings: 40,
  temporalDownMs: 60_000,
  postgresDownMs: 120_000,
  smtpRefusedMs: 600_000,
  // Past the e-mail activity's 2-minute start-to-close timeout.
  slowSmtpMs: 130_000,
  settleMs: 15 * 60_000,
};

/** `npm test`: the same faults, shorter outages and fewer screenings. */
export const shortSettings: ChaosSettings = {
  screenings: 10,
  temporalDownMs: 10_000,
  postgresDownMs: 20_000,
  smtpRefusedMs: 30_000,
  // Past the SMTP client's 15 s socket timeout (and the 30 s attempt timeout the e-mail activity once had).
  slowSmtpMs: 40_000,
  settleMs: 5 * 60_000,
};

export interface FaultResult {
  fault: string;
  screenings: number;
  deliveries: DeliveryTally;
  /** Messages the mail server accepted for these screenings. */
  emailsSent: number;
  /** Messages it saw whose sender hung up before its answer (not delivered). */
  emailsAbandoned: number;
  /** Accepted messages beyond the first per (screening, kind). */
  duplicates: number;
  /**
   * Screenings missing from the read model or without their completion e-mail, plus e-mails the
   * ledger calls sent that the mail server never accepted, plus e-mails a workflow gave up on.
   */
  lost: number;
  notFinal: number;
  /** What the fault did, in words (kills, restarts). */
  note: string;
  seconds: number;
}

interface Fault {
  name: string;
  /** Breaks something while the load runs; resolves with a note once the part is back. */
  inject(stack: ChaosStack, settings: ChaosSettings, say: (line: string) => void): Promise<string>;
}

const faults: Fault[] = [
  {
    name: 'worker killed mid-send, 3 times',
    async inject(stack, settings, say) {
      stack.mail.delayMs = settings.slowSmtpMs;
      for (let kill = 1; kill <= 3; kill += 1) {
        await until(() => stack.mail.inFlight > 0, 180_000, 'an e-mail in flight');
        const starts = stack.worker.starts;
        stack.worker.kill('SIGKILL');
        say(`    worker killed with SIGKILL while ${stack.mail.inFlight} e-mail(s) awaited the mail server's answer (${kill}/3)`);
        await until(() => stack.worker.starts > starts, 30_000, 'the worker to be started again');
        await stack.worker.ready();
      }
      // Slow a while longer: attempts in the live worker now run into their own time limits, and are retried.
      await sleep(settings.slowSmtpMs + 5_000);
      stack.mail.delayMs = 0;
      return `mail server answering after ${settings.slowSmtpMs / 1000} s until ${(settings.slowSmtpMs + 5_000) / 1000} s after the third kill`;
    },
  },
  {
    name: 'Temporal server stopped and restarted',
    async inject(stack, settings, say) {
      await sleep(3_000);
      await stack.stopTemporal();
      say(`    Temporal server stopped for ${settings.temporalDownMs / 1000} s`);
      // The edge answers from the webhook inbox meanwhile (WEBHOOK_INBOX=always): how much piles up there.
      let queued = 0;
      for (const until = Date.now() + settings.temporalDownMs; Date.now() < until; await sleep(250)) {
        const [row] = (await stack.db('webhook_inbox').count({ n: '*' })) as { n: string }[];
        queued = Math.max(queued, Number(row?.n ?? 0));
      }
      await stack.startTemporal();
      say('    Temporal server started again');
      return `down ${settings.temporalDownMs / 1000} s, the inbox held up to ${queued} deliveries; worker started ${stack.worker.starts} times so far`;
    },
  },
  {
    name: 'PostgreSQL stopped',
    async inject(stack, settings, say) {
      await sleep(3_000);
      await stack.stopPostgres();
      say(`    PostgreSQL stopped for ${settings.postgresDownMs / 1000} s`);
      await sleep(settings.postgresDownMs);
      await stack.startPostgres();
      say('    PostgreSQL started again');
      return `down ${settings.postgresDownMs / 1000} s`;
    },
  },
  {
    name: 'SMTP refused',
    async inject(stack, settings, say) {
      await stack.mail.refuse();
      say(`    mail server refusing connections for ${settings.smtpRefusedMs / 1000} s`);
      await sleep(settings.smtpRefusedMs);
      await stack.mail.accept();
      say('    mail server accepting again');
      return `refused ${settings.smtpRefusedMs / 1000} s`;
    },
  },
  {
    name: 'API process killed under load',
    async inject(stack, _settings, say) {
      for (const api of stack.apiProcesses) {
        await sleep(2_000);
        const starts = api.starts;
        api.kill('SIGKILL');
        say(`    ${api.name} killed with SIGKILL`);
        await until(() => api.starts > starts, 30_000, `${api.name} to be started again`);
        await api.ready();
      }
      return 'each of the two killed once, in turn';
    },
  },
];

/** Runs every fault in turn on one stack; prints progress with `say` and returns a row per fault. */
export async function runChaos(settings: ChaosSettings, say: (line: string) => void, only?: string[]): Promise<FaultResult[]> {
  const stack = await startChaosStack({ say });
  const run = Date.now().toString(36);
  const results: FaultResult[] = [];
  try {
    for (const [index, fault] of faults.entries()) {
      if (only && !only.some((word) => fault.name.includes(word))) continue;
      say(`\n[${index + 1}/${faults.length}] ${fault.name}: ${settings.screenings} screenings`);
      const started = Date.now();
      const prefix = `chaos-${run}-${index + 1}-`;
      const tally: DeliveryTally = { requests: 0, ok: 0, unavailable: 0, noAnswer: 0, other: [] };
      const [, note] = await Promise.all([
        playLifecycles(
          {
            prefix,
            screenings: settings.screenings,
            rate: 2,
            stepGapMs: 1_500,
            duplicateShare: 0.2,
            apis: stack.apis,
            secret: CHAOS_WEBHOOK_SECRET,
            giveUpAfterMs: Math.max(settings.postgresDownMs, settings.temporalDownMs) + 180_000,
          },
          tally,
        ),
        fault.inject(stack, settings, say),
      ]);
      say(`    all deliveries answered 200 (${tally.requests} requests); waiting for the screenings to settle ...`);
      await settle(stack, prefix, settings, say);
      results.push({
        fault: fault.name,
        ...(await count(stack, prefix, settings.screenings)),
        deliveries: tally,
        note,
        seconds: Math.round((Date.now() - started) / 1000),
      });
    }
  } finally {
    say('\nstopping the chaos stack ...');
    await stack.stop();
  }
  return results;
}

/**
 * Waits until every screening of the batch is final in the read model and its workflow has no
 * effect under way (an e-mail waiting out a retry after an outage has no ledger row yet, so the
 * ledger alone cannot say), and no e-mail is pending or being sent in the ledger.
 */
async function settle(stack: ChaosStack, prefix: string, settings: ChaosSettings, say: (line: string) => void): Promise<void> {
  const deadline = Date.now() + settings.settleMs;
  let last = '';
  while (Date.now() < deadline) {
    const state = await batchState(stack, prefix, settings.screenings).catch(() => undefined);
    if (state) {
      const line = `    ${state.final}/${settings.screenings} final, ${state.underWay} effect(s) under way, ${state.unsettledEmails} e-mail(s) pending in the ledger`;
      if (line !== last) say(line);
      last = line;
      if (state.final === settings.screenings && state.underWay === 0 && state.unsettledEmails === 0) return;
    }
    await sleep(2_000);
  }
  say(`    gave up waiting after ${settings.settleMs / 1000} s`);
}

async function batchState(stack: ChaosStack, prefix: string, screenings: number): Promise<{ final: number; underWay: number; unsettledEmails: number }> {
  const [final] = await stack.db('screenings').where('purchase_token', 'like', `${prefix}%`).whereIn('status', finalStatuses).count({ n: '*' });
  const [unsettled] = await stack.db('notifications').where('purchase_token', 'like', `${prefix}%`).whereIn('status', ['pending', 'sending']).count({ n: '*' });
  const views = await Promise.all(Array.from({ length: screenings }, (_, n) => viewOf(stack, `${prefix}${n}`)));
  return { final: Number(final!.n), underWay: views.reduce((sum, view) => sum + view.effects.pending.length, 0), unsettledEmails: Number(unsettled!.n) };
}

const viewOf = (stack: ChaosStack, token: string): Promise<ScreeningView> => stack.client.workflow.getHandle(workflowIdFor(token)).query(statusQuery);

/** The counts of one batch, from the mail server's log, the read model and the send ledger. */
async function count(stack: ChaosStack, prefix: string, screenings: number): Promise<Omit<FaultResult, 'fault' | 'deliveries' | 'note' | 'seconds'>> {
  const mails = stack.mail.log().filter((line) => line.messageId?.includes(`.${prefix}`));
  const accepted = mails.filter((line) => line.outcome === 'accepted');
  const perEmail = new Map<string, number>();
  for (const line of accepted) perEmail.set(emailKey(line), (perEmail.get(emailKey(line)) ?? 0) + 1);
  const rows = (await stack.db('screenings').where('purchase_token', 'like', `${prefix}%`).select('purchase_token', 'status')) as {
    purchase_token: string;
    status: string;
  }[];
  const ledgerSent = (await stack
    .db('notifications')
    .where('purchase_token', 'like', `${prefix}%`)
    .where({ status: 'sent' })
    .select('purchase_token', 'kind')) as {
    purchase_token: string;
    kind: string;
  }[];
  const completions = rows.filter((row) => row.status === 'completed' && !perEmail.has(`landlord_completed ${row.purchase_token}`)).length;
  // E-mails the workflows gave up on, or still wait to address.
  const views = await Promise.all(Array.from({ length: screenings }, (_, n) => viewOf(stack, `${prefix}${n}`).catch(() => undefined)));
  const unsent = views.reduce((sum, view) => sum + (view ? [...view.effects.failed, ...view.effects.waiting].filter(isEmailKey).length : 0), 0);
  const unaccepted = ledgerSent.filter((row) => !perEmail.has(`${row.kind} ${row.purchase_token}`)).length;
  return {
    screenings,
    emailsSent: accepted.length,
    emailsAbandoned: mails.length - accepted.length,
    duplicates: [...perEmail.values()].reduce((sum, n) => sum + n - 1, 0),
    lost: screenings - rows.length + completions + unaccepted + unsent,
    notFinal: rows.filter((row) => !finalStatuses.includes(row.status as never)).length,
  };
}

const isEmailKey = (key: string) => /^(notify_landlord|remind_tenant|alert_team):/.test(key);

/** `<kind> <purchase_token>` from the Message-ID `<kind.purchase_token@domain>` the send ledger gives each e-mail. */
function emailKey(line: MailLogLine): string {
  const [, kind, token] = /^<([a-z0-9_]+)\.(.+)@[^@]+>$/.exec(line.messageId ?? '') ?? [];
  return `${kind} ${token}`;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`chaos suite: waited ${timeoutMs / 1000} s for ${what}`);
    await sleep(100);
  }
}

/** The per-fault table, as Markdown (the README carries one run's). */
export function renderChaosTable(results: FaultResult[]): string {
  const header = '| fault | screenings | deliveries (503 / no answer / other) | e-mails sent | abandoned sends | duplicates | lost | not final | seconds |';
  const lines = results.map(
    (r) =>
      `| ${r.fault} | ${r.screenings} | ${r.deliveries.requests} (${r.deliveries.unavailable} / ${r.deliveries.noAnswer} / ${r.deliveries.other.length}) | ${r.emailsSent} | ${r.emailsAbandoned} | ${r.duplicates} | ${r.lost} | ${r.notFinal} | ${r.seconds} |`,
  );
  return [header, '|---|---:|---|---:|---:|---:|---:|---:|---:|', ...lines].join('\n');
}

/** Whether a run proves what it should: nothing twice, nothing lost, everything final, only 200 and 503 answered. */
export function chaosHeld(results: FaultResult[]): boolean {
  return results.every((r) => r.duplicates === 0 && r.lost === 0 && r.notFinal === 0 && r.deliveries.other.length === 0);
}
