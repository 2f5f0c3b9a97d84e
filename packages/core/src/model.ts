import type { Access, Grant } from './permissions.js';

export type KeyStatus = 'enabled' | 'disabled';

/** What a platform keeps on a key for itself: a JSON object, returned as it was given. */
export type KeyMeta = Readonly<Record<string, unknown>>;

/** An API key as keyplane keeps it. The secret itself is never kept, only its digest. */
export interface ApiKey {
  readonly id: string;
  readonly organizationId: string;
  readonly applicationId: string;
  readonly name: string;
  readonly status: KeyStatus;
  readonly access: Access;
  /** The first characters of the secret, safe to show. */
  readonly hint: string;
  readonly lastFour: string;
  /** The key that created this one; null when the root credential did. */
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastUsedAt: Date | null;
  readonly expiresAt: Date | null;
  /** When the secret was last replaced; access tokens issued before then die with the old secret. */
  readonly rotatedAt: Date | null;
  /** Until when the secret replaced by the last rotation still works. */
  readonly previousSecretExpiresAt: Date | null;
  /** How many secrets the key has had, this one included: 1 until its first rotation. */
  readonly secretGeneration: number;
  /** The platform's own data on the key; null when it has none. */
  readonly meta: KeyMeta | null;
  /** The addresses and CIDR ranges the key may be used from; null: any. */
  readonly ipAllowlist: readonly string[] | null;
  /** The platform's customer the key belongs to; null when it belongs to none. */
  readonly identity: KeyIdentity | null;
  /** The roles whose permissions the key holds besides its own, by name. */
  readonly roles: readonly KeyRole[];
  /** What verifications of the key may still spend; null: unlimited. */
  readonly credits: KeyCredits | null;
  /** Its own named rate limits; a name of its identity's it holds too is its own. */
  readonly ratelimits: readonly NamedRateLimit[];
}

/**
 * At most `limit` verifications (counted by their cost) in each window of `durationMs`, counted
 * for the key, or for every key of an identity together; `autoApply`: on every verification,
 * not only those that name it.
 */
export interface NamedRateLimit {
  readonly name: string;
  readonly limit: number;
  readonly durationMs: number;
  readonly autoApply: boolean;
}

/** How a key's credits come back: to `amount`, at midnight UTC of each day, or of each month's `refillDay`. */
export interface CreditRefill {
  readonly interval: 'daily' | 'monthly';
  readonly amount: number;
  /** The day of the month a monthly refill happens (its last day when the month is shorter); null: the 1st. */
  readonly refillDay: number | null;
}

/** A key's credits as they were last written: a refill due since then has not happened yet (see `creditsAt`). */
export interface KeyCredits {
  readonly remaining: number;
  readonly refill: CreditRefill | null;
  /** When the credits were last refilled or set: the start of the period they count in. */
  readonly refilledAt: Date;
}

/** A named set of permissions that keys hold by holding the role. */
export interface Role {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly grants: readonly Grant[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A role as a key holds it: what the key's access needs of it. */
export type KeyRole = Pick<Role, 'id' | 'name' | 'grants'>;

/** The platform's customer, named by the platform's own id for it, whose keys share what is kept here. */
export interface Identity {
  readonly id: string;
  readonly organizationId: string;
  readonly externalId: string;
  readonly meta: KeyMeta | null;
  /** Named rate limits every key of the identity counts against together. */
  readonly ratelimits: readonly NamedRateLimit[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** An identity as a key carries it. */
export type KeyIdentity = Pick<Identity, 'id' | 'externalId' | 'meta' | 'ratelimits'>;

export interface Application {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly description: string | null;
  readonly isDefault: boolean;
  readonly createdAt: Date;
}

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

/** Who is calling, in one request: a key, an access token of a key, or the root credential. */
export interface Principal {
  readonly organizationId: string;
  /** Null for the root credential, which is not a stored key. */
  readonly keyId: string | null;
  readonly access: Access;
  /** The request this principal acts in, for the audit log. */
  readonly requestId: string;
}

export const AUDIT_ACTIONS = [
  'api_key.created',
  'api_key.updated',
  'api_key.enabled',
  'api_key.disabled',
  'api_key.rotated',
  'api_key.deleted',
  'api_key.imported',
  'role.created',
  'role.updated',
  'role.deleted',
  'identity.created',
  'identity.updated',
  'identity.deleted',
  'application.created',
  'organization.created',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One change, recorded with who made it, when, and in which request. */
export interface AuditEvent {
  readonly id: string;
  readonly organizationId: string;
  readonly occurredAt: Date;
  readonly action: AuditAction;
  /** The acting key; null for the root credential. */
  readonly actorKeyId: string | null;
  readonly targetId: string;
  readonly requestId: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** Position in the organization's log, increasing with every event (assigned by the store). */
  readonly sequence?: string;
}
