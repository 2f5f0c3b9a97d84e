import type {
  Access,
  ApiKey,
  CreditSpending,
  Grant,
  KeyChanges,
  KeyCredits,
  KeyIdentity,
  KeyMeta,
  KeyOrder,
  KeyQuery,
  KeyRole,
  NamedRateLimit,
  NewKey,
  Rehash,
  Rotation,
} from '@keyplane/core';
import { periodStart, spend } from '@keyplane/core';
import { type Selectable, sql } from 'kysely';
import { builder, first, jsonb, run } from '../query.js';
import type { ApiKeysTable, JsonbParameter, StoredCredits } from '../schema.js';
import type { SqlExecutor } from '../sql.js';

/** What a key is read as: every column but its secrets' digests. */
export const KEY_COLUMNS = [
  'id',
  'organization_id',
  'application_id',
  'name',
  'status',
  'hint',
  'last_four',
  'restricted',
  'grants',
  'created_by',
  'created_at',
  'updated_at',
  'last_used_at',
  'expires_at',
  'rotated_at',
  'previous_secret_expires_at',
  'secret_generation',
  'meta',
  'ip_allowlist',
  'credits',
  'ratelimits',
] as const satisfies readonly (keyof ApiKeysTable)[];

export type KeyRow = Pick<Selectable<ApiKeysTable>, (typeof KEY_COLUMNS)[number]>;

/**
 * What a key is read with besides its columns: its identity and its roles, by name, each read
 * by its own index. `api_keys` names the key's row in the statement.
 */
export const KEY_RELATIONS = [
  sql<KeyIdentity | null>`(select json_build_object('id', i.id, 'externalId', i.external_id, 'meta', i.meta,
      'ratelimits', i.ratelimits)
    from identities i where i.id = api_keys.identity_id)`.as('identity'),
  sql<KeyRole[]>`(select coalesce(json_agg(json_build_object('id', r.id, 'name', r.name, 'grants', r.grants)
    order by r.name), '[]'::json) from key_roles kr join roles r on r.id = kr.role_id where kr.key_id = api_keys.id)`.as(
    'roles',
  ),
];

type Relations = { identity: KeyIdentity | null; roles: KeyRole[] };

/** A key as read; a key just inserted has neither identity nor roles yet. */
export const toKey = (row: KeyRow & Partial<Relations>): ApiKey => ({
  id: row.id,
  organizationId: row.organization_id,
  applicationId: row.application_id,
  name: row.name,
  status: row.status,
  access: row.restricted ? { restricted: true, grants: row.grants } : { restricted: false },
  hint: row.hint,
  lastFour: row.last_four,
  createdBy: row.created_by,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  rotatedAt: row.rotated_at,
  previousSecretExpiresAt: row.previous_secret_expires_at,
  secretGeneration: row.secret_generation,
  meta: row.meta,
  ipAllowlist: row.ip_allowlist,
  identity: row.identity ?? null,
  roles: row.roles ?? [],
  credits: creditsFrom(row.credits),
  ratelimits: row.ratelimits,
});

const creditsFrom = (stored: StoredCredits | null): KeyCredits | null =>
  stored === null ? null : { ...stored, refilledAt: new Date(stored.refilledAt) };

/** A key's credits as kept in JSON. */
export const storedCredits = (credits: KeyCredits): StoredCredits => ({
  ...credits,
  refilledAt: credits.refilledAt.toISOString(),
});

/** A key's credits as written: their JSON, or null. */
export const creditsOf = (credits: KeyCredits | null) =>
  credits === null ? null : jsonb<StoredCredits>(storedCredits(credits));

/** A key's metadata as written: its JSON, or null. */
export const metaOf = (meta: KeyMeta | null) => (meta === null ? null : jsonb<KeyMeta>(meta));

/** A key's allowlist as written: its JSON, or null. */
export const allowlistOf = (list: readonly string[] | null) => (list === null ? null : jsonb<readonly string[]>(list));

export const grantsOf = (access: Access) => jsonb<readonly Grant[]>(access.restricted ? access.grants : []);

/** The key as a change wrote it (the row it names exists: it is locked). */
const changed = (row: (KeyRow & Relations) | undefined): ApiKey => toKey(row as KeyRow & Relations);

const selectKeys = () => builder.selectFrom('api_keys').select(KEY_COLUMNS).select(KEY_RELATIONS);

const selectKey = (organizationId: string, id: string) =>
  selectKeys().where('organization_id', '=', organizationId).where('id', '=', id);

const updateKey = (organizationId: string, id: string) =>
  builder.updateTable('api_keys').where('organization_id', '=', organizationId).where('id', '=', id);

/** A key's row as inserted. */
export const keyRow = (key: NewKey, identityId: string | null) => ({
  id: key.id,
  organization_id: key.organizationId,
  application_id: key.applicationId,
  name: key.name,
  status: key.status,
  secret_hash: key.secretHash,
  hint: key.hint,
  last_four: key.lastFour,
  restricted: key.access.restricted,
  grants: grantsOf(key.access),
  created_by: key.createdBy,
  created_at: key.createdAt,
  updated_at: key.createdAt,
  expires_at: key.expiresAt,
  meta: metaOf(key.meta),
  ip_allowlist: allowlistOf(key.ipAllowlist),
  identity_id: identityId,
  credits: creditsOf(key.credits),
  ratelimits: jsonb<readonly NamedRateLimit[]>(key.ratelimits),
});

