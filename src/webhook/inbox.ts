import type { Logger } from 'pino';
import type { Db } from '../db/connection';
import type { ScreeningSignaler } from '../temporal/screening-signaler';
import type { ScreeningEvent } from '../../workflows/messages';
import { groupCommit } from '../db/group-commit';
import { setTimeout as sleep } from 'node:timers/promises';

/** `WEBHOOK_INBOX`: what a 200 to SingleKey waits for (see the README's "What a 200 means"). */
export const inboxModes = ['off', 'fallback', 'always'] as const;
export type InboxMode = (typeof inboxModes)[number];

/** PostgreSQL's channel for "a delivery was queued", and the advisory lock only one forwarder holds at a time. */
const CHANNEL = 'webhook_inbox';
const FORWARDER_LOCK = 0x5c2ee2;
/** The part of node-postgres' client the forwarder's own connection uses. */
interface PgConnection {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: () => void): void;
  once(event: 'error' | 'end', listener: () => void): void;
  removeAllListeners(event: 'notification'): void;
}

/** Rows per forwarding round, and screenings signalled side by side within one. */
const BATCH = 500;
const PARALLEL_SCREENINGS = 32;
/** A screening whose signal failed is left out of the rounds this long (up to this many such screenings; beyond, Temporal is away for all). */
const FAILED_SCREENING_PAUSE_MS = 5_000;
const MAX_SKIPPED = 1_000;
/**
 * Deliveries per second reaching this process's edge above which its forwarder waits (more than
 * the embedded Temporal takes: signal-with-start peaks at 90-160/s on the bench's 2 cores), measured
 * over the last INTAKE_WINDOW_MS; and the longest it waits at a stretch.
 */
const BURST_INTAKE_PER_SECOND = 200;
const INTAKE_WINDOW_MS = 500;
const MAX_YIELD_MS = 10_000;
/** Deliveries per enqueue statement at most, and such statements running side by side (API pool: 10). */
const ENQUEUE_BATCH = 200;
const ENQUEUE_IN_FLIGHT = 4;
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
 *   never overlap: a session advisory lock makes one process the forwarder among all replicas
 *   (checked again every round); when its process dies, PostgreSQL releases the lock and another
 *   takes over within a second; when its host vanishes, once TCP keepalive ends the session.
 * - **No head-of-line blocking:** a screening whose signal failed is left out of the rounds for 5 s,
 *   so its rows cannot fill the head of the inbox and hold every other screening back.
 * - **Same dedupe:** every receipt is forwarded, and the workflow drops a repeat by its dedupe key
 *   (and counts it), exactly as for a direct signal.
 */
