import { type Config, ConfigError } from '../../src/config';
import type { Logger } from '../../src/logger';
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
