import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { spend } from './credits.js';
import { isCanonicalId } from './domain.js';
import type { ApiKey, Application, AuditEvent, Identity, KeyCredits, KeyStatus, Organization, Role } from './model.js';
import { LocalRateLimits } from './named-limits.js';
import type { Access } from './permissions.js';
import type { ApplicationQuery, KeyplaneStore, NewKey } from './ports.js';
import { isErr } from './result.js';

/*
 * The store's port kept in plain maps, answering as the SQL store answers, row for row: the
 * same scoping, order, quotas, refusals and audit events, and the same failures where
 * PostgreSQL would refuse a statement (a unique or foreign key, a malformed uuid, a NUL in
 * text). It keeps nothing across processes; it is for tests and for trying keyplane out.
 */

const DEFAULT_ORGANIZATION_SETTING = 'default_organization_id';
/** Set by the first import: from then on, secrets in other formats may name keys. */
const IMPORTED_KEYS_SETTING = 'imported_keys';

const UNIQUE_VIOLATION = '23505';

/** A statement PostgreSQL would refuse, failed with its SQLSTATE in `code`, as the SQL store's drivers fail it. */
class StorageError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
  }
}

const uniqueViolation = (constraint: string) =>
  new StorageError(UNIQUE_VIOLATION, `duplicate key value violates unique constraint "${constraint}"`);

const foreignKeyViolation = (table: string, constraint: string) =>
  new StorageError('23503', `insert or update on table "${table}" violates foreign key constraint "${constraint}"`);

/** Hex digits in fours, each but the last optionally followed by a hyphen: every uuid spelling PostgreSQL reads. */
const UUID_SPELLING = /^(?:[0-9a-f]{4}-?){7}[0-9a-f]{4}$/i;

/** A uuid as PostgreSQL reads it (in any case, braced or not) and gives it back, in lower case with hyphens. */
function uuid(value: string): string {
  if (isCanonicalId(value)) return value;
  const bare = value.startsWith('{') && value.endsWith('}') ? value.slice(1, -1) : value;
  if (!UUID_SPELLING.test(bare)) throw new StorageError('22P02', `invalid input syntax for type uuid: "${value}"`);
  const hex = bare.replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const nullableUuid = (value: string | null) => (value === null ? null : uuid(value));

const SURROGATE = /[\uD800-\uDFFF]/;

/** Text as it reaches PostgreSQL: the drivers send UTF-8, in which a lone surrogate becomes U+FFFD; NUL is refused. */
function text(value: string): string {
  if (value.includes('\u0000')) throw new StorageError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
  return SURROGATE.test(value) ? Buffer.from(value, 'utf8').toString('utf8') : value;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string in JSON: jsonb refuses the escapes JSON.stringify writes for NUL and lone surrogates. */
function jsonString(value: string): string {
  if (value.includes('\u0000')) throw new StorageError('22P05', 'unsupported Unicode escape sequence');
  if (LONE_SURROGATE.test(value)) throw new StorageError('22P02', 'invalid input syntax for type json');
  return value;
}

/** jsonb keeps an object's keys shortest first, then in the order of their UTF-8 bytes. */
function jsonbKeyOrder(a: string, b: string): number {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length - right.length || Buffer.compare(left, right);
}

function asJsonb(value: unknown): unknown {
  if (typeof value === 'string') return jsonString(value);
  if (Array.isArray(value)) return value.map(asJsonb);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([name, inner]): [string, unknown] => [jsonString(name), asJsonb(inner)]);
  return Object.fromEntries(entries.sort(([a], [b]) => jsonbKeyOrder(a, b)));
}

/**
 * A value stored as jsonb, kept as the JSON text PostgreSQL would give back: written through
 * JSON.stringify as the SQL store writes it, keys in jsonb's order. Each read parses it anew,
 * so no caller ever holds what is stored.
 */
const jsonb = (value: unknown): string => JSON.stringify(asJsonb(JSON.parse(JSON.stringify(value))));

const nullableJsonb = (value: unknown) => (value === null ? null : jsonb(value));

const parsed = <T>(json: string): T => JSON.parse(json) as T;

const nullableParsed = <T>(json: string | null): T | null => (json === null ? null : parsed<T>(json));

/** A key's credits as the SQL store keeps them: JSON, the time as ISO text. */
const creditsJson = (credits: KeyCredits | null) =>
  credits === null ? null : jsonb({ ...credits, refilledAt: credits.refilledAt.toISOString() });

const creditsParsed = (json: string | null): KeyCredits | null => {
  const stored = nullableParsed<Omit<KeyCredits, 'refilledAt'> & { refilledAt: string }>(json);
  return stored === null ? null : { ...stored, refilledAt: new Date(stored.refilledAt) };
};

/** A timestamptz, kept as milliseconds so that no caller holds a stored Date. */
function instant(date: Date): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new StorageError('22007', 'invalid input syntax for type timestamp with time zone');
  return time;
}

const nullableInstant = (date: Date | null) => (date === null ? null : instant(date));

const nullableDate = (time: number | null) => (time === null ? null : new Date(time));

/** A LIMIT or OFFSET as PostgreSQL takes it: a whole number, not negative. */
function rowCount(value: number, clause: 'LIMIT' | 'OFFSET'): number {
  if (!Number.isInteger(value)) throw new StorageError('22P02', `invalid input syntax for type bigint: "${value}"`);
  if (value < 0) throw new StorageError(clause === 'LIMIT' ? '2201W' : '2201X', `${clause} must not be negative`);
  return value;
}

const BIGINT = /^\s*[+-]?\d+\s*$/;
const BIGINT_MAX = 2n ** 63n - 1n;

/** An audit sequence number given as text, read as PostgreSQL reads a bigint. */
function sequenceNumber(value: string): bigint {
  if (!BIGINT.test(value)) throw new StorageError('22P02', `invalid input syntax for type bigint: "${value}"`);
  const number = BigInt(value.trim());
  if (number > BIGINT_MAX || number < -BIGINT_MAX - 1n) {
    throw new StorageError('22003', `value "${value}" is out of range for type bigint`);
  }
  return number;
}

