import type { PermissionQuery } from './permission-query.js';
import { satisfies } from './permission-query.js';
import type { VerifiableKey } from './verifiable-key.js';

export type VerificationCode =
  | 'VALID'
  | 'NOT_FOUND'
  | 'DISABLED'
  | 'EXPIRED'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_PERMISSIONS'
  | 'USAGE_EXCEEDED'
  | 'RATE_LIMITED';

/** One question a verification asks of a found key: the code that refuses it, or null when it passes. */
export type VerificationCheck = (key: VerifiableKey, now: number) => Exclude<VerificationCode, 'VALID'> | null;

/** What a verification is asked besides the key: what it must hold, and where its user is. */
export interface VerifierOptions {
  /** What the key must hold; nothing is asked of its permissions when absent. */
  readonly permissions?: PermissionQuery;
  /** The address the key is used from, as the platform saw it. */
  readonly ip?: string;
}

export const withStatus: VerificationCheck = ({ key }) => (key.status === 'enabled' ? null : 'DISABLED');

export const withExpiry: VerificationCheck = ({ key }, now) =>
  key.expiresAt === null || key.expiresAt.getTime() > now ? null : 'EXPIRED';

/** A key with an allowlist is used only from its addresses; with no address given, from none of them. */
export const withIpAllowlist =
  (ip: string | undefined): VerificationCheck =>
  ({ allowlist }) =>
    allowlist === null || allowlist.allows(ip) ? null : 'FORBIDDEN';

export const withPermissions =
  (query: PermissionQuery): VerificationCheck =>
  ({ permissions }) =>
    satisfies(permissions, query) ? null : 'INSUFFICIENT_PERMISSIONS';

/** A verification's outcome: its code, and whether the key was used (found usable, whatever it was then asked). */
export interface Judgement {
  readonly code: VerificationCode;
  readonly used: boolean;
}

/**
 * A verification built from the checks it needs, in order: first whether the key may be used
 * at all (enabled, unexpired, from an allowed address), which makes it a use of the key; then
 * what the verification asks of it (permissions; later, what it spends). The first check that
 * refuses decides the code.
 */
export class Verifier {
  readonly #usable: readonly VerificationCheck[];
  readonly #asked: readonly VerificationCheck[];

  constructor(usable: readonly VerificationCheck[], asked: readonly VerificationCheck[]) {
    this.#usable = usable;
    this.#asked = asked;
  }

  /** The checks `options` call for, and none other: a verification asking no permissions checks none. */
  static of(options: VerifierOptions): Verifier {
    const asked = options.permissions && !isEmpty(options.permissions) ? [withPermissions(options.permissions)] : [];
    return new Verifier([withStatus, withExpiry, withIpAllowlist(options.ip)], asked);
  }

  judge(key: VerifiableKey, now: number): Judgement {
    for (const check of this.#usable) {
      const refused = check(key, now);
      if (refused) return { code: refused, used: false };
    }
    for (const check of this.#asked) {
      const refused = check(key, now);
      if (refused) return { code: refused, used: true };
    }
    return { code: 'VALID', used: true };
  }
}

/** A query every key satisfies: all of no permissions. */
const isEmpty = (query: PermissionQuery) => query.kind === 'and' && query.operands.length === 0;
