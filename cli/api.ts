/** `npm run api`: the HTTP API alone, against an existing Temporal cluster and PostgreSQL. Scale it freely. */
import { assertStrongSecrets, assertWebhookAuthConfigured, requireSetting } from '../src/config';
import { startApi } from '../src/http/server';
import { createDb } from '../src/db/connection';
import { runEntrypoint } from '../src/entrypoint';
import { connectClient } from '../src/temporal/connect';

runEntrypoint(async (config, logger, shutdown) => {
  assertWebhookAuthConfigured(config);
  requireSetting(config.reportLinks.secret, 'REPORT_LINK_SECRET', 'npm run api (it serves report links)');
  assertStrongSecrets(config);
  const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', 'npm run api');
  const db = createDb(requireSetting(config.databaseUrl, 'DATABASE_URL', 'npm run api'), 10, logger);
  shutdown.add('database pool', () => db.destroy());
  const codecKeys = requireSetting(config.temporal.payloadCodecKeys, 'PAYLOAD_CODEC_KEYS', 'npm run api (personal data is encrypted in Temporal)');
  const client = await connectClient(address, config.temporal.namespace, config.temporal.connection, codecKeys);
  shutdown.add('Temporal client', () => client.connection.close());
  const api = await startApi({ config, client, db, logger });
  shutdown.add('HTTP API', () => api.stop());
});
