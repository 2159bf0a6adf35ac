import type { Knex } from 'knex';

/** When a screening's personal data was erased (withdrawn consent or the retention clean-up); null while it is kept. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('screenings', (table) => {
    table.timestamp('erased_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('screenings', (table) => {
    table.dropColumn('erased_at');
  });
}
