import { randomUUID } from 'node:crypto';
import {
  type Access,
  type ApiKey,
  type Application,
  type AuditEvent,
  type Grant,
  isErr,
  type KeyDecision,
  type KeyplaneStore,
  type KeyQuery,
  type NewKey,
  type Organization,
} from '@keyplane/core';
import type { SqlDatabase, SqlExecutor } from './sql.js';

interface KeyRow {
  id: string;
  organization_id: string;
  application_id: string;
  name: string;
  status: 'enabled' | 'disabled';
  hint: string;
  last_four: string;
  restricted: boolean;
  grants: Grant[];
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  rotated_at: Date | null;
  previous_secret_expires_at: Date | null;
  secret_generation: number;
}

interface ApplicationRow {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  is_default: boolean;
  created_at: Date;
}

interface AuditRow {
  id: string;
  organization_id: string;
  occurred_at: Date;
  action: AuditEvent['action'];
  actor_key_id: string | null;
  target_id: string;
  request_id: string;
  details: Record<string, unknown>;
  sequence: string;
}

const KEY_COLUMNS = `id, organization_id, application_id, name, status, hint, last_four, restricted, grants,
  created_by, created_at, updated_at, last_used_at, expires_at, rotated_at, previous_secret_expires_at,
  secret_generation`;
const APPLICATION_COLUMNS = 'id, organization_id, name, description, is_default, created_at';
const AUDIT_COLUMNS =
  'id, organization_id, occurred_at, action, actor_key_id, target_id, request_id, details, sequence::text as sequence';

const toKey = (row: KeyRow): ApiKey => ({
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
});

const toApplication = (row: ApplicationRow): Application => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  description: row.description,
  isDefault: row.is_default,
  createdAt: row.created_at,
});

const toAuditEvent = (row: AuditRow): AuditEvent => ({
  id: row.id,
  organizationId: row.organization_id,
  occurredAt: row.occurred_at,
  action: row.action,
  actorKeyId: row.actor_key_id,
  targetId: row.target_id,
  requestId: row.request_id,
  details: row.details,
  sequence: row.sequence,
});

const grantsOf = (access: Access): string => JSON.stringify(access.restricted ? access.grants : []);

const DEFAULT_ORGANIZATION_SETTING = 'default_organization_id';

