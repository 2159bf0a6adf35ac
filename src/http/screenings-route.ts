import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Db } from '../db/connection';
import { safeEqual } from '../webhook/authenticate';
import { signReportLink } from '../reports/report-link';
import { HttpError } from './errors';
import type { Logger } from '../logger';
import { registerScreeningRequestRoute, type ScreeningRequestDeps } from './screening-requests-route';

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

const statuses = ['unknown', 'invited', 'form_opened', 'submitted', 'completed', 'failed', 'expired', 'stalled'] as const;
const listQuery = z.object({
  external_customer_id: z.string().trim().min(1).max(255).optional(),
  external_tenant_id: z.string().trim().min(1).max(255).optional(),
  status: z.enum(statuses).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});
const milestoneColumns = ['invited_at', 'form_opened_at', 'submitted_at', 'completed_at', 'failed_at', 'expired_at'] as const;

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
      ctx.body = {
        type: `about:blank#${error.code}`,
        title: error.code.replace(/_/g, ' '),
        status: error.status,
        detail: error.message,
        ...(error.details ? { errors: error.details } : {}),
      };
    }
  };

  if (deps.requests) registerScreeningRequestRoute(router, guard, deps.requests);

  router.get('/screenings/:token', guard, async (ctx) => {
    const token = ctx.params.token ?? '';
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(token)) throw new HttpError(404, 'not_found', 'no screening with that purchase token');
    const row = (await deps.db('screenings').where({ purchase_token: token }).first()) as Record<string, unknown> | undefined;
    if (!row) throw new HttpError(404, 'not_found', 'no screening with that purchase token');
    const sent = (await deps.db('notifications').where({ purchase_token: token, status: 'sent' }).orderBy('sent_at').pluck('kind')) as string[];
    const archived = await deps.db('reports').where({ purchase_token: token, scope: 'full' }).whereNotNull('pdf').first('purchase_token');
    ctx.body = {
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
  });

  router.get('/screenings', guard, async (ctx) => {
    const parsed = listQuery.safeParse(ctx.query);
    if (!parsed.success) {
      throw new HttpError(
        400,
        'invalid_query',
        'query parameters are not valid',
        parsed.error.issues.map((issue) => ({ parameter: issue.path.join('.'), message: issue.message })),
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
    ctx.body = {
      screenings: page.map((row) => view(row, (ctx.state.platformKey as PlatformKey).personal)),
      next_cursor: rows.length > limit && last ? encodeCursor(last.created_at as Date, last.purchase_token as string) : null,
    };
  });
}

/** A read-model row as the platform sees it: ids, status, milestones, score and recommendation; contacts for a personal key only. */
function view(row: Record<string, unknown>, personal: boolean) {
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : null);
  return {
    purchase_token: row.purchase_token,
    status: row.status,
    external_customer_id: row.external_customer_id ?? null,
    external_tenant_id: row.external_tenant_id ?? null,
    milestones: Object.fromEntries(milestoneColumns.map((column) => [column, iso(row[column])])),
    score: row.singlekey_score ?? null,
    recommendation: row.recommendation ?? null,
    erased: row.erased_at != null,
    updated_at: iso(row.updated_at),
    ...(personal ? { contacts: { tenant_email: row.tenant_email ?? null, landlord_email: row.landlord_email ?? null } } : {}),
  };
}

function encodeCursor(createdAt: Date, token: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), token])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; token: string } {
  try {
    const [createdAt, token] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const at = new Date(createdAt);
    if (Number.isNaN(at.getTime()) || typeof token !== 'string') throw new Error('bad cursor');
    return { createdAt: at, token };
  } catch {
    throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API returned');
  }
}
