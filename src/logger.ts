import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/** JSON logs for machines; human-readable lines when a person watches the terminal. */
export function createLogger(config: Pick<Config, 'logLevel'>, name = 'screenings'): Logger {
  const pretty = process.stdout.isTTY === true;
  return pino({
    name,
    level: config.logLevel,
    // Safety net: the code logs identifiers only, but a person's details must never reach a log.
    redact: {
      paths: ['email', 'phone', 'firstName', 'lastName', 'tenant', 'landlord', '*.email', '*.phone', '*.firstName', '*.lastName', '*.tenant', '*.landlord'],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
}
