import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Decides whether a delivery really comes from SingleKey. Two documented ways:
 * - HMAC: `X-SingleKey-Signature` is the hex HMAC-SHA256 of the raw body under one of our secrets
 *   (several, newest first, so a secret can be rotated without downtime), and
 *   `X-SingleKey-Timestamp` lies within the tolerance of our clock, in either direction;
 * - handshake: the partner-portal format carries a static `Handshake-Token` header instead.
 */

export type AuthFailureCode =
  'missing_signature' | 'invalid_signature' | 'missing_timestamp' | 'invalid_timestamp' | 'stale_timestamp' | 'invalid_handshake_token';

export type AuthResult =
  { ok: true; method: 'hmac'; secretIndex: number } | { ok: true; method: 'handshake' } | { ok: false; code: AuthFailureCode; reason: string };

export interface AuthInput {
  rawBody: Buffer;
  signature?: string;
  timestamp?: string;
  handshakeToken?: string;
}

export interface AuthSettings {
  secrets: readonly string[];
  handshakeToken?: string;
  toleranceSeconds: number;
  /** Unix seconds; injectable for tests. */
  nowSeconds?: number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^\d{1,12}$/;

export function authenticate(input: AuthInput, settings: AuthSettings): AuthResult {
  if (input.signature !== undefined) return verifyHmac(input, settings);
  if (input.handshakeToken !== undefined && settings.handshakeToken) {
    return safeEqual(Buffer.from(input.handshakeToken), Buffer.from(settings.handshakeToken))
      ? { ok: true, method: 'handshake' }
      : fail('invalid_handshake_token', 'Handshake-Token does not match');
  }
  if (input.handshakeToken !== undefined) {
    return fail('invalid_handshake_token', 'Handshake-Token sent but no handshake token is configured');
  }
  return fail('missing_signature', 'neither X-SingleKey-Signature nor Handshake-Token present');
}

function verifyHmac(input: AuthInput, settings: AuthSettings): AuthResult {
  const signature = input.signature!.trim();
  if (!HEX_SHA256.test(signature)) return fail('invalid_signature', 'signature is not 64 hex characters');
  const given = Buffer.from(signature.toLowerCase(), 'hex');
  // Every configured secret is tried so the time taken does not reveal which one matched.
  let matched = -1;
  settings.secrets.forEach((secret, index) => {
    const expected = createHmac('sha256', secret).update(input.rawBody).digest();
    if (safeEqual(given, expected) && matched === -1) matched = index;
  });
  if (matched === -1) return fail('invalid_signature', 'signature matches none of the configured secrets');

  if (input.timestamp === undefined) return fail('missing_timestamp', 'X-SingleKey-Timestamp missing');
  const timestamp = input.timestamp.trim();
  if (!UNIX_SECONDS.test(timestamp)) return fail('invalid_timestamp', 'timestamp is not Unix seconds');
  const now = settings.nowSeconds ?? Math.floor(Date.now() / 1000);
  const skew = now - Number(timestamp);
  if (Math.abs(skew) > settings.toleranceSeconds) {
    return fail('stale_timestamp', `timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}`);
  }
  return { ok: true, method: 'hmac', secretIndex: matched };
}

/** Equality in constant time for equal lengths, so a secret cannot be guessed byte by byte from timings. */
export function safeEqual(given: Buffer | string, expected: Buffer | string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function fail(code: AuthFailureCode, reason: string): AuthResult {
  return { ok: false, code, reason };
}

/** The signature SingleKey sends, for our own sender (tests, simulator). */
export function signBody(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}
