import type {
  ApiKey,
  Application,
  AuditEvent,
  CreditRefill,
  Identity,
  KeyCredits,
  KeyMeta,
  KeyStatus,
  NamedRateLimit,
  Organization,
  Role,
} from './model.js';
import type { Access, Grant } from './permissions.js';
import type { Err } from './result.js';

/** A key to store: what it will be, less what only use and time give it, plus its secret's digest. */
export type NewKey = Omit<
  ApiKey,
  'updatedAt' | 'lastUsedAt' | 'rotatedAt' | 'previousSecretExpiresAt' | 'secretGeneration' | 'identity' | 'roles'
> & {
  readonly secretHash: string;
  /** The identity the key belongs to, by the platform's id for it, created with the key when it is new; null: none. */
  readonly externalId: string | null;
  /** The roles the key holds; a role deleted meanwhile is simply not held. */
  readonly roleIds: readonly string[];
};

export interface KeyChanges {
  readonly name?: string;
  /** The identity the key belongs to from now on (created when it is new); null: none. */
  readonly externalId?: string | null;
  /** The roles the key holds from now on, in place of those it held. */
  readonly roleIds?: readonly string[];
  readonly meta?: KeyMeta | null;
  readonly ipAllowlist?: readonly string[] | null;
  readonly status?: KeyStatus;
  readonly access?: Access;
  readonly expiresAt?: Date | null;
  /** The key's credits from now on; null: unlimited. */
  readonly credits?: KeyCredits | null;
  readonly ratelimits?: readonly NamedRateLimit[];
  readonly updatedAt: Date;
}

/** A cost counted against a named limit of a subject (`key:<id>` or `identity:<id>`). */
export interface RateLimitTake {
  readonly subject: string;
  readonly name: string;
  readonly limit: number;
  readonly durationMs: number;
  readonly cost: number;
}

/** How a limit stands after a take: what is left of its window, when it ends (epoch ms), whether it refused. */
export interface RateLimitState {
  readonly name: string;
  readonly limit: number;
  readonly remaining: number;
  readonly reset: number;
  readonly exceeded: boolean;
}

export interface RateLimitOutcome {
  readonly admitted: boolean;
  /** One for each take, in their order. */
  readonly states: readonly RateLimitState[];
}

/**
 * A spending of `cost` credits at `at`, asked by a caller who read the key's refill as `refill`
 * (a store may rely on that while it is so, and must not when it changed meanwhile).
 */
export interface CreditSpending {
  readonly cost: number;
  readonly at: Date;
  readonly refill: CreditRefill | null;
}

export interface Rotation {
  readonly secretHash: string;
  readonly hint: string;
  readonly lastFour: string;
  /** Until when the replaced secret still works; null to end it at once. */
  readonly previousSecretExpiresAt: Date | null;
  readonly rotatedAt: Date;
}

/**
 * What to change in a key, decided from the key as it is while the store holds it locked,
 * with the audit event that records it; or why the change is refused (nothing is written).
 */
export type Decision<Entity, Change> = (
  current: Entity,
) => { readonly change: Change; readonly audit: AuditEvent } | Err;

export type KeyDecision<Change> = Decision<ApiKey, Change>;

export interface RoleChanges {
  readonly name?: string;
  readonly grants?: readonly Grant[];
  readonly updatedAt: Date;
}

export interface IdentityChanges {
  readonly externalId?: string;
  readonly meta?: KeyMeta | null;
  readonly ratelimits?: readonly NamedRateLimit[];
  readonly updatedAt: Date;
}

/** The replacement of an imported key's stored digest by keyplane's own, at its first successful use. */
export interface Rehash {
  readonly from: string;
  readonly secretHash: string;
  readonly hint: string;
  readonly lastFour: string;
}

/** How an identity goes: refused while it has keys, or with them. */
export interface IdentityRemoval {
  readonly deleteKeys: boolean;
  readonly audit: AuditEvent;
  /** The event of each key deleted with it. */
  readonly keyAudit: (keyId: string) => AuditEvent;
}

