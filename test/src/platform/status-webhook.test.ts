import assert from 'node:assert/strict';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { statusEventSchema } from '../../../src/http/platform-schemas';
import { signedHeaders, statusEventOf, webhookIdOf } from '../../../src/platform/status-webhook';
import type { ScreeningSnapshot } from '../../../workflows/messages';

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

const completed: ScreeningSnapshot = {
  purchaseToken: 'ac372e60ef7093c0aa8166b17a57ccd1',
  status: 'completed',
  version: 7,
  externalCustomerId: 'landlord-9',
  externalTenantId: 'tenant-4',
  tenant: { email: 'tenant@example.test', firstName: 'Ada' },
  score: 742,
  recommendation: 'approved',
  moments: {
    invited: '2026-11-29T10:00:00Z',
    formOpened: '2026-11-29T10:04:00.000+01:00',
    submitted: '2026-11-29T10:12:00.000Z',
    completed: '2026-11-29T10:20:00.000Z',
  },
};

describe('status webhook', () => {
  describe('statusEventOf', () => {
    const event = statusEventOf(completed, { status: 'completed', previous: 'submitted', at: '2026-11-29T10:20:01.000Z' }, 'https://screenings.example.test/');

    it("passes the platform contract's statusEventSchema", () => {
      assert.deepEqual(statusEventSchema.parse(event), event);
    });

    it('names the status change, the screening and its ids, score and recommendation; never a contact', () => {
      assert.equal(event.type, 'screening.status_changed');
      assert.equal(event.timestamp, '2026-11-29T10:20:01.000Z');
      assert.deepEqual(
        { ...event.data, milestones: undefined },
        {
          purchase_token: completed.purchaseToken,
          status: 'completed',
          previous_status: 'submitted',
          external_customer_id: 'landlord-9',
          external_tenant_id: 'tenant-4',
          milestones: undefined,
          score: 742,
          recommendation: 'approved',
          screening_url: `https://screenings.example.test/screenings/${completed.purchaseToken}`,
        },
      );
      assert.ok(!JSON.stringify(event).includes('tenant@example.test'));
    });

    it('maps the moments to the milestones as UTC instants, null where none was reached', () => {
      assert.deepEqual(event.data.milestones, {
        requested_at: null,
        invited_at: '2026-11-29T10:00:00.000Z',
        form_opened_at: '2026-11-29T09:04:00.000Z',
        submitted_at: '2026-11-29T10:12:00.000Z',
        completed_at: '2026-11-29T10:20:00.000Z',
        failed_at: null,
        expired_at: null,
        stalled_at: null,
      });
    });

    it('reads a `requested` moment once the workflow records one', () => {
      const requested = { ...completed, moments: { requested: '2026-11-29T09:59:00.000Z' } } as ScreeningSnapshot;
      const first = statusEventOf(requested, { status: 'invited', previous: null, at: '2026-11-29T10:00:00.000Z' }, 'http://localhost:3000');
      assert.equal(first.data.milestones.requested_at, '2026-11-29T09:59:00.000Z');
      assert.equal(first.data.previous_status, null);
      assert.doesNotThrow(() => statusEventSchema.parse(first));
    });

    it('leaves out what is not known yet as null', () => {
      const bare: ScreeningSnapshot = { purchaseToken: 'pt_1', status: 'unknown', version: 1, moments: {} };
      const data = statusEventOf(bare, { status: 'unknown', previous: null, at: '2026-11-29T10:00:00.000Z' }, 'http://localhost:3000').data;
      assert.equal(data.external_customer_id, null);
      assert.equal(data.score, null);
      assert.equal(data.recommendation, null);
      assert.doesNotThrow(() => statusEventSchema.parse({ type: 'screening.status_changed', timestamp: '2026-11-29T10:00:00.000Z', data }));
    });
  });

  describe('webhookIdOf', () => {
    it('is the same for the same screening and status, whichever attempt or run asks, and has no full stop', () => {
      assert.equal(webhookIdOf('ac372e60', 'form_opened'), 'scr_ac372e60_form_opened');
      assert.ok(!webhookIdOf('ac372e60ef7093c0aa8166b17a57ccd1', 'completed').includes('.'));
      assert.equal(webhookIdOf('ac372e60', 'form_opened'), webhookIdOf('ac372e60', 'form_opened'));
      assert.notEqual(webhookIdOf('ac372e60', 'completed'), webhookIdOf('ac372e60', 'failed'));
    });
  });

  describe('signedHeaders', () => {
    const body = JSON.stringify(statusEventOf(completed, { status: 'completed', previous: 'submitted', at: '2026-11-29T10:20:01.000Z' }, 'http://localhost'));
    const id = webhookIdOf(completed.purchaseToken, 'completed');

    it("reproduces the Standard Webhooks specification's published test vector", () => {
      const headers = signedHeaders('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', '{"test": 2432232314}', new Date(1614265330_000));
      assert.equal(headers['webhook-timestamp'], '1614265330');
      assert.equal(headers['webhook-signature'], 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    });

    it("verifies with the standardwebhooks library and the receiver's copy of the secret", () => {
      const headers = signedHeaders(secret, id, body, new Date());
      assert.equal(headers['content-type'], 'application/json');
      assert.equal(headers['webhook-id'], id);
      assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
    });

    it('fails verification when the body is tampered with', () => {
      const headers = signedHeaders(secret, id, body, new Date());
      assert.throws(() => new Webhook(secret).verify(body.replace('"score":742', '"score":842'), headers), WebhookVerificationError);
    });

    it('fails verification under another secret, another webhook-id, or a timestamp over 5 minutes old', () => {
      const other = `whsec_${Buffer.alloc(32, 8).toString('base64')}`;
      assert.throws(() => new Webhook(other).verify(body, signedHeaders(secret, id, body, new Date())), WebhookVerificationError);
      const headers = signedHeaders(secret, id, body, new Date());
      assert.throws(
        () => new Webhook(secret).verify(body, { ...headers, 'webhook-id': webhookIdOf(completed.purchaseToken, 'failed') }),
        WebhookVerificationError,
      );
      assert.throws(() => new Webhook(secret).verify(body, signedHeaders(secret, id, body, new Date(Date.now() - 301_000))), WebhookVerificationError);
    });
  });
});
