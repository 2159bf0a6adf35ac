import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/** Fields that hold a person's details; redacted wherever they appear (top level or one level down). */
const personalFields = ['email', 'phone', 'firstName', 'lastName', 'first_name', 'last_name', 'tenant', 'landlord', 'sin'];

/**
 * JSON logs for machines; human-readable lines when a person watches the terminal. `destination`
 * is for tests that read what was logged.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, name = 'screenings', destination?: DestinationStream): Logger {
  const pretty = destination === undefined && process.stdout.isTTY === true;
  const options = {
    name,
    level: config.logLevel ?? 'info',
    // Safety net: the code logs identifiers only, but a person's details must never reach a log.
    redact: { paths: personalFields.flatMap((field) => [field, `*.${field}`]), censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
