import knex, { type Knex } from 'knex';
import { migrationSource } from '../../migrations';
import type { Logger } from '../logger';

export type Db = Knex;

/** A pooled knex instance on PostgreSQL; knex's own warnings go to `logger` when one is given. */
export function createDb(url: string, poolMax = 10, logger?: Logger): Db {
  const log = logger?.child({ component: 'knex' });
  return knex({
    client: 'pg',
    // Keepalive: a session whose host vanished (it may hold the inbox forwarder's lock) ends in minutes, not hours.
    connection: { connectionString: url, keepAlive: true },
    pool: { min: 0, max: poolMax },
    ...(log
      ? {
          log: {
            warn: (message: unknown) => log.warn(String(message)),
            error: (message: unknown) => log.error(String(message)),
            deprecate: (message: unknown) => log.warn(String(message)),
            debug: (message: unknown) => log.debug(String(message)),
          },
        }
      : {}),
  });
}

/** Applies pending migrations; returns the names of those applied now. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** Cheap liveness probe for `/readyz`. */
export async function pingDb(db: Db): Promise<void> {
  await db.raw('select 1');
}