/** The text order of the SQL store's databases (collation C): by UTF-8 bytes, that is by code point. */
const collate = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The check on a key's status, made as its row goes in, once its values were read. */
function checkStatus(row: KeyRow): void {
  if (row.status !== 'enabled' && row.status !== 'disabled') {
    throw new StorageError(
      '23514',
      'new row for relation "api_keys" violates check constraint "api_keys_status_check"',
    );
  }
}

interface Positioned {
  readonly id: string;
  readonly organizationId: string;
  readonly createdAt: number;
}

/** Creation order: the SQL store's indexes on (created_at, id). Ids are canonical uuids, so text order is theirs. */
const byCreation = (a: Pick<Positioned, 'createdAt' | 'id'>, b: Pick<Positioned, 'createdAt' | 'id'>) =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const positionOf = (cursor: { readonly createdAt: Date; readonly id: string }) => ({
  createdAt: instant(cursor.createdAt),
  id: uuid(cursor.id),
});

/** A unique index's entry of a value within one organization; an organization id is always 36 characters long. */
const within = (organizationId: string, value: string) => `${organizationId}${value}`;

interface OrganizationRow {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  /** Keys the organization holds, counted by every insert and delete of a key, against its quota. */
  readonly keyCount: number;
}

interface ApplicationRow extends Positioned {
  readonly name: string;
  readonly description: string | null;
  readonly isDefault: boolean;
}

interface KeyRow extends Positioned {
  readonly applicationId: string;
  readonly name: string;
  readonly status: KeyStatus;
  readonly secretHash: string;
  readonly previousSecretHash: string | null;
  readonly hint: string;
  readonly lastFour: string;
  readonly restricted: boolean;
  readonly grants: string;
  readonly createdBy: string | null;
  readonly updatedAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
  readonly rotatedAt: number | null;
  readonly previousSecretExpiresAt: number | null;
  readonly secretGeneration: number;
  readonly meta: string | null;
  readonly ipAllowlist: string | null;
  readonly identityId: string | null;
  readonly credits: string | null;
  readonly ratelimits: string;
}

interface RoleRow extends Positioned {
  readonly name: string;
  readonly grants: string;
  readonly updatedAt: number;
}

interface IdentityRow extends Positioned {
  readonly externalId: string;
  readonly meta: string | null;
  readonly ratelimits: string;
  readonly updatedAt: number;
}

interface AuditRow extends AuditDraft {
  readonly sequence: number;
}

/** An event's values as a statement binds them, before its row takes its sequence number. */
interface AuditDraft {
  readonly id: string;
  readonly organizationId: string;
  readonly occurredAt: number;
  readonly action: AuditEvent['action'];
  readonly actorKeyId: string | null;
  readonly targetId: string;
  readonly requestId: string;
  readonly details: string;
}

/** Ends a write early with an answer, everything it wrote undone: the SQL store's `Refused`. */
class Refusal extends Error {
  readonly answer: unknown;

  constructor(answer: unknown) {
    super('refused');
    this.answer = answer;
  }
}

/**
 * One write's steps, each with its undoing, so that a write that fails or is refused halfway
 * leaves nothing behind, as a rolled-back transaction does. A write awaits nothing, so no
 * other call ever sees it half done.
 */
class Transaction {
  readonly #undo: (() => void)[] = [];

  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    if (map.has(key)) {
      const before = map.get(key) as V;
      this.#undo.push(() => map.set(key, before));
    } else {
      this.#undo.push(() => map.delete(key));
    }
    map.set(key, value);
  }

  delete<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const before = map.get(key) as V;
    this.#undo.push(() => map.set(key, before));
    map.delete(key);
  }

  append<T>(list: T[], item: T): void {
    list.push(item);
    this.#undo.push(() => list.pop());
  }

  refuse(answer: unknown): never {
    throw new Refusal(answer);
  }

  rollback(): void {
    for (const step of this.#undo.reverse()) step();
  }
}

/** The rows of one store, the unique indexes PostgreSQL keeps of them, and the table operations of the store. */
class Tables {
  readonly organizations = new Map<string, OrganizationRow>();
  readonly applications = new Map<string, ApplicationRow>();
  /** By organization: one default application at most. */
  readonly #defaultApplications = new Map<string, string>();
  readonly keys = new Map<string, KeyRow>();
  readonly keysBySecret = new Map<string, string>();
  readonly keysByPreviousSecret = new Map<string, string>();
  /** The roles each key holds, by key id. */
  readonly #keyRoles = new Map<string, readonly string[]>();
  readonly roles = new Map<string, RoleRow>();
  readonly #rolesByName = new Map<string, string>();
  readonly identities = new Map<string, IdentityRow>();
  readonly #identitiesByExternalId = new Map<string, string>();
  readonly #auditEventIds = new Map<string, number>();
  /** Each organization's audit events, in the order of their sequence numbers. */
  readonly #auditLogs = new Map<string, AuditRow[]>();
  readonly settings = new Map<string, string>();
  /** The audit sequence, shared by every organization as one bigserial column is. */
  #lastSequence = 0;

