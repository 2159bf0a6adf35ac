/**
 * `npm run simulate -- <scenario> [--url ...] [--format envelope|flat|portal] [--speed N]`:
 * asks the SingleKey stand-in for a screening that plays `<scenario>` to the receiver, prints every
 * delivery attempt as it happens, then waits for the screening to reach the scenario's end state
 * (the workflow's `status` query) and prints it, with the status webhooks the stand-in received
 * for it as the platform. Exit 0 when it got there, 1 when not.
 * Defaults fit `npm start` on this machine; see `--help`.
 */
import { parseArgs } from 'node:util';
import { workflowIdFor } from '../workflows/messages';
import type { Config } from '../src/config';
import { CLUSTER_PROFILE, toolTemporal } from '../devkit/cluster/stack';
import { runEntrypoint, UsageError } from '../src/entrypoint';
import { startReceiverGate } from '../devkit/simulator/receiver-gate';
import { formatLimitation, playedIn, scenarioNames, scenarios, type WebhookFormat, webhookFormats } from '../devkit/stand-in/scenarios';
import { awaitEndState } from '../devkit/simulator/await-end-state';
import { attemptHeader, describeStatusWebhooks, describeView } from '../devkit/simulator/output';
import {
  followDeliveries,
  platformKeyOf,
  readDevToken,
  receivedStatusWebhooks,
  requestScreening,
  requestThroughService,
} from '../devkit/simulator/stand-in-client';
import { DEFAULT_SPEED } from '../devkit/stand-in/server';
import { connectClient } from '../src/temporal/connect';
import { devCodecKeys } from '../devkit/embedded/dev-secret';

function usage(config: Config): string {
  const width = Math.max(...scenarioNames.map((name) => name.length));
  return [
    'usage: npm run simulate -- <scenario> [options]',
    '',
    'scenarios:',
    ...scenarioNames.map((name) => `  ${name.padEnd(width)}  ${scenarios[name]!.summary} -> ${scenarios[name]!.expectedStatus}`),
    '',
    'options:',
    `  --url URL         webhook receiver (default http://127.0.0.1:${config.http.port}/webhooks/singlekey)`,
    `  --format F        ${webhookFormats.join(' | ')} (default envelope: the signed envelope, nested layout)`,
    `  --speed N         SingleKey minutes per real minute (default ${DEFAULT_SPEED}: a minute plays in a second)`,
    `  --singlekey URL   the stand-in (default SINGLEKEY_API_URL, else http://127.0.0.1:${config.embedded.singlekeyPort})`,
    '  --temporal ADDR   Temporal frontend for the status query (default TEMPORAL_ADDRESS, else the embedded one)',
    '  --wait SECONDS    how long to wait for the end state after the last delivery (default 120)',
  ].join('\n');
}

