import pg from 'pg';

/** One query against a started service's embedded PostgreSQL, as `psql` would run it. */
export async function embeddedSql(postgresPort: number, text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${postgresPort}/screenings` });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}