/** Inserts a key with neither identity nor roles (an organization's first key). */
export async function insertKey(tx: SqlExecutor, key: NewKey): Promise<ApiKey> {
  const row = await first(tx, builder.insertInto('api_keys').values(keyRow(key, null)).returning(KEY_COLUMNS));
  return toKey(row as KeyRow);
}

/** Inserts keys in one statement; their roles and identities are the caller's to set. */
export async function insertKeys(tx: SqlExecutor, rows: readonly ReturnType<typeof keyRow>[]): Promise<void> {
  if (rows.length > 0) await run(tx, builder.insertInto('api_keys').values([...rows]));
}

export async function findKeyById(executor: SqlExecutor, organizationId: string, id: string): Promise<ApiKey | null> {
  const row = await first(executor, selectKey(organizationId, id));
  return row ? toKey(row) : null;
}

/** The key, locked until the transaction `tx` ends: concurrent changes of it wait for this one. */
export async function findKeyForUpdate(tx: SqlExecutor, organizationId: string, id: string): Promise<ApiKey | null> {
  const row = await first(tx, selectKey(organizationId, id).forUpdate());
  return row ? toKey(row) : null;
}

/** The key whose current or previous secret has this digest, and which of the two it is. */
export async function findKeyBySecretHash(executor: SqlExecutor, secretHash: string) {
  const row = await first(
    executor,
    selectKeys()
      .select((eb) => eb('secret_hash', '=', secretHash).as('is_current'))
      .where((eb) => eb.or([eb('secret_hash', '=', secretHash), eb('previous_secret_hash', '=', secretHash)])),
  );
  return row ? { key: toKey(row), matched: row.is_current ? ('current' as const) : ('previous' as const) } : null;
}

/** Keyset pagination over (created_at, id), in either order, from either side of a cursor. */
export async function listKeys(executor: SqlExecutor, organizationId: string, query: KeyQuery): Promise<ApiKey[]> {
  let select = selectKeys().where('organization_id', '=', organizationId);
  if (query.applicationId !== undefined) select = select.where('application_id', '=', query.applicationId);
  if (query.identityId !== undefined) select = select.where('identity_id', '=', query.identityId);
  const cursor = query.after ?? query.before;
  // Paging "before" a cursor walks the other way and turns the page round afterwards.
  const reverse = query.before !== undefined;
  const ascending = (query.order === 'asc') !== reverse;
  if (cursor) {
    select = select.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('created_at', 'id'), ascending ? '>' : '<', tuple(cursor.createdAt, cursor.id)),
    );
  }
  const direction: KeyOrder = ascending ? 'asc' : 'desc';
  select = select.orderBy('created_at', direction).orderBy('id', direction);
  if (query.limit !== undefined) select = select.limit(query.limit);
  if (query.offset !== undefined && query.offset > 0) select = select.offset(query.offset);
  const rows = await run(executor, select);
  return (reverse ? rows.reverse() : rows).map(toKey);
}

export async function countKeys(
  executor: SqlExecutor,
  organizationId: string,
  applicationId: string | undefined,
): Promise<number> {
  let select = builder
    .selectFrom('api_keys')
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('count'))
    .where('organization_id', '=', organizationId);
  if (applicationId !== undefined) select = select.where('application_id', '=', applicationId);
  const row = await first(executor, select);
  return row?.count ?? 0;
}

/** Writes the fields a change gives, and only those. */
export async function changeKey(
  tx: SqlExecutor,
  organizationId: string,
  id: string,
  change: KeyChanges,
): Promise<ApiKey> {
  const row = await first(
    tx,
    updateKey(organizationId, id)
      .set({
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.meta !== undefined ? { meta: metaOf(change.meta) } : {}),
        ...(change.ipAllowlist !== undefined ? { ip_allowlist: allowlistOf(change.ipAllowlist) } : {}),
        ...(change.status !== undefined ? { status: change.status } : {}),
        ...(change.access !== undefined
          ? { restricted: change.access.restricted, grants: grantsOf(change.access) }
          : {}),
        ...(change.expiresAt !== undefined ? { expires_at: change.expiresAt } : {}),
        ...(change.credits !== undefined ? { credits: creditsOf(change.credits) } : {}),
        ...(change.ratelimits !== undefined ? { ratelimits: jsonb<readonly NamedRateLimit[]>(change.ratelimits) } : {}),
        updated_at: change.updatedAt,
      })
      .returning(KEY_COLUMNS)
      .returning(KEY_RELATIONS),
  );
  return changed(row);
}

/** Links the key to an identity, or to none. */
export async function setKeyIdentity(
  tx: SqlExecutor,
  organizationId: string,
  id: string,
  identityId: string | null,
): Promise<void> {
  await run(tx, updateKey(organizationId, id).set({ identity_id: identityId }));
}