runEntrypoint(
  async (config, _logger, shutdown) => {
    let parsed;
    try {
      parsed = parseArgs({
        allowPositionals: true,
        options: {
          url: { type: 'string' },
          format: { type: 'string', default: 'envelope' },
          speed: { type: 'string', default: String(DEFAULT_SPEED) },
          singlekey: { type: 'string' },
          temporal: { type: 'string' },
          wait: { type: 'string', default: '120' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}\n\n${usage(config)}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      console.log(usage(config));
      return;
    }
    const scenario = scenarios[positionals[0] ?? ''];
    if (!scenario || positionals.length > 1) {
      throw new UsageError(`${positionals[0] && !scenario ? `unknown scenario "${positionals[0]}"\n\n` : ''}${usage(config)}`);
    }
    const format = values.format as WebhookFormat;
    if (!webhookFormats.includes(format)) throw new UsageError(`--format must be one of ${webhookFormats.join(', ')}`);
    const limitation = formatLimitation(scenario, format);
    if (limitation) throw new UsageError(limitation);
    const speed = Number(values.speed);
    const waitSeconds = Number(values.wait);
    if (!(speed > 0) || !(waitSeconds >= 0)) throw new UsageError('--speed must be a positive number and --wait a number of seconds');

    const singlekeyUrl = (values.singlekey ?? config.singlekey.apiUrl ?? `http://127.0.0.1:${config.embedded.singlekeyPort}`).replace(/\/+$/, '');
    const apiToken = config.singlekey.apiToken ?? readDevToken(config);
    const receiver = values.url ?? `http://127.0.0.1:${config.http.port}/webhooks/singlekey`;
    // Unconfigured, it reaches what runs from DATA_DIR: `npm run cluster` (through its profile file), else `npm start`'s dev server.
    const temporal = toolTemporal(config, values.temporal);
    const temporalAddress = temporal.address;

    const gate = scenario.receiverDownUntil ? await startReceiverGate(receiver, (scenario.receiverDownUntil * 60_000) / speed) : undefined;
    if (gate) shutdown.add('receiver gate', gate.close);
    const callbackUrl = gate?.url ?? receiver;

    // As the platform does, through POST /screenings, unless the deliveries must pass a gate or go elsewhere (--url).
    const platformKey = platformKeyOf(config);
    // A partner-portal screening starts in SingleKey's portal, not through an API: asked of the stand-in directly.
    const throughService = platformKey !== undefined && !gate && values.url === undefined && format !== 'portal';
    const purchaseToken = throughService
      ? await requestThroughService(new URL(receiver).origin, platformKey, singlekeyUrl, apiToken, { scenario, format, speed })
      : await requestScreening(singlekeyUrl, apiToken, { scenario, format, speed, callbackUrl });
    const workflowId = workflowIdFor(purchaseToken);
    console.log(`\n${scenario.name}: ${scenario.summary}`);
    console.log(`purchase token ${purchaseToken}, ${format} format, speed ${speed} (one SingleKey minute = ${(60 / speed).toFixed(2)} s)`);
    const gated = callbackUrl === receiver ? '' : ` (through a gate answering 503 until SingleKey minute ${scenario.receiverDownUntil})`;
    const requested = throughService ? `requested through POST ${new URL(receiver).origin}/screenings; ` : '';
    console.log(`${requested}SingleKey stand-in ${singlekeyUrl} -> ${receiver}${gated}\n`);
    console.log(attemptHeader());
    const attempts = await followDeliveries(singlekeyUrl, apiToken, purchaseToken);
    const delivered = attempts.filter((a) => a.result === 'delivered').length;
    console.log(`\n${attempts.length} attempts, ${delivered} deliveries answered 2xx.`);

    // The configured connection's TLS and API key belong to the configured address only.
    const client = await connectClient(
      temporalAddress,
      temporal.namespace,
      temporal.connection,
      config.temporal.payloadCodecKeys ?? devCodecKeys(config.embedded.dataDir),
    );
    shutdown.add('Temporal client', () => client.connection.close());
    const played = playedIn(scenario, format);
    const view = await awaitEndState(client.workflow.getHandle(workflowId), scenario, played, waitSeconds);
    const met = view !== undefined && scenario.satisfiedBy(view, played);
    console.log(`\nScreening ${purchaseToken}`);
    if (view) console.log(describeView(view, { status: scenario.expectedStatus, met }));
    else console.log(`  no workflow ${workflowId} on ${temporalAddress}: did any delivery get a 200?`);
    console.log(`  expectation         ${scenario.expectation}`);
    console.log('\nStatus webhooks the platform received (status, webhook-id, signature, answer):');
    console.log(describeStatusWebhooks(await receivedStatusWebhooks(singlekeyUrl, apiToken, purchaseToken, view?.status)));
    if (view?.effects.waiting.length) {
      console.log('\nE-mails in "effects waiting" have no recipient: the partner-portal format names no address, and the landlord');
      console.log('directory does not know landlord-demo. Register it first (README, "Walkthrough") and they go out:');
      console.log('  npm run landlords -- set landlord-demo landlord-demo@example.test');
    }
    console.log('\nLook at it:');
    if (temporal.source === 'embedded') {
      const filter = encodeURIComponent(`WorkflowId="${workflowId}"`);
      console.log(`  Web UI  http://localhost:${config.embedded.temporalUiPort}/namespaces/${config.temporal.namespace}/workflows?query=${filter}`);
    }
    const profile = temporal.profileFile ? `--config-file ${temporal.profileFile} --profile ${CLUSTER_PROFILE} ` : '';
    console.log(`  CLI     temporal ${profile}workflow query --workflow-id ${workflowId} --type status`);
    console.log(`  SQL     npm run sql -- "select * from screenings where purchase_token = '${purchaseToken}'"`);
    // Closed here rather than by `shutdown`, whose progress lines are for long-running processes.
    await client.connection.close();
    await gate?.close();
    process.exit(met ? 0 : 1);
  },
  { tool: true },
);
