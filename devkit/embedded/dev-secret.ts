import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CodecKey, newCodecKeyLine, parseCodecKeys } from '../../src/temporal/payload-codec';

/**
 * A secret of the embedded development mode (webhook HMAC, report links, status webhooks): 24
 * random bytes, in hex or, for Standard Webhooks' `whsec_` secrets, base64; generated on the first
 * start and kept in the data folder (mode 0600), so what was configured or sent once keeps working
 * across restarts.
 */
export function loadOrCreateDevSecret(
  dataDir: string,
  name: string,
  prefix: string,
  encoding: 'hex' | 'base64' = 'hex',
): { secret: string; file: string; created: boolean } {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(dataDir, { recursive: true });
  const secret = `${prefix}${randomBytes(24).toString(encoding)}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file, created: true };
}

/**
 * The development payload codec key (`npm start`, `npm run cluster`): generated once into
 * DATA_DIR/payload-codec-keys (mode 0600), in PAYLOAD_CODEC_KEYS' format, so that what is in the
 * dev server's database stays readable across restarts and by the tools (simulate) next to it.
 */
export function loadOrCreateCodecKeys(dataDir: string): { keys: CodecKey[]; file: string; created: boolean } {
  const file = path.join(dataDir, 'payload-codec-keys');
  const created = !existsSync(file);
  if (created) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${newCodecKeyLine()}\n`, { mode: 0o600 });
  }
  return { keys: parseCodecKeys(readFileSync(file, 'utf8')), file, created };
}

/** The development codec keys of `dataDir`, if `npm start` or `npm run cluster` made them there. */
export function devCodecKeys(dataDir: string): CodecKey[] | undefined {
  const file = path.join(dataDir, 'payload-codec-keys');
  return existsSync(file) ? parseCodecKeys(readFileSync(file, 'utf8')) : undefined;
}
