import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/** JSON logs for machines; human-readable lines when a person watches the terminal. */
export function createLogger(config: Pick<Config, 'logLevel'>, name = 'screenings'): Logger {
  const pretty = process.stdout.isTTY === true;
  return pino({
    name,
    level: config.logLevel,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
}