  #claim(tx: Transaction, index: Map<string, string>, value: string, id: string, constraint: string): void {
    const holder = index.get(value);
    if (holder !== undefined && holder !== id) throw uniqueViolation(constraint);
    if (holder === undefined) tx.set(index, value, id);
  }

  #release(tx: Transaction, index: Map<string, string>, value: string, id: string): void {
    if (index.get(value) === id) tx.delete(index, value);
  }

  #requireOrganization(id: string, table: string): void {
    if (!this.organizations.has(id)) throw foreignKeyViolation(table, `${table}_organization_id_fkey`);
  }

  insertOrganization(tx: Transaction, row: OrganizationRow): void {
    if (this.organizations.has(row.id)) throw uniqueViolation('organizations_pkey');
    tx.set(this.organizations, row.id, row);
  }

  /** Counts `added` more keys unless that takes the organization past `quota`; true when counted. */
  countKeys(tx: Transaction, organizationId: string, added: number, quota: number): boolean {
    const organization = this.organizations.get(organizationId);
    if (!organization || !(organization.keyCount + added <= quota)) return false;
    tx.set(this.organizations, organizationId, { ...organization, keyCount: organization.keyCount + added });
    return true;
  }

  #countKeyRemoved(tx: Transaction, organizationId: string): void {
    const organization = this.organizations.get(organizationId);
    if (organization) {
      tx.set(this.organizations, organizationId, { ...organization, keyCount: organization.keyCount - 1 });
    }
  }

  applicationRow(application: Application): ApplicationRow {
    return {
      id: uuid(application.id),
      organizationId: uuid(application.organizationId),
      name: text(application.name),
      description: application.description === null ? null : text(application.description),
      isDefault: application.isDefault,
      createdAt: instant(application.createdAt),
    };
  }

  /** Null when the application's id, or its being its organization's default, conflicts with one stored. */
  #applicationConflict(row: ApplicationRow): string | null {
    if (this.applications.has(row.id)) return 'applications_pkey';
    if (row.isDefault && this.#defaultApplications.has(row.organizationId)) {
      return 'applications_one_default_per_organization';
    }
    return null;
  }

  insertApplication(tx: Transaction, row: ApplicationRow, ifAbsent = false): void {
    const conflict = this.#applicationConflict(row);
    if (conflict !== null) {
      if (ifAbsent) return;
      throw uniqueViolation(conflict);
    }
    this.#requireOrganization(row.organizationId, 'applications');
    tx.set(this.applications, row.id, row);
    if (row.isDefault) tx.set(this.#defaultApplications, row.organizationId, row.id);
  }

  defaultApplication(organizationId: string): ApplicationRow | undefined {
    const id = this.#defaultApplications.get(organizationId);
    return id === undefined ? undefined : this.applications.get(id);
  }

  keyRow(key: NewKey, identityId: string | null): KeyRow {
    const createdAt = instant(key.createdAt);
    return {
      id: uuid(key.id),
      organizationId: uuid(key.organizationId),
      applicationId: uuid(key.applicationId),
      name: text(key.name),
      status: text(key.status) as KeyStatus,
      secretHash: text(key.secretHash),
      previousSecretHash: null,
      hint: text(key.hint),
      lastFour: text(key.lastFour),
      ...accessColumns(key.access),
      createdBy: nullableUuid(key.createdBy),
      createdAt,
      updatedAt: createdAt,
      lastUsedAt: null,
      expiresAt: nullableInstant(key.expiresAt),
      rotatedAt: null,
      previousSecretExpiresAt: null,
      secretGeneration: 1,
      meta: nullableJsonb(key.meta),
      ipAllowlist: nullableJsonb(key.ipAllowlist),
      identityId,
      credits: creditsJson(key.credits),
      ratelimits: jsonb(key.ratelimits),
    };
  }

  /**
   * Inserts keys, and the event of their creation when given, as one statement does: each row
   * checked and its unique keys claimed as it goes in, foreign keys once all are in.
   */
  insertKeys(tx: Transaction, rows: readonly KeyRow[], audit?: AuditDraft): void {
    for (const row of rows) {
      checkStatus(row);
      if (this.keys.has(row.id)) throw uniqueViolation('api_keys_pkey');
      this.writeKey(tx, row);
    }
    if (audit) this.#insertAuditRow(tx, audit);
    for (const row of rows) {
      this.#requireOrganization(row.organizationId, 'api_keys');
      if (!this.applications.has(row.applicationId)) {
        throw foreignKeyViolation('api_keys', 'api_keys_application_id_fkey');
      }
      if (row.identityId !== null && !this.identities.has(row.identityId)) {
        throw foreignKeyViolation('api_keys', 'api_keys_identity_id_fkey');
      }
    }
    if (audit) this.#requireOrganization(audit.organizationId, 'audit_events');
  }

  /** Stores the key's row, its current and previous digests each unique across keys. */
  writeKey(tx: Transaction, row: KeyRow): void {
    const before = this.keys.get(row.id);
    if (before?.secretHash !== row.secretHash) {
      if (before) this.#release(tx, this.keysBySecret, before.secretHash, row.id);
      this.#claim(tx, this.keysBySecret, row.secretHash, row.id, 'api_keys_secret_hash_key');
    }
    if (before?.previousSecretHash !== row.previousSecretHash) {
      if (before && before.previousSecretHash !== null) {
        this.#release(tx, this.keysByPreviousSecret, before.previousSecretHash, row.id);
      }
      if (row.previousSecretHash !== null) {
        this.#claim(tx, this.keysByPreviousSecret, row.previousSecretHash, row.id, 'api_keys_by_previous_secret');
      }
    }
    tx.set(this.keys, row.id, row);
  }

  /** The organization's key of that id; undefined when there is none (or it is another organization's). */
  keyOfOrganization(organizationId: string, id: string): KeyRow | undefined {
    const row = this.keys.get(id);
    return row?.organizationId === organizationId ? row : undefined;
  }

  /**
   * Deletes the key (of `applicationId`, when given), counts one key less and records the
   * event; true when this call removed it. A key already gone changes nothing.
   */
  deleteCountedKey(
    tx: Transaction,
    organizationId: string,
    id: string,
    applicationId: string | undefined,
    audit: AuditDraft,
  ): boolean {
    const row = this.keyOfOrganization(organizationId, id);
    if (!row || (applicationId !== undefined && row.applicationId !== applicationId)) return false;
    this.#release(tx, this.keysBySecret, row.secretHash, row.id);
    if (row.previousSecretHash !== null) this.#release(tx, this.keysByPreviousSecret, row.previousSecretHash, row.id);
    tx.delete(this.keys, row.id);
    tx.delete(this.#keyRoles, row.id);
    this.#countKeyRemoved(tx, row.organizationId);
    this.#insertAuditRow(tx, audit);
    this.#requireOrganization(audit.organizationId, 'audit_events');
    return true;
  }

  /** Gives the key exactly these roles of its organization, passing over ids of roles not there (deleted meanwhile). */
  setKeyRoles(tx: Transaction, organizationId: string, keyId: string, roleIds: readonly string[]): void {
    tx.delete(this.#keyRoles, keyId);
    if (roleIds.length === 0) return;
    const held = [...new Set(roleIds.map(uuid))].filter((id) => this.roles.get(id)?.organizationId === organizationId);
    if (held.length > 0) tx.set(this.#keyRoles, keyId, held);
  }

  /** The key as the SQL store reads it: its identity, and its roles ordered by name (`KEY_RELATIONS`). */
  keyOf(row: KeyRow): ApiKey {
    const identity = row.identityId === null ? undefined : this.identities.get(row.identityId);
    const roles = (this.#keyRoles.get(row.id) ?? [])
      .map((id) => this.roles.get(id))
      .filter((role): role is RoleRow => role !== undefined)
      .sort((a, b) => collate(a.name, b.name));
    return {
      id: row.id,
      organizationId: row.organizationId,
      applicationId: row.applicationId,
      name: row.name,
      status: row.status,
      access: row.restricted ? { restricted: true, grants: parsed(row.grants) } : { restricted: false },
      hint: row.hint,
      lastFour: row.lastFour,
      createdBy: row.createdBy,
      createdAt: new Date(row.createdAt),
      updatedAt: new Date(row.updatedAt),
      lastUsedAt: nullableDate(row.lastUsedAt),
      expiresAt: nullableDate(row.expiresAt),
      rotatedAt: nullableDate(row.rotatedAt),
      previousSecretExpiresAt: nullableDate(row.previousSecretExpiresAt),
      secretGeneration: row.secretGeneration,
      meta: nullableParsed(row.meta),
      ipAllowlist: nullableParsed(row.ipAllowlist),
      identity: identity
        ? {
            id: identity.id,
            externalId: identity.externalId,
            meta: nullableParsed(identity.meta),
            ratelimits: parsed(identity.ratelimits),
          }
        : null,
      roles: roles.map((role) => ({ id: role.id, name: role.name, grants: parsed(role.grants) })),
      credits: creditsParsed(row.credits),
      ratelimits: parsed(row.ratelimits),
    };
  }

  /** The role, or null when its organization has one of that name already (nothing is written). */
  insertRole(tx: Transaction, role: Role): RoleRow | null {
    const row: RoleRow = {
      id: uuid(role.id),
      organizationId: uuid(role.organizationId),
      name: text(role.name),
      grants: jsonb(role.grants),
      createdAt: instant(role.createdAt),
      updatedAt: instant(role.updatedAt),
    };
    const named = within(row.organizationId, row.name);
    if (this.#rolesByName.has(named)) return null;
    if (this.roles.has(row.id)) throw uniqueViolation('roles_pkey');
    this.#requireOrganization(row.organizationId, 'roles');
    tx.set(this.roles, row.id, row);
    tx.set(this.#rolesByName, named, row.id);
    return row;
  }

  /** By id when `idOrName` is one, else by name; an id wins over a name that reads the same. */
  findRole(organizationId: string, idOrName: string): RoleRow | undefined {
    const name = text(idOrName);
    if (isCanonicalId(idOrName)) {
      const byId = this.roles.get(idOrName);
      if (byId?.organizationId === organizationId) return byId;
    }
    return this.roleNamed(organizationId, name);
  }

  roleNamed(organizationId: string, name: string): RoleRow | undefined {
    const id = this.#rolesByName.get(within(organizationId, name));
    return id === undefined ? undefined : this.roles.get(id);
  }

  roleNameTaken(organizationId: string, name: string, id: string): boolean {
    const holder = this.#rolesByName.get(within(organizationId, name));
    return holder !== undefined && holder !== id;
  }

  writeRole(tx: Transaction, before: RoleRow, row: RoleRow): void {
    if (before.name !== row.name) {
      this.#release(tx, this.#rolesByName, within(row.organizationId, before.name), row.id);
      this.#claim(
        tx,
        this.#rolesByName,
        within(row.organizationId, row.name),
        row.id,
        'roles_organization_id_name_key',
      );
    }
    tx.set(this.roles, row.id, row);
  }

  /** Removes the role; the keys holding it lose it with it (the foreign key cascades). */
  deleteRole(tx: Transaction, row: RoleRow): void {
    tx.delete(this.roles, row.id);
    this.#release(tx, this.#rolesByName, within(row.organizationId, row.name), row.id);
    const holders = [...this.#keyRoles].filter(([, roleIds]) => roleIds.includes(row.id));
    for (const [keyId, roleIds] of holders) {
      const kept = roleIds.filter((id) => id !== row.id);
      if (kept.length > 0) tx.set(this.#keyRoles, keyId, kept);
      else tx.delete(this.#keyRoles, keyId);
    }
  }

  roleOf(row: RoleRow): Role {
    return {
      id: row.id,
      organizationId: row.organizationId,
      name: row.name,
      grants: parsed(row.grants),
      createdAt: new Date(row.createdAt),
      updatedAt: new Date(row.updatedAt),
    };
  }

  identityRow(identity: Identity): IdentityRow {
    return {
      id: uuid(identity.id),
      organizationId: uuid(identity.organizationId),
      externalId: text(identity.externalId),
      meta: nullableJsonb(identity.meta),
      ratelimits: jsonb(identity.ratelimits),
      createdAt: instant(identity.createdAt),
      updatedAt: instant(identity.updatedAt),
    };
  }

  /** The identity, or null when its organization has one of that external id already (nothing is written). */
  insertIdentity(tx: Transaction, row: IdentityRow): IdentityRow | null {
    const named = within(row.organizationId, row.externalId);
    if (this.#identitiesByExternalId.has(named)) return null;
    if (this.identities.has(row.id)) throw uniqueViolation('identities_pkey');
    this.#requireOrganization(row.organizationId, 'identities');
    tx.set(this.identities, row.id, row);
    tx.set(this.#identitiesByExternalId, named, row.id);
    return row;
  }

  /** The id of the organization's identity of that external id, created (with no metadata) when there is none. */
  ensureIdentity(tx: Transaction, organizationId: string, externalId: string, now: Date): string {
    const createdAt = instant(now);
    const row = {
      id: randomUUID(),
      organizationId,
      externalId: text(externalId),
      meta: null,
      ratelimits: '[]',
      createdAt,
    };
    const created = this.insertIdentity(tx, { ...row, updatedAt: createdAt });
    if (created) return created.id;
    return this.#identitiesByExternalId.get(within(organizationId, row.externalId)) as string;
  }

  /** By id when `idOrExternalId` is one, else by external id; an id wins over an external id that reads the same. */
  findIdentity(organizationId: string, idOrExternalId: string): IdentityRow | undefined {
    const externalId = text(idOrExternalId);
    if (isCanonicalId(idOrExternalId)) {
      const byId = this.identities.get(idOrExternalId);
      if (byId?.organizationId === organizationId) return byId;
    }
    const id = this.#identitiesByExternalId.get(within(organizationId, externalId));
    return id === undefined ? undefined : this.identities.get(id);
  }

  externalIdTaken(organizationId: string, externalId: string, id: string): boolean {
    const holder = this.#identitiesByExternalId.get(within(organizationId, externalId));
    return holder !== undefined && holder !== id;
  }

  writeIdentity(tx: Transaction, before: IdentityRow, row: IdentityRow): void {
    if (before.externalId !== row.externalId) {
      this.#release(tx, this.#identitiesByExternalId, within(row.organizationId, before.externalId), row.id);
      this.#claim(
        tx,
        this.#identitiesByExternalId,
        within(row.organizationId, row.externalId),
        row.id,
        'identities_organization_id_external_id_key',
      );
    }
    tx.set(this.identities, row.id, row);
  }

  /** The ids of the identity's keys, in the order they were stored (SQL gives them in no stated order). */
  keysOf(organizationId: string, identityId: string): string[] {
    return [...this.keys.values()]
      .filter((key) => key.organizationId === organizationId && key.identityId === identityId)
      .map((key) => key.id);
  }

  deleteIdentity(tx: Transaction, row: IdentityRow): void {
    if ([...this.keys.values()].some((key) => key.identityId === row.id)) {
      throw new StorageError(
        '23503',
        'update or delete on table "identities" violates foreign key constraint "api_keys_identity_id_fkey" on table "api_keys"',
      );
    }
    tx.delete(this.identities, row.id);
    this.#release(tx, this.#identitiesByExternalId, within(row.organizationId, row.externalId), row.id);
  }

  identityOf(row: IdentityRow): Identity {
    return {
      id: row.id,
      organizationId: row.organizationId,
      externalId: row.externalId,
      meta: nullableParsed(row.meta),
      ratelimits: parsed(row.ratelimits),
      createdAt: new Date(row.createdAt),
      updatedAt: new Date(row.updatedAt),
    };
  }

  /** The event's values as a statement binds them: one PostgreSQL cannot read refuses the statement at once. */
  auditDraft(event: AuditEvent): AuditDraft {
    return {
      id: uuid(event.id),
      organizationId: uuid(event.organizationId),
      occurredAt: instant(event.occurredAt),
      action: text(event.action) as AuditEvent['action'],
      actorKeyId: nullableUuid(event.actorKeyId),
      targetId: uuid(event.targetId),
      requestId: text(event.requestId),
      details: jsonb(event.details),
    };
  }

  /** Inserts an event in a statement of its own. */
  recordAudit(tx: Transaction, event: AuditEvent): void {
    const draft = this.auditDraft(event);
    this.#insertAuditRow(tx, draft);
    this.#requireOrganization(draft.organizationId, 'audit_events');
  }

  #insertAuditRow(tx: Transaction, draft: AuditDraft): void {
    // Drawn outside the undo: a sequence never gives a number back, so a write undone leaves a gap, as in PostgreSQL.
    this.#lastSequence += 1;
    const row: AuditRow = { ...draft, sequence: this.#lastSequence };
    if (this.#auditEventIds.has(row.id)) throw uniqueViolation('audit_events_pkey');
    tx.set(this.#auditEventIds, row.id, row.sequence);
    const log = this.#auditLogs.get(row.organizationId);
    if (log) tx.append(log, row);
    else tx.set(this.#auditLogs, row.organizationId, [row]);
  }

  /** The organization's events, newest first, strictly before a sequence number when given. */
  auditEvents(organizationId: string, limit: number, beforeSequence: bigint | undefined): AuditEvent[] {
    const log = this.#auditLogs.get(organizationId) ?? [];
    let end = log.length;
    if (beforeSequence !== undefined) {
      // The first event at or after the bound: the log is in sequence order.
      let low = 0;
      while (low < end) {
        const middle = (low + end) >>> 1;
        if ((log[middle] as AuditRow).sequence < beforeSequence) low = middle + 1;
        else end = middle;
      }
    }
    return log
      .slice(Math.max(0, end - limit), end)
      .reverse()
      .map((row) => ({
        id: row.id,
        organizationId: row.organizationId,
        occurredAt: new Date(row.occurredAt),
        action: row.action,
        actorKeyId: row.actorKeyId,
        targetId: row.targetId,
        requestId: row.requestId,
        details: parsed(row.details),
        sequence: String(row.sequence),
      }));
  }

  /** Stores `value` under `name` unless a value is there; returns the value that is now stored. */
  putSettingIfAbsent(tx: Transaction, name: string, value: string): string {
    const setting = text(name);
    const written = text(value);
    const stored = this.settings.get(setting);
    if (stored !== undefined) return stored;
    tx.set(this.settings, setting, written);
    return written;
  }
}

const accessColumns = (access: Access) => ({
  restricted: access.restricted,
  grants: jsonb(access.restricted ? access.grants : []),
});

const applicationOf = (row: ApplicationRow): Application => ({
  id: row.id,
  organizationId: row.organizationId,
  name: row.name,
  description: row.description,
  isDefault: row.isDefault,
  createdAt: new Date(row.createdAt),
});

const organizationOf = (row: OrganizationRow): Organization => ({
  id: row.id,
  name: row.name,
  createdAt: new Date(row.createdAt),
});

/** A page of an organization's applications, roles or identities in creation order, after a cursor when given. */
function pageOf<Row extends Positioned>(rows: Iterable<Row>, organizationId: string, query: ApplicationQuery): Row[] {
  const after = query.after && positionOf(query.after);
  const limit = query.limit === undefined ? undefined : rowCount(query.limit, 'LIMIT');
  const found = [...rows]
    .filter((row) => row.organizationId === organizationId && (!after || byCreation(row, after) > 0))
    .sort(byCreation);
  return found.slice(0, limit);
}

/**
 * A store that keeps everything in this process's memory, for as long as it is open: the
 * SQL store's behaviour without a database. Every call reads or writes at once, from start
 * to end without awaiting, so that concurrent calls happen one after the other, and a
 * change decided on a key is decided on the key as it is when written.
 */
export function openMemoryStore(): KeyplaneStore {
  const tables = new Tables();
  const limits = new LocalRateLimits();
  let closed = false;

  /** Runs `work` at once, in the caller's turn: no other call can run between what it reads and what it writes. */
  const run = <T>(work: () => T): Promise<T> =>
    new Promise((resolve) => {
      if (closed) throw new Error('The memory store is closed.');
      resolve(work());
    });

  /** A write that throws or refuses is undone, as the SQL store's transaction is rolled back. */
  const write = <T>(work: (tx: Transaction) => T): Promise<T> =>
    run(() => {
      const tx = new Transaction();
      try {
        return work(tx);
      } catch (error) {
        tx.rollback();
        if (error instanceof Refusal) return error.answer as T;
        throw error;
      }
    });

  return {
    insertKey: (key, event, quota) =>
      write((tx) => {
        const organizationId = uuid(key.organizationId);
        const identityId =
          key.externalId === null ? null : tables.ensureIdentity(tx, organizationId, key.externalId, key.createdAt);
        // One statement counts, inserts and audits: all its values are read before it counts.
        const row = tables.keyRow(key, identityId);
        const audit = tables.auditDraft(event);
        // Over the quota: an identity created for the key goes with it.
        if (!tables.countKeys(tx, organizationId, 1, quota)) return tx.refuse(null);
        tables.insertKeys(tx, [row], audit);
        tables.setKeyRoles(tx, organizationId, row.id, key.roleIds);
        return tables.keyOf(row);
      }),

    findKeyById: (organizationId, id) =>
      run(() => {
        const row = tables.keyOfOrganization(uuid(organizationId), uuid(id));
        return row ? tables.keyOf(row) : null;
      }),

    findKeyBySecretHash: (secretHash) =>
      run(() => {
        const digest = text(secretHash);
        const current = tables.keysBySecret.get(digest);
        const id = current ?? tables.keysByPreviousSecret.get(digest);
        const row = id === undefined ? undefined : tables.keys.get(id);
        return row ? { key: tables.keyOf(row), matched: current === undefined ? 'previous' : 'current' } : null;
      }),

    listKeys: (organizationId, query = { order: 'asc' }) =>
      run(() => {
        const organization = uuid(organizationId);
        const applicationId = query.applicationId === undefined ? undefined : uuid(query.applicationId);
        const identityId = query.identityId === undefined ? undefined : uuid(query.identityId);
        const given = query.after ?? query.before;
        const cursor = given && positionOf(given);
        // Paging "before" a cursor walks the other way and turns the page round afterwards.
        const reverse = query.before !== undefined;
        const ascending = (query.order === 'asc') !== reverse;
        const limit = query.limit === undefined ? undefined : rowCount(query.limit, 'LIMIT');
        const offset = query.offset !== undefined && query.offset > 0 ? rowCount(query.offset, 'OFFSET') : 0;
        const direction = ascending ? 1 : -1;
        const rows = [...tables.keys.values()]
          .filter(
            (row) =>
              row.organizationId === organization &&
              (applicationId === undefined || row.applicationId === applicationId) &&
              (identityId === undefined || row.identityId === identityId) &&
              (!cursor || byCreation(row, cursor) * direction > 0),
          )
          .sort((a, b) => byCreation(a, b) * direction)
          .slice(offset, limit === undefined ? undefined : offset + limit);
        return (reverse ? rows.reverse() : rows).map((row) => tables.keyOf(row));
      }),

    countKeys: (organizationId, applicationId) =>
      run(() => {
        const organization = uuid(organizationId);
        const application = applicationId === undefined ? undefined : uuid(applicationId);
        let count = 0;
        for (const row of tables.keys.values()) {
          if (row.organizationId === organization && (application === undefined || row.applicationId === application)) {
            count += 1;
          }
        }
        return count;
      }),

    updateKey: (organizationId, id, decide) =>
      write((tx) => {
        const organization = uuid(organizationId);
        const current = tables.keyOfOrganization(organization, uuid(id));
        if (!current) return null;
        const decision = decide(tables.keyOf(current));
        if (isErr(decision)) return decision;
        const { change } = decision;
        let identityId = current.identityId;
        if (change.externalId !== undefined) {
          identityId =
            change.externalId === null
              ? null
              : tables.ensureIdentity(tx, organization, change.externalId, change.updatedAt);
        }
        if (change.roleIds !== undefined) tables.setKeyRoles(tx, organization, current.id, change.roleIds);
        const changed: KeyRow = {
          ...current,
          identityId,
          ...(change.name === undefined ? {} : { name: text(change.name) }),
          ...(change.meta === undefined ? {} : { meta: nullableJsonb(change.meta) }),
          ...(change.ipAllowlist === undefined ? {} : { ipAllowlist: nullableJsonb(change.ipAllowlist) }),
          ...(change.status === undefined ? {} : { status: text(change.status) as KeyStatus }),
          ...(change.access === undefined ? {} : accessColumns(change.access)),
          ...(change.expiresAt === undefined ? {} : { expiresAt: nullableInstant(change.expiresAt) }),
          ...(change.credits === undefined ? {} : { credits: creditsJson(change.credits) }),
          ...(change.ratelimits === undefined ? {} : { ratelimits: jsonb(change.ratelimits) }),
          updatedAt: instant(change.updatedAt),
        };
        checkStatus(changed);
        tables.writeKey(tx, changed);
        tables.recordAudit(tx, decision.audit);
        return tables.keyOf(changed);
      }),

    rotateKey: (organizationId, id, decide) =>
      write((tx) => {
        const current = tables.keyOfOrganization(uuid(organizationId), uuid(id));
        if (!current) return null;
        const decision = decide(tables.keyOf(current));
        if (isErr(decision)) return decision;
        const { change: rotation } = decision;
        const rotatedAt = instant(rotation.rotatedAt);
        // The replaced secret keeps working only when it is given a grace.
        const rotated: KeyRow = {
          ...current,
          previousSecretHash: rotation.previousSecretExpiresAt === null ? null : current.secretHash,
          previousSecretExpiresAt: nullableInstant(rotation.previousSecretExpiresAt),
          secretHash: text(rotation.secretHash),
          hint: text(rotation.hint),
          lastFour: text(rotation.lastFour),
          updatedAt: rotatedAt,
          rotatedAt,
          secretGeneration: current.secretGeneration + 1,
        };
        tables.writeKey(tx, rotated);
        tables.recordAudit(tx, decision.audit);
        return tables.keyOf(rotated);
      }),

    deleteKey: (organizationId, id, applicationId, event) =>
      write((tx) => {
        const organization = uuid(organizationId);
        const keyId = uuid(id);
        const application = applicationId === undefined ? undefined : uuid(applicationId);
        // One statement deletes and audits: the event's values are read whether or not there is a key.
        return tables.deleteCountedKey(tx, organization, keyId, application, tables.auditDraft(event));
      }),

    spendCredits: (id, spending) =>
      write((tx) => {
        const row = tables.keys.get(uuid(id));
        const current = creditsParsed(row?.credits ?? null);
        if (!row || current === null) return null;
        const outcome = spend(current, spending.cost, spending.at);
        const { credits } = outcome;
        if (credits.remaining !== current.remaining || credits.refilledAt.getTime() !== current.refilledAt.getTime()) {
          tx.set(tables.keys, row.id, { ...row, credits: creditsJson(credits) });
        }
        return outcome;
      }),

    takeRateLimits: (takes, at) => run(() => limits.take(takes, at)),

    findKeyCredits: (id) => run(() => creditsParsed(tables.keys.get(uuid(id))?.credits ?? null)),

    // The SQL store answers an empty batch without a statement, closed or not.
    recordKeyUsage: (usage) =>
      usage.length === 0
        ? Promise.resolve()
        : write((tx) => {
            // The SQL store writes the times as ISO text, which fails in JavaScript before any id reaches PostgreSQL.
            const times = usage.map(({ usedAt }) => Date.parse(usedAt.toISOString()));
            const ids = usage.map(({ id }) => uuid(id));
            for (const [index, id] of ids.entries()) {
              const at = times[index] as number;
              const row = tables.keys.get(id);
              if (row && (row.lastUsedAt === null || row.lastUsedAt < at)) {
                tx.set(tables.keys, id, { ...row, lastUsedAt: at });
              }
            }
          }),

    importKeys: async (batch, events, quota) => {
      try {
        return await write((tx) => {
          const [first] = batch;
          if (!first) return [];
          const organizationId = uuid(first.organizationId);
          if (!tables.countKeys(tx, organizationId, batch.length, quota)) return 'quota_exceeded' as const;
          const identityIds = new Map<string, string>();
          for (const key of batch) {
            if (key.externalId !== null && !identityIds.has(key.externalId)) {
              identityIds.set(key.externalId, tables.ensureIdentity(tx, organizationId, key.externalId, key.createdAt));
            }
          }
          const rows = batch.map((key) =>
            tables.keyRow(key, key.externalId === null ? null : (identityIds.get(key.externalId) ?? null)),
          );
          tables.insertKeys(tx, rows);
          for (const key of batch) {
            if (key.roleIds.length > 0) tables.setKeyRoles(tx, organizationId, uuid(key.id), key.roleIds);
          }
          for (const event of events) tables.recordAudit(tx, event);
          tables.putSettingIfAbsent(tx, IMPORTED_KEYS_SETTING, 'true');
          const imported = new Set(rows.map((row) => row.id));
          return [...imported]
            .map((keyId) => tables.keyOfOrganization(organizationId, keyId))
            .filter((row): row is KeyRow => row !== undefined)
            .sort(byCreation)
            .map((row) => tables.keyOf(row));
        });
      } catch (error) {
        // Whichever unique key refused the batch, SQL answers it as a secret stored already.
        if (error instanceof StorageError && error.code === UNIQUE_VIOLATION) return 'duplicate_secret';
        throw error;
      }
    },

    holdsImportedKeys: () => run(() => tables.settings.has(IMPORTED_KEYS_SETTING)),

    rehashKey: (id, rehash) =>
      write((tx) => {
        const row = tables.keys.get(uuid(id));
        const from = text(rehash.from);
        const rehashed = {
          secretHash: text(rehash.secretHash),
          hint: text(rehash.hint),
          lastFour: text(rehash.lastFour),
        };
        if (row?.secretHash === from) tables.writeKey(tx, { ...row, ...rehashed });
      }),

    insertRole: (role, event) =>
      write((tx) => {
        const inserted = tables.insertRole(tx, role);
        if (!inserted) return null;
        tables.recordAudit(tx, event);
        return tables.roleOf(inserted);
      }),

    findRole: (organizationId, idOrName) =>
      run(() => {
        const row = tables.findRole(uuid(organizationId), idOrName);
        return row ? tables.roleOf(row) : null;
      }),

    // The SQL store answers no names without a statement, closed or not.
    findRolesByName: (organizationId, names) =>
      names.length === 0
        ? Promise.resolve([])
        : run(() => {
            const organization = uuid(organizationId);
            const found = new Map<string, RoleRow>();
            for (const name of names.map(text)) {
              const row = tables.roleNamed(organization, name);
              if (row) found.set(row.id, row);
            }
            return [...found.values()].sort((a, b) => collate(a.name, b.name)).map((row) => tables.roleOf(row));
          }),

    listRoles: (organizationId, query = {}) =>
      run(() => pageOf(tables.roles.values(), uuid(organizationId), query).map((row) => tables.roleOf(row))),

    updateRole: (organizationId, id, decide) =>
      write((tx) => {
        const organization = uuid(organizationId);
        const current = tables.findRole(organization, id);
        if (!current) return null;
        const decision = decide(tables.roleOf(current));
        if (isErr(decision)) return decision;
        const { change } = decision;
        // Values read in the order the SQL store's statements bind them: the first PostgreSQL cannot read is refused.
        const name = change.name === undefined ? undefined : text(change.name);
        if (name !== undefined && tables.roleNameTaken(organization, name, uuid(id))) return 'duplicate_name' as const;
        const grants = change.grants === undefined ? undefined : jsonb(change.grants);
        const updatedAt = instant(change.updatedAt);
        // Written to the role of the id given, as the SQL store writes: one found by its name fails there too.
        const roleId = uuid(id);
        const row = tables.roles.get(roleId);
        if (row?.organizationId !== organization) throw new Error(`No role ${roleId} to change.`);
        const changed: RoleRow = {
          ...row,
          ...(name === undefined ? {} : { name }),
          ...(grants === undefined ? {} : { grants }),
          updatedAt,
        };
        tables.writeRole(tx, row, changed);
        tables.recordAudit(tx, decision.audit);
        return tables.roleOf(changed);
      }),

    deleteRole: (organizationId, id, event) =>
      write((tx) => {
        const organization = uuid(organizationId);
        const row = tables.roles.get(uuid(id));
        if (row?.organizationId !== organization) return null;
        tables.deleteRole(tx, row);
        tables.recordAudit(tx, event);
        return tables.roleOf(row);
      }),

    insertIdentity: (identity, event) =>
      write((tx) => {
        const inserted = tables.insertIdentity(tx, tables.identityRow(identity));
        if (!inserted) return null;
        tables.recordAudit(tx, event);
        return tables.identityOf(inserted);
      }),

    findIdentity: (organizationId, idOrExternalId) =>
      run(() => {
        const row = tables.findIdentity(uuid(organizationId), idOrExternalId);
        return row ? tables.identityOf(row) : null;
      }),

    listIdentities: (organizationId, query = {}) =>
      run(() => pageOf(tables.identities.values(), uuid(organizationId), query).map((row) => tables.identityOf(row))),

    updateIdentity: (organizationId, id, decide) =>
      write((tx) => {
        const organization = uuid(organizationId);
        const current = tables.findIdentity(organization, id);
        if (!current) return null;
        const decision = decide(tables.identityOf(current));
        if (isErr(decision)) return decision;
        const { change } = decision;
        // Values read in the order the SQL store's statements bind them, as for roles.
        const externalId = change.externalId === undefined ? undefined : text(change.externalId);
        if (externalId !== undefined && tables.externalIdTaken(organization, externalId, uuid(id))) {
          return 'duplicate_external_id' as const;
        }
        const meta = change.meta === undefined ? undefined : nullableJsonb(change.meta);
        const ratelimits = change.ratelimits === undefined ? undefined : jsonb(change.ratelimits);
        const updatedAt = instant(change.updatedAt);
        // Written to the identity of the id given, as the SQL store writes: one found otherwise fails there too.
        const identityId = uuid(id);
        const row = tables.identities.get(identityId);
        if (row?.organizationId !== organization) throw new Error(`No identity ${identityId} to change.`);
        const changed: IdentityRow = {
          ...row,
          ...(externalId === undefined ? {} : { externalId }),
          ...(meta === undefined ? {} : { meta }),
          ...(ratelimits === undefined ? {} : { ratelimits }),
          updatedAt,
        };
        tables.writeIdentity(tx, row, changed);
        tables.recordAudit(tx, decision.audit);
        return tables.identityOf(changed);
      }),

    deleteIdentity: (organizationId, id, removal) =>
      write((tx) => {
        const organization = uuid(organizationId);
        const row = tables.findIdentity(organization, id);
        if (!row) return null;
        const keyIds = tables.keysOf(organization, row.id);
        if (keyIds.length > 0 && !removal.deleteKeys) return 'has_keys' as const;
        for (const keyId of keyIds) {
          tables.deleteCountedKey(tx, organization, keyId, undefined, tables.auditDraft(removal.keyAudit(keyId)));
        }
        tables.deleteIdentity(tx, row);
        tables.recordAudit(tx, removal.audit);
        return { identity: tables.identityOf(row), deletedKeyIds: keyIds };
      }),

    insertApplication: (application, event) =>
      write((tx) => {
        const row = tables.applicationRow(application);
        tables.insertApplication(tx, row);
        tables.recordAudit(tx, event);
        return applicationOf(row);
      }),

    findApplication: (organizationId, id) =>
      run(() => {
        const row = tables.applications.get(uuid(id));
        return row?.organizationId === uuid(organizationId) ? applicationOf(row) : null;
      }),

    findDefaultApplication: (organizationId) =>
      run(() => {
        const row = tables.defaultApplication(uuid(organizationId));
        return row ? applicationOf(row) : null;
      }),

    listApplications: (organizationId, query = {}) =>
      run(() => pageOf(tables.applications.values(), uuid(organizationId), query).map(applicationOf)),

    insertOrganization: (organization, application, adminKey, events) =>
      write((tx) => {
        // Born with one key, its admin key, which holds neither identity nor roles.
        tables.insertOrganization(tx, {
          id: uuid(organization.id),
          name: text(organization.name),
          createdAt: instant(organization.createdAt),
          keyCount: 1,
        });
        tables.insertApplication(tx, tables.applicationRow(application));
        tables.insertKeys(tx, [tables.keyRow(adminKey, null)]);
        for (const event of events) tables.recordAudit(tx, event);
      }),

    ensureDefaultOrganization: (now) =>
      write((tx) => {
        const id = uuid(tables.putSettingIfAbsent(tx, DEFAULT_ORGANIZATION_SETTING, randomUUID()));
        const createdAt = instant(now);
        if (!tables.organizations.has(id)) {
          tables.insertOrganization(tx, { id, name: 'Default organization', createdAt, keyCount: 0 });
        }
        const application: ApplicationRow = {
          id: randomUUID(),
          organizationId: id,
          name: 'Default application',
          description: 'Created with the organization.',
          isDefault: true,
          createdAt,
        };
        tables.insertApplication(tx, application, true);
        return organizationOf(tables.organizations.get(id) as OrganizationRow);
      }),

    listAuditEvents: (organizationId, query) =>
      run(() =>
        tables.auditEvents(
          uuid(organizationId),
          rowCount(query.limit, 'LIMIT'),
          query.beforeSequence === undefined ? undefined : sequenceNumber(query.beforeSequence),
        ),
      ),

    putSettingIfAbsent: (name, value) => write((tx) => tables.putSettingIfAbsent(tx, name, value)),

    ping: () => run(() => undefined),

    async close() {
      closed = true;
    },
  };
}
