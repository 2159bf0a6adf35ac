import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../../src/config';
import { startEmbeddedPostgres } from '../../devkit/embedded/postgres';
import { type SavedMail, startSmtpSink } from '../../devkit/embedded/smtp-sink';
import { startTemporalDevServer } from '../../devkit/embedded/temporal-dev-server';
import { requireBinary } from '../../devkit/temporal-binaries';
import { freePort } from '../../devkit/embedded/free-port';

/**
 * The real components every integration test shares, started once per `npm test` run by the mocha
 * global fixtures below: a Temporal dev server, PostgreSQL and an SMTP server, each on a free port
 * and in a scratch folder that is removed afterwards.
 */
export interface TestEnvironment {
  root: string;
  temporalAddress: string;
  databaseUrl: string;
  smtpUrl: string;
  mailFolder: string;
  mails: SavedMail[];
  /** `loadConfig` over the test environment plus `overrides`. */
  config(overrides?: Record<string, string>): Config;
}

// Kept on globalThis: mocha may load this file once as the fixture and once more from a spec file.
const state = ((globalThis as Record<symbol, unknown>)[Symbol.for('screenings.test-environment')] ??= {
  stops: [],
}) as { current?: TestEnvironment; stops: (() => Promise<void>)[] };
const stops = state.stops;

export function testEnvironment(): TestEnvironment {
  if (!state.current) throw new Error('test environment not started (run the suite through mocha with .mocharc.json)');
  return state.current;
}

export const TEST_WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';
export const SUGGEST_CONTINUE_AS_NEW_AT = 500;

export async function mochaGlobalSetup(): Promise<void> {
  const started = Date.now();
  // Keep the SDK's own chatter (bundler stats, worker state changes) out of the test report.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const root = mkdtempSync(path.join(os.tmpdir(), 'screenings-test-'));
  // PostgreSQL runs as another user when the suite runs as root: it must be able to enter the folder.
  chmodSync(root, 0o755);
  stops.push(async () => rmSync(root, { recursive: true, force: true }));
  const baseConfig = loadConfig({ PATH: process.env.PATH, TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH });
  const mails: SavedMail[] = [];
  const [temporal, postgres, smtp] = await Promise.all([
    startTemporalDevServer({
      cliPath: requireBinary('cli', baseConfig),
      dir: path.join(root, 'temporal'),
      port: await freePort(),
      uiPort: await freePort(),
      namespace: 'default',
      ui: false,
      // Small enough that the continue-as-new test reaches it with a flood of duplicate deliveries.
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`],
    }),
    startEmbeddedPostgres({ dir: path.join(root, 'postgres'), port: await freePort() }),
    startSmtpSink({ folder: path.join(root, 'mail'), port: await freePort(), onMail: (mail) => mails.push(mail) }),
  ]);
  stops.push(temporal.stop, postgres.stop, smtp.stop);
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: postgres.url,
    SMTP_URL: smtp.url,
    SINGLEKEY_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET,
    DATA_DIR: path.join(root, 'data'),
    LOG_LEVEL: 'silent',
    PATH: process.env.PATH,
  };
  state.current = {
    root,
    temporalAddress: temporal.address,
    databaseUrl: postgres.url,
    smtpUrl: smtp.url,
    mailFolder: smtp.folder,
    mails,
    config: (overrides = {}) => loadConfig({ ...env, ...overrides }),
  };
  console.log(`  test environment ready in ${Date.now() - started} ms (Temporal ${temporal.address}, PostgreSQL, SMTP)`);
}

export async function mochaGlobalTeardown(): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error('teardown:', error));
}
