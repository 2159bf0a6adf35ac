import { randomBytes } from 'node:crypto';
import { signBody } from '../../src/webhook/authenticate';
import { portalDetails, type ScenarioStep, type WebhookFormat } from './scenarios';

/**
 * The bytes and headers SingleKey sends for one step of a screening, in each documented shape
 * (shared/singlekey-wire-formats.md): the signed envelope with `data` in the nested or the flat
 * layout, or the partner portal's `{ detail, ... }` with a `Handshake-Token`.
 */

export interface StandInPerson {
  email?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
}

/** What SingleKey knows about a screening from `POST /api/request`. */
export interface StandInScreening {
  purchaseToken: string;
  externalCustomerId: string;
  externalTenantId: string;
  tenant: StandInPerson;
  landlord: StandInPerson;
  formUrl: string;
  reportUrl: string;
  score: number;
}

export interface WebhookCredentials {
  /** HMAC secret of the signed envelope. */
  secret?: string;
  /** `Handshake-Token` of the partner-portal format. */
  handshakeToken?: string;
}

export interface WebhookMessage {
  url: string;
  body: string;
  /** Headers for one attempt: SingleKey stamps `X-SingleKey-Timestamp` when it sends. */
  headers(nowSeconds: number): Record<string, string>;
}

export const SINGLEKEY_USER_AGENT = 'SingleKey-Webhook/1.0';

export function newWebhookId(): string {
  return `wh_${randomBytes(12).toString('hex')}`;
}

/** Signed-envelope headers for a body (also used by tests and the benchmark to send single deliveries). */
export function signedHeaders(event: string, body: string, secret: string, nowSeconds: number): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': SINGLEKEY_USER_AGENT,
    'X-SingleKey-Event': event,
    'X-SingleKey-Signature': signBody(body, secret),
    'X-SingleKey-Timestamp': String(nowSeconds),
  };
}

export function webhookMessage(options: {
  callbackUrl: string;
  format: WebhookFormat;
  step: ScenarioStep;
  screening: StandInScreening;
  /** ISO 8601: when the step happened. */
  occurredAt: string;
  webhookId: string;
  credentials: WebhookCredentials;
}): WebhookMessage {
  const { format, step, screening, credentials } = options;
  if (format === 'portal') {
    const detail = portalDetails[step.event];
    if (!detail) throw new Error(`${step.event} has no partner-portal form`);
    if (!credentials.handshakeToken) throw new Error('the partner-portal format needs a handshake token');
    const url = new URL(options.callbackUrl);
    url.searchParams.set('pt', screening.purchaseToken);
    const body = JSON.stringify({
      detail,
      purchase_token: screening.purchaseToken,
      external_customer_id: screening.externalCustomerId,
      external_tenant_id: screening.externalTenantId,
    });
    const handshakeToken = credentials.handshakeToken;
    return {
      url: url.toString(),
      body,
      headers: () => ({ 'Content-Type': 'application/json', 'User-Agent': SINGLEKEY_USER_AGENT, 'Handshake-Token': handshakeToken }),
    };
  }
  if (!credentials.secret) throw new Error('the signed envelope needs a webhook secret');
  const secret = credentials.secret;
  const data = format === 'flat' ? flatData(step, screening, options.occurredAt) : nestedData(step, screening, options.occurredAt);
  const body = JSON.stringify({ event: step.event, timestamp: options.occurredAt, webhook_id: options.webhookId, api_version: '2024-01', data });
  return { url: options.callbackUrl, body, headers: (now) => signedHeaders(step.event, body, secret, now) };
}

function identity(screening: StandInScreening) {
  return {
    purchase_token: screening.purchaseToken,
    external_customer_id: screening.externalCustomerId,
    external_tenant_id: screening.externalTenantId,
  };
}

const recommendationFor = (score: number) => (score >= 700 ? 'approved' : score >= 600 ? 'conditional' : 'declined');

function nestedData(step: ScenarioStep, s: StandInScreening, at: string): Record<string, unknown> {
  const base = identity(s);
  switch (step.event) {
    case 'invite.sent':
      return { ...base, tenant: s.tenant, landlord: s.landlord, invite: { type: 'email', form_url: s.formUrl }, sent_at: at };
    case 'invite.opened':
    case 'form.opened':
      return { ...base, opened_at: at };
    case 'screening.submitted':
      return { ...base, tenant: s.tenant, landlord: s.landlord, submitted_at: at };
    case 'screening.payment_captured':
      return { ...base, payment: { amount: 3499, tax: 455, total: 3954, currency: 'CAD', method: 'card', paid_by: 'tenant' }, charged_at: at };
    case 'screening.completed':
      return {
        ...base,
        landlord: s.landlord,
        result: { singlekey_score: s.score, recommendation: recommendationFor(s.score) },
        links: { report: s.reportUrl, pdf: s.reportUrl },
        completed_at: at,
      };
    case 'screening.failed':
      return {
        ...base,
        failure: {
          reason: step.failure?.reason,
          message: step.failure?.message,
          errors: [step.failure?.message],
          recoverable: step.failure?.recoverable ?? false,
        },
        failed_at: at,
      };
  }
}

function flatData(step: ScenarioStep, s: StandInScreening, at: string): Record<string, unknown> {
  const base = { ...identity(s), tenant_email: s.tenant.email, landlord_email: s.landlord.email };
  switch (step.event) {
    case 'invite.sent':
      return { ...base, invite_type: 'email' };
    case 'screening.payment_captured':
      return { ...base, amount: 39.54, currency: 'CAD', payment_method: 'card' };
    case 'screening.completed':
      return { ...base, singlekey_score: s.score, report_url: s.reportUrl };
    case 'screening.failed':
      // The flat layout has no recoverable flag: SingleKey's flat examples describe final failures.
      return { ...base, reason: step.failure?.reason, errors: [step.failure?.message] };
    case 'screening.submitted':
      return { ...base, submitted_at: at };
    default:
      return base;
  }
}
