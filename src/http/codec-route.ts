import type Router from '@koa/router';
import type { PayloadCodec } from '@temporalio/common';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import type { Logger } from 'pino';
import { z } from 'zod';
import { safeEqual } from '../webhook/authenticate';
import { HttpError } from './errors';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** `Authorization: Bearer <token>` every request needs (CODEC_SERVER_TOKEN), unless `openToLoopback`. */
  token?: string;
  /** Development only (`npm start`): requests from this machine need no token, so the embedded Web UI decodes. */
  openToLoopback?: boolean;
  /** Web UI origins allowed to call from a browser (CODEC_CORS_ORIGINS). */
  corsOrigins: string[];
}

/** Temporal's remote codec protocol: payloads as protobuf JSON (bytes in base64). */
const bytes = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64')
  .nullish();
const payloadsSchema = z.object({
  // A query without arguments sends no payloads at all ({} or null).
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), bytes).nullish(), data: bytes }))
    .max(10_000)
    .nullish(),
});

/**
 * `POST /codec/encode` and `/codec/decode`, Temporal's codec server protocol: the Web UI and
 * `temporal workflow show --codec-endpoint <api>/codec --codec-auth "Bearer <token>"` send the
 * payloads they hold and get them back decoded (or encoded), so an operator reads what the
 * service's payload codec keeps encrypted in Temporal. It answers only callers holding the token
 * (and, in development, this machine), and the browser only for the configured Web UI origins.
 */
export function registerCodecRoutes(router: Router, options: CodecServerOptions): void {
  const cors = (ctx: Context) => {
    const origin = ctx.get('Origin');
    if (!origin || !options.corsOrigins.includes(origin)) return;
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Access-Control-Allow-Credentials', 'true');
    ctx.set('Vary', 'Origin');
  };
  for (const direction of ['encode', 'decode'] as const) {
    router.options(`/codec/${direction}`, (ctx) => {
      cors(ctx);
      ctx.set('Access-Control-Allow-Methods', 'POST');
      ctx.set('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      ctx.status = 204;
    });
    router.post(`/codec/${direction}`, async (ctx) => {
      cors(ctx);
      if (!authorised(ctx, options)) throw new HttpError(401, 'unauthorized', 'the codec server needs Authorization: Bearer <CODEC_SERVER_TOKEN>');
      const raw = await getRawBody(ctx.req, { limit: 4 * 1024 * 1024, length: ctx.request.length }).catch(() => {
        throw new HttpError(413, 'payload_too_large', 'at most 4 MiB of payloads per request');
      });
      let parsed;
      try {
        parsed = payloadsSchema.safeParse(JSON.parse(raw.toString('utf8')));
      } catch {
        throw new HttpError(400, 'invalid_json', 'body is not JSON');
      }
      if (!parsed.success) {
        (ctx.state.log as Logger | undefined)?.warn(
          { issues: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`) },
          'codec request refused',
        );
        throw new HttpError(400, 'invalid_payloads', 'expected { "payloads": [{ "metadata": {...}, "data": "<base64>" }] }');
      }
      const payloads = (parsed.data.payloads ?? []).map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? '', 'base64')])),
        data: Buffer.from(p.data ?? '', 'base64'),
      }));
      let result;
      try {
        result = direction === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      } catch (error) {
        throw new HttpError(400, 'codec_failed', (error as Error).message);
      }
      ctx.body = {
        payloads: result.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(p.data ?? []).toString('base64'),
        })),
      };
    });
  }
}

function authorised(ctx: Context, options: CodecServerOptions): boolean {
  if (options.token && safeEqual(ctx.get('Authorization'), `Bearer ${options.token}`)) return true;
  if (options.openToLoopback !== true) return false;
  // Development only: a caller on this machine (the socket's peer, not a forwarded header) that asked for
  // this machine by name (a page whose domain was rebound to 127.0.0.1 would name its own), from no
  // browser page or from an allowed Web UI origin.
  const fromHere = /^(127\.|::1$|::ffff:127\.)/.test(ctx.req.socket.remoteAddress ?? '');
  const hostIsHere = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(ctx.get('Host'));
  const origin = ctx.get('Origin');
  return fromHere && hostIsHere && (!origin || options.corsOrigins.includes(origin));
}
