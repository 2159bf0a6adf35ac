import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { Db } from '../src/db/connection';

/**
 * How long a ledger claim lasts without renewal (the e-mail ledger's and the status-webhook
 * ledger's). The attempt holding it renews it every sixth of that while its call runs (and
 * heartbeats to Temporal at the same moment), so a retry, or an effect started again after
 * continue-as-new, never sends next to an attempt still talking to the server, however slow the
 * server. A claim left by a crashed worker expires within this time, and the next attempt sends.
 */
export const CLAIM_MS = 60_000;

/** `claimed_until` for a claim taken or renewed now: `claimSeconds` from PostgreSQL's clock. */
export function claimedUntil(db: Db, claimSeconds: number): Knex.Raw {
  return db.raw(`now() + make_interval(secs => ?)`, [claimSeconds]);
}

/**
 * Runs `call` while the claim on the ledger row matching `ours` (its key, `sending` and the attempt
 * count of the claim) is renewed, heartbeating at each renewal. A renewal that PostgreSQL does not
 * answer is skipped: the lease runs on and the next tick tries again.
 */
export async function whileClaimed<T>(db: Db, table: string, ours: Record<string, unknown>, claimSeconds: number, call: () => Promise<T>): Promise<T> {
  const renew = setInterval(
    () => {
      heartbeat();
      db(table)
        .where(ours)
        .update({ claimed_until: claimedUntil(db, claimSeconds) })
        .catch(() => undefined);
    },
    (claimSeconds * 1000) / 6,
  );
  try {
    return await call();
  } finally {
    clearInterval(renew);
  }
}

/** Tells Temporal the attempt is alive (status webhooks have a heartbeat timeout; a local activity's e-mail ignores it); nothing outside an activity. */
function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not running as an activity (a tool, a unit test)
  }
}
