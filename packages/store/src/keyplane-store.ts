import { randomUUID } from 'node:crypto';
import type {
  Access,
  ApiKey,
  Application,
  Grant,
  KeyChanges,
  KeyplaneStore,
  NewKey,
  Organization,
} from '@keyplane/core';
import type { SqlDatabase } from './sql.js';

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
}

interface ApplicationRow {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  is_default: boolean;
  created_at: Date;
}

const KEY_COLUMNS = `id, organization_id, application_id, name, status, hint, last_four, restricted, grants,
  created_by, created_at, updated_at, last_used_at, expires_at`;
const APPLICATION_COLUMNS = 'id, organization_id, name, description, is_default, created_at';

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
});

const toApplication = (row: ApplicationRow): Application => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  description: row.description,
  isDefault: row.is_default,
  createdAt: row.created_at,
});

const grantsOf = (access: Access): string => JSON.stringify(access.restricted ? access.grants : []);

const DEFAULT_ORGANIZATION_SETTING = 'default_organization_id';

/** The domain's store over any PostgreSQL engine: the same SQL for PGlite and a server. */
export function createKeyplaneStore(db: SqlDatabase): KeyplaneStore {
  const findApplicationWhere = async (where: string, params: unknown[]) =>
    (await db.query<ApplicationRow>(`select ${APPLICATION_COLUMNS} from applications where ${where}`, params)).map(
      toApplication,
    );

  return {
    async insertKey(key: NewKey) {
      const [row] = await db.query<KeyRow>(
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
      return toKey(row as KeyRow);
    },

    async findKeyById(organizationId, id) {
      const [row] = await db.query<KeyRow>(
        `select ${KEY_COLUMNS} from api_keys where organization_id = $1 and id = $2`,
        [organizationId, id],
      );
      return row ? toKey(row) : null;
    },

    async findKeyBySecretHash(secretHash) {
      const [row] = await db.query<KeyRow>(`select ${KEY_COLUMNS} from api_keys where secret_hash = $1`, [
        secretHash,
      ]);
      return row ? toKey(row) : null;
    },

    async listKeys(organizationId) {
      const rows = await db.query<KeyRow>(
        `select ${KEY_COLUMNS} from api_keys where organization_id = $1 order by created_at, id`,
        [organizationId],
      );
      return rows.map(toKey);
    },

    async updateKey(organizationId, id, changes: KeyChanges) {
      const [row] = await db.query<KeyRow>(
        `update api_keys set
           name = coalesce($3, name),
           status = coalesce($4, status),
           restricted = coalesce($5, restricted),
           grants = coalesce($6::jsonb, grants),
           expires_at = case when $7::boolean then $8::timestamptz else expires_at end,
           updated_at = $9
         where organization_id = $1 and id = $2
         returning ${KEY_COLUMNS}`,
        [
          organizationId,
          id,
          changes.name ?? null,
          changes.status ?? null,
          changes.access ? changes.access.restricted : null,
          changes.access ? grantsOf(changes.access) : null,
          changes.expiresAt !== undefined,
          changes.expiresAt ?? null,
          changes.updatedAt,
        ],
      );
      return row ? toKey(row) : null;
    },

    async deleteKey(organizationId, id, applicationId) {
      const rows = await db.query<{ id: string }>(
        `delete from api_keys
         where organization_id = $1 and id = $2 and ($3::uuid is null or application_id = $3::uuid)
         returning id`,
        [organizationId, id, applicationId ?? null],
      );
      return rows.length === 1;
    },

    async findApplication(organizationId, id) {
      const [application] = await findApplicationWhere('organization_id = $1 and id = $2', [organizationId, id]);
      return application ?? null;
    },

    async findDefaultApplication(organizationId) {
      const [application] = await findApplicationWhere('organization_id = $1 and is_default', [organizationId]);
      return application ?? null;
    },

    listApplications: (organizationId) =>
      findApplicationWhere('organization_id = $1 order by created_at, id', [organizationId]),

    async ensureDefaultOrganization(now: Date): Promise<Organization> {
      return db.transaction(async (tx) => {
        const candidate = randomUUID();
        await tx.query('insert into settings (name, value) values ($1, $2) on conflict (name) do nothing', [
          DEFAULT_ORGANIZATION_SETTING,
          candidate,
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

    async getSetting(name) {
      const [row] = await db.query<{ value: string }>('select value from settings where name = $1', [name]);
      return row?.value ?? null;
    },

    async putSettingIfAbsent(name, value) {
      await db.query('insert into settings (name, value) values ($1, $2) on conflict (name) do nothing', [
        name,
        value,
      ]);
      const [row] = await db.query<{ value: string }>('select value from settings where name = $1', [name]);
      return (row as { value: string }).value;
    },

    async ping() {
      await db.query('select 1');
    },

    close: () => db.close(),
  };
}
