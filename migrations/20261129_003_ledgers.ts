import type { Knex } from 'knex';

/** Delivery log, e-mail send ledger, archived PDFs and the landlord directory. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('delivery_log', (table) => {
    // One row per delivery (dedupe key); repeats of it are counted on the same row.
    table.string('dedupe_key', 255).primary();
    table.string('purchase_token', 128).notNullable().index();
    table.string('event', 64).notNullable();
    table.string('source_event', 128).notNullable();
    table.string('outcome', 16).notNullable(); // applied | duplicate | unknown | late
    table.timestamp('occurred_at', { useTz: true });
    table.timestamp('received_at', { useTz: true }).notNullable();
    table.integer('repeats').notNullable().defaultTo(0);
    table.timestamp('last_received_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('notifications', (table) => {
    table.string('purchase_token', 128).notNullable();
    table.string('kind', 64).notNullable();
    table.string('recipient', 320);
    table.string('message_id', 400).notNullable();
    table.string('status', 24).notNullable(); // pending | sent | skipped_no_recipient | failed
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('error');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('sent_at', { useTz: true });
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['purchase_token', 'kind']);
  });
  await knex.schema.alterTable('reports', (table) => {
    table.binary('pdf');
    table.timestamp('pdf_fetched_at', { useTz: true });
  });
  await knex.schema.createTable('landlords', (table) => {
    table.string('external_customer_id', 255).primary();
    table.string('email', 320).notNullable();
    table.string('name', 255);
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('landlords');
  await knex.schema.alterTable('reports', (table) => {
    table.dropColumn('pdf');
    table.dropColumn('pdf_fetched_at');
  });
  await knex.schema.dropTable('notifications');
  await knex.schema.dropTable('delivery_log');
}
