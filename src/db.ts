import knex, { type Knex } from 'knex';
import { migrationSource } from '../migrations';

export type Db = Knex;

/** A pooled knex instance on PostgreSQL. */
export function createDb(url: string, poolMax = 10): Db {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: poolMax } });
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
