/**
 * `npm run stand-in`: the SingleKey stand-in on its own (`npm start` already runs one when
 * SINGLEKEY_API_URL is unset). Point a service started separately at it with SINGLEKEY_API_URL and
 * SINGLEKEY_API_TOKEN as printed; it signs with the same secrets as `npm start` of this DATA_DIR,
 * and receives the status webhooks of a service given PLATFORM_WEBHOOK_URL and _SECRET as printed.
 */
import { runEntrypoint } from '../src/entrypoint';
import { startEmbeddedSingleKey, useDevPlatformWebhook, useDevWebhookCredentials } from '../devkit/embedded/singlekey-stand-in';
import { scenarioNames } from '../devkit/stand-in/scenarios';
import { DEFAULT_SPEED } from '../devkit/stand-in/server';

runEntrypoint(async (config, logger, shutdown) => {
  const secrets = useDevWebhookCredentials(config);
  const statusWebhooks = useDevPlatformWebhook(config, true);
  const standIn = await startEmbeddedSingleKey(config, logger);
  shutdown.add('SingleKey stand-in', standIn.close);
  const signsWith = secrets.length
    ? 'the development secret above'
    : config.singlekey.webhookSecrets.length
      ? 'the first of SINGLEKEY_WEBHOOK_SECRETS'
      : 'nothing: handshake token only (portal format)';
  console.log(
    [
      '',
      `SingleKey stand-in ready at ${standIn.url}`,
      `  API token       ${standIn.token}`,
      ...secrets.map(([label, value]) => `  ${label}  ${value}`),
      `  signs with      ${signsWith}`,
      ...statusWebhooks.map(([label, value]) => `  ${label} ${value}`),
      `  service env     SINGLEKEY_API_URL=${standIn.url} SINGLEKEY_API_TOKEN=${standIn.token}`,
      `                  PLATFORM_WEBHOOK_URL=${standIn.platformWebhookUrl} PLATFORM_WEBHOOK_SECRET=<the status webhooks' secret above>`,
      `  scenarios       ${scenarioNames.join(', ')} (POST /api/request with stand_in_scenario; default speed ${DEFAULT_SPEED})`,
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
});
