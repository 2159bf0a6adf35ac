import { type Config, ConfigError } from '../../src/config';
import type { Logger } from '../../src/logger';
import { PLATFORM_WEBHOOK_PATH } from '../stand-in/platform-receiver';
import { startSingleKeyStandIn, type SingleKeyStandIn } from '../stand-in/server';
import { loadOrCreateDevSecret } from './dev-secret';

/**
 * Development credentials for the embedded mode (`npm start`, `npm run stand-in`): when no webhook
 * secret and no handshake token are configured, both are generated once and kept in DATA_DIR, so
 * the service and a stand-in started separately agree on them. Returns lines for the start-up summary.
 */
export function useDevWebhookCredentials(config: Config): [string, string][] {
  const { singlekey, embedded } = config;
  if (singlekey.webhookSecrets.length > 0 || singlekey.handshakeToken) return [];
  const secret = loadOrCreateDevSecret(embedded.dataDir, 'webhook-secret', 'whsec_dev_');
  const handshake = loadOrCreateDevSecret(embedded.dataDir, 'handshake-token', 'hst_dev_');
  singlekey.webhookSecrets = [secret.secret];
  singlekey.handshakeToken = handshake.secret;
  return [['Webhook secret', `${secret.secret}  (development; kept in ${secret.file}; portal Handshake-Token in ${handshake.file})`]];
}

/**
 * Development status webhooks (`npm start`, `npm run stand-in`): unless PLATFORM_WEBHOOK_URL is
 * set, they go to the stand-in's platform receiver on EMBEDDED_SINGLEKEY_PORT when a stand-in runs
 * (`standIn`), signed with PLATFORM_WEBHOOK_SECRET or a development secret generated once into
 * DATA_DIR. Returns lines for the start-up summary (where the secret is, never the secret).
 */
export function useDevPlatformWebhook(config: Config, standIn: boolean): [string, string][] {
  const { platformWebhook, embedded } = config;
  if (platformWebhook.url) {
    const shown = new URL(platformWebhook.url);
    shown.username = shown.password = '';
    return [['Status webhooks', `${shown.href}  (PLATFORM_WEBHOOK_URL)`]];
  }
  if (!standIn) return [['Status webhooks', 'off (PLATFORM_WEBHOOK_URL unset)']];
  let secretIn = 'PLATFORM_WEBHOOK_SECRET';
  if (!platformWebhook.secret) {
    const dev = loadOrCreateDevSecret(embedded.dataDir, 'platform-webhook-secret', 'whsec_', 'base64');
    platformWebhook.secret = dev.secret;
    secretIn = `development; kept in ${dev.file}`;
  }
  platformWebhook.url = `http://127.0.0.1:${embedded.singlekeyPort}${PLATFORM_WEBHOOK_PATH}`;
  return [['Status webhooks', `${platformWebhook.url}  (the stand-in plays the platform and logs each one; secret: ${secretIn})`]];
}

/**
 * The SingleKey stand-in on EMBEDDED_SINGLEKEY_PORT, signing with the newest configured webhook
 * secret and the handshake token, accepting SINGLEKEY_API_TOKEN (generated into DATA_DIR when unset).
 */
export async function startEmbeddedSingleKey(config: Config, logger: Logger): Promise<SingleKeyStandIn> {
  const { singlekey, embedded } = config;
  singlekey.apiToken ??= loadOrCreateDevSecret(embedded.dataDir, 'singlekey-api-token', 'sk_dev_').secret;
  const log = logger.child({ component: 'singlekey-stand-in' });
  return startSingleKeyStandIn({
    token: singlekey.apiToken,
    host: '127.0.0.1',
    port: embedded.singlekeyPort,
    credentials: { secret: singlekey.webhookSecrets[0], handshakeToken: singlekey.handshakeToken },
    platformWebhookSecret: config.platformWebhook.secret,
    onPlatformWebhook: (w) =>
      log.info(
        { purchaseToken: w.purchase_token, status: w.status, webhookId: w.webhookId, verified: w.verified, answered: w.answered },
        'stand-in platform received a status webhook',
      ),
    onAttempt: (purchaseToken, a) =>
      log.info(
        { purchaseToken, event: a.event, copy: a.copy, attempt: a.attempt, status: a.status, answer: a.answer, ms: a.latencyMs },
        `stand-in delivery ${a.result}`,
      ),
  }).catch((error: unknown) => {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    throw new ConfigError([
      `EMBEDDED_SINGLEKEY_PORT: port ${embedded.singlekeyPort} is in use (another npm start or npm run stand-in already runs a stand-in there?); ` +
        'stop it or choose another port',
    ]);
  });
}
