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
import { startSideBySide } from '../../devkit/embedded/start-side-by-side';

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
}) as { current?: TestEnvironment; scratch?: string; stops: (() => Promise<void>)[] };
const stops = state.stops;

export function testEnvironment(): TestEnvironment {
  if (!state.current) throw new Error('test environment not started (run the suite through mocha with .mocharc.json)');
  return state.current;
}

export const TEST_WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';
export const SUGGEST_CONTINUE_AS_NEW_AT = 500;

export async function mochaGlobalSetup(): Promise<void> {
  const started = Date.now();
  try {
    state.current = await startEnvironment();
  } catch (error) {
    throw await giveUp(error);
  }
  console.log(`  test environment ready in ${Date.now() - started} ms (Temporal ${state.current.temporalAddress}, PostgreSQL, SMTP)`);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopAll();
}

/**
 * Mocha skips the global teardown when the set-up fails: stop here what was started, or its
 * servers keep this process (and so `npm test`) alive. Mocha prints the error's stack; the message
 * alone says what failed, so the stack is left out.
 */
async function giveUp(error: unknown): Promise<Error> {
  let line = `test environment could not start: ${error instanceof Error ? error.message : String(error)}`;
  // A message naming a log in the scratch folder keeps the folder, or that log could not be read.
  const keepScratch = state.scratch !== undefined && line.includes(state.scratch);
  if (keepScratch) line += ` (${state.scratch} is kept)`;
  await stopAll({ keepScratch });
  return Object.assign(new Error(line), { stack: line });
}

async function startEnvironment(): Promise<TestEnvironment> {
  // Keep the SDK's own chatter (bundler stats, worker state changes) out of the test report.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const root = (state.scratch = mkdtempSync(path.join(os.tmpdir(), 'screenings-test-')));
  // PostgreSQL runs as another user when the suite runs as root: it must be able to enter the folder.
  chmodSync(root, 0o755);
  const baseConfig = loadConfig({ PATH: process.env.PATH, TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH });
  const mails: SavedMail[] = [];
  const [temporalPort, temporalUiPort, postgresPort, smtpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Each registers its stop as soon as it runs; one failing makes the others give up.
  const [temporal, postgres, smtp] = await startSideBySide([
    (signal) =>
      startTemporalDevServer({
        cliPath: requireBinary('cli', baseConfig),
        dir: path.join(root, 'temporal'),
        port: temporalPort,
        uiPort: temporalUiPort,
        namespace: 'default',
        ui: false,
        // Small enough that the continue-as-new test reaches it with a flood of duplicate deliveries.
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`],
        signal,
      }).then(stoppedAtTheEnd),
    (signal) => startEmbeddedPostgres({ dir: path.join(root, 'postgres'), port: postgresPort, dirSetting: 'TMPDIR', signal }).then(stoppedAtTheEnd),
    () => startSmtpSink({ folder: path.join(root, 'mail'), port: smtpPort, onMail: (mail) => mails.push(mail) }).then(stoppedAtTheEnd),
  ] as const);
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: postgres.url,
    SMTP_URL: smtp.url,
    SINGLEKEY_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET,
    DATA_DIR: path.join(root, 'data'),
    LOG_LEVEL: 'silent',
    PATH: process.env.PATH,
  };
  return {
    root,
    temporalAddress: temporal.address,
    databaseUrl: postgres.url,
    smtpUrl: smtp.url,
    mailFolder: smtp.folder,
    mails,
    config: (overrides = {}) => loadConfig({ ...env, ...overrides }),
  };
}

function stoppedAtTheEnd<T extends { stop(): Promise<void> }>(helper: T): T {
  stops.push(helper.stop);
  return helper;
}

/** Stops what was started, newest first, then removes the scratch folder. */
async function stopAll(options: { keepScratch?: boolean } = {}): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => console.error('teardown:', error));
  if (state.scratch && !options.keepScratch) rmSync(state.scratch, { recursive: true, force: true });
  state.scratch = undefined;
}
