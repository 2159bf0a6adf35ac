import type { Knex } from 'knex';

/** The send ledger's claim: an attempt owns a row's SMTP conversation until `claimed_until`. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (table) => {
    table.timestamp('claimed_until', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (table) => {
    table.dropColumn('claimed_until');
  });
}
