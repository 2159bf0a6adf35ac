import pg from 'pg';
import { urlFor } from '../../devkit/embedded/postgres';

/** One query against a started service's embedded PostgreSQL, as `psql` would run it. */
export async function embeddedSql(postgresPort: number, text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: urlFor(postgresPort) });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}
