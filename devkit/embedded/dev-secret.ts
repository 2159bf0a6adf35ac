import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A secret of the embedded development mode (webhook HMAC, report links): generated on the first
 * start and kept in the data folder (mode 0600), so what was configured or sent once keeps working
 * across restarts.
 */
export function loadOrCreateDevSecret(dataDir: string, name: string, prefix: string): { secret: string; file: string; created: boolean } {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(dataDir, { recursive: true });
  const secret = `${prefix}${randomBytes(24).toString('hex')}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file, created: true };
}