/** Why keys to import were not stored (nothing was). */
export type ImportRefusal = 'quota_exceeded' | 'duplicate_secret';

/** A key found by a secret digest, and whether that digest is its current or its previous secret. */
export interface KeyBySecret {
  readonly key: ApiKey;
  readonly matched: 'current' | 'previous';
}

export type KeyOrder = 'asc' | 'desc';

/** A page of keys in creation order: after or before a cursor key, or at an offset. */
export interface KeyQuery {
  readonly applicationId?: string;
  readonly identityId?: string;
  readonly order: KeyOrder;
  /** At most this many keys; all of them when absent. */
  readonly limit?: number;
  readonly after?: { readonly createdAt: Date; readonly id: string };
  readonly before?: { readonly createdAt: Date; readonly id: string };
  readonly offset?: number;
}

/** A page of applications (or roles, or identities) in creation order, after a cursor. */
export interface ApplicationQuery {
  readonly limit?: number;
  readonly after?: { readonly createdAt: Date; readonly id: string };
}

export interface AuditQuery {
  readonly limit: number;
  /** Events strictly older than this sequence number, newest first. */
  readonly beforeSequence?: string;
}

/**
 * Where the state that verification changes is written: apart from the keys, so that a key
 * being used never changes the key as any cache holds it.
 */
export interface KeyUsageStore {
  /** Records when keys were last used, keeping the latest time of each. */
  recordKeyUsage(usage: readonly { readonly id: string; readonly usedAt: Date }[]): Promise<void>;
}

/**
 * What the domain needs from storage. Every read and write of an organization's data is
 * scoped by its id, so one tenant can never reach another's rows. Every change is
 * written in one transaction with its audit event, and only when it took effect.
 */
export interface KeyplaneStore extends KeyUsageStore {
  /** The stored key; null when its organization already holds `quota` keys. */
  insertKey(key: NewKey, audit: AuditEvent, quota: number): Promise<ApiKey | null>;
  findKeyById(organizationId: string, id: string): Promise<ApiKey | null>;
  findKeyBySecretHash(secretHash: string): Promise<KeyBySecret | null>;
  /**
   * What memory alone knows, without asking the store: the key a digest names, or
   * undefined when memory cannot tell (a key it does not hold, or a store with no cache).
   */
  peekKeyBySecretHash?(secretHash: string): KeyBySecret | undefined;
  /** The key of that id as memory holds it; undefined when memory cannot tell. */
  peekKeyById?(organizationId: string, id: string): ApiKey | null | undefined;
  /**
   * The latest use of a key memory holds, written through this process since memory read the
   * key (which it keeps as read); undefined when there is none.
   */
  peekWrittenUse?(keyId: string): Date | undefined;
  /**
   * Spends `cost` from a key's credits as stored, refilled first when a period began (as core's
   * `spend` does), with no other spending or change of them interleaving: spent only when as
   * many remain; null when the key is gone or has no credits. Changes nothing else of the key,
   * and nothing any cache holds of it needs forgetting.
   */
  spendCredits(keyId: string, spending: CreditSpending): Promise<{ credits: KeyCredits; spent: boolean } | null>;
  /**
   * Counts `takes` in their current windows, all or none: none when any would pass its limit.
   * Each answers how much of its window is left after this, and when the window ends.
   */
  takeRateLimits(takes: readonly RateLimitTake[], at: Date): Promise<RateLimitOutcome>;
  /** A key's credits as stored now; null when it is gone or has none. */
  findKeyCredits(keyId: string): Promise<KeyCredits | null>;
  /** Keys in creation order; with `after`/`before` a page of keyset pagination. */
  listKeys(organizationId: string, query?: KeyQuery): Promise<ApiKey[]>;
  countKeys(organizationId: string, applicationId?: string): Promise<number>;
  /**
   * Changes a key atomically: `decide` sees the key as it is, locked against concurrent
   * changes until the change is written. Null when there is no such key.
   */
  updateKey(organizationId: string, id: string, decide: KeyDecision<KeyChanges>): Promise<ApiKey | Err | null>;
  /** Gives a key its next secret, atomically as `updateKey` does. */
  rotateKey(organizationId: string, id: string, decide: KeyDecision<Rotation>): Promise<ApiKey | Err | null>;
  /**
   * True when this call removed the key; false when it was already gone (or, with
   * `applicationId`, belongs to another application).
   */
  deleteKey(organizationId: string, id: string, applicationId: string | undefined, audit: AuditEvent): Promise<boolean>;
  /** Stores keys of another system, all or none, each with its event, within the organization's quota. */
  importKeys(keys: readonly NewKey[], audit: readonly AuditEvent[], quota: number): Promise<ApiKey[] | ImportRefusal>;
  /** Whether any key was ever imported: until one is, a secret not in keyplane's format names no key. */
  holdsImportedKeys(): Promise<boolean>;
  /** Stores an imported key under keyplane's digest, unless its digest changed meanwhile. */
  rehashKey(id: string, rehash: Rehash): Promise<void>;

