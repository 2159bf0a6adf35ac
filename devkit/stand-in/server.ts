import Router from '@koa/router';
import Koa from 'koa';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import getRawBody from 'raw-body';
import { z } from 'zod';
import { createPlatformReceiver, PLATFORM_WEBHOOK_PATH, type ReceivedStatusWebhook } from './platform-receiver';
import { samplePdf } from './sample-pdf';
import { formatLimitation, type Scenario, scenarioNames, scenarios, stepsIn, webhookFormats } from './scenarios';
import type { StandInScreening, WebhookCredentials } from './webhook-payloads';
import { type DeliveryAttempt, type Playback, startPlayback } from './webhook-sender';

/**
 * A local SingleKey (`npm run stand-in`, `npm start` when SINGLEKEY_API_URL is unset, tests, the
 * benchmark): its REST API as shared/singlekey-wire-formats.md describes it, behind
 * `Authorization: Token <token>`. `POST /api/request` creates a screening and, given a
 * `callback_url`, plays one of the scenarios in scenarios.ts to it as signed webhooks; the report
 * API answers from how far that screening has got. Tokens it did not issue (tests that signal
 * workflows themselves) answer 404, as SingleKey answers for a token it does not know, unless
 * marked with `ready`, `inProgress` or `fail`, or the stand-in is `readyByDefault`.
 *
 * Stand-in additions: `stand_in_scenario`, `stand_in_format`, `stand_in_speed` and `stand_in_score`
 * in the request body, and `GET /stand-in/screenings/<token>` with the delivery attempts (used by
 * `npm run simulate`). It also plays the rental platform's receiver of the service's status
 * webhooks (platform-receiver.ts): `POST /platform-webhooks`, without the API token (the signature
 * authenticates it), and what it received at `GET /stand-in/platform-webhooks[?purchase_token=]`.
 */
export interface SingleKeyStandIn {
  url: string;
  token: string;
  /** Makes `GET /api/report/<purchaseToken>` answer a finished report. */
  ready(purchaseToken: string, score?: number): void;
  /** Makes it answer "Report in Progress", as for a screening SingleKey is still working on. */
  inProgress(purchaseToken: string): void;
  /** Makes it answer an HTTP error (with `Retry-After` when given). */
  fail(purchaseToken: string, status: number, retryAfterSeconds?: number): void;
  /** `METHOD path` of every request received (but the status webhooks). */
  requests: string[];
  /** The screenings `POST /api/request` created, in order, with the `callback_url` each was given. */
  screenings(): { purchaseToken: string; externalTenantId: string; callbackUrl?: string }[];
  /** Makes `POST /api/request` answer `status` (a SingleKey outage) until called with undefined. */
  failRequests(status: number | undefined): void;
  /** Where the service's status webhooks go to reach this stand-in's platform receiver. */
  platformWebhookUrl: string;
  /** Every status webhook received, in arrival order. */
  platformWebhooks: ReceivedStatusWebhook[];
  /** The next `count` verified status webhooks are answered `status` (default 503), with `Retry-After` when given. */
  failPlatformWebhooks(count: number, status?: number, retryAfterSeconds?: number): void;
  /** Status webhooks are answered `ms` after they arrive from now on (0: at once). */
  delayPlatformWebhooks(ms: number): void;
  /** Stops playing webhooks and closes the server. */
  close(): Promise<void>;
}

export interface StandInOptions {
  token?: string;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  readyByDefault?: boolean;
  /** What deliveries are signed with; without them only requests without `callback_url` are accepted. */
  credentials?: WebhookCredentials;
  /** Time scale of a playback when the request names none. */
  defaultSpeed?: number;
  /** Told about every delivery attempt. */
  onAttempt?: (purchaseToken: string, attempt: DeliveryAttempt) => void;
  /** Milliseconds since the epoch for the report API's notion of progress (tests move it by hand). */
  now?: () => number;
  /** The `whsec_` secret status webhooks are verified with; without it every one is answered 401. */
  platformWebhookSecret?: string;
  /** Told about every status webhook received. */
  onPlatformWebhook?: (received: ReceivedStatusWebhook) => void;
}

