import type { Knex } from 'knex';
import * as screenings from './20261129_001_screenings';
import * as lifecycle from './20261129_002_lifecycle';
import * as ledgers from './20261129_003_ledgers';
import * as sendClaims from './20261130_004_send_claims';
import * as erasure from './20261130_005_erasure';
import * as requests from './20261130_006_requests';
import * as platformWebhooks from './20261130_007_platform_webhooks';
import * as webhookInbox from './20261130_008_webhook_inbox';

/**
 * Migrations listed in code rather than discovered on disk, so the same list works under tsx,
 * from compiled `dist/` and inside the container image. Append new ones; never reorder.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261129_001_screenings': screenings,
  '20261129_002_lifecycle': lifecycle,
  '20261129_003_ledgers': ledgers,
  '20261130_004_send_claims': sendClaims,
  '20261130_005_erasure': erasure,
  '20261130_006_requests': requests,
  '20261130_007_platform_webhooks': platformWebhooks,
  '20261130_008_webhook_inbox': webhookInbox,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
