import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Db } from '../db/connection';
import { safeEqual } from '../webhook/authenticate';
import { signReportLink } from '../reports/report-link';
import { HttpError } from './errors';
import type { Logger } from '../logger';
import { registerScreeningRequestRoute, type ScreeningRequestDeps } from './screening-requests-route';
import {
  milestoneKeys,
  type Problem,
  purchaseTokenSchema,
  type Screening,
  screeningListQuerySchema,
  type ScreeningPage,
  type ScreeningSummary,
} from './platform-schemas';

/** One platform API key, and whether it may see personal fields (contacts). */
export interface PlatformKey {
  key: string;
  personal: boolean;
}

export interface PlatformReadDeps {
  db: Db;
  keys: PlatformKey[];
  /** Signs the report PDF link of an archived screening. */
  reportLinks?: { publicBaseUrl: string; secret: string; ttlMs: number };
  /** Serves `POST /screenings` when given. */
  requests?: ScreeningRequestDeps;
}

/**
 * The rental platform's read API: `GET /screenings/<purchase_token>` and `GET /screenings`
 * (filtered by external customer id, tenant id and status, newest first, cursor-paginated), behind
 * `Authorization: Bearer <key>` from PLATFORM_API_KEYS. Contacts only for a key marked `personal`;
 * errors as `application/problem+json` (RFC 9457).
 */
export function registerScreeningsRoutes(router: Router, deps: PlatformReadDeps): void {
  const guard = async (ctx: Context, next: Next) => {
    try {
      const given = ctx.get('Authorization');
      const key = deps.keys.find((candidate) => safeEqual(given, `Bearer ${candidate.key}`));
      if (!key) throw new HttpError(401, 'unauthorized', 'send Authorization: Bearer <platform API key>');
      ctx.state.platformKey = key;
      await next();
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (error.status >= 500) (ctx.state.log as Logger).warn({ reason: error.reason, err: error.cause }, error.message);
      ctx.status = error.status;
      ctx.set(error.headers ?? {});
      ctx.type = 'application/problem+json';
      const problem: Problem = {
        type: `about:blank#${error.code}`,
        title: error.code.replace(/_/g, ' '),
        status: error.status,
        detail: error.message,
        ...(error.details ? { errors: error.details as Problem['errors'] } : {}),
      };
      ctx.body = problem;
    }
  };

  if (deps.requests) registerScreeningRequestRoute(router, guard, deps.requests);

  router.get('/screenings/:token', guard, async (ctx) => {
    const token = ctx.params.token ?? '';
    if (!purchaseTokenSchema.safeParse(token).success) throw new HttpError(404, 'not_found', 'no screening with that purchase token');
    const row = (await deps.db('screenings').where({ purchase_token: token }).first()) as Record<string, unknown> | undefined;
    if (!row) throw new HttpError(404, 'not_found', 'no screening with that purchase token');
    const sent = (await deps.db('notifications').where({ purchase_token: token, status: 'sent' }).orderBy('sent_at').pluck('kind')) as string[];
    const archived = await deps.db('reports').where({ purchase_token: token, scope: 'full' }).whereNotNull('pdf').first('purchase_token');
    const screening: Screening = {
      ...view(row, (ctx.state.platformKey as PlatformKey).personal),
      effects_sent: sent,
      report_pdf:
        archived && deps.reportLinks && !row.erased_at
          ? signReportLink({
              baseUrl: deps.reportLinks.publicBaseUrl,
              purchaseToken: token,
              secret: deps.reportLinks.secret,
              expiresAt: new Date(Date.now() + deps.reportLinks.ttlMs),
            })
          : null,
    };
    ctx.body = screening;
  });

  router.get('/screenings', guard, async (ctx) => {
    const parsed = screeningListQuerySchema.safeParse(ctx.query);
    if (!parsed.success) {
      throw new HttpError(
        400,
        'invalid_query',
        'query parameters are not valid',
        parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
      );
    }
    const { limit, cursor, ...filter } = parsed.data;
    let query = deps
      .db('screenings')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'purchase_token', order: 'desc' },
      ])
      .limit(limit + 1);
    if (filter.external_customer_id) query = query.where({ external_customer_id: filter.external_customer_id });
    if (filter.external_tenant_id) query = query.where({ external_tenant_id: filter.external_tenant_id });
    if (filter.status) query = query.where({ status: filter.status });
    if (cursor) {
      const after = decodeCursor(cursor);
      query = query.where((q) =>
        q
          .where('created_at', '<', after.createdAt)
          .orWhere((same) => same.where('created_at', '=', after.createdAt).andWhere('purchase_token', '<', after.token)),
      );
    }
    const rows = (await query.select()) as Record<string, unknown>[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const body: ScreeningPage = {
      screenings: page.map((row) => view(row, (ctx.state.platformKey as PlatformKey).personal)),
      next_cursor: rows.length > limit && last ? encodeCursor(last.created_at as Date, last.purchase_token as string) : null,
    };
    ctx.body = body;
  });
}

/**
 * A read-model row as the platform sees it: ids, status, milestones, score and recommendation;
 * contacts for a personal key only. A milestone whose column the row lacks is null.
 */
function view(row: Record<string, unknown>, personal: boolean): ScreeningSummary {
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : null);
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    purchase_token: row.purchase_token as string,
    status: row.status as ScreeningSummary['status'],
    external_customer_id: text(row.external_customer_id),
    external_tenant_id: text(row.external_tenant_id),
    milestones: Object.fromEntries(milestoneKeys.map((column) => [column, iso(row[column])])) as ScreeningSummary['milestones'],
    score: (row.singlekey_score as number | null) ?? null,
    recommendation: (row.recommendation as ScreeningSummary['recommendation']) ?? null,
    erased: row.erased_at != null,
    updated_at: (row.updated_at as Date).toISOString(),
    ...(personal ? { contacts: { tenant_email: text(row.tenant_email), landlord_email: text(row.landlord_email) } } : {}),
  };
}

function encodeCursor(createdAt: Date, token: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), token])).toString('base64url');
}

/** What a cursor carries: the last row's creation time and token, as `encodeCursor` wrote them. */
const cursorContents = z.tuple([z.iso.datetime(), purchaseTokenSchema]);

function decodeCursor(cursor: string): { createdAt: Date; token: string } {
  let contents: unknown;
  try {
    contents = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    contents = undefined;
  }
  // Checked as strictly as a query parameter: whatever reaches SQL must be a time and a token PostgreSQL accepts.
  const parsed = cursorContents.safeParse(contents);
  if (!parsed.success) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API returned');
  return { createdAt: new Date(parsed.data[0]), token: parsed.data[1] };
}