export const DEFAULT_SPEED = 60;

const externalId = z.union([z.string().trim().min(1).max(255), z.number().transform(String)]);
const optional = z.string().trim().max(255).optional();
const requestSchema = z.object({
  external_customer_id: externalId,
  external_tenant_id: externalId,
  callback_url: z.url({ protocol: /^https?$/ }).optional(),
  ll_first_name: optional,
  ll_last_name: optional,
  ll_email: z.email().optional(),
  ll_tel: optional,
  ten_first_name: optional,
  ten_last_name: optional,
  ten_email: z.email().optional(),
  ten_tel: optional,
  purchase_address: optional,
  tenant_form: z.boolean().optional(),
  run_now: z.boolean().optional(),
  stand_in_scenario: z.enum(scenarioNames as [string, ...string[]]).default('happy'),
  stand_in_format: z.enum(webhookFormats).default('envelope'),
  stand_in_speed: z.number().positive().max(1_000_000).optional(),
  stand_in_score: z.number().int().min(300).max(900).default(742),
});

interface Played {
  screening: StandInScreening;
  scenario: Scenario;
  format: string;
  playback?: Playback;
  speed: number;
  createdAt: number;
  callbackUrl?: string;
}

type Override = { score: number } | { status: number; retryAfter?: number } | { inProgress: true };

