import type { Redis } from 'ioredis';
import { type IRateLimiterOptions, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitSettings {
  /** Requests one key (or its access tokens) may make per minute; 0 turns the limit off. */
  readonly perKeyPerMinute: number;
  /** Failed authentications one client address may make per minute before it is locked out; 0: off. */
  readonly failedAuthPerMinute: number;
  /** How long a locked-out client address stays locked out. */
  readonly lockoutSeconds: number;
  /** Shared counters for several instances; in memory when absent. */
  readonly redis?: Redis;
}

export interface Allowance {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  readonly resetSeconds: number;
}

/** The answer headers of a rate-limited request: Retry-After when refused, RateLimit-* always. */
export function rateLimitHeaders(allowance: Allowance): Record<string, string> {
  return {
    'RateLimit-Limit': String(allowance.limit),
    'RateLimit-Remaining': String(allowance.remaining),
    'RateLimit-Reset': String(allowance.resetSeconds),
    ...(allowance.allowed ? {} : { 'Retry-After': String(allowance.resetSeconds) }),
  };
}

/** One authentication attempt of a client address, counted before its credential is looked at. */
export type AuthenticationAttempt = { readonly lockedOut: Allowance } | CountedAttempt;

/** An attempt let through to have its credential looked at. */
export interface CountedAttempt {
  readonly lockedOut: null;
  /** The credential was good (or never judged): the attempt does not count. */
  giveBack(): void;
  /** The credential was wrong: the attempt stays counted, and may lock the client out. */
  countFailure(): Promise<void>;
}

const UNCOUNTED: AuthenticationAttempt = { lockedOut: null, giveBack: () => {}, countFailure: async () => {} };

const seconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

/**
 * Request and failed-authentication limits, counted by rate-limiter-flexible: in this
 * process, or in Redis so that every instance counts against one limit.
 */
export class RateLimits {
  readonly #perKey;
  readonly #failures;
  /** Client addresses locked out, apart from the counts: attempts giving their points back cannot lift a lockout. */
  readonly #lockouts;
  readonly #settings: RateLimitSettings;

  constructor(settings: RateLimitSettings) {
    this.#settings = settings;
    const limiter = (options: IRateLimiterOptions) =>
      settings.redis
        ? new RateLimiterRedis({
            ...options,
            storeClient: settings.redis,
            rejectIfRedisNotReady: true,
            // When Redis cannot answer, this instance counts alone rather than failing requests.
            insuranceLimiter: new RateLimiterMemory(options),
          })
        : new RateLimiterMemory(options);
    this.#perKey =
      settings.perKeyPerMinute > 0
        ? limiter({ keyPrefix: 'keyplane:key', points: settings.perKeyPerMinute, duration: 60 })
        : null;
    this.#failures =
      settings.failedAuthPerMinute > 0
        ? limiter({
            keyPrefix: 'keyplane:auth-failures',
            points: settings.failedAuthPerMinute,
            duration: 60,
            // No automatic block: good credentials over the limit in flight at once are refused
            // but must not lock their client out; a lockout comes from failures only.
          })
        : null;
    this.#lockouts =
      settings.failedAuthPerMinute > 0
        ? limiter({ keyPrefix: 'keyplane:lockout', points: 1, duration: settings.lockoutSeconds })
        : null;
  }

  /** Counts one request of a key; refused once the key is over its limit. */
  async consume(keyId: string): Promise<Allowance | null> {
    if (!this.#perKey) return null;
    const limit = this.#settings.perKeyPerMinute;
    try {
      const result = await this.#perKey.consume(keyId);
      return { allowed: true, limit, remaining: result.remainingPoints, resetSeconds: seconds(result.msBeforeNext) };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { allowed: false, limit, remaining: 0, resetSeconds: seconds(rejection.msBeforeNext) };
    }
  }

  /**
   * Counts an authentication attempt of a client address before its credential is looked
   * at, so that a burst of concurrent guesses cannot outrun the count: at most the limit
   * are ever evaluated per window. The attempt then gives its point back unless its
   * credential turns out wrong.
   */
  async attemptAuthentication(client: string): Promise<AuthenticationAttempt> {
    const failures = this.#failures;
    const lockouts = this.#lockouts;
    if (!failures || !lockouts) return UNCOUNTED;
    const limit = this.#settings.failedAuthPerMinute;
    const locked = await lockouts.get(client);
    if (locked && locked.consumedPoints > 1) {
      return { lockedOut: { allowed: false, limit, remaining: 0, resetSeconds: seconds(locked.msBeforeNext) } };
    }
    try {
      const counted = await failures.consume(client);
      return {
        lockedOut: null,
        // Fire and forget: a good credential does not wait for the counter. Should the give-back
        // be lost, the attempt counts as a failure until the window ends, nothing worse.
        giveBack: () => void failures.reward(client).catch(() => {}),
        countFailure: async () => {
          if (counted.remainingPoints > 0) return;
          // The failure that reaches the limit locks the client out, for the lockout's length;
          // its count then ends with the lockout, so that the client is let back with a clean slate.
          const lockoutSeconds = this.#settings.lockoutSeconds;
          await Promise.all([lockouts.block(client, lockoutSeconds), failures.set(client, limit, lockoutSeconds)]);
        },
      };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // Refused unevaluated: its point goes back, so that good credentials turned away while
      // others were in flight do not keep the address locked out once they are done.
      await failures.reward(client);
      return { lockedOut: { allowed: false, limit, remaining: 0, resetSeconds: seconds(rejection.msBeforeNext) } };
    }
  }
}
