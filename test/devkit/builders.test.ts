import assert from 'node:assert/strict';
import { authenticate } from '../../src/webhook/authenticate';
import { parseDelivery } from '../../src/webhook/parse-delivery';
import { envelope, portalDelivery, screeningEvent, signedDelivery, signedRequest, uniqueToken } from '../../devkit/builders';

const secret = 'whsec_builders_test';

/** What the edge makes of a delivery: its authentication and its parse. */
function receive(delivery: { body: string; headers: Record<string, string> }, queryPurchaseToken?: string) {
  const rawBody = Buffer.from(delivery.body);
  const auth = authenticate(
    {
      rawBody,
      signature: delivery.headers['X-SingleKey-Signature'],
      timestamp: delivery.headers['X-SingleKey-Timestamp'],
      handshakeToken: delivery.headers['Handshake-Token'],
    },
    { secrets: [secret], handshakeToken: 'portal-token', toleranceSeconds: 300 },
  );
  return {
    auth,
    parsed: parseDelivery(rawBody, { receivedAt: new Date('2026-11-29T20:00:00.000Z'), queryPurchaseToken, authenticatedBy: auth.ok ? auth.method : 'hmac' }),
  };
}

describe('test builders', () => {
  describe('uniqueToken', () => {
    it('makes a different token with the given prefix on every call', () => {
      const [a, b] = [uniqueToken('pt_x'), uniqueToken('pt_x')];
      assert.match(a, /^pt_x_[0-9a-f]{32}$/);
      assert.notEqual(a, b);
    });
  });

  describe('signedDelivery', () => {
    it('builds an envelope the edge authenticates and parses into the matching screening event', () => {
      const token = uniqueToken();
      const delivery = signedDelivery('screening.submitted', { purchase_token: token }, secret, {
        webhookId: 'wh_built',
        timestamp: '2026-11-29T19:59:00.000Z',
      });
      const { auth, parsed } = receive(delivery);
      assert.deepEqual(auth, { ok: true, method: 'hmac', secretIndex: 0 });
      assert.ok(parsed.ok && 'event' in parsed, JSON.stringify(parsed));
      assert.deepEqual(
        parsed.event,
        screeningEvent(token, 'screening.submitted', { dedupeKey: 'wh_built', occurredAt: '2026-11-29T19:59:00.000Z', receivedAt: '2026-11-29T20:00:00.000Z' }),
      );
    });

    it('signs with the given X-SingleKey-Timestamp, and names the event in X-SingleKey-Event', () => {
      const { headers } = signedDelivery('invite.sent', { purchase_token: uniqueToken() }, secret, { signedAt: 1_800_000_000 });
      assert.equal(headers['X-SingleKey-Timestamp'], '1800000000');
      assert.equal(headers['X-SingleKey-Event'], 'invite.sent');
    });

    it('gives every delivery its own webhook_id unless told one', () => {
      const ids = [envelope('invite.sent', {}), envelope('invite.sent', {})].map((body) => body.webhook_id);
      assert.notEqual(ids[0], ids[1]);
      assert.equal(envelope('invite.sent', {}, { webhookId: 'wh_fixed' }).webhook_id, 'wh_fixed');
    });
  });

  describe('signedRequest', () => {
    it('signs bytes that are not JSON, with an empty X-SingleKey-Event', () => {
      const delivery = signedRequest('{"event":', secret);
      assert.equal(receive(delivery).auth.ok, true);
      assert.equal(delivery.headers['X-SingleKey-Event'], '');
    });
  });

  describe('portalDelivery', () => {
    it('builds a partner-portal delivery authenticated by its handshake token', () => {
      const token = uniqueToken();
      const { auth, parsed } = receive(portalDelivery('Report Complete', { purchase_token: token }, 'portal-token'), token);
      assert.deepEqual(auth, { ok: true, method: 'handshake' });
      assert.ok(parsed.ok && 'event' in parsed && parsed.event.type === 'screening.completed', JSON.stringify(parsed));
    });
  });

  describe('screeningEvent', () => {
    it('defaults to an envelope delivery of the type, deduplicated per screening, occurring now', () => {
      const before = Date.now();
      const event = screeningEvent('pt_1', 'form.opened');
      assert.deepEqual(
        { ...event, occurredAt: undefined, receivedAt: undefined },
        {
          type: 'form.opened',
          sourceEvent: 'form.opened',
          format: 'envelope',
          purchaseToken: 'pt_1',
          dedupeKey: 'wh_form.opened_pt_1',
          occurredAt: undefined,
          receivedAt: undefined,
        },
      );
      assert.equal(event.receivedAt, event.occurredAt);
      assert.ok(Date.parse(event.occurredAt) >= before - 1);
    });

    it('lets extra override any field and add the parties', () => {
      const event = screeningEvent('pt_1', 'screening.completed', { format: 'portal', dedupeKey: 'wh_c', occurredAt: '2026-11-29T10:00:00.000Z', score: 733 });
      assert.equal(event.format, 'portal');
      assert.equal(event.dedupeKey, 'wh_c');
      assert.equal(event.occurredAt, '2026-11-29T10:00:00.000Z');
      assert.equal(event.score, 733);
    });
  });
});
