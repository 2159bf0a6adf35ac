import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The webhook secret of the embedded development mode: generated on the first start, kept in the
 * data folder (mode 0600) so senders configured once keep working across restarts.
 */
export function loadOrCreateDevSecret(dataDir: string): { secret: string; file: string; created: boolean } {
  const file = path.join(dataDir, 'webhook-secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(dataDir, { recursive: true });
  const secret = `whsec_dev_${randomBytes(24).toString('hex')}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file, created: true };
}