  /** The stored role; null when the organization has one of that name already. */
  insertRole(role: Role, audit: AuditEvent): Promise<Role | null>;
  /** The role of that id, or else of that name. */
  findRole(organizationId: string, idOrName: string): Promise<Role | null>;
  findRolesByName(organizationId: string, names: readonly string[]): Promise<Role[]>;
  listRoles(organizationId: string, query?: ApplicationQuery): Promise<Role[]>;
  /** Changes a role atomically, as `updateKey` does a key; `duplicate_name` when the new name is taken. */
  updateRole(
    organizationId: string,
    id: string,
    decide: Decision<Role, RoleChanges>,
  ): Promise<Role | Err | 'duplicate_name' | null>;
  /** The role this call removed, taken from every key holding it; null when it was already gone. */
  deleteRole(organizationId: string, id: string, audit: AuditEvent): Promise<Role | null>;

  /** The stored identity; null when one has that external id already. */
  insertIdentity(identity: Identity, audit: AuditEvent): Promise<Identity | null>;
  /** The identity of that id, or else of that external id. */
  findIdentity(organizationId: string, idOrExternalId: string): Promise<Identity | null>;
  listIdentities(organizationId: string, query?: ApplicationQuery): Promise<Identity[]>;
  updateIdentity(
    organizationId: string,
    id: string,
    decide: Decision<Identity, IdentityChanges>,
  ): Promise<Identity | Err | 'duplicate_external_id' | null>;
  /**
   * Removes the identity and, when asked, its keys; `has_keys` (nothing removed) when it has
   * keys and was not asked to; null when it was already gone.
   */
  deleteIdentity(
    organizationId: string,
    id: string,
    removal: IdentityRemoval,
  ): Promise<{ readonly identity: Identity; readonly deletedKeyIds: readonly string[] } | 'has_keys' | null>;

  insertApplication(application: Application, audit: AuditEvent): Promise<Application>;
  findApplication(organizationId: string, id: string): Promise<Application | null>;
  findDefaultApplication(organizationId: string): Promise<Application | null>;
  listApplications(organizationId: string, query?: ApplicationQuery): Promise<Application[]>;

  /** A new organization with its default application and first key, all or nothing. */
  insertOrganization(
    organization: Organization,
    application: Application,
    adminKey: NewKey,
    audit: readonly AuditEvent[],
  ): Promise<void>;
  /** The organization the root credential belongs to, created with its default application on first use. */
  ensureDefaultOrganization(now: Date): Promise<Organization>;

  listAuditEvents(organizationId: string, query: AuditQuery): Promise<AuditEvent[]>;

  /** Stores `value` unless the setting exists; returns the value that is now stored. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
