import type { Knex } from 'knex';

/** The read model's lifecycle facts, and the archive of fetched reports. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('screenings', (table) => {
    table.string('external_deal_id', 255);
    table.string('external_listing_id', 255);
    table.integer('singlekey_score');
    table.string('recommendation', 16);
    table.string('tenant_email', 320);
    table.string('landlord_email', 320);
    for (const moment of ['invited', 'form_opened', 'submitted', 'completed', 'failed', 'expired']) {
      table.timestamp(`${moment}_at`, { useTz: true });
    }
    table.string('failure_reason', 64);
    table.boolean('failure_recoverable');
    // Monotonic per screening: a write carrying a smaller version is older and is ignored.
    table.integer('version').notNullable().defaultTo(0);
  });
  await knex.schema.createTable('reports', (table) => {
    table.string('purchase_token', 128).notNullable();
    table.string('scope', 16).notNullable();
    table.jsonb('report_json').notNullable();
    table.timestamp('fetched_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['purchase_token', 'scope']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('reports');
  await knex.schema.alterTable('screenings', (table) => {
    for (const column of [
      'external_deal_id',
      'external_listing_id',
      'singlekey_score',
      'recommendation',
      'tenant_email',
      'landlord_email',
      'failure_reason',
      'failure_recoverable',
      'version',
    ]) {
      table.dropColumn(column);
    }
    for (const moment of ['invited', 'form_opened', 'submitted', 'completed', 'failed', 'expired']) table.dropColumn(`${moment}_at`);
  });
}
