import type { Redis } from 'ioredis';

/** A reservation asked for: granted, refused while the address is locked out, or not yet (every point in use). */
export type Reservation =
  | { readonly outcome: 'granted' }
  | { readonly outcome: 'locked'; readonly lockedForMs: number }
  | { readonly outcome: 'full' };

/**
 * The failed authentications of client addresses, the look-ups each has in flight, and its
 * lockout. An address has `limit` points a window: each failure keeps one until the window
 * ends, each look-up in flight holds one until its credential is judged, and a look-up is
 * let through only while a point is free — so that however many guesses arrive at once, at
 * most `limit` are ever judged wrong before the failure that reaches the limit locks the
 * address out for the lockout's whole length.
 */
export interface AttemptLedger {
  /** How much longer the address is locked out, in milliseconds; 0 when it is not. */
  lockedFor(client: string): Promise<number>;
  /** Takes a free point of the address for look-up `id`. */
  reserve(client: string, id: string): Promise<Reservation>;
  /** Look-up `id` proved its credential good, or judged nothing: its point is free again. */
  release(client: string, id: string): Promise<void>;
  /**
   * Look-up `id` proved its credential wrong: its point stays taken, as a failure, until the
   * window ends. Answers how long the address is now locked out (0: it is not); a failure
   * while it is locked out counts for nothing more.
   */
  fail(client: string, id: string): Promise<number>;
}

export interface LedgerSettings {
  /** Failures an address may make in a window; the one that reaches it locks the address out. */
  readonly limit: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  /** How long a reservation holds its point when its instance never answers for it (Redis; 30 s when absent). */
  readonly lapseMs?: number;
}

interface Entry {
  failures: number;
  windowEndsAt: number;
  lockedUntil: number;
  readonly inFlight: Set<string>;
}

/** The ledger of one instance, in its memory: exact for that instance alone. */
export class MemoryLedger implements AttemptLedger {
  readonly #settings: LedgerSettings;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #sweep: NodeJS.Timeout;

  constructor(settings: LedgerSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
    // Addresses with nothing left to remember are dropped, so that many addresses seen once cost nothing.
    this.#sweep = setInterval(() => {
      for (const client of this.#entries.keys()) this.#current(client);
    }, settings.windowMs);
    this.#sweep.unref();
  }

  /** As `lockedFor`, without waiting for a turn of the event loop. */
  lockedForNow(client: string): number {
    const entry = this.#current(client);
    return entry ? Math.max(0, entry.lockedUntil - this.#now()) : 0;
  }

  async lockedFor(client: string): Promise<number> {
    return this.lockedForNow(client);
  }

  async reserve(client: string, id: string): Promise<Reservation> {
    const entry = this.#current(client) ?? this.#create(client);
    const lockedForMs = entry.lockedUntil - this.#now();
    if (lockedForMs > 0) return { outcome: 'locked', lockedForMs };
    if (entry.failures + entry.inFlight.size >= this.#settings.limit) return { outcome: 'full' };
    entry.inFlight.add(id);
    return { outcome: 'granted' };
  }

  async release(client: string, id: string): Promise<void> {
    this.#entries.get(client)?.inFlight.delete(id);
  }

  async fail(client: string, id: string): Promise<number> {
    const entry = this.#current(client) ?? this.#create(client);
    entry.inFlight.delete(id);
    const now = this.#now();
    // A look-up judged after the lockout began is part of what it answers; the next window starts after it.
    if (entry.lockedUntil > now) return entry.lockedUntil - now;
    if (entry.windowEndsAt <= now) {
      entry.failures = 0;
      entry.windowEndsAt = now + this.#settings.windowMs;
    }
    entry.failures += 1;
    if (entry.failures < this.#settings.limit) return 0;
    // The address comes back after its lockout with a clean slate.
    entry.lockedUntil = now + this.#settings.lockoutMs;
    entry.failures = 0;
    entry.windowEndsAt = 0;
    return this.#settings.lockoutMs;
  }

  /** The address's entry with what has ended forgotten; none when nothing is left of it. */
  #current(client: string): Entry | undefined {
    const entry = this.#entries.get(client);
    if (!entry) return undefined;
    const now = this.#now();
    if (entry.windowEndsAt <= now) entry.failures = 0;
    if (entry.failures === 0 && entry.inFlight.size === 0 && entry.lockedUntil <= now) {
      this.#entries.delete(client);
      return undefined;
    }
    return entry;
  }

  #create(client: string): Entry {
    const entry: Entry = { failures: 0, windowEndsAt: 0, lockedUntil: 0, inFlight: new Set() };
    this.#entries.set(client, entry);
    return entry;
  }
}

