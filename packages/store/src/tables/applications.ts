import type { Application, ApplicationQuery } from '@keyplane/core';
import type { Selectable } from 'kysely';
import { builder, first, run } from '../query.js';
import type { ApplicationsTable } from '../schema.js';
import type { SqlExecutor } from '../sql.js';

const COLUMNS = [
  'id',
  'organization_id',
  'name',
  'description',
  'is_default',
  'created_at',
] as const satisfies readonly (keyof ApplicationsTable)[];

const toApplication = (row: Selectable<ApplicationsTable>): Application => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  description: row.description,
  isDefault: row.is_default,
  createdAt: row.created_at,
});

const rowOf = (application: Application) => ({
  id: application.id,
  organization_id: application.organizationId,
  name: application.name,
  description: application.description,
  is_default: application.isDefault,
  created_at: application.createdAt,
});

const selectApplications = (organizationId: string) =>
  builder.selectFrom('applications').select(COLUMNS).where('organization_id', '=', organizationId);

export async function insertApplication(tx: SqlExecutor, application: Application): Promise<Application> {
  const row = await first(tx, builder.insertInto('applications').values(rowOf(application)).returning(COLUMNS));
  return toApplication(row as Selectable<ApplicationsTable>);
}

/** Inserts the application unless it conflicts with one there (the organization's default). */
export async function insertApplicationIfAbsent(tx: SqlExecutor, application: Application): Promise<void> {
  await run(
    tx,
    builder
      .insertInto('applications')
      .values(rowOf(application))
      .onConflict((conflict) => conflict.doNothing()),
  );
}

export async function findApplication(
  executor: SqlExecutor,
  organizationId: string,
  id: string,
): Promise<Application | null> {
  const row = await first(executor, selectApplications(organizationId).where('id', '=', id));
  return row ? toApplication(row) : null;
}

export async function findDefaultApplication(
  executor: SqlExecutor,
  organizationId: string,
): Promise<Application | null> {
  const row = await first(executor, selectApplications(organizationId).where('is_default', '=', true));
  return row ? toApplication(row) : null;
}

/** Applications in creation order, after a cursor when given. */
export async function listApplications(
  executor: SqlExecutor,
  organizationId: string,
  query: ApplicationQuery,
): Promise<Application[]> {
  let select = selectApplications(organizationId);
  const { after, limit } = query;
  if (after) {
    select = select.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('created_at', 'id'), '>', tuple(after.createdAt, after.id)),
    );
  }
  select = select.orderBy('created_at').orderBy('id');
  if (limit !== undefined) select = select.limit(limit);
  const rows = await run(executor, select);
  return rows.map(toApplication);
}
