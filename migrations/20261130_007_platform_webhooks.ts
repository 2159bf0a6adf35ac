import type { Knex } from 'knex';

/**
 * The status-webhook ledger: one row per (screening, status) sent to the platform, claimed by one
 * attempt at a time as the send ledger (`notifications`) is. `body` is the message as first built:
 * every attempt under the same `webhook_id` sends these exact bytes, whatever snapshot it was given.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('platform_webhooks', (table) => {
    table.string('purchase_token', 128).notNullable();
    table.string('screening_status', 24).notNullable();
    table.string('webhook_id', 200).notNullable().unique();
    table.text('body').notNullable();
    table.string('status', 16).notNullable(); // pending | sending | sent | failed
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('claimed_until', { useTz: true });
    table.integer('response_code'); // the receiver's last HTTP status; null: no answer (refused, timed out)
    table.text('error');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('sent_at', { useTz: true });
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['purchase_token', 'screening_status']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('platform_webhooks');
}