export function createWebhookInbox(deps: {
  db: Db;
  signaler: ScreeningSignaler;
  logger: Logger;
  mode: InboxMode;
  /** Told how each forwarded signal went (its outcome, or `failed`) and how long it took. */
  observeSignal?: (outcome: string, seconds: number) => void;
  /** How long a screening whose signal failed is left out of the rounds (tests shorten it). */
  pauseAfterFailureMs?: number;
  /** The intake rate above which the forwarder yields to the edge, and for how long at most (tests change them). */
  burst?: { perSecond?: number; maxYieldMs?: number };
}): WebhookInbox {
  const { db, signaler, logger } = deps;
  let running = false;
  const burst = { perSecond: BURST_INTAKE_PER_SECOND, maxYieldMs: MAX_YIELD_MS, ...deps.burst };
  /** When this process was handed how many deliveries to commit, over the last INTAKE_WINDOW_MS. */
  const intake: { at: number; count: number }[] = [];
  const bursting = (): boolean => {
    const now = Date.now();
    while (intake.length > 0 && intake[0]!.at < now - INTAKE_WINDOW_MS) intake.shift();
    return intake.reduce((sum, i) => sum + i.count, 0) > (burst.perSecond * INTAKE_WINDOW_MS) / 1000;
  };
  /**
   * Acknowledgements first: while deliveries arrive faster than Temporal could take them anyway,
   * forwarding would only take CPU from the edge answering them (and SingleKey times out on a slow
   * answer, not on a late workflow). The forwarder waits for the burst to pass, for MAX_YIELD_MS at
   * most at a stretch, so that a storm that never ends still moves.
   */
  async function yieldToBurst(): Promise<{ gaveUp: boolean }> {
    const since = Date.now();
    while (running && bursting()) {
      if (Date.now() - since >= burst.maxYieldMs) return { gaveUp: true };
      await sleep(INTAKE_WINDOW_MS / 5);
    }
    return { gaveUp: false };
  }
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** A delivery was queued since the current round began: the next one starts at once. */
  let notified = false;
  /**
   * The forwarder's own connection: it LISTENs for queued deliveries and holds the session advisory
   * lock that makes this process the one forwarder (released by PostgreSQL if the process dies).
   */
  let own: { connection: PgConnection; leader: boolean } | undefined;

  async function ownConnection(): Promise<NonNullable<typeof own>> {
    if (own) return own;
    const connection = (await db.client.acquireConnection()) as PgConnection;
    const mine = { connection, leader: false };
    // A broken connection loses the lock with it: it goes back to the pool (which drops it) and the
    // next round starts over with a new one.
    const broken = () => {
      if (own === mine) own = undefined;
      connection.removeAllListeners('notification');
      void Promise.resolve(db.client.releaseConnection(connection)).catch(() => undefined);
    };
    connection.on('notification', () => {
      notified = true;
      wake?.();
    });
    connection.once('error', broken);
    connection.once('end', broken);
    try {
      await connection.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      broken();
      throw error;
    }
    own = mine;
    return mine;
  }

  async function releaseConnection(): Promise<void> {
    const mine = own;
    own = undefined;
    if (!mine) return;
    await mine.connection.query(`UNLISTEN ${CHANNEL}; SELECT pg_advisory_unlock_all()`).catch(() => undefined);
    mine.connection.removeAllListeners('notification');
    await db.client.releaseConnection(mine.connection);
  }

  /** Screenings whose last signal failed, and when to try them again: skipped meanwhile, so they hold no one else back. */
  const failing = new Map<string, number>();

  /** One round, when this process is (or becomes) the forwarder: how many rows it took, and how many reached their workflow. */
  async function forwardRound(stopForBurst = true): Promise<{ taken: number; forwarded: number }> {
    const mine = await ownConnection();
    // Asked every round, on the forwarder's own connection: a connection that silently lost its
    // session (and so the lock, now maybe another replica's) fails here instead of forwarding beside it.
    const locked = (await mine.connection.query(
      mine.leader
        ? `select exists (select 1 from pg_locks where locktype = 'advisory' and objid = ${FORWARDER_LOCK} and pid = pg_backend_pid() and granted) as locked`
        : `select pg_try_advisory_lock(${FORWARDER_LOCK}) as locked`,
    )) as { rows: { locked: boolean }[] };
    mine.leader = locked.rows[0]?.locked === true;
    if (!mine.leader) return { taken: 0, forwarded: 0 };
    const now = Date.now();
    for (const [token, retryAt] of failing) if (retryAt <= now) failing.delete(token);
    const rows = (await db('webhook_inbox')
      .modify((query) => void (failing.size > 0 && failing.size <= MAX_SKIPPED && query.whereNotIn('purchase_token', [...failing.keys()])))
      .orderBy('id')
      .limit(BATCH)
      .select('id', 'purchase_token', 'event')) as {
      id: string;
      purchase_token: string;
      event: ScreeningEvent;
    }[];
    const byScreening = new Map<string, typeof rows>();
    for (const row of rows) {
      const queued = byScreening.get(row.purchase_token);
      if (queued) queued.push(row);
      else byScreening.set(row.purchase_token, [row]);
    }
    const forwarded: string[] = [];
    const forwardScreening = async (queued: typeof rows) => {
      for (const row of queued) {
        const started = performance.now();
        const took = () => (performance.now() - started) / 1000;
        try {
          const { outcome } = await signaler.signal(row.event);
          deps.observeSignal?.(outcome, took());
          if (outcome === 'late') await db('delivery_log').where({ dedupe_key: row.event.dedupeKey }).update({ outcome: 'late' });
          forwarded.push(row.id);
        } catch (error) {
          deps.observeSignal?.('failed', took());
          failing.set(row.purchase_token, Date.now() + (deps.pauseAfterFailureMs ?? FAILED_SCREENING_PAUSE_MS));
          // The rest of this screening waits for a later round, behind this one: order kept.
          logger.warn({ err: error, purchaseToken: row.purchase_token }, 'inbox: could not hand a delivery to Temporal; retrying');
          return;
        }
      }
    };
    // PARALLEL_SCREENINGS lanes, each taking the next screening as soon as it is done with one.
    const screenings = [...byScreening.values()];
    // A burst that starts meanwhile ends the round early: the screenings not begun wait in the inbox, in order.
    const lane = async () => {
      for (let next = screenings.shift(); next && !(stopForBurst && bursting()); next = screenings.shift()) await forwardScreening(next);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_SCREENINGS, screenings.length) }, lane));
    if (forwarded.length > 0) await db('webhook_inbox').whereIn('id', forwarded).delete();
    return { taken: rows.length, forwarded: forwarded.length };
  }

  async function run(): Promise<void> {
    while (running) {
      const { gaveUp } = await yieldToBurst();
      notified = false;
      let round = { taken: 0, forwarded: 0 };
      try {
        // After waiting its longest, a whole round goes out even though the burst goes on.
        round = await forwardRound(!gaveUp);
      } catch (error) {
        logger.warn({ err: error }, 'inbox: forwarding round failed; retrying');
      }
      // A full, clean round goes again at once, as does one that missed a queued delivery; otherwise
      // wait for the next delivery (NOTIFY) or the poll.
      // A replica that is not the forwarder ignores notifications and only polls for the lock.
      const leading = own?.leader === true;
      if (leading && ((round.taken === BATCH && round.forwarded === BATCH) || (notified && round.forwarded === round.taken))) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    await releaseConnection();
  }

  return {
    mode: deps.mode,
    enqueue: groupCommit<ScreeningEvent>(
      async (events) => {
        // Counted as they arrive (before the commit, and so before its NOTIFY wakes the forwarder).
        intake.push({ at: Date.now(), count: events.length });
        await enqueueAll(db, events);
      },
      { maxBatch: ENQUEUE_BATCH, maxInFlight: ENQUEUE_IN_FLIGHT },
    ),
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
      await releaseConnection();
    },
  };
}

