import assert from 'node:assert/strict';
import { authenticate, type AuthSettings, signBody } from '../../../src/webhook/authenticate';

const body = Buffer.from('{"event":"invite.sent","data":{"purchase_token":"pt_1"}}');
const now = 1_800_000_000;
const settings: AuthSettings = { secrets: ['current-secret'], toleranceSeconds: 300, nowSeconds: now };

/** The input for `overrides.body` (default `body`), its signature always made over the untampered `body`. */
function signed(overrides: { body?: Buffer; secret?: string; timestamp?: number | string } = {}) {
  const raw = overrides.body ?? body;
  return {
    rawBody: raw,
    signature: signBody(body, overrides.secret ?? 'current-secret'),
    timestamp: String(overrides.timestamp ?? now),
  };
}

describe('authenticate', () => {
  it('accepts a body signed with the configured secret', () => {
    assert.deepEqual(authenticate(signed(), settings), { ok: true, method: 'hmac', secretIndex: 0 });
  });

  it('accepts the second of two rotated secrets', () => {
    const result = authenticate(signed({ secret: 'previous-secret' }), { ...settings, secrets: ['current-secret', 'previous-secret'] });
    assert.deepEqual(result, { ok: true, method: 'hmac', secretIndex: 1 });
  });

  it('accepts an upper-case hex signature', () => {
    const input = signed();
    assert.equal(authenticate({ ...input, signature: input.signature.toUpperCase() }, settings).ok, true);
  });

  it('rejects a tampered body', () => {
    const result = authenticate(signed({ body: Buffer.from(body.toString().replace('pt_1', 'pt_2')) }), settings);
    assert.equal(result.ok || result.code, 'invalid_signature');
  });

  it('rejects a signature made with a secret that is no longer configured', () => {
    assert.equal(authenticate(signed({ secret: 'retired' }), settings).ok, false);
  });

  it('rejects a signature one character short', () => {
    const input = signed();
    const result = authenticate({ ...input, signature: input.signature.slice(1) }, settings);
    assert.equal(result.ok || result.code, 'invalid_signature');
  });

  it('rejects a signature one character too long', () => {
    const input = signed();
    const result = authenticate({ ...input, signature: `${input.signature}0` }, settings);
    assert.equal(result.ok || result.code, 'invalid_signature');
  });

  it('rejects a non-hex signature of the right length', () => {
    const result = authenticate({ ...signed(), signature: 'z'.repeat(64) }, settings);
    assert.equal(result.ok || result.code, 'invalid_signature');
  });

  it('rejects a prefixed signature such as sha256=<hex>', () => {
    const input = signed();
    const result = authenticate({ ...input, signature: `sha256=${input.signature}` }, settings);
    assert.equal(result.ok || result.code, 'invalid_signature');
  });

  it('rejects every signature when no secret is configured', () => {
    const result = authenticate(signed(), { ...settings, secrets: [] });
    assert.equal(result.ok || result.code, 'invalid_signature');
  });

  it('accepts a timestamp exactly 300 s old', () => {
    assert.equal(authenticate(signed({ timestamp: now - 300 }), settings).ok, true);
  });

  it('rejects a timestamp 301 s old', () => {
    const result = authenticate(signed({ timestamp: now - 301 }), settings);
    assert.equal(result.ok || result.code, 'stale_timestamp');
  });

  it('accepts a timestamp exactly 300 s in the future', () => {
    assert.equal(authenticate(signed({ timestamp: now + 300 }), settings).ok, true);
  });

  it('rejects a timestamp 301 s in the future', () => {
    const result = authenticate(signed({ timestamp: now + 301 }), settings);
    assert.equal(result.ok || result.code, 'stale_timestamp');
  });

  it('rejects a missing timestamp', () => {
    const result = authenticate({ ...signed(), timestamp: undefined }, settings);
    assert.equal(result.ok || result.code, 'missing_timestamp');
  });

  it('rejects a timestamp that is not Unix seconds', () => {
    const result = authenticate(signed({ timestamp: '2026-11-29T20:00:00Z' }), settings);
    assert.equal(result.ok || result.code, 'invalid_timestamp');
  });

  it('rejects a delivery with neither signature nor handshake token', () => {
    const result = authenticate({ rawBody: body }, settings);
    assert.equal(result.ok || result.code, 'missing_signature');
  });

  it('accepts the configured handshake token without a signature', () => {
    const result = authenticate({ rawBody: body, handshakeToken: 'portal-token' }, { ...settings, handshakeToken: 'portal-token' });
    assert.deepEqual(result, { ok: true, method: 'handshake' });
  });

  it('rejects a wrong handshake token', () => {
    const result = authenticate({ rawBody: body, handshakeToken: 'guess' }, { ...settings, handshakeToken: 'portal-token' });
    assert.equal(result.ok || result.code, 'invalid_handshake_token');
  });

  it('rejects a handshake token when none is configured', () => {
    const result = authenticate({ rawBody: body, handshakeToken: 'portal-token' }, settings);
    assert.equal(result.ok || result.code, 'invalid_handshake_token');
  });
});