async function insertAudit(tx: SqlExecutor, event: AuditEvent): Promise<void> {
  await tx.query(
    `insert into audit_events (id, organization_id, occurred_at, action, actor_key_id, target_id, request_id, details)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      event.id,
      event.organizationId,
      event.occurredAt,
      event.action,
      event.actorKeyId,
      event.targetId,
      event.requestId,
      JSON.stringify(event.details),
    ],
  );
}

async function insertKeyRow(tx: SqlExecutor, key: NewKey): Promise<KeyRow> {
  const [row] = await tx.query<KeyRow>(
    `insert into api_keys (id, organization_id, application_id, name, status, secret_hash, hint, last_four,
       restricted, grants, created_by, created_at, updated_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $12, $13)
     returning ${KEY_COLUMNS}`,
    [
      key.id,
      key.organizationId,
      key.applicationId,
      key.name,
      key.status,
      key.secretHash,
      key.hint,
      key.lastFour,
      key.access.restricted,
      grantsOf(key.access),
      key.createdBy,
      key.createdAt,
      key.expiresAt,
    ],
  );
  return row as KeyRow;
}

async function insertApplicationRow(tx: SqlExecutor, application: Application): Promise<ApplicationRow> {
  const [row] = await tx.query<ApplicationRow>(
    `insert into applications (${APPLICATION_COLUMNS}) values ($1, $2, $3, $4, $5, $6) returning ${APPLICATION_COLUMNS}`,
    [
      application.id,
      application.organizationId,
      application.name,
      application.description,
      application.isDefault,
      application.createdAt,
    ],
  );
  return row as ApplicationRow;
}

/**
 * A key's change, decided from the key as it is under a row lock held until the change
 * and its audit event are committed: concurrent changes of one key happen one after the other.
 */
async function changeKey<Change>(
  db: SqlDatabase,
  organizationId: string,
  id: string,
  decide: KeyDecision<Change>,
  statement: (change: Change) => { text: string; params: unknown[] },
) {
  return db.transaction(async (tx) => {
    const [current] = await tx.query<KeyRow>(
      `select ${KEY_COLUMNS} from api_keys where organization_id = $1 and id = $2 for update`,
      [organizationId, id],
    );
    if (!current) return null;
    const decision = decide(toKey(current));
    if (isErr(decision)) return decision;
    const { text, params } = statement(decision.change);
    const [row] = await tx.query<KeyRow>(text, [organizationId, id, ...params]);
    await insertAudit(tx, decision.audit);
    return toKey(row as KeyRow);
  });
}

/** Keyset pagination over (created_at, id), in either order, from either side of a cursor. */
function pageQuery(organizationId: string, query: KeyQuery): { text: string; params: unknown[]; reverse: boolean } {
  const params: unknown[] = [organizationId];
  const where = ['organization_id = $1'];
  if (query.applicationId !== undefined) {
    params.push(query.applicationId);
    where.push(`application_id = $${params.length}`);
  }
  const cursor = query.after ?? query.before;
  // Paging "before" a cursor walks the other way and turns the page round afterwards.
  const reverse = query.before !== undefined;
  const ascending = (query.order === 'asc') !== reverse;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    const comparison = ascending ? '>' : '<';
    where.push(`(created_at, id) ${comparison} ($${params.length - 1}, $${params.length})`);
  }
  const direction = ascending ? 'asc' : 'desc';
  let text = `select ${KEY_COLUMNS} from api_keys where ${where.join(' and ')}
    order by created_at ${direction}, id ${direction}`;
  if (query.limit !== undefined) {
    params.push(query.limit);
    text += ` limit $${params.length}`;
  }
  if (query.offset !== undefined && query.offset > 0) {
    params.push(query.offset);
    text += ` offset $${params.length}`;
  }
  return { text, params, reverse };
}

/** The domain's store over any PostgreSQL engine: the same SQL for PGlite and a server. */
export function createKeyplaneStore(db: SqlDatabase): KeyplaneStore {
  const findApplicationWhere = async (where: string, params: unknown[]) =>
    (await db.query<ApplicationRow>(`select ${APPLICATION_COLUMNS} from applications where ${where}`, params)).map(
      toApplication,
    );

  return {
    insertKey: (key, audit, quota) =>
      db.transaction(async (tx) => {
        // The organization's row is the counter: its update both checks the quota and
        // serializes concurrent creates in one organization, so none slips past it.
        const counted = await tx.query(
          'update organizations set key_count = key_count + 1 where id = $1 and key_count < $2 returning key_count',
          [key.organizationId, quota],
        );
        if (counted.length === 0) return null;
        const row = await insertKeyRow(tx, key);
        await insertAudit(tx, audit);
        return toKey(row);
      }),

    async findKeyById(organizationId, id) {
      const [row] = await db.query<KeyRow>(
        `select ${KEY_COLUMNS} from api_keys where organization_id = $1 and id = $2`,
        [organizationId, id],
      );
      return row ? toKey(row) : null;
    },

    async findKeyBySecretHash(secretHash) {
      const [row] = await db.query<KeyRow & { is_current: boolean }>(
        `select ${KEY_COLUMNS}, secret_hash = $1 as is_current
         from api_keys where secret_hash = $1 or previous_secret_hash = $1`,
        [secretHash],
      );
      return row ? { key: toKey(row), matched: row.is_current ? 'current' : 'previous' } : null;
    },

    async listKeys(organizationId, query = { order: 'asc' }) {
      const { text, params, reverse } = pageQuery(organizationId, query);
      const rows = await db.query<KeyRow>(text, params);
      return (reverse ? rows.reverse() : rows).map(toKey);
    },

    async countKeys(organizationId, applicationId) {
      const [row] = await db.query<{ count: number }>(
        `select count(*)::integer as count from api_keys
         where organization_id = $1 and ($2::uuid is null or application_id = $2::uuid)`,
        [organizationId, applicationId ?? null],
      );
      return row?.count ?? 0;
    },

    updateKey: (organizationId, id, decide) =>
      changeKey(db, organizationId, id, decide, (change) => ({
        text: `update api_keys set
             name = coalesce($3, name),
             status = coalesce($4, status),
             restricted = coalesce($5, restricted),
             grants = coalesce($6::jsonb, grants),
             expires_at = case when $7::boolean then $8::timestamptz else expires_at end,
             updated_at = $9
           where organization_id = $1 and id = $2
           returning ${KEY_COLUMNS}`,
        params: [
          change.name ?? null,
          change.status ?? null,
          change.access ? change.access.restricted : null,
          change.access ? grantsOf(change.access) : null,
          change.expiresAt !== undefined,
          change.expiresAt ?? null,
          change.updatedAt,
        ],
      })),

    rotateKey: (organizationId, id, decide) =>
      changeKey(db, organizationId, id, decide, (rotation) => ({
        text: `update api_keys set
             previous_secret_hash = case when $3::timestamptz is null then null else secret_hash end,
             previous_secret_expires_at = $3::timestamptz,
             secret_hash = $4, hint = $5, last_four = $6, updated_at = $7, rotated_at = $7,
             secret_generation = secret_generation + 1
           where organization_id = $1 and id = $2
           returning ${KEY_COLUMNS}`,
        params: [
          rotation.previousSecretExpiresAt,
          rotation.secretHash,
          rotation.hint,
          rotation.lastFour,
          rotation.rotatedAt,
        ],
      })),

    deleteKey: (organizationId, id, applicationId, audit) =>
      db.transaction(async (tx) => {
        const rows = await tx.query<{ id: string }>(
          `delete from api_keys
           where organization_id = $1 and id = $2 and ($3::uuid is null or application_id = $3::uuid)
           returning id`,
          [organizationId, id, applicationId ?? null],
        );
        if (rows.length !== 1) return false;
        await tx.query('update organizations set key_count = key_count - 1 where id = $1', [organizationId]);
        await insertAudit(tx, audit);
        return true;
      }),

    async recordKeyUsage(usage) {
      if (usage.length === 0) return;
      await db.query(
        `update api_keys as key set last_used_at = greatest(coalesce(key.last_used_at, used.at), used.at)
         from unnest($1::uuid[], $2::timestamptz[]) as used (id, at)
         where key.id = used.id`,
        [usage.map(({ id }) => id), usage.map(({ usedAt }) => usedAt.toISOString())],
      );
    },

    insertApplication: (application, audit) =>
      db.transaction(async (tx) => {
        const row = await insertApplicationRow(tx, application);
        await insertAudit(tx, audit);
        return toApplication(row);
      }),

    async findApplication(organizationId, id) {
      const [application] = await findApplicationWhere('organization_id = $1 and id = $2', [organizationId, id]);
      return application ?? null;
    },

    async findDefaultApplication(organizationId) {
      const [application] = await findApplicationWhere('organization_id = $1 and is_default', [organizationId]);
      return application ?? null;
    },

    async listApplications(organizationId, query = {}) {
      const after = query.after ?? null;
      return findApplicationWhere(
        `organization_id = $1 and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
         order by created_at, id limit $4`,
        [organizationId, after?.createdAt ?? null, after?.id ?? null, query.limit ?? null],
      );
    },

    insertOrganization: (organization: Organization, application, adminKey, audit) =>
      db.transaction(async (tx) => {
        // Born with one key: its admin key.
        await tx.query('insert into organizations (id, name, created_at, key_count) values ($1, $2, $3, 1)', [
          organization.id,
          organization.name,
          organization.createdAt,
        ]);
        await insertApplicationRow(tx, application);
        await insertKeyRow(tx, adminKey);
        for (const event of audit) await insertAudit(tx, event);
      }),

    async ensureDefaultOrganization(now: Date): Promise<Organization> {
      return db.transaction(async (tx) => {
        await tx.query('insert into settings (name, value) values ($1, $2) on conflict (name) do nothing', [
          DEFAULT_ORGANIZATION_SETTING,
          randomUUID(),
        ]);
        const [setting] = await tx.query<{ value: string }>('select value from settings where name = $1', [
          DEFAULT_ORGANIZATION_SETTING,
        ]);
        const id = (setting as { value: string }).value;
        await tx.query(
          `insert into organizations (id, name, created_at) values ($1, 'Default organization', $2)
           on conflict (id) do nothing`,
          [id, now],
        );
        await tx.query(
          `insert into applications (id, organization_id, name, description, is_default, created_at)
           values ($1, $2, 'Default application', 'Created with the organization.', true, $3)
           on conflict do nothing`,
          [randomUUID(), id, now],
        );
        const [organization] = await tx.query<{ id: string; name: string; created_at: Date }>(
          'select id, name, created_at from organizations where id = $1',
          [id],
        );
        const row = organization as { id: string; name: string; created_at: Date };
        return { id: row.id, name: row.name, createdAt: row.created_at };
      });
    },

    async listAuditEvents(organizationId, query) {
      const rows = await db.query<AuditRow>(
        `select ${AUDIT_COLUMNS} from audit_events
         where organization_id = $1 and ($3::bigint is null or audit_events.sequence < $3::bigint)
         order by audit_events.sequence desc limit $2`,
        [organizationId, query.limit, query.beforeSequence ?? null],
      );
      return rows.map(toAuditEvent);
    },

    async putSettingIfAbsent(name, value) {
      await db.query('insert into settings (name, value) values ($1, $2) on conflict (name) do nothing', [name, value]);
      const [row] = await db.query<{ value: string }>('select value from settings where name = $1', [name]);
      return (row as { value: string }).value;
    },

    async ping() {
      await db.query('select 1');
    },

    close: () => db.close(),
  };
}