/*
 * The Redis ledger's steps, each one script so that no other instance's step comes between
 * its reads and writes. An address has three keys (one hash slot): its failures this window
 * (a counter expiring with the window), its look-ups in flight (a sorted set scored by when
 * each reservation lapses, should its instance die before answering) and its lockout (a
 * key expiring with it). Time is the Redis server's, so that instances' clocks do not matter.
 */
const RESERVE = `
local locked = redis.call('PTTL', KEYS[3])
if locked > 0 then return locked end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return -1
`;

const FAIL = `
redis.call('ZREM', KEYS[2], ARGV[2])
local locked = redis.call('PTTL', KEYS[3])
if locked > 0 then return locked end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if failures < tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
redis.call('DEL', KEYS[1])
return tonumber(ARGV[4])
`;

/** Longer than any look-up may take (the store's statements time out after 10 s). */
const RESERVATION_LAPSE_MS = 30_000;

interface LedgerCommands {
  keyplaneReserve(
    failures: string,
    inFlight: string,
    lockout: string,
    limit: number,
    id: string,
    lapseMs: number,
  ): Promise<number>;
  keyplaneFail(
    failures: string,
    inFlight: string,
    lockout: string,
    limit: number,
    id: string,
    windowMs: number,
    lockoutMs: number,
  ): Promise<number>;
}

/** The ledger every instance shares, in Redis. */
export class RedisLedger implements AttemptLedger {
  readonly #redis: Redis & LedgerCommands;
  readonly #settings: LedgerSettings;

  constructor(redis: Redis, settings: LedgerSettings) {
    this.#settings = settings;
    if (!('keyplaneReserve' in redis)) {
      redis.defineCommand('keyplaneReserve', { numberOfKeys: 3, lua: RESERVE });
      redis.defineCommand('keyplaneFail', { numberOfKeys: 3, lua: FAIL });
    }
    this.#redis = redis as Redis & LedgerCommands;
  }

  async lockedFor(client: string): Promise<number> {
    return Math.max(0, await this.#redis.pttl(keysOf(client).lockout));
  }

  async reserve(client: string, id: string): Promise<Reservation> {
    const { failures, inFlight, lockout } = keysOf(client);
    const answer = await this.#redis.keyplaneReserve(
      failures,
      inFlight,
      lockout,
      this.#settings.limit,
      id,
      this.#settings.lapseMs ?? RESERVATION_LAPSE_MS,
    );
    if (answer > 0) return { outcome: 'locked', lockedForMs: answer };
    return answer === 0 ? { outcome: 'full' } : { outcome: 'granted' };
  }

  async release(client: string, id: string): Promise<void> {
    await this.#redis.zrem(keysOf(client).inFlight, id);
  }

  fail(client: string, id: string): Promise<number> {
    const { failures, inFlight, lockout } = keysOf(client);
    const { limit, windowMs, lockoutMs } = this.#settings;
    return this.#redis.keyplaneFail(failures, inFlight, lockout, limit, id, windowMs, lockoutMs);
  }
}

/** An address's keys, in one hash slot (`{…}`) so that a script may touch them all on a cluster too. */
function keysOf(client: string) {
  const slot = `keyplane:attempts:{${client}}`;
  return { failures: `${slot}:failures`, inFlight: `${slot}:in-flight`, lockout: `${slot}:lockout` };
}
