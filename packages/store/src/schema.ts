import type { AuditEvent, Grant, KeyStatus, NamedRateLimit } from '@keyplane/core';
import type { ColumnType, Generated } from 'kysely';

/**
 * Every table's columns, declared once, as the migrations leave them: the compiler checks each
 * query's columns, parameters and results against these. A migration that changes a table
 * changes its declaration here too.
 */
export interface Database {
  organizations: OrganizationsTable;
  applications: ApplicationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
  schema_migrations: SchemaMigrationsTable;
  keyplane_instances: InstancesTable;
  roles: RolesTable;
  identities: IdentitiesTable;
  rate_limit_windows: RateLimitWindowsTable;
  key_roles: KeyRolesTable;
}

/** A jsonb value given as a parameter: its JSON text cast to jsonb, made by `jsonb()` only. */
declare const jsonbBrand: unique symbol;
export interface JsonbParameter<T> {
  readonly [jsonbBrand]: T;
}

/** timestamptz: read as a Date by both engines (pg and PGlite), written from a Date. */
type Timestamp = Date;
/**
 * jsonb with a default: read as the parsed value, written only through `jsonb()` (a bare
 * object or array would go out as a PostgreSQL array or text), or left to its default.
 */
type JsonbWithDefault<T> = ColumnType<T, JsonbParameter<T> | undefined, JsonbParameter<T>>;

/** Nullable jsonb: read as the parsed value or null, written through `jsonb()` or as null. */
type NullableJsonb<T> = ColumnType<T | null, JsonbParameter<T> | null | undefined, JsonbParameter<T> | null>;

interface OrganizationsTable {
  id: string;
  name: string;
  created_at: Timestamp;
  /** Keys the organization holds, kept by every insert and delete of a key (migration 4). */
  key_count: Generated<number>;
}

export interface ApplicationsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  is_default: Generated<boolean>;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  application_id: string;
  name: string;
  status: KeyStatus;
  secret_hash: string;
  hint: string;
  last_four: string;
  restricted: boolean;
  grants: JsonbWithDefault<readonly Grant[]>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  /** Migration 2. */
  previous_secret_hash: string | null;
  previous_secret_expires_at: Timestamp | null;
  /** Migration 3. */
  rotated_at: Timestamp | null;
  /** Migration 4. */
  secret_generation: Generated<number>;
  /** Migration 6. */
  meta: NullableJsonb<Readonly<Record<string, unknown>>>;
  /** Migration 7. */
  ip_allowlist: NullableJsonb<readonly string[]>;
  /** Migration 8. */
  identity_id: string | null;
  /** Migration 9: `{remaining, refill: {interval, amount, refillDay} | null, refilledAt}`; null: unlimited. */
  credits: NullableJsonb<StoredCredits>;
  /** Migration 10. */
  ratelimits: JsonbWithDefault<readonly NamedRateLimit[]>;
}

/** A key's credits as kept in JSON: the time as ISO text. */
export interface StoredCredits {
  readonly remaining: number;
  readonly refill: {
    readonly interval: 'daily' | 'monthly';
    readonly amount: number;
    readonly refillDay: number | null;
  } | null;
  readonly refilledAt: string;
}

/** Migration 8. */
export interface RolesTable {
  id: string;
  organization_id: string;
  name: string;
  grants: JsonbWithDefault<readonly Grant[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 8. */
export interface IdentitiesTable {
  id: string;
  organization_id: string;
  external_id: string;
  meta: NullableJsonb<Readonly<Record<string, unknown>>>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Migration 10. */
  ratelimits: JsonbWithDefault<readonly NamedRateLimit[]>;
}

/** Migration 10: the current window of each named limit of a key or identity. */
interface RateLimitWindowsTable {
  subject: string;
  name: string;
  window_start: string;
  used: string;
}

/** Migration 8: the roles each key holds. */
interface KeyRolesTable {
  key_id: string;
  role_id: string;
}

interface AuditEventsTable {
  id: string;
  organization_id: string;
  occurred_at: Timestamp;
  action: AuditEvent['action'];
  actor_key_id: string | null;
  target_id: string;
  request_id: string;
  details: JsonbWithDefault<Readonly<Record<string, unknown>>>;
  /**
   * bigserial (migration 3), never written: a string from pg, a bigint from PGlite, so read
   * as text. Compared with a string, which PostgreSQL takes as a bigint.
   */
  sequence: ColumnType<string | bigint, never, never>;
}

interface SettingsTable {
  name: string;
  value: string;
}

interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<Timestamp>;
}

/** The instances sharing a PostgreSQL, each for as long as its lease lasts (migration 5). */
interface InstancesTable {
  id: string;
  lease_until: Timestamp;
}
