import type { ApiKey, Application, AuditEvent, KeyMeta, KeyStatus, Organization } from './model.js';
import type { Access } from './permissions.js';
import type { Err } from './result.js';

/** A key to store: what it will be, less what only use and time give it, plus its secret's digest. */
export type NewKey = Omit<
  ApiKey,
  'updatedAt' | 'lastUsedAt' | 'rotatedAt' | 'previousSecretExpiresAt' | 'secretGeneration'
> & {
  readonly secretHash: string;
};

export interface KeyChanges {
  readonly name?: string;
  readonly meta?: KeyMeta | null;
  readonly ipAllowlist?: readonly string[] | null;
  readonly status?: KeyStatus;
  readonly access?: Access;
  readonly expiresAt?: Date | null;
  readonly updatedAt: Date;
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
export type KeyDecision<Change> = (current: ApiKey) => { readonly change: Change; readonly audit: AuditEvent } | Err;

/** A key found by a secret digest, and whether that digest is its current or its previous secret. */
export interface KeyBySecret {
  readonly key: ApiKey;
  readonly matched: 'current' | 'previous';
}

export type KeyOrder = 'asc' | 'desc';

/** A page of keys in creation order: after or before a cursor key, or at an offset. */
export interface KeyQuery {
  readonly applicationId?: string;
  readonly order: KeyOrder;
  /** At most this many keys; all of them when absent. */
  readonly limit?: number;
  readonly after?: { readonly createdAt: Date; readonly id: string };
  readonly before?: { readonly createdAt: Date; readonly id: string };
  readonly offset?: number;
}

/** A page of applications in creation order, after a cursor. */
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
 * What the domain needs from storage. Every read and write of an organization's data is
 * scoped by its id, so one tenant can never reach another's rows. Every change is
 * written in one transaction with its audit event, and only when it took effect.
 */
export interface KeyplaneStore {
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
  /** Records when keys were last used, keeping the latest time of each. */
  recordKeyUsage(usage: readonly { readonly id: string; readonly usedAt: Date }[]): Promise<void>;

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
