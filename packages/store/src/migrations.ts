import { builder, run } from './query.js';
import type { SqlDatabase } from './sql.js';

/**
 * Versioned schema changes, applied in order, each exactly once, in its own transaction.
 * Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'organizations, applications and keys',
    sql: `
      create table organizations (
        id uuid primary key,
        name text not null,
        created_at timestamptz not null
      );

      create table applications (
        id uuid primary key,
        organization_id uuid not null references organizations (id) on delete cascade,
        name text not null,
        description text,
        is_default boolean not null default false,
        created_at timestamptz not null
      );
      create unique index applications_one_default_per_organization
        on applications (organization_id) where is_default;
      create index applications_by_organization on applications (organization_id, created_at, id);

      create table api_keys (
        id uuid primary key,
        organization_id uuid not null references organizations (id) on delete cascade,
        application_id uuid not null references applications (id) on delete cascade,
        name text not null,
        status text not null check (status in ('enabled', 'disabled')),
        secret_hash text not null unique,
        hint text not null,
        last_four text not null,
        restricted boolean not null,
        grants jsonb not null default '[]'::jsonb,
        created_by uuid,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        last_used_at timestamptz,
        expires_at timestamptz
      );
      create index api_keys_by_organization on api_keys (organization_id, created_at, id);

      create table settings (
        name text primary key,
        value text not null
      );
    `,
  },
  {
    version: 2,
    name: 'rotation grace and audit log',
    sql: `
      alter table api_keys
        add column previous_secret_hash text,
        add column previous_secret_expires_at timestamptz;
      create unique index api_keys_by_previous_secret
        on api_keys (previous_secret_hash) where previous_secret_hash is not null;

      create table audit_events (
        id uuid primary key,
        organization_id uuid not null references organizations (id) on delete cascade,
        occurred_at timestamptz not null,
        action text not null,
        actor_key_id uuid,
        target_id uuid not null,
        request_id text not null,
        details jsonb not null default '{}'::jsonb
      );
      create index audit_events_by_organization on audit_events (organization_id, occurred_at desc, id desc);
    `,
  },
  {
    version: 3,
    name: 'rotation time and audit order',
    sql: `
      alter table api_keys add column rotated_at timestamptz;

      alter table audit_events add column sequence bigserial;
      drop index audit_events_by_organization;
      create index audit_events_by_organization on audit_events (organization_id, sequence desc);
    `,
  },
  {
    version: 4,
    name: 'secret generations and key quotas',
    sql: `
      alter table api_keys add column secret_generation integer not null default 1;

      alter table organizations add column key_count integer not null default 0;
      update organizations set key_count =
        (select count(*) from api_keys where api_keys.organization_id = organizations.id);
    `,
  },
  {
    version: 5,
    name: 'instance leases',
    sql: `
      create table keyplane_instances (
        id uuid primary key,
        lease_until timestamptz not null
      );
    `,
  },
  {
    version: 6,
    name: 'key metadata',
    sql: `
      alter table api_keys add column meta jsonb;
    `,
  },
  {
    version: 7,
    name: 'key allowlists',
    sql: `
      alter table api_keys add column ip_allowlist jsonb;
    `,
  },
  {
    version: 8,
    name: 'roles and identities',
    sql: `
      create table roles (
        id uuid primary key,
        organization_id uuid not null references organizations (id) on delete cascade,
        name text not null,
        grants jsonb not null default '[]'::jsonb,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (organization_id, name)
      );
      create index roles_by_organization on roles (organization_id, created_at, id);

      create table identities (
        id uuid primary key,
        organization_id uuid not null references organizations (id) on delete cascade,
        external_id text not null,
        meta jsonb,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (organization_id, external_id)
      );
      create index identities_by_organization on identities (organization_id, created_at, id);

      alter table api_keys add column identity_id uuid references identities (id);
      create index api_keys_by_identity on api_keys (identity_id) where identity_id is not null;

      create table key_roles (
        key_id uuid not null references api_keys (id) on delete cascade,
        role_id uuid not null references roles (id) on delete cascade,
        primary key (key_id, role_id)
      );
      create index key_roles_by_role on key_roles (role_id);
    `,
  },
  {
    version: 9,
    name: 'key credits',
    sql: `
      alter table api_keys add column credits jsonb;
    `,
  },
  {
    version: 10,
    name: 'named rate limits',
    sql: `
      alter table api_keys add column ratelimits jsonb not null default '[]'::jsonb;
      alter table identities add column ratelimits jsonb not null default '[]'::jsonb;

      -- One row per limit of a key (subject key:<id>) or an identity (identity:<id>): its current
      -- window and what was counted in it.
      create table rate_limit_windows (
        subject text not null,
        name text not null,
        window_start bigint not null,
        used bigint not null,
        primary key (subject, name)
      );
    `,
  },
];

/** Serializes migrations of instances starting together on one database. */
const MIGRATION_LOCK = 'select pg_advisory_xact_lock(7411736505312460801)';

/**
 * Applies the migrations this database lacks; safe when several instances start at once.
 * `migrations`: those of a version, first ones of `MIGRATIONS` (an earlier release's, in tests of upgrades).
 */
export async function migrate(db: SqlDatabase, migrations: typeof MIGRATIONS = MIGRATIONS): Promise<number[]> {
  await db.transaction(async (tx) => {
    await tx.query(MIGRATION_LOCK);
    await tx.exec(`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`);
  });
  const newlyApplied: number[] = [];
  for (const migration of migrations) {
    const applied = await db.transaction(async (tx) => {
      await tx.query(MIGRATION_LOCK);
      const done = await run(
        tx,
        builder.selectFrom('schema_migrations').select('version').where('version', '=', migration.version),
      );
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await run(
        tx,
        builder.insertInto('schema_migrations').values({ version: migration.version, name: migration.name }),
      );
      return true;
    });
    if (applied) newlyApplied.push(migration.version);
  }
  return newlyApplied;
}
