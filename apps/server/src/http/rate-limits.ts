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

const seconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

/**
 * Request and failed-authentication limits, counted by rate-limiter-flexible: in this
 * process, or in Redis so that every instance counts against one limit.
 */
export class RateLimits {
  readonly #perKey;
  readonly #failures;
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
            blockDuration: settings.lockoutSeconds,
          })
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

  /** Whether a client address is locked out after too many failed authentications. */
  async lockout(client: string): Promise<Allowance | null> {
    if (!this.#failures) return null;
    const state = await this.#failures.get(client);
    if (!state || state.consumedPoints <= this.#settings.failedAuthPerMinute) return null;
    return {
      allowed: false,
      limit: this.#settings.failedAuthPerMinute,
      remaining: 0,
      resetSeconds: seconds(state.msBeforeNext),
    };
  }

  /** Counts a failed authentication; the one that reaches the limit locks the client out. */
  async recordFailure(client: string): Promise<void> {
    const failures = this.#failures;
    if (!failures) return;
    try {
      const result = await failures.consume(client);
      if (result.remainingPoints === 0) await failures.block(client, this.#settings.lockoutSeconds);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    }
  }
}
