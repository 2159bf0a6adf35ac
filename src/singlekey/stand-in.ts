import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { samplePdf } from './sample-pdf';

/**
 * A local stand-in for SingleKey's report API (tests, benchmark): reports are pending until marked
 * ready (or failing with a status), or ready from the start with `readyByDefault`. Checks
 * `Authorization: Token <token>`.
 */
export interface SingleKeyStandIn {
  url: string;
  token: string;
  /** Makes `GET /api/report/<purchaseToken>` answer a finished report. */
  ready(purchaseToken: string, score?: number): void;
  /** Makes it answer an HTTP error (with `Retry-After` when given). */
  fail(purchaseToken: string, status: number, retryAfterSeconds?: number): void;
  requests: string[];
  close(): Promise<void>;
}

export async function startSingleKeyStandIn(token = 'test-api-token', options: { readyByDefault?: boolean } = {}): Promise<SingleKeyStandIn> {
  const reports = new Map<string, { score: number } | { status: number; retryAfter?: number }>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Token ${token}`) return send(401, { detail: 'Invalid token.' });
    if (req.method === 'POST' && req.url === '/api/request') {
      const purchaseToken = `sk${Date.now().toString(36)}${(requests.length).toString(36)}`.padEnd(32, '0');
      return send(200, { success: true, purchase_token: purchaseToken, form_url: `https://sandbox.singlekey.com/form/${purchaseToken}` });
    }
    const pdf = /^\/api\/report_pdf\/([^/?]+)$/.exec(req.url ?? '');
    if (pdf) {
      const purchaseToken = decodeURIComponent(pdf[1]!);
      if (!reports.has(purchaseToken) && !options.readyByDefault) return send(404, { detail: 'Not found.' });
      res.writeHead(200, { 'Content-Type': 'application/pdf' });
      return res.end(samplePdf(`Screening report ${purchaseToken}`));
    }
    const match = /^\/api\/report\/([^/?]+)$/.exec(req.url ?? '');
    if (!match) return send(404, { detail: 'Not found.' });
    const purchaseToken = decodeURIComponent(match[1]!);
    const report = reports.get(purchaseToken) ?? (options.readyByDefault ? { score: 700 } : undefined);
    if (!report) return send(200, { success: false, detail: 'Report in progress' });
    if ('status' in report) return send(report.status, { detail: 'error' }, report.retryAfter ? { 'Retry-After': String(report.retryAfter) } : {});
    return send(200, {
      success: true,
      purchase_token: purchaseToken,
      singlekey_score: report.score,
      currency: 'CAD',
      report_url: `https://sandbox.singlekey.com/reports/${purchaseToken}.pdf`,
      pdf_report_ready: true,
      date_created: new Date().toISOString(),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    ready: (purchaseToken, score = 720) => void reports.set(purchaseToken, { score }),
    fail: (purchaseToken, status, retryAfter) => void reports.set(purchaseToken, { status, retryAfter }),
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
