import type { Knex } from 'knex';

/** The read model: one row per screening, written by the worker. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('screenings', (table) => {
    table.string('purchase_token', 128).primary();
    table.string('status', 32).notNullable();
    table.string('external_customer_id', 255);
    table.string('external_tenant_id', 255);
    table.string('last_event_type', 64);
    table.timestamp('last_event_at', { useTz: true });
    // Monotonic per screening: an update carrying fewer applied events is older and is ignored.
    table.integer('events_applied').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['status']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('screenings');
}