export async function startSingleKeyStandIn(options: StandInOptions = {}): Promise<SingleKeyStandIn> {
  const token = options.token ?? 'test-api-token';
  const played = new Map<string, Played>();
  const overrides = new Map<string, Override>();
  const requests: string[] = [];
  let requestOutage: number | undefined;
  /** How to play the next request that names no `stand_in_scenario` (one sent through the service's `POST /screenings`). */
  let nextPlay: Record<string, unknown> | undefined;
  const now = options.now ?? Date.now;
  const minuteOf = (entry: Played) => ((now() - entry.createdAt) * entry.speed) / 60_000;
  const app = new Koa();
  const router = new Router();
  const platform = createPlatformReceiver(options.platformWebhookSecret, options.onPlatformWebhook);
  let url = '';

  // Before the API token check: the platform's receiver authenticates by signature.
  app.use(platform.middleware);
  app.use(async (ctx, next) => {
    requests.push(`${ctx.method} ${ctx.url}`);
    if (ctx.get('Authorization') !== `Token ${token}`) {
      ctx.status = 401;
      ctx.body = { detail: 'Invalid token.' };
      return;
    }
    await next();
    if (ctx.status === 404 && ctx.body === undefined) ctx.body = { detail: 'Not found.' };
  });

  router.post('/api/request', async (ctx) => {
    if (requestOutage) {
      ctx.status = requestOutage;
      ctx.body = { detail: 'Service temporarily unavailable.' };
      return;
    }
    let input: unknown;
    try {
      input = JSON.parse((await getRawBody(ctx.req, { limit: '64kb' })).toString('utf8'));
    } catch {
      ctx.status = 400;
      ctx.body = { success: false, errors: ['body must be JSON'] };
      return;
    }
    if (nextPlay && input && typeof input === 'object' && !('stand_in_scenario' in input)) {
      input = { ...input, ...nextPlay };
      nextPlay = undefined;
    }
    const parsed = requestSchema.safeParse(input);
    if (!parsed.success) {
      ctx.status = 400;
      ctx.body = { success: false, errors: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
      return;
    }
    const request = parsed.data;
    // SingleKey sends the tenant form by e-mail or SMS: it needs one of them.
    if (request.tenant_form && !request.ten_email && !request.ten_tel) {
      ctx.status = 400;
      ctx.body = { success: false, errors: ['ten_email: an e-mail address or ten_tel is required to send the tenant form'] };
      return;
    }
    const scenario = scenarios[request.stand_in_scenario]!;
    const problem = request.callback_url ? playbackProblem(scenario, request.stand_in_format, options.credentials) : undefined;
    if (problem) {
      ctx.status = 400;
      ctx.body = { success: false, errors: [problem] };
      return;
    }
    const purchaseToken = randomBytes(16).toString('hex');
    const screening: StandInScreening = {
      purchaseToken,
      externalCustomerId: request.external_customer_id,
      externalTenantId: request.external_tenant_id,
      tenant: { email: request.ten_email, first_name: request.ten_first_name, last_name: request.ten_last_name, phone: request.ten_tel },
      landlord: { email: request.ll_email, first_name: request.ll_first_name, last_name: request.ll_last_name, phone: request.ll_tel },
      formUrl: `${url}/form/${purchaseToken}`,
      reportUrl: `${url}/api/report_pdf/${purchaseToken}`,
      score: request.stand_in_score,
    };
    const speed = request.stand_in_speed ?? options.defaultSpeed ?? DEFAULT_SPEED;
    const entry: Played = { screening, scenario, format: request.stand_in_format, speed, createdAt: now(), callbackUrl: request.callback_url };
    if (request.callback_url) {
      entry.playback = startPlayback({
        steps: stepsIn(scenario, request.stand_in_format),
        format: request.stand_in_format,
        speed,
        callbackUrl: request.callback_url,
        screening,
        credentials: options.credentials ?? {},
        onAttempt: (attempt) => options.onAttempt?.(purchaseToken, attempt),
      });
    }
    played.set(purchaseToken, entry);
    ctx.body = {
      success: true,
      purchase_token: purchaseToken,
      form_url: screening.formUrl,
      tenant_form_url: screening.formUrl,
      external_customer_id: screening.externalCustomerId,
      external_tenant_id: screening.externalTenantId,
      stand_in: { scenario: scenario.name, format: request.stand_in_format, speed, deliveries: `${url}/stand-in/screenings/${purchaseToken}` },
    };
  });

  router.get('/api/report/:token', (ctx) => {
    const purchaseToken = ctx.params.token!;
    const override = overrides.get(purchaseToken);
    if (override && 'status' in override) {
      ctx.status = override.status;
      if (override.retryAfter) ctx.set('Retry-After', String(override.retryAfter));
      ctx.body = { detail: 'error' };
      return;
    }
    const state = override ? ('inProgress' in override ? 'Report in Progress' : 'ready') : reportState(played.get(purchaseToken));
    if (state === 'unknown') {
      ctx.status = 404;
      return;
    }
    if (state === 'ready') {
      const score = (override && 'score' in override ? override.score : undefined) ?? played.get(purchaseToken)?.screening.score ?? 700;
      ctx.body = finishedReport(url, purchaseToken, score, played.get(purchaseToken)?.screening);
    } else if (state === 'failed') {
      ctx.body = { success: false, detail: 'Report could not be completed', errors: failureReasons(played.get(purchaseToken)!) };
    } else {
      ctx.body = { success: false, detail: state };
    }
  });

  router.get('/api/report_pdf/:token', (ctx) => {
    const purchaseToken = ctx.params.token!;
    const override = overrides.get(purchaseToken);
    if (override ? !('score' in override) : reportState(played.get(purchaseToken)) !== 'ready') {
      ctx.status = 404;
      return;
    }
    ctx.type = 'application/pdf';
    ctx.body = samplePdf(`Screening report ${purchaseToken}`);
  });

  /** Stand-in addition: `stand_in_*` settings for the next request that names none (`npm run simulate` through `POST /screenings`). */
  router.put('/stand-in/next-request', async (ctx) => {
    const settings = requestSchema
      .pick({ stand_in_scenario: true, stand_in_format: true, stand_in_speed: true, stand_in_score: true })
      .partial()
      .safeParse(
        await getRawBody(ctx.req, { limit: '4kb' })
          .then((raw) => JSON.parse(raw.toString('utf8') || '{}') as unknown)
          .catch(() => null),
      );
    if (!settings.success) {
      ctx.status = 400;
      ctx.body = { success: false, errors: settings.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
      return;
    }
    nextPlay = settings.data;
    ctx.status = 204;
  });

  router.get('/stand-in/screenings/:token', (ctx) => {
    const entry = played.get(ctx.params.token!);
    if (!entry) {
      ctx.status = 404;
      return;
    }
    ctx.body = {
      purchase_token: entry.screening.purchaseToken,
      scenario: entry.scenario.name,
      format: entry.format,
      speed: entry.speed,
      minute: minuteOf(entry),
      report: reportState(entry),
      finished: entry.playback?.finished ?? true,
      attempts: entry.playback?.attempts ?? [],
    };
  });

  router.get('/stand-in/platform-webhooks', (ctx) => {
    const purchaseToken = typeof ctx.query.purchase_token === 'string' ? ctx.query.purchase_token : undefined;
    ctx.body = { webhooks: platform.list(purchaseToken) };
  });

  /** Tokens it did not issue are unknown (see the module comment); played ones follow their scenario. */
  function reportState(entry: Played | undefined): 'ready' | 'failed' | 'Report in Progress' | 'Waiting for tenant' | 'unknown' {
    if (!entry) return options.readyByDefault ? 'ready' : 'unknown';
    const minute = minuteOf(entry);
    const happened = (event: string) => entry.scenario.steps.some((step) => step.event === event && step.at <= minute);
    const readyAt = entry.scenario.reportReadyAt ?? entry.scenario.steps.find((step) => step.event === 'screening.completed')?.at;
    if (readyAt !== undefined && readyAt <= minute) return 'ready';
    if (entry.scenario.steps.some((step) => step.failure && !step.failure.recoverable && step.at <= minute)) return 'failed';
    return happened('screening.submitted') ? 'Report in Progress' : 'Waiting for tenant';
  }

  app.use(router.routes()).use(router.allowedMethods());
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(listening)).once('error', reject);
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    token,
    ready: (purchaseToken, score = 720) => void overrides.set(purchaseToken, { score }),
    inProgress: (purchaseToken) => void overrides.set(purchaseToken, { inProgress: true }),
    fail: (purchaseToken, status, retryAfter) => void overrides.set(purchaseToken, { status, retryAfter }),
    requests,
    screenings: () =>
      [...played.values()].map(({ screening, callbackUrl }) => ({
        purchaseToken: screening.purchaseToken,
        externalTenantId: screening.externalTenantId,
        callbackUrl,
      })),
    failRequests: (status) => void (requestOutage = status),
    platformWebhookUrl: `${url}${PLATFORM_WEBHOOK_PATH}`,
    platformWebhooks: platform.received,
    failPlatformWebhooks: platform.fail,
    delayPlatformWebhooks: platform.delay,
    async close() {
      for (const entry of played.values()) entry.playback?.stop();
      await Promise.all([...played.values()].map((entry) => entry.playback?.done));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function playbackProblem(scenario: Scenario, format: 'envelope' | 'flat' | 'portal', credentials: WebhookCredentials | undefined): string | undefined {
  const limitation = formatLimitation(scenario, format);
  if (limitation) return limitation;
  if (format === 'portal' && !credentials?.handshakeToken) return 'this stand-in has no handshake token, so it cannot send the partner-portal format';
  if (format !== 'portal' && !credentials?.secret) return 'this stand-in has no webhook secret, so it cannot sign deliveries';
  return undefined;
}

function failureReasons(entry: Played): string[] {
  return entry.scenario.steps.flatMap((step) => (step.failure ? [step.failure.reason] : []));
}

function finishedReport(baseUrl: string, purchaseToken: string, score: number, screening?: StandInScreening) {
  return {
    success: true,
    purchase_token: purchaseToken,
    singlekey_score: score,
    cost: 3499,
    tax_collected: 455,
    currency: 'CAD',
    report_url: `${baseUrl}/api/report_pdf/${purchaseToken}`,
    html_report_url: `${baseUrl}/reports/${purchaseToken}`,
    pdf_report_ready: true,
    date_created: new Date().toISOString(),
    external_customer_id: screening?.externalCustomerId,
    external_tenant_id: screening?.externalTenantId,
  };
}
