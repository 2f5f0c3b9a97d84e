import type { ApplicationQuery, Role, RoleChanges } from '@keyplane/core';
import { type Selectable, sql } from 'kysely';
import { builder, first, jsonb, run } from '../query.js';
import type { RolesTable } from '../schema.js';
import type { SqlExecutor } from '../sql.js';

const COLUMNS = [
  'id',
  'organization_id',
  'name',
  'grants',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof RolesTable)[];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const toRole = (row: Selectable<RolesTable>): Role => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  grants: row.grants,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const selectRoles = (organizationId: string) =>
  builder.selectFrom('roles').select(COLUMNS).where('organization_id', '=', organizationId);

/** The role, or null when its organization has one of that name already (nothing is written). */
export async function insertRole(tx: SqlExecutor, role: Role): Promise<Role | null> {
  const row = await first(
    tx,
    builder
      .insertInto('roles')
      .values({
        id: role.id,
        organization_id: role.organizationId,
        name: role.name,
        grants: jsonb(role.grants),
        created_at: role.createdAt,
        updated_at: role.updatedAt,
      })
      .onConflict((conflict) => conflict.columns(['organization_id', 'name']).doNothing())
      .returning(COLUMNS),
  );
  return row ? toRole(row) : null;
}

/** By id when `idOrName` is one, else by name; an id wins over a name that reads the same. */
export async function findRole(
  executor: SqlExecutor,
  organizationId: string,
  idOrName: string,
  lock = false,
): Promise<Role | null> {
  let select = selectRoles(organizationId);
  select = UUID.test(idOrName)
    ? select
        .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
        .orderBy((eb) => eb('id', '=', idOrName), 'desc')
        .limit(1)
    : select.where('name', '=', idOrName);
  const row = await first(executor, lock ? select.forUpdate() : select);
  return row ? toRole(row) : null;
}

export async function findRolesByName(
  executor: SqlExecutor,
  organizationId: string,
  names: readonly string[],
): Promise<Role[]> {
  if (names.length === 0) return [];
  const rows = await run(executor, selectRoles(organizationId).where('name', 'in', names).orderBy('name'));
  return rows.map(toRole);
}

export async function listRoles(executor: SqlExecutor, organizationId: string, query: ApplicationQuery) {
  let select = selectRoles(organizationId);
  const { after, limit } = query;
  if (after) {
    select = select.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('created_at', 'id'), '>', tuple(after.createdAt, after.id)),
    );
  }
  select = select.orderBy('created_at').orderBy('id');
  if (limit !== undefined) select = select.limit(limit);
  return (await run(executor, select)).map(toRole);
}

/** Whether another role of the organization has this name. */
export async function nameTaken(tx: SqlExecutor, organizationId: string, name: string, id: string) {
  const row = await first(tx, selectRoles(organizationId).where('name', '=', name).where('id', '<>', id));
  return row !== undefined;
}

export async function changeRole(tx: SqlExecutor, organizationId: string, id: string, change: RoleChanges) {
  const row = await first(
    tx,
    builder
      .updateTable('roles')
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .set({
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.grants !== undefined ? { grants: jsonb(change.grants) } : {}),
        updated_at: change.updatedAt,
      })
      .returning(COLUMNS),
  );
  return toRole(row as Selectable<RolesTable>);
}

/** Removes the role; the keys holding it lose it with it (the foreign key cascades). */
export async function deleteRole(tx: SqlExecutor, organizationId: string, id: string): Promise<Role | null> {
  const row = await first(
    tx,
    builder.deleteFrom('roles').where('organization_id', '=', organizationId).where('id', '=', id).returning(COLUMNS),
  );
  return row ? toRole(row) : null;
}

/** Gives the key exactly these roles of its organization; ids of roles not there (deleted meanwhile) are passed over. */
export async function setKeyRoles(
  tx: SqlExecutor,
  organizationId: string,
  keyId: string,
  roleIds: readonly string[],
): Promise<void> {
  await run(tx, builder.deleteFrom('key_roles').where('key_id', '=', keyId));
  if (roleIds.length === 0) return;
  await run(
    tx,
    builder
      .insertInto('key_roles')
      .columns(['key_id', 'role_id'])
      .expression((eb) =>
        eb
          .selectFrom('roles')
          .select([sql<string>`${keyId}::uuid`.as('key_id'), 'id'])
          .where('organization_id', '=', organizationId)
          .where('id', 'in', roleIds),
      ),
  );
}
