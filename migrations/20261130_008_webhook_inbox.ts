import type { Knex } from 'knex';

/**
 * The webhook inbox (WEBHOOK_INBOX): verified, normalised deliveries committed before the 200,
 * handed to their workflows in arrival order and deleted once Temporal has them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_inbox', (table) => {
    table.bigIncrements('id').primary();
    // Every receipt is a row: repeats go to the workflow, which drops them by this key and counts them.
    table.string('dedupe_key', 255).notNullable();
    table.string('purchase_token', 128).notNullable().index();
    table.jsonb('event').notNullable();
    table.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_inbox');
}
