import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { uniqueToken } from '../../devkit/builders';
import { requireSchemathesis } from '../../devkit/schemathesis';
import { createDb, type Db, migrateLatest } from '../../src/db/connection';
import { testApp } from '../support/test-app';
import { TEST_WEBHOOK_SECRET, testEnvironment } from '../support/environment';
import { connectTestTemporal, startScreeningWorker, type TestTemporal } from '../support/screening-worker';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import type { ScreeningRequestDeps } from '../../src/http/screening-requests-route';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { runToExit } from '../support/run-to-exit';
import { serve } from '../support/serve';

/**
 * schemathesis.toml, read from the folder it runs in. A cursor is an opaque string to the document,
 * so one the API did not issue is valid by the schema, yet answered 400 as documented.
 */
const settings = `
[[operations]]
include-operation-id = "listScreenings"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

# A valid request may still be refused by SingleKey (422), reuse a key with another body (409) or
# meet a slow SingleKey (503): all documented answers.
[[operations]]
include-operation-id = "createScreening"
checks.positive_data_acceptance.expected-statuses = ["2xx", "409", "422", "503"]
`;

/**
 * schemathesis generates requests from /openapi.json (valid and invalid parameters, without the key,
 * following the document's links) and checks every answer against the document: no 5xx, only
 * documented statuses, content types and headers, bodies that match their schemas.
 */
describe('the platform API under schemathesis', function () {
  this.timeout(180_000);
  const key = 'pk_fuzz_'.padEnd(40, 'f');
  const customer = uniqueToken('customer');
  const taskQueue = 'openapi-fuzz';
  let db: Db;
  let server: Awaited<ReturnType<typeof serve>>;
  let temporal: TestTemporal;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startScreeningWorker>>;
  const requests: ScreeningRequestDeps = {
    client: undefined as unknown as Client,
    taskQueue,
    callbackUrl: 'http://127.0.0.1:9/webhooks/singlekey',
    waitMs: 2_000,
  };

  before(async () => {
    db = createDb(testEnvironment().databaseUrl);
    await migrateLatest(db);
    await seedScreenings(db, customer);
    // POST /screenings for real: its request workflow on a worker, SingleKey's stand-in behind it
    // (with a webhook secret, so it accepts a callback URL; nothing listens there, so it plays nothing).
    temporal = await connectTestTemporal();
    client = temporal.client;
    const signaler = createScreeningSignaler(client, { taskQueue, lifecycle: loadConfig({}).lifecycle });
    worker = await startScreeningWorker(temporal.connection, taskQueue, { client, signaler, standIn: { credentials: { secret: TEST_WEBHOOK_SECRET } } });
    requests.client = client;
    server = await serve(
      testApp({
        platform: {
          db,
          // A personal key, so that answers carry every field the document describes (contacts too).
          keys: [{ key, personal: true }],
          reportLinks: { publicBaseUrl: 'https://screenings.example.test', secret: 'r'.repeat(32), ttlMs: 3_600_000 },
          requests,
        },
      }),
    );
  });
  after(async () => {
    await server?.close();
    await worker?.stop();
    await temporal?.close();
    await db?.destroy();
  });

  it('answers every generated request without a server error, as the document says', async () => {
    const schemathesis = requireSchemathesis();
    const args = [
      ...schemathesis.args,
      'run',
      `${server.url}/openapi.json`,
      '--url',
      server.url,
      '--header',
      `Authorization: Bearer ${key}`,
      '--checks',
      'all',
      // About 20 s on 2 cores; 2,000 (about 75 s) found nothing more.
      '--max-examples',
      '200',
      '--workers',
      '2',
      '--generation-database',
      'none',
      '--no-color',
    ];
    const cwd = mkdtempSync(path.join(testEnvironment().root, 'schemathesis-'));
    writeFileSync(path.join(cwd, 'schemathesis.toml'), settings);
    const exit = await runToExit(schemathesis.python, args, {
      cwd,
      env: { PATH: process.env.PATH, ...schemathesis.env },
      timeoutMs: 150_000,
    });
    const command = `schemathesis ${args.slice(2).join(' ')}`.replace(key, '<key>');
    assert.equal(exit.code, 0, `${command} exited with ${exit.code ?? exit.signal} after ${exit.ms} ms:\n${exit.output}`);
  });
});

/** Screenings in every shape the read model holds: each status, with and without ids, contacts, score, report; erased. */
async function seedScreenings(db: Db, customer: string): Promise<void> {
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 9, minute));
  const rows = [
    { status: 'invited', invited_at: at(0), tenant_email: 'tenant@example.test' },
    { status: 'form_opened', invited_at: at(1), form_opened_at: at(2), landlord_email: 'landlord@example.test' },
    { status: 'submitted', invited_at: at(3), submitted_at: at(4) },
    { status: 'completed', invited_at: at(5), completed_at: at(6), singlekey_score: 744, recommendation: 'approved' },
    { status: 'failed', failed_at: at(7), failure_reason: 'identity', failure_recoverable: false },
    { status: 'expired', expired_at: at(8) },
    { status: 'stalled', submitted_at: at(9) },
    { status: 'completed', completed_at: at(10), singlekey_score: 300, recommendation: 'declined', erased_at: at(11) },
    { status: 'unknown', external_customer_id: null, external_tenant_id: null },
  ];
  const tokens = rows.map(() => uniqueToken());
  await db('screenings').insert(
    rows.map((row, i) => ({
      purchase_token: tokens[i],
      external_customer_id: customer,
      external_tenant_id: `tenant-${i}`,
      created_at: at(i),
      ...row,
    })),
  );
  await db('notifications').insert({ purchase_token: tokens[3], kind: 'landlord_completed', message_id: '<fuzz>', status: 'sent', sent_at: at(6) });
  await db('reports').insert({ purchase_token: tokens[3], scope: 'full', report_json: '{}', fetched_at: at(6), pdf: Buffer.from('%PDF') });
}
