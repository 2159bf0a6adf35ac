import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseDelivery, type ParseResult } from '../../../src/webhook/parse-delivery';
import type { ScreeningEvent } from '../../../workflows/messages';
import * as build from '../../../devkit/builders';

const receivedAt = new Date('2026-11-29T20:00:00.000Z');
const token = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';

/** Parses `body` as authenticated the way SingleKey sends that shape: the portal's by Handshake-Token, the others signed. */
function parse(body: unknown, queryPurchaseToken?: string, authenticatedBy?: 'hmac' | 'handshake'): ParseResult {
  const portal = typeof body === 'object' && body !== null && 'detail' in body;
  return parseDelivery(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), {
    receivedAt,
    queryPurchaseToken,
    authenticatedBy: authenticatedBy ?? (portal ? 'handshake' : 'hmac'),
  });
}

function event(body: unknown, queryPurchaseToken?: string): ScreeningEvent {
  const result = parse(body, queryPurchaseToken);
  assert.ok(result.ok && 'event' in result, JSON.stringify(result));
  return result.event;
}

/** An envelope with this file's fixed webhook id, timestamp and parties; `data` adds fields or overrides them. */
function envelope(name: string, data: Record<string, unknown>) {
  const parties = { purchase_token: token, external_customer_id: 'landlord-123', external_tenant_id: 'tenant-456' };
  return build.envelope(name, { ...parties, ...data }, { webhookId: 'wh_123', timestamp: '2026-11-29T19:59:00Z' });
}

