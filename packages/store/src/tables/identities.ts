import type { ApplicationQuery, Identity, IdentityChanges, KeyMeta, NamedRateLimit } from '@keyplane/core';
import type { Selectable } from 'kysely';
import { builder, first, jsonb, run } from '../query.js';
import type { IdentitiesTable } from '../schema.js';
import type { SqlExecutor } from '../sql.js';
import { metaOf } from './api-keys.js';

const COLUMNS = [
  'id',
  'organization_id',
  'external_id',
  'meta',
  'created_at',
  'updated_at',
  'ratelimits',
] as const satisfies readonly (keyof IdentitiesTable)[];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const toIdentity = (row: Selectable<IdentitiesTable>): Identity => ({
  id: row.id,
  organizationId: row.organization_id,
  externalId: row.external_id,
  meta: row.meta as KeyMeta | null,
  ratelimits: row.ratelimits,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const selectIdentities = (organizationId: string) =>
  builder.selectFrom('identities').select(COLUMNS).where('organization_id', '=', organizationId);

/** The identity, or null when its organization has one of that external id already (nothing is written). */
export async function insertIdentity(tx: SqlExecutor, identity: Identity): Promise<Identity | null> {
  const row = await first(
    tx,
    builder
      .insertInto('identities')
      .values({
        id: identity.id,
        organization_id: identity.organizationId,
        external_id: identity.externalId,
        meta: metaOf(identity.meta),
        ratelimits: jsonb<readonly NamedRateLimit[]>(identity.ratelimits),
        created_at: identity.createdAt,
        updated_at: identity.updatedAt,
      })
      .onConflict((conflict) => conflict.columns(['organization_id', 'external_id']).doNothing())
      .returning(COLUMNS),
  );
  return row ? toIdentity(row) : null;
}

/** The id of the organization's identity of that external id, created (with no metadata) when there is none. */
export async function ensureIdentity(
  tx: SqlExecutor,
  organizationId: string,
  externalId: string,
  id: string,
  now: Date,
): Promise<string> {
  const created = await insertIdentity(tx, {
    id,
    organizationId,
    externalId,
    meta: null,
    ratelimits: [],
    createdAt: now,
    updatedAt: now,
  });
  if (created) return created.id;
  const found = await first(tx, selectIdentities(organizationId).where('external_id', '=', externalId));
  return (found as Selectable<IdentitiesTable>).id;
}

/** By id when `idOrExternalId` is one, else by external id; an id wins over an external id that reads the same. */
export async function findIdentity(
  executor: SqlExecutor,
  organizationId: string,
  idOrExternalId: string,
  lock = false,
): Promise<Identity | null> {
  let select = selectIdentities(organizationId);
  select = UUID.test(idOrExternalId)
    ? select
        .where((eb) => eb.or([eb('id', '=', idOrExternalId), eb('external_id', '=', idOrExternalId)]))
        .orderBy((eb) => eb('id', '=', idOrExternalId), 'desc')
        .limit(1)
    : select.where('external_id', '=', idOrExternalId);
  const row = await first(executor, lock ? select.forUpdate() : select);
  return row ? toIdentity(row) : null;
}

export async function listIdentities(executor: SqlExecutor, organizationId: string, query: ApplicationQuery) {
  let select = selectIdentities(organizationId);
  const { after, limit } = query;
  if (after) {
    select = select.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('created_at', 'id'), '>', tuple(after.createdAt, after.id)),
    );
  }
  select = select.orderBy('created_at').orderBy('id');
  if (limit !== undefined) select = select.limit(limit);
  return (await run(executor, select)).map(toIdentity);
}

export async function externalIdTaken(tx: SqlExecutor, organizationId: string, externalId: string, id: string) {
  const row = await first(
    tx,
    selectIdentities(organizationId).where('external_id', '=', externalId).where('id', '<>', id),
  );
  return row !== undefined;
}

export async function changeIdentity(tx: SqlExecutor, organizationId: string, id: string, change: IdentityChanges) {
  const row = await first(
    tx,
    builder
      .updateTable('identities')
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .set({
        ...(change.externalId !== undefined ? { external_id: change.externalId } : {}),
        ...(change.meta !== undefined ? { meta: metaOf(change.meta) } : {}),
        ...(change.ratelimits !== undefined ? { ratelimits: jsonb<readonly NamedRateLimit[]>(change.ratelimits) } : {}),
        updated_at: change.updatedAt,
      })
      .returning(COLUMNS),
  );
  return toIdentity(row as Selectable<IdentitiesTable>);
}

/** The ids of the identity's keys. */
export async function keysOf(tx: SqlExecutor, organizationId: string, identityId: string): Promise<string[]> {
  const rows = await run(
    tx,
    builder
      .selectFrom('api_keys')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('identity_id', '=', identityId),
  );
  return rows.map(({ id }) => id);
}

export async function deleteIdentity(tx: SqlExecutor, organizationId: string, id: string): Promise<void> {
  await run(tx, builder.deleteFrom('identities').where('organization_id', '=', organizationId).where('id', '=', id));
}
