import type { Organization } from '@keyplane/core';
import { builder, first, run } from '../query.js';
import type { SqlExecutor } from '../sql.js';

/** Inserts an organization born with one key: its admin key. */
export async function insertOrganization(tx: SqlExecutor, organization: Organization): Promise<void> {
  await run(
    tx,
    builder.insertInto('organizations').values({
      id: organization.id,
      name: organization.name,
      created_at: organization.createdAt,
      key_count: 1,
    }),
  );
}

/** Inserts the organization unless one with its id exists. */
export async function insertOrganizationIfAbsent(tx: SqlExecutor, organization: Organization): Promise<void> {
  await run(
    tx,
    builder
      .insertInto('organizations')
      .values({ id: organization.id, name: organization.name, created_at: organization.createdAt })
      .onConflict((conflict) => conflict.column('id').doNothing()),
  );
}

export async function findOrganization(executor: SqlExecutor, id: string): Promise<Organization | null> {
  const row = await first(
    executor,
    builder.selectFrom('organizations').select(['id', 'name', 'created_at']).where('id', '=', id),
  );
  return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
}

/** Counts `added` more keys unless that takes the organization past `quota`; true when counted. */
export async function countKeys(tx: SqlExecutor, id: string, added: number, quota: number): Promise<boolean> {
  const row = await first(
    tx,
    builder
      .updateTable('organizations')
      .set((eb) => ({ key_count: eb('key_count', '+', added) }))
      .where('id', '=', id)
      .where((eb) => eb(eb('key_count', '+', added), '<=', quota))
      .returning('id'),
  );
  return row !== undefined;
}