describe('parseDelivery', () => {
  describe('signed envelope, nested layout', () => {
    it('reads a completed screening with score, recommendation and report links', () => {
      const e = event(
        envelope('screening.completed', {
          external_deal_id: 'deal-9',
          external_listing_id: 'listing-3',
          tenant: { email: 'tenant@example.com', first_name: 'Ada', last_name: 'Lovelace', phone: '+15550100' },
          landlord: { email: 'landlord@example.com', first_name: 'Lin' },
          result: { singlekey_score: 742, recommendation: 'approved' },
          links: { report: 'https://platform.singlekey.com/r/1', pdf: 'https://platform.singlekey.com/r/1.pdf' },
          completed_at: '2026-11-29T19:58:30Z',
        }),
      );
      assert.deepEqual(e, {
        type: 'screening.completed',
        sourceEvent: 'screening.completed',
        format: 'envelope',
        purchaseToken: token,
        dedupeKey: 'wh_123',
        occurredAt: '2026-11-29T19:58:30.000Z',
        receivedAt: '2026-11-29T20:00:00.000Z',
        externalCustomerId: 'landlord-123',
        externalTenantId: 'tenant-456',
        externalDealId: 'deal-9',
        externalListingId: 'listing-3',
        tenant: { email: 'tenant@example.com', firstName: 'Ada', lastName: 'Lovelace', phone: '+15550100' },
        landlord: { email: 'landlord@example.com', firstName: 'Lin' },
        score: 742,
        recommendation: 'approved',
        links: { report: 'https://platform.singlekey.com/r/1', pdf: 'https://platform.singlekey.com/r/1.pdf' },
      });
    });

    it('reads a recoverable failure with its code, message and errors', () => {
      const e = event(
        envelope('screening.failed', {
          failure: { reason: 'credit_bureau_unavailable', message: 'Bureau timeout', errors: ['equifax: 504'], recoverable: true },
          failed_at: '2026-11-29T19:50:00Z',
        }),
      );
      assert.deepEqual(e.failure, { reason: 'credit_bureau_unavailable', message: 'Bureau timeout', errors: ['equifax: 504'], recoverable: true });
      assert.equal(e.occurredAt, '2026-11-29T19:50:00.000Z');
    });

    it('reads an invitation with its type and form URL', () => {
      const e = event(
        envelope('invite.sent', { invite: { type: 'sms', form_url: 'https://platform.singlekey.com/form/abc' }, sent_at: '2026-11-29T10:00:00Z' }),
      );
      assert.deepEqual(e.invite, { type: 'sms', formUrl: 'https://platform.singlekey.com/form/abc' });
      assert.equal(e.occurredAt, '2026-11-29T10:00:00.000Z');
    });

    it('reads a captured payment in cents', () => {
      const e = event(
        envelope('screening.payment_captured', {
          payment: { amount: 2999, tax: 390, total: 3389, currency: 'CAD', method: 'card', paid_by: 'tenant' },
          charged_at: '2026-11-29T11:00:00Z',
        }),
      );
      assert.deepEqual(e.payment, { amountCents: 2999, taxCents: 390, totalCents: 3389, currency: 'CAD', method: 'card', paidBy: 'tenant' });
    });

    it('reads form.opened, invite.opened and screening.submitted', () => {
      assert.equal(event(envelope('form.opened', { opened_at: '2026-11-29T12:00:00Z' })).occurredAt, '2026-11-29T12:00:00.000Z');
      assert.equal(event(envelope('invite.opened', {})).type, 'invite.opened');
      assert.equal(event(envelope('screening.submitted', { submitted_at: '2026-11-29T13:00:00Z' })).occurredAt, '2026-11-29T13:00:00.000Z');
    });
  });

  describe('signed envelope, flat layout', () => {
    it('reads the same facts from flat fields', () => {
      const e = event(
        envelope('screening.completed', {
          tenant_email: 'tenant@example.com',
          landlord_email: 'landlord@example.com',
          singlekey_score: 720,
          report_url: 'https://platform.singlekey.com/r/2',
        }),
      );
      assert.deepEqual(e.tenant, { email: 'tenant@example.com' });
      assert.deepEqual(e.landlord, { email: 'landlord@example.com' });
      assert.equal(e.score, 720);
      assert.deepEqual(e.links, { report: 'https://platform.singlekey.com/r/2' });
      assert.equal(e.occurredAt, '2026-11-29T19:59:00.000Z', 'falls back to the envelope timestamp');
    });

    it('reads a flat failure, invite type and payment', () => {
      assert.deepEqual(event(envelope('screening.failed', { reason: 'invalid_sin_ssn', errors: ['SIN checksum'] })).failure, {
        reason: 'invalid_sin_ssn',
        errors: ['SIN checksum'],
      });
      assert.deepEqual(event(envelope('invite.sent', { invite_type: 'email' })).invite, { type: 'email' });
      assert.deepEqual(event(envelope('screening.payment_captured', { amount: 29.99, currency: 'CAD', payment_method: 'card' })).payment, {
        amount: 29.99,
        currency: 'CAD',
        method: 'card',
      });
    });

    it('accepts the guide example without webhook_id or api_version, deduplicating on the body hash', () => {
      const body = JSON.stringify({
        event: 'screening.completed',
        timestamp: '2024-01-15T10:30:00Z',
        data: { purchase_token: 'test_token_123', external_customer_id: 'test-landlord', external_tenant_id: 'test-tenant', singlekey_score: 720 },
      });
      const e = event(body);
      assert.equal(e.dedupeKey, `sha256:${createHash('sha256').update(body).digest('hex')}`);
      assert.equal(e.occurredAt, '2024-01-15T10:30:00.000Z');
    });

    it('accepts numeric external ids as strings', () => {
      assert.equal(event(envelope('invite.sent', { external_customer_id: 123 })).externalCustomerId, '123');
    });

    it('drops a malformed optional fact instead of refusing the delivery', () => {
      const e = event(envelope('screening.completed', { singlekey_score: 'excellent', tenant_email: 'not-an-email', report_url: 'javascript:alert(1)' }));
      assert.equal(e.score, undefined);
      assert.equal(e.tenant, undefined);
      assert.equal(e.links, undefined);
    });
  });

  describe('partner-portal format', () => {
    const portal = (detail: string, extra: Record<string, unknown> = {}) => ({
      detail,
      purchase_token: token,
      external_customer_id: 'landlord-123',
      external_tenant_id: 'tenant-456',
      ...extra,
    });

    for (const [detail, type] of [
      ['Request sent to tenant', 'invite.sent'],
      ['Tenant email opened', 'form.opened'],
      ['Report in Progress', 'screening.submitted'],
      ['Partial Report Complete', 'report.partial'],
      ['Report Complete', 'screening.completed'],
    ] as const) {
      it(`maps "${detail}" to ${type}`, () => {
        const e = event(portal(detail), token);
        assert.equal(e.type, type);
        assert.equal(e.format, 'portal');
        assert.equal(e.sourceEvent, detail);
        assert.equal(e.occurredAt, receivedAt.toISOString());
      });
    }

    it('gives two identical deliveries the same dedupe key', () => {
      assert.equal(event(portal('Report Complete')).dedupeKey, event(portal('Report Complete')).dedupeKey);
      assert.match(event(portal('Report Complete')).dedupeKey, /^sha256:[0-9a-f]{64}$/);
    });

    it('takes the purchase token from ?pt= when the body has none', () => {
      const { purchase_token: _omitted, ...body } = portal('Report Complete');
      assert.equal(event(body, token).purchaseToken, token);
    });

    it("takes a signed portal delivery's purchase token only from the signed body, never from ?pt= alone", () => {
      const { purchase_token: _omitted, ...body } = portal('Report Complete');
      const result = parse(body, token, 'hmac');
      assert.ok(!result.ok && result.code === 'invalid_payload', JSON.stringify(result));
      assert.match(result.issues[0]!.message, /signed body/);
    });
  });

  describe('what the authentication vouches for', () => {
    it("refuses an envelope authenticated by the portal's Handshake-Token (it could name a new landlord e-mail)", () => {
      const result = parse(envelope('invite.sent', { landlord_email: 'attacker@example.test' }), undefined, 'handshake');
      assert.ok(!result.ok && result.code === 'handshake_not_for_this_shape', JSON.stringify(result));
    });

    it('accepts a signed envelope as before', () => {
      assert.equal(event(envelope('invite.sent', {})).type, 'invite.sent');
    });
  });

  describe('refusals and acknowledgements', () => {
    it('acknowledges an unknown event name without an event', () => {
      const result = parse(envelope('screening.archived', {}));
      assert.deepEqual(result, { ok: true, unknown: { sourceEvent: 'screening.archived', purchaseToken: token, dedupeKey: 'wh_123' } });
    });

    it('acknowledges an unknown portal detail', () => {
      const result = parse({ detail: 'Landlord viewed report', purchase_token: token });
      assert.ok(result.ok && 'unknown' in result);
    });

    it('refuses bytes that are not JSON', () => {
      assert.equal((parse('{"event":') as { code: string }).code, 'invalid_json');
    });

    it('refuses a delivery without purchase_token, naming the field', () => {
      assert.deepEqual(parse({ event: 'invite.sent', data: { external_customer_id: 'x' } }), {
        ok: false,
        code: 'invalid_payload',
        issues: [{ path: 'data.purchase_token', message: 'Invalid input: expected string, received undefined' }],
      });
    });

    it('refuses a purchase token with unsafe characters', () => {
      const result = parse(envelope('invite.sent', { purchase_token: '../../etc/passwd' }));
      assert.ok(!result.ok);
      assert.deepEqual(
        result.issues.map((i) => i.path),
        ['data.purchase_token'],
      );
    });

    it('refuses a ?pt= that disagrees with the body', () => {
      assert.equal((parse(envelope('invite.sent', {}), 'another-token') as { code: string }).code, 'purchase_token_mismatch');
      assert.equal((parse({ detail: 'Report Complete', purchase_token: token }, 'another-token') as { code: string }).code, 'purchase_token_mismatch');
    });

    it('refuses a JSON value that is not an object', () => {
      for (const body of ['[]', '42', 'null', '"text"']) assert.equal((parse(body) as { code: string }).code, 'invalid_payload', body);
    });
  });
});
