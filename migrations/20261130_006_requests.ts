import type { Knex } from 'knex';

/** Screenings requested through `POST /screenings`: when, by which request workflow; and when a screening stalled. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('screenings', (table) => {
    table.timestamp('requested_at', { useTz: true });
    table.timestamp('stalled_at', { useTz: true });
    table.string('request_id', 128);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('screenings', (table) => {
    table.dropColumn('requested_at');
    table.dropColumn('stalled_at');
    table.dropColumn('request_id');
  });
}
