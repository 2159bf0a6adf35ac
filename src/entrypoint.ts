import { type Config, ConfigError, loadConfig } from './config';
import { createLogger, type Logger } from './logger';
import { Shutdown } from './shutdown';

/** A command line the program cannot act on; printed as is, exit code 2. */
export class UsageError extends Error {}

/**
 * The machine is not ready for what was asked (e.g. a folder PostgreSQL may not enter); the message
 * says why and what to do, so it prints as is, exit code 1.
 */
export class SetupError extends Error {}

/**
 * Common frame of every process entry point: configuration errors print plainly and exit 2,
 * SIGINT/SIGTERM run the registered cleanups in reverse order, a start-up failure cleans up and
 * exits 1 (a `SetupError` printed plainly too).
 */
export function runEntrypoint(start: (config: Config, logger: Logger, shutdown: Shutdown) => Promise<void>, options: { tool?: boolean } = {}): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(2);
  }
  // A command-line tool prints its own output; its log says only what went wrong unless LOG_LEVEL asks for more.
  const logger = createLogger({ logLevel: config.logLevel ?? (options.tool ? 'warn' : 'info') });
  const shutdown = new Shutdown(logger);
  shutdown.listen((code) => process.exit(code));
  start(config, logger, shutdown)
    .then(notifyReady)
    .catch(async (error: unknown) => {
      const misused = error instanceof ConfigError || error instanceof UsageError;
      if (misused || error instanceof SetupError) console.error(error.message);
      else logger.fatal({ err: error }, 'start-up failed');
      await shutdown.run();
      process.exit(misused ? 2 : 1);
    });
}

/**
 * Tells a supervising parent (one that started this process with an IPC channel, as
 * `npm run cluster` and the chaos suite do) that it is serving, whatever the log level says.
 */
function notifyReady(): void {
  if (!process.send) return;
  process.send('ready');
  process.channel?.unref();
  // The supervisor is gone (killed, out of memory): stop rather than run on unsupervised, holding ports.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
