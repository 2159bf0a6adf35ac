import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Db } from '../db/connection';
import type { ScreeningSignaler } from '../temporal/screening-signaler';
import type { ScreeningEvent } from '../../workflows/messages';

/** `WEBHOOK_INBOX`: what a 200 to SingleKey waits for (see the README's "What a 200 means"). */
export const inboxModes = ['off', 'fallback', 'always'] as const;
export type InboxMode = (typeof inboxModes)[number];

/** PostgreSQL's channel for "a delivery was queued", and the advisory lock only one forwarder holds at a time. */
const CHANNEL = 'webhook_inbox';
const FORWARDER_LOCK = 0x5c2ee2;
/** Rows per forwarding round, and screenings signalled side by side within one. */
const BATCH = 500;
const PARALLEL_SCREENINGS = 32;
/** A round with nothing to do (or Temporal away) waits this long unless a delivery is queued meanwhile. */
const IDLE_POLL_MS = 1_000;

export interface WebhookInbox {
  mode: InboxMode;
  /** Commits a verified delivery and its delivery-log line in one statement; rejects when PostgreSQL does. */
  enqueue(event: ScreeningEvent): Promise<void>;
  /** Whether deliveries of this screening still wait in the inbox (a direct signal would overtake them). */
  hasQueued(purchaseToken: string): Promise<boolean>;
  /** Hands every queued delivery on until `stop`; one forwarder at a time among all API processes. */
  startForwarding(): void;
  /** Forwards what is queued now, once (tests; a round another process holds forwards nothing here). */
  forwardOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The queue-first intake that Hookdeck and Svix use: a delivery is committed to PostgreSQL and
 * answered at database speed, and a forwarder hands it to its workflow as fast as Temporal takes
 * it. Hand-written rather than a queue library: the queue must share PostgreSQL's transaction with
 * the delivery log, and needs nothing but `INSERT`, `LISTEN` and an advisory lock.
 *
 * - **Nothing lost:** a row is deleted only after its signal succeeded; a crash in between leaves it
 *   for the next round, and the workflow drops the second copy by its dedupe key.
 * - **Arrival order per screening:** a round takes rows by id, signals each screening's rows one
 *   after the other (screenings side by side), stops a screening at its first failure, and rounds
 *   never overlap: a transaction-scoped advisory lock admits one forwarder among all replicas.
 * - **Same dedupe:** every receipt is forwarded, and the workflow drops a repeat by its dedupe key
 *   (and counts it), exactly as for a direct signal.
 */
export function createWebhookInbox(deps: { db: Db; signaler: ScreeningSignaler; logger: Logger; mode: InboxMode }): WebhookInbox {
  const { db, signaler, logger } = deps;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** A delivery was queued since the current round began: the next one starts at once. */
  let notified = false;
  let listener: { connection: { query(sql: string): Promise<unknown>; on(event: string, fn: () => void): void }; release(): Promise<void> } | undefined;

  /** One round: how many rows it took, and how many of them reached their workflow. */
  async function forwardRound(): Promise<{ taken: number; forwarded: number }> {
    return db.transaction(async (trx) => {
      const locked = (await trx.raw('select pg_try_advisory_xact_lock(?) as locked', [FORWARDER_LOCK])) as { rows: { locked: boolean }[] };
      if (!locked.rows[0]?.locked) return { taken: 0, forwarded: 0 };
      const rows = (await trx('webhook_inbox').orderBy('id').limit(BATCH).select('id', 'purchase_token', 'event')) as {
        id: string;
        purchase_token: string;
        event: ScreeningEvent;
      }[];
      const byScreening = new Map<string, typeof rows>();
      for (const row of rows) byScreening.set(row.purchase_token, [...(byScreening.get(row.purchase_token) ?? []), row]);
      const forwarded: string[] = [];
      const screenings = [...byScreening.values()];
      const forwardScreening = async (queued: typeof rows) => {
        for (const row of queued) {
          try {
            const { outcome } = await signaler.signal(row.event);
            if (outcome === 'late') await markLate(trx, row.event.dedupeKey);
            forwarded.push(row.id);
          } catch (error) {
            // The rest of this screening waits for the next round, behind this one: order kept.
            logger.warn({ err: error, purchaseToken: row.purchase_token }, 'inbox: could not hand a delivery to Temporal; retrying');
            return;
          }
        }
      };
      for (let i = 0; i < screenings.length; i += PARALLEL_SCREENINGS) await Promise.all(screenings.slice(i, i + PARALLEL_SCREENINGS).map(forwardScreening));
      if (forwarded.length > 0) await trx('webhook_inbox').whereIn('id', forwarded).delete();
      return { taken: rows.length, forwarded: forwarded.length };
    });
  }

  async function listen(): Promise<void> {
    try {
      const connection = (await db.client.acquireConnection()) as NonNullable<typeof listener>['connection'];
      connection.on('notification', () => {
        notified = true;
        wake?.();
      });
      await connection.query(`LISTEN ${CHANNEL}`);
      listener = {
        connection,
        release: async () => {
          await connection.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
          await db.client.releaseConnection(connection);
        },
      };
    } catch (error) {
      // Polling alone still forwards everything, a second later.
      logger.warn({ err: error }, 'inbox: cannot LISTEN for queued deliveries; polling every second');
    }
  }

  async function run(): Promise<void> {
    await listen();
    while (running) {
      notified = false;
      let round = { taken: 0, forwarded: 0 };
      try {
        round = await forwardRound();
      } catch (error) {
        logger.warn({ err: error }, 'inbox: forwarding round failed; retrying');
      }
      // A full, clean round goes again at once; otherwise wait for a queued delivery or the poll.
      if ((round.taken === BATCH && round.forwarded === BATCH) || (notified && round.forwarded === round.taken)) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    await listener?.release();
  }

  return {
    mode: deps.mode,
    async enqueue(event) {
      await db.raw(
        `with queued as (
           insert into webhook_inbox (dedupe_key, purchase_token, event) values (?, ?, ?::jsonb)
         ), logged as (
           insert into delivery_log (dedupe_key, purchase_token, event, source_event, outcome, occurred_at, received_at, last_received_at)
           values (?, ?, ?, ?, 'applied', ?, ?, ?)
           on conflict (dedupe_key) do update set
             repeats = delivery_log.repeats + (case when excluded.last_received_at > delivery_log.last_received_at then 1 else 0 end),
             last_received_at = greatest(delivery_log.last_received_at, excluded.last_received_at)
         )
         select pg_notify('${CHANNEL}', '')`,
        [
          ...[event.dedupeKey, event.purchaseToken, JSON.stringify(event)],
          ...[event.dedupeKey, event.purchaseToken, event.type, event.sourceEvent, event.occurredAt ?? null, event.receivedAt, event.receivedAt],
        ],
      );
    },
    async hasQueued(purchaseToken) {
      return Boolean(await db('webhook_inbox').where({ purchase_token: purchaseToken }).first('id'));
    },
    startForwarding() {
      if (running) return;
      running = true;
      loop = run().catch((error: unknown) => logger.error({ err: error }, 'inbox forwarder stopped'));
    },
    async forwardOnce() {
      return (await forwardRound()).forwarded;
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}

async function markLate(trx: Knex.Transaction, dedupeKey: string): Promise<void> {
  await trx('delivery_log').where({ dedupe_key: dedupeKey }).update({ outcome: 'late' });
}
