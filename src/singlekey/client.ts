import { failureTypes } from '../../workflows/messages';
import { ApplicationFailure } from '@temporalio/common';

/**
 * The part of SingleKey's REST API this service calls, over Node's fetch. Errors are classified for
 * Temporal's retries: not ready, 404, 429, 5xx and network faults are retryable (429/503 honour
 * `Retry-After`); 400, 401 and 403 will not get better and fail the activity for good.
 */

export interface ReportReady {
  ready: true;
  purchaseToken: string;
  score?: number;
  reportUrl?: string;
  pdfReady?: boolean;
  /** The JSON as SingleKey sent it, archived verbatim. */
  body: Record<string, unknown>;
}

export interface ReportPending {
  ready: false;
  /** SingleKey's words for the state: in progress, waiting for tenant, ... */
  detail: string;
}

/** `POST /api/request` fields (SingleKey's names); `tenant_form: true` for the form flow, `run_now: true` for the direct one. */
export interface ScreeningRequest {
  external_customer_id: string;
  external_tenant_id: string;
  callback_url?: string;
  ll_first_name?: string;
  ll_last_name?: string;
  ll_email?: string;
  ll_tel?: string;
  ten_first_name?: string;
  ten_last_name?: string;
  ten_email?: string;
  ten_tel?: string;
  purchase_address?: string;
  tenant_form?: boolean;
  run_now?: boolean;
}

/** A field SingleKey named in a 400 to `POST /api/request`. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ScreeningRequested {
  purchaseToken: string;
  formUrl?: string;
  tenantFormUrl?: string;
}

export interface SingleKeyClient {
  getReport(purchaseToken: string): Promise<ReportReady | ReportPending>;
  getReportPdf(purchaseToken: string): Promise<Buffer>;
  requestScreening(request: ScreeningRequest): Promise<ScreeningRequested>;
}

export function createSingleKeyClient(options: {
  apiUrl: string;
  apiToken?: string;
  timeoutMs?: number;
  /** Told about every call: endpoint (`report`, `report_pdf`, `request`) and HTTP status or `network`. */
  onCall?: (endpoint: string, status: string) => void;
}): SingleKeyClient {
  const call = async (path: string, body?: unknown): Promise<Response> => {
    const endpoint = /^\/api\/([a-z_]+)/.exec(path)?.[1] ?? 'other';
    let response: Response;
    try {
      response = await fetch(`${options.apiUrl}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          Authorization: `Token ${options.apiToken ?? ''}`,
          Accept: 'application/json, application/pdf',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      options.onCall?.(endpoint, 'network');
      throw new Error(`SingleKey ${path}: ${(error as Error).message}`, { cause: error });
    }
    options.onCall?.(endpoint, String(response.status));
    if (response.ok) return response;
    const text = (await response.text().catch(() => '')).slice(0, 500);
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw ApplicationFailure.create({
        type: failureTypes.singleKeyRejected,
        nonRetryable: true,
        message: `SingleKey ${path} answered ${response.status}: ${text}`,
        details: [response.status, text],
      });
    }
    if (response.status === 404) {
      // Retryable here: a token SingleKey has just issued may not be served yet. The activities give up after a few attempts.
      throw ApplicationFailure.create({ type: failureTypes.unknownPurchaseToken, message: `SingleKey ${path} answered 404: ${text}` });
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    throw ApplicationFailure.create({
      type: failureTypes.singleKeyUnavailable,
      message: `SingleKey ${path} answered ${response.status}`,
      nextRetryDelay: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    });
  };

  return {
    async getReport(purchaseToken) {
      const body = (await (await call(`/api/report/${encodeURIComponent(purchaseToken)}`)).json()) as Record<string, unknown>;
      const score = typeof body.singlekey_score === 'number' ? body.singlekey_score : undefined;
      const reportUrl = typeof body.report_url === 'string' ? body.report_url : undefined;
      if (body.success === true && (score !== undefined || reportUrl !== undefined)) {
        return { ready: true, purchaseToken, score, reportUrl, pdfReady: body.pdf_report_ready === true, body };
      }
      return { ready: false, detail: String(body.detail ?? body.status ?? body.message ?? 'not ready') };
    },
    async getReportPdf(purchaseToken) {
      return Buffer.from(await (await call(`/api/report_pdf/${encodeURIComponent(purchaseToken)}`)).arrayBuffer());
    },
    async requestScreening(request) {
      let response: Response;
      try {
        response = await call('/api/request', request);
      } catch (error) {
        if (!(error instanceof ApplicationFailure) || error.type !== failureTypes.singleKeyRejected) throw error;
        const [status, text] = (error.details ?? []) as [number, string];
        // 401/403: this service's API token is wrong. Not the platform's fault, and fixed by an
        // operator: retried (and alerted on through the failure metric) rather than refused for good.
        if (status !== 400) throw ApplicationFailure.create({ type: failureTypes.singleKeyUnavailable, message: error.message });
        throw ApplicationFailure.create({
          type: failureTypes.singleKeyInvalidRequest,
          nonRetryable: true,
          message: `SingleKey refused the request's fields: ${text}`,
          details: [fieldErrorsOf(text)],
        });
      }
      const body = (await response.json()) as Record<string, unknown>;
      if (body.success !== true || typeof body.purchase_token !== 'string') {
        throw ApplicationFailure.create({
          type: failureTypes.singleKeyRejected,
          nonRetryable: true,
          message: `SingleKey refused the request: ${JSON.stringify(body).slice(0, 500)}`,
        });
      }
      const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
      return { purchaseToken: body.purchase_token, formUrl: str(body.form_url), tenantFormUrl: str(body.tenant_form_url) };
    },
  };
}

/**
 * SingleKey's 400 `errors`, as `{field, message}`: a list of `"field: message"` strings (what the
 * wire-format notes show), or an object of field → messages (Django REST framework's shape).
 */
export function fieldErrorsOf(text: string): FieldError[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [{ field: '', message: text || 'SingleKey refused the request' }];
  }
  const errors = (body as { errors?: unknown })?.errors ?? body;
  if (Array.isArray(errors)) {
    return errors.map((entry) => {
      const line = String(entry);
      const match = /^([A-Za-z_][\w.]*):\s*(.*)$/.exec(line);
      return match ? { field: match[1]!, message: match[2]! } : { field: '', message: line };
    });
  }
  if (errors && typeof errors === 'object') {
    return Object.entries(errors as Record<string, unknown>).flatMap(([field, messages]) =>
      (Array.isArray(messages) ? messages : [messages]).map((message) => ({ field, message: String(message) })),
    );
  }
  return [{ field: '', message: String(errors) }];
}