/** Stores an imported key's secret under keyplane's digest, if it is still stored under the imported one. */
export async function rehashKey(executor: SqlExecutor, id: string, rehash: Rehash): Promise<void> {
  await run(
    executor,
    builder
      .updateTable('api_keys')
      .set({ secret_hash: rehash.secretHash, hint: rehash.hint, last_four: rehash.lastFour })
      .where('id', '=', id)
      .where('secret_hash', '=', rehash.from),
  );
}

/** Gives the key its next secret; the replaced one keeps working until its grace ends, if it has one. */
export async function rotateKey(
  tx: SqlExecutor,
  organizationId: string,
  id: string,
  rotation: Rotation,
): Promise<ApiKey> {
  const row = await first(
    tx,
    updateKey(organizationId, id)
      .set((eb) => ({
        previous_secret_hash: rotation.previousSecretExpiresAt === null ? null : eb.ref('secret_hash'),
        previous_secret_expires_at: rotation.previousSecretExpiresAt,
        secret_hash: rotation.secretHash,
        hint: rotation.hint,
        last_four: rotation.lastFour,
        updated_at: rotation.rotatedAt,
        rotated_at: rotation.rotatedAt,
        secret_generation: eb('secret_generation', '+', 1),
      }))
      .returning(KEY_COLUMNS)
      .returning(KEY_RELATIONS),
  );
  return changed(row);
}

/** Records when keys were last used, in one statement, keeping the latest time of each. */
export async function recordKeyUsage(
  executor: SqlExecutor,
  usage: readonly { readonly id: string; readonly usedAt: Date }[],
): Promise<void> {
  const ids = usage.map(({ id }) => id);
  const times = usage.map(({ usedAt }) => usedAt.toISOString());
  await run(
    executor,
    builder
      .updateTable('api_keys as key')
      .from(
        sql<{ id: string; at: Date }>`unnest(${ids}::uuid[], ${times}::timestamptz[])`.as<'used'>(sql`used (id, at)`),
      )
      .set((eb) => ({
        last_used_at: eb.fn<Date>('greatest', [eb.fn.coalesce('key.last_used_at', 'used.at'), 'used.at']),
      }))
      .whereRef('key.id', '=', 'used.id'),
  );
}

/** The organization's keys of these ids, in creation order. */
export async function listKeysById(executor: SqlExecutor, organizationId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const rows = await run(
    executor,
    selectKeys()
      .where('organization_id', '=', organizationId)
      .where('id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id'),
  );
  return rows.map(toKey);
}

/** A key's credits as stored now; null when it is gone or has none. */
export async function findKeyCredits(executor: SqlExecutor, id: string): Promise<KeyCredits | null> {
  const row = await first(executor, builder.selectFrom('api_keys').select('credits').where('id', '=', id));
  return creditsFrom(row?.credits ?? null);
}

/** Spends as core's `spend` decides, the row locked until `tx` ends; null: gone, or no credits. */
export async function spendCreditsLocked(tx: SqlExecutor, id: string, { cost, at }: CreditSpending) {
  const row = await first(tx, builder.selectFrom('api_keys').select('credits').where('id', '=', id).forUpdate());
  const current = creditsFrom(row?.credits ?? null);
  if (current === null) return null;
  const outcome = spend(current, cost, at);
  const { credits } = outcome;
  if (credits.remaining !== current.remaining || credits.refilledAt.getTime() !== current.refilledAt.getTime()) {
    await run(
      tx,
      builder
        .updateTable('api_keys')
        .set({ credits: creditsOf(credits) })
        .where('id', '=', id),
    );
  }
  return outcome;
}

/**
 * Spends in one statement, the key's row held only while PostgreSQL changes it, when the refill
 * is still as the caller read it: the refill due and what remains are worked out from the row
 * itself, so concurrent spendings each see the last one's result. The credits after, or null
 * when nothing was spent (too few, no credits, or a refill changed meanwhile).
 */
export async function spendCreditsAtOnce(
  executor: SqlExecutor,
  id: string,
  { cost, at, refill }: CreditSpending,
): Promise<KeyCredits | null> {
  const start = refill ? periodStart(refill, at).toISOString() : null;
  const refills = sql<boolean>`(${start}::timestamptz is not null
    and (credits->>'refilledAt')::timestamptz < ${start}::timestamptz)`;
  const available = sql<number>`(case when ${refills} then (credits->'refill'->>'amount')::numeric
    else (credits->>'remaining')::numeric end)`;
  const row = await first(
    executor,
    builder
      .updateTable('api_keys')
      .set({
        credits: sql<JsonbParameter<StoredCredits>>`jsonb_build_object(
          'remaining', ${available} - ${cost}::numeric,
          'refill', credits->'refill',
          'refilledAt', case when ${refills} then to_jsonb(${start}::text) else credits->'refilledAt' end)`,
      })
      .where('id', '=', id)
      .where(
        sql<boolean>`credits is not null and credits->'refill' = ${JSON.stringify(refill)}::jsonb
          and ${available} >= ${cost}::numeric`,
      )
      .returning('credits'),
  );
  return row ? creditsFrom(row.credits) : null;
}
