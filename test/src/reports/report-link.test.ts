import assert from 'node:assert/strict';
import pino from 'pino';
import { createDb, type Db, migrateLatest } from '../../../src/db/connection';
import { createApp } from '../../../src/http/app';
import { createMetrics } from '../../../src/metrics';
import { signReportLink, verifyReportLink } from '../../../src/reports/report-link';
import { samplePdf } from '../../../devkit/stand-in/sample-pdf';
import { uniqueToken } from '../../../devkit/builders';
import { testEnvironment } from '../../support/environment';
import { serve } from '../../support/serve';

const secret = 'report-link-secret';
const now = 1_800_000_000;

describe('signed report links', () => {
  describe('verifyReportLink', () => {
    const link = (expiresAt: number) => new URL(signReportLink({ baseUrl: 'http://x', purchaseToken: 'pt_1', secret, expiresAt: new Date(expiresAt * 1000) }));
    const check = (url: URL, token = 'pt_1') =>
      verifyReportLink({
        purchaseToken: token,
        expires: url.searchParams.get('expires') ?? undefined,
        sig: url.searchParams.get('sig') ?? undefined,
        secret,
        nowSeconds: now,
      });

    it('accepts a link before its expiry', () => assert.equal(check(link(now + 60)), 'valid'));
    it('accepts a link at its expiry second', () => assert.equal(check(link(now)), 'valid'));
    it('reports a link past its expiry as expired', () => assert.equal(check(link(now - 1)), 'expired'));
    it('rejects a link whose expiry was pushed back', () => {
      const url = link(now - 1);
      url.searchParams.set('expires', String(now + 3600));
      assert.equal(check(url), 'invalid');
    });
    it('rejects a link used for another screening', () => assert.equal(check(link(now + 60), 'pt_2'), 'invalid'));
    it('rejects a link signed with another key', () => {
      const url = new URL(signReportLink({ baseUrl: 'http://x', purchaseToken: 'pt_1', secret: 'other', expiresAt: new Date((now + 60) * 1000) }));
      assert.equal(check(url), 'invalid');
    });
    it('rejects a link without a signature', () => {
      const url = link(now + 60);
      url.searchParams.delete('sig');
      assert.equal(check(url), 'invalid');
    });
  });

  describe('GET /reports/<token>.pdf', () => {
    let db: Db;
    let server: Awaited<ReturnType<typeof serve>>;
    let base: string;
    const token = uniqueToken();

    before(async () => {
      db = createDb(testEnvironment().databaseUrl);
      await migrateLatest(db);
      await db('reports').insert({ purchase_token: token, scope: 'full', report_json: '{}', pdf: samplePdf('report') });
      const app = createApp({
        config: testEnvironment().config(),
        logger: pino({ level: 'silent' }),
        metrics: createMetrics(),
        signaler: { signal: () => Promise.reject(new Error('not used')) },
        readinessChecks: {},
        reports: { db, secret },
      });
      server = await serve(app);
      base = server.url;
    });

    after(async () => {
      await server.close();
      await db.destroy();
    });

    const url = (purchaseToken: string, expiresIn: number) =>
      signReportLink({ baseUrl: base, purchaseToken, secret, expiresAt: new Date(Date.now() + expiresIn * 1000) });

    it('serves the archived PDF for a valid link', async () => {
      const response = await fetch(url(token, 3600));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/pdf');
      assert.equal(
        Buffer.from(await response.arrayBuffer())
          .subarray(0, 5)
          .toString(),
        '%PDF-',
      );
    });

    it('answers 410 for an expired link', async () => {
      assert.equal((await fetch(url(token, -10))).status, 410);
    });

    it('answers 403 for a tampered link', async () => {
      const tampered = url(token, 3600).replace(/sig=(.)/, (_match, first: string) => `sig=${first === 'a' ? 'b' : 'a'}`);
      assert.equal((await fetch(tampered)).status, 403);
    });

    it('answers 404 while the report is not archived', async () => {
      const response = await fetch(url(uniqueToken(), 3600));
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { error: string }).error, 'report_not_archived');
    });
  });
});