/**
 * Commits deliveries to the inbox in arrival order, with their delivery-log lines, in one
 * statement. The log has one row per dedupe key, and one INSERT ... ON CONFLICT may touch a row only
 * once: receipts of the same key in one batch are folded into one line first (first and last time
 * of receipt, the rest counted as repeats), as one after the other would have left it.
 */
async function enqueueAll(db: Db, events: ScreeningEvent[]): Promise<void> {
  const lines = new Map<string, { event: ScreeningEvent; first: string; last: string; repeats: number }>();
  for (const event of events) {
    const line = lines.get(event.dedupeKey);
    if (!line) lines.set(event.dedupeKey, { event, first: event.receivedAt, last: event.receivedAt, repeats: 0 });
    else {
      line.repeats += 1;
      if (event.receivedAt < line.first) line.first = event.receivedAt;
      if (event.receivedAt > line.last) line.last = event.receivedAt;
    }
  }
  const log = [...lines.values()].map(({ event, first, last, repeats }) => ({
    dedupe_key: event.dedupeKey,
    purchase_token: event.purchaseToken,
    event: event.type,
    source_event: event.sourceEvent,
    occurred_at: event.occurredAt ?? null,
    received_at: first,
    last_received_at: last,
    repeats,
  }));
  // Two JSON parameters whatever the batch size (knex would spread a JS array into a list).
  await db.raw(
    `with queued as (
       insert into webhook_inbox (dedupe_key, purchase_token, event)
       select q.event->>'dedupeKey', q.event->>'purchaseToken', q.event
       from jsonb_array_elements(?::jsonb) with ordinality as q (event, n)
       order by q.n
     ), logged as (
       insert into delivery_log (dedupe_key, purchase_token, event, source_event, outcome, occurred_at, received_at, last_received_at, repeats)
       select dedupe_key, purchase_token, event, source_event, 'applied', occurred_at, received_at, last_received_at, repeats
       from jsonb_to_recordset(?::jsonb) as l (dedupe_key text, purchase_token text, event text, source_event text,
         occurred_at timestamptz, received_at timestamptz, last_received_at timestamptz, repeats int)
       on conflict (dedupe_key) do update set
         repeats = delivery_log.repeats + (case when excluded.last_received_at > delivery_log.last_received_at then excluded.repeats + 1 else 0 end),
         last_received_at = greatest(delivery_log.last_received_at, excluded.last_received_at)
     )
     select pg_notify('${CHANNEL}', '')`,
    [JSON.stringify(events), JSON.stringify(log)],
  );
}
