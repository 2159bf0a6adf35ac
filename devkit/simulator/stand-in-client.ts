/** The simulator's side of the SingleKey stand-in's API: ask for a screening, follow its deliveries. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/config';
import { UsageError } from '../../src/entrypoint';
import type { ReceivedStatusWebhook } from '../stand-in/platform-receiver';
import type { Scenario, WebhookFormat } from '../stand-in/scenarios';
import type { DeliveryAttempt } from '../stand-in/webhook-sender';
import { attemptRow } from './output';

/** The stand-in's API token that `npm start` (or `npm run stand-in`) keeps in DATA_DIR. */
export function readDevToken(config: Config): string {
  const file = path.join(config.embedded.dataDir, 'singlekey-api-token');
  if (!existsSync(file)) {
    throw new UsageError(
      `No SINGLEKEY_API_TOKEN and no ${file}: start the service with \`npm start\` (or \`npm run stand-in\`) first, with the same DATA_DIR.`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

/** Asks the stand-in for a screening that plays `scenario` to `callbackUrl`; answers its purchase token. */
export async function requestScreening(
  singlekeyUrl: string,
  apiToken: string,
  play: { scenario: Scenario; format: WebhookFormat; speed: number; callbackUrl: string },
): Promise<string> {
  const tenant = `tenant-${Date.now().toString(36)}`;
  const response = await singlekey(singlekeyUrl, apiToken, '/api/request', {
    ...demoRequest(tenant),
    callback_url: play.callbackUrl,
    stand_in_scenario: play.scenario.name,
    stand_in_format: play.format,
    stand_in_speed: play.speed,
  });
  return (response as { purchase_token: string }).purchase_token;
}

/** The demo landlord and tenant, in SingleKey's field names. */
function demoRequest(tenant: string) {
  return {
    external_customer_id: 'landlord-demo',
    external_tenant_id: tenant,
    ll_first_name: 'Lena',
    ll_last_name: 'Landlord',
    ll_email: 'landlord-demo@example.test',
    ll_tel: '+1 416 555 0142',
    ten_first_name: 'Tomas',
    ten_last_name: 'Tenant',
    ten_email: `${tenant}@example.test`,
    ten_tel: '+1 647 555 0187',
    purchase_address: '12 Demo Street, Toronto',
    tenant_form: true,
  };
}

/**
 * Asks for the screening as the rental platform does, through the service's `POST /screenings`
 * (which asks the stand-in with its own callback URL), after telling the stand-in how to play it.
 */
export async function requestThroughService(
  serviceUrl: string,
  platformKey: string,
  singlekeyUrl: string,
  apiToken: string,
  play: { scenario: Scenario; format: WebhookFormat; speed: number },
): Promise<string> {
  await singlekey(
    singlekeyUrl,
    apiToken,
    '/stand-in/next-request',
    { stand_in_scenario: play.scenario.name, stand_in_format: play.format, stand_in_speed: play.speed },
    'PUT',
  );
  const tenant = `tenant-${Date.now().toString(36)}`;
  const response = await fetch(`${serviceUrl}/screenings`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${platformKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': `simulate-${tenant}` },
    body: JSON.stringify({ ...demoRequest(tenant) }),
  }).catch((error: unknown) => {
    throw new UsageError(`the service at ${serviceUrl} did not answer (${(error as Error).message}): start it with \`npm start\``);
  });
  const body = (await response.json().catch(() => ({}))) as { purchase_token?: string; detail?: string };
  if (response.status !== 201 || !body.purchase_token) throw new UsageError(`POST ${serviceUrl}/screenings answered ${response.status}: ${body.detail ?? ''}`);
  return body.purchase_token;
}

/** The platform key the simulator uses: PLATFORM_API_KEYS' first, else the one `npm start` keeps in DATA_DIR. */
export function platformKeyOf(config: Config): string | undefined {
  if (config.platformKeys[0]) return config.platformKeys[0].key;
  const file = path.join(config.embedded.dataDir, 'platform-api-key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Prints each attempt the stand-in records, until every delivery is settled. */
export async function followDeliveries(singlekeyUrl: string, apiToken: string, purchaseToken: string): Promise<DeliveryAttempt[]> {
  let printed = 0;
  for (;;) {
    const log = (await singlekey(singlekeyUrl, apiToken, `/stand-in/screenings/${purchaseToken}`)) as { finished: boolean; attempts: DeliveryAttempt[] };
    for (const attempt of log.attempts.slice(printed)) console.log(attemptRow(attempt));
    printed = log.attempts.length;
    if (log.finished) return log.attempts;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The status webhooks the stand-in's platform receiver got for the screening, in arrival order,
 * once the one for `finalStatus` is among them: it follows the status change by an activity, so it
 * may arrive just after the end state shows. Waits up to 5 s for it (1 s while none came at all:
 * the service may send them elsewhere, or not at all).
 */
export async function receivedStatusWebhooks(
  singlekeyUrl: string,
  apiToken: string,
  purchaseToken: string,
  finalStatus?: string,
): Promise<ReceivedStatusWebhook[]> {
  const started = Date.now();
  for (;;) {
    const { webhooks } = (await singlekey(singlekeyUrl, apiToken, `/stand-in/platform-webhooks?purchase_token=${encodeURIComponent(purchaseToken)}`)) as {
      webhooks: ReceivedStatusWebhook[];
    };
    const done = webhooks.some((w) => w.status === finalStatus && w.answered < 300);
    if (done || finalStatus === undefined || Date.now() - started > (webhooks.length > 0 ? 5_000 : 1_000)) return webhooks;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function singlekey(base: string, apiToken: string, route: string, body?: unknown, method = body ? 'POST' : 'GET'): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${base}${route}`, {
      method,
      headers: { Authorization: `Token ${apiToken}`, 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new UsageError(
      `No SingleKey stand-in answers at ${base} (${(error as Error).message}). ` +
        '`npm start` runs one when SINGLEKEY_API_URL is unset; otherwise start `npm run stand-in` or pass --singlekey.',
    );
  }
  const answer = (await response.json().catch(() => ({}))) as { errors?: string[]; detail?: string };
  if (response.status === 401)
    throw new UsageError(`${base} refused the API token (401): is it the stand-in of this DATA_DIR, or is SINGLEKEY_API_TOKEN set to another one?`);
  if (!response.ok) throw new UsageError(`${base}${route} answered ${response.status}: ${(answer.errors ?? [answer.detail]).join('; ')}`);
  return answer;
}
