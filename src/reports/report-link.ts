import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Links to archived report PDFs that outlive SingleKey's own (which expire after five days):
 * `<base>/reports/<purchase_token>.pdf?expires=<unix seconds>&sig=<hex HMAC-SHA256>`, where the
 * HMAC covers the token and the expiry under REPORT_LINK_SECRET.
 */
export function signReportLink(options: { baseUrl: string; purchaseToken: string; secret: string; expiresAt: Date }): string {
  const expires = Math.floor(options.expiresAt.getTime() / 1000);
  const sig = mac(options.secret, options.purchaseToken, expires);
  return `${options.baseUrl}/reports/${encodeURIComponent(options.purchaseToken)}.pdf?expires=${expires}&sig=${sig}`;
}

export type LinkCheck = 'valid' | 'expired' | 'invalid';

export function verifyReportLink(options: { purchaseToken: string; expires?: string; sig?: string; secret: string; nowSeconds?: number }): LinkCheck {
  const { expires, sig } = options;
  if (!expires || !/^\d{1,12}$/.test(expires) || !sig || !/^[0-9a-f]{64}$/.test(sig)) return 'invalid';
  const expected = Buffer.from(mac(options.secret, options.purchaseToken, Number(expires)), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return 'invalid';
  return Number(expires) < (options.nowSeconds ?? Math.floor(Date.now() / 1000)) ? 'expired' : 'valid';
}

function mac(secret: string, purchaseToken: string, expires: number): string {
  return createHmac('sha256', secret).update(`report:${purchaseToken}:${expires}`).digest('hex');
}
