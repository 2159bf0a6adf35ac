/**
 * The receiver most teams write instead of this service, as the benchmark's peer: verify the
 * signature over the raw body, INSERT the body into a PostgreSQL inbox table, answer 200. Nothing
 * else (no parsing into one event, no dedupe, no workflow). Run as its own process by
 * devkit/bench/peer.ts, on the service's PostgreSQL, with PORT, DATABASE_URL and WEBHOOK_SECRET.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { authenticate } from '../../src/webhook/authenticate';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 16 });
const secrets = [process.env.WEBHOOK_SECRET ?? ''];

async function main(): Promise<void> {
  await pool.query('create table if not exists peer_inbox (id bigserial primary key, body jsonb not null, received_at timestamptz not null default now())');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const auth = authenticate(
        { rawBody, signature: req.headers['x-singlekey-signature'] as string, timestamp: req.headers['x-singlekey-timestamp'] as string },
        { secrets, toleranceSeconds: 300 },
      );
      if (!auth.ok) {
        res.writeHead(401).end();
        return;
      }
      pool.query('insert into peer_inbox (body) values ($1::jsonb)', [rawBody.toString('utf8')]).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'),
        () => res.writeHead(503).end(),
      );
    });
  });
  server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
}

void main();
