import assert from 'node:assert/strict';
import { type IncomingMessage, request } from 'node:http';
import { uniqueToken } from '../../../devkit/builders';
import { createDb, type Db, migrateLatest } from '../../../src/db/connection';
import { testApp } from '../../support/test-app';
import { testEnvironment } from '../../support/environment';
import { serve } from '../../support/serve';

/** The rental platform's read API over a real PostgreSQL read model. */
describe('GET /screenings (platform read API)', () => {
  const reader = 'pk_reader_'.padEnd(40, 'r');
  const personal = 'pk_personal_'.padEnd(40, 'p');
  const customer = uniqueToken('customer');
  let db: Db;
  let server: Awaited<ReturnType<typeof serve>>;
  const tokens = [uniqueToken(), uniqueToken(), uniqueToken()];

  before(async () => {
    db = createDb(testEnvironment().databaseUrl);
    await migrateLatest(db);
    // Three screenings of one landlord, created a minute apart; the newest is completed with its report archived.
    for (const [i, token] of tokens.entries()) {
      await db('screenings').insert({
        purchase_token: token,
        status: i === 2 ? 'completed' : 'invited',
        external_customer_id: customer,
        external_tenant_id: `tenant-${i}`,
        tenant_email: `${token}@tenant.test`,
        landlord_email: 'landlord@example.test',
        singlekey_score: i === 2 ? 744 : null,
        recommendation: i === 2 ? 'approved' : null,
        invited_at: new Date(Date.UTC(2026, 10, 30, 9, i)),
        completed_at: i === 2 ? new Date(Date.UTC(2026, 10, 30, 10)) : null,
        created_at: new Date(Date.UTC(2026, 10, 30, 9, i)),
      });
    }
    await db('notifications').insert({ purchase_token: tokens[2], kind: 'landlord_completed', message_id: '<x>', status: 'sent', sent_at: new Date() });
    await db('reports').insert({ purchase_token: tokens[2], scope: 'full', report_json: '{}', fetched_at: new Date(), pdf: Buffer.from('%PDF') });
    server = await serve(
      testApp({
        platform: {
          db,
          keys: [
            { key: reader, personal: false },
            { key: personal, personal: true },
          ],
          reportLinks: { publicBaseUrl: 'https://screenings.example.test', secret: 'r'.repeat(32), ttlMs: 3_600_000 },
        },
      }),
    );
  });
  after(async () => {
    await server.close();
    await db.destroy();
  });

  const get = (path: string, key?: string) => fetch(`${server.url}${path}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });

  it('answers 401 as application/problem+json without a platform key', async () => {
    const response = await get(`/screenings/${tokens[0]}`);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = (await response.json()) as { status: number; title: string };
    assert.equal(problem.status, 401);
  });

  it('shows one screening: status, milestones, score, e-mails sent and a signed link to the archived PDF; contacts only for a personal key', async () => {
    const response = await get(`/screenings/${tokens[2]}`, reader);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown> & { milestones: Record<string, string | null>; report_pdf: string };
    assert.equal(body.status, 'completed');
    assert.equal(body.score, 744);
    assert.equal(body.recommendation, 'approved');
    assert.equal(body.milestones.completed_at, '2026-11-30T10:00:00.000Z');
    assert.deepEqual(body.effects_sent, ['landlord_completed']);
    assert.match(body.report_pdf, new RegExp(`^https://screenings\\.example\\.test/reports/${tokens[2]}\\.pdf\\?expires=\\d+&sig=`));
    assert.equal(body.contacts, undefined);
    assert.ok(!JSON.stringify(body).includes('@tenant.test'));
    const withContacts = (await (await get(`/screenings/${tokens[2]}`, personal)).json()) as { contacts: { tenant_email: string } };
    assert.equal(withContacts.contacts.tenant_email, `${tokens[2]}@tenant.test`);
  });

  it('answers 404 as a problem for an unknown purchase token', async () => {
    const response = await get(`/screenings/${uniqueToken()}`, reader);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { title: string }).title, 'not found');
  });

  it('lists a landlord’s screenings newest first, a page at a time, and filters by status', async () => {
    const first = (await (await get(`/screenings?external_customer_id=${customer}&limit=2`, reader)).json()) as {
      screenings: { purchase_token: string }[];
      next_cursor: string;
    };
    assert.deepEqual(
      first.screenings.map((s) => s.purchase_token),
      [tokens[2], tokens[1]],
    );
    const second = (await (await get(`/screenings?external_customer_id=${customer}&limit=2&cursor=${first.next_cursor}`, reader)).json()) as {
      screenings: { purchase_token: string }[];
      next_cursor: string | null;
    };
    assert.deepEqual(
      second.screenings.map((s) => s.purchase_token),
      [tokens[0]],
    );
    assert.equal(second.next_cursor, null);
    const completed = (await (await get(`/screenings?external_customer_id=${customer}&status=completed`, reader)).json()) as { screenings: unknown[] };
    assert.equal(completed.screenings.length, 1);
  });

  it('answers 400 problems naming the bad parameter, and for a cursor it did not issue', async () => {
    const bad = await get('/screenings?status=done&limit=1000', reader);
    assert.equal(bad.status, 400);
    const problem = (await bad.json()) as { errors: { field: string }[] };
    assert.deepEqual(problem.errors.map((e) => e.field).sort(), ['limit', 'status']);
    assert.equal((await get('/screenings?cursor=not-a-cursor', reader)).status, 400);
  });

  it('answers 405 with Allow, not 501, to a method no route serves, even one koa-router does not list (TRACE)', async () => {
    // fetch refuses to send TRACE.
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      request(`${server.url}/screenings`, { method: 'TRACE' }, resolve).on('error', reject).end(),
    );
    response.resume();
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers.allow, 'HEAD, GET');
  });

  it('answers 400, not 500, for a U+0000 in a filter and for a cursor carrying what PostgreSQL would refuse', async () => {
    const cursor = (contents: unknown) => Buffer.from(JSON.stringify(contents)).toString('base64url');
    const bad = await get('/screenings?external_customer_id=a%00b', reader);
    assert.equal(bad.status, 400);
    assert.deepEqual(
      ((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field),
      ['external_customer_id'],
    );
    assert.equal((await get(`/screenings?cursor=${cursor(['-271821-04-20T00:00:00.000Z', tokens[0]])}`, reader)).status, 400);
    assert.equal((await get(`/screenings?cursor=${cursor(['2026-11-30T09:00:00.000Z', 'pt_\u0000'])}`, reader)).status, 400);
  });
});
