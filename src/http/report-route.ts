import type Router from '@koa/router';
import type { Db } from '../db/connection';
import { isErased } from '../db/erasure';
import { verifyReportLink } from '../reports/report-link';
import { HttpError } from './errors';

/** `GET /reports/<purchase_token>.pdf?expires&sig`: the archived PDF behind a signed, expiring link. */
export function registerReportRoute(router: Router, deps: { db: Db; secret: string }): void {
  router.get('/reports/:file', async (ctx) => {
    const match = /^([A-Za-z0-9_.-]{1,128})\.pdf$/.exec(ctx.params.file ?? '');
    if (!match) throw new HttpError(404, 'not_found', 'no such report');
    const purchaseToken = match[1]!;
    const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const check = verifyReportLink({ purchaseToken, expires: str(ctx.query.expires), sig: str(ctx.query.sig), secret: deps.secret });
    if (check === 'invalid') throw new HttpError(403, 'invalid_link', 'this report link is not valid');
    if (check === 'expired') throw new HttpError(410, 'link_expired', 'this report link has expired; ask for a new one');
    if (await isErased(deps.db, purchaseToken)) throw new HttpError(410, 'erased', 'this report was erased');
    const row = await deps.db('reports').where({ purchase_token: purchaseToken, scope: 'full' }).whereNotNull('pdf').first('pdf');
    if (!row) throw new HttpError(404, 'report_not_archived', 'the report is not archived yet');
    ctx.type = 'application/pdf';
    ctx.set('Content-Disposition', `inline; filename="screening-${purchaseToken}.pdf"`);
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = row.pdf as Buffer;
  });
}
